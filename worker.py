"""Builds the app once, then runs the RQ worker in its context.

It listens on the `push` queue first (Web Push), then the main queue (emails, routing, waves):
RQ always takes from the first non-empty queue, so a burst of emails never delays a push.
A SimpleWorker runs jobs in this process (no fork per job): emails and routing start within
milliseconds of being enqueued, and database connections are never shared across a fork.
No RQ scheduler runs (it would be a forked child that outlives a killed worker and holds a
lock its replacement waits minutes for): the sweep (`flask sweep --loop`) owns every deadline
(wave deadlines, email retries) and wakes for the next one. Any number of workers may run.
"""

from __future__ import annotations

import logging
import sys

from rq import SimpleWorker

from app import create_app
from app.platform.queue import redis_connection, worker_queues


def main(argv: list[str]) -> None:
    """`python worker.py`: push first, then the main queue (no scheduler: the sweep owns deadlines).
    `python worker.py push`: a worker for the push queue only (no email ever runs ahead of it)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    app = create_app()
    push_only = argv[:1] == ["push"]
    with app.app_context():
        queues = worker_queues(app)[:1] if push_only else worker_queues(app)
        worker = SimpleWorker(queues, connection=redis_connection(app))
        worker.work(with_scheduler=False, logging_level="WARNING")


if __name__ == "__main__":
    main(sys.argv[1:])
