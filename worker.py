"""Builds the app once, then runs the RQ worker in its context.

Queues by urgency (issue 10): `urgent` (routing, wave deadlines), then `push` (Web Push), then
the main queue (emails). RQ always takes from the first non-empty queue, so queued emails never
run before a routing job; `python worker.py urgent` listens on urgent and push only, so an email
being sent (SMTP can take seconds) never occupies the worker that routes. Production runs at
least one urgent worker and one general worker (README, "Workers").
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
    """`python worker.py`: urgent, push, then the main queue (no scheduler: the sweep owns deadlines).
    `python worker.py urgent` (or its old name `push`): urgent and push only, never an email."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    app = create_app()
    urgent_only = argv[:1] in (["urgent"], ["push"])
    with app.app_context():
        queues = worker_queues(app, urgent_only=urgent_only)
        worker = SimpleWorker(queues, connection=redis_connection(app))
        worker.work(with_scheduler=False, logging_level="WARNING")


if __name__ == "__main__":
    main(sys.argv[1:])
