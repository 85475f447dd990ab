"""Builds the app once, then runs the RQ worker in its context.

A SimpleWorker runs jobs in this process (no fork per job): emails and routing start within
milliseconds of being enqueued, and database connections are never shared across a fork.
No RQ scheduler runs (it would be a forked child that outlives a killed worker and holds a
lock its replacement waits minutes for): the sweep (`flask sweep --loop`) owns every deadline
(wave deadlines, email retries) and wakes for the next one. Any number of workers may run.
"""

from __future__ import annotations

import logging

from rq import SimpleWorker

from app import create_app
from app.platform.queue import get_queue, redis_connection


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    app = create_app()
    with app.app_context():
        worker = SimpleWorker([get_queue(app)], connection=redis_connection(app))
        worker.work(with_scheduler=False, logging_level="WARNING")


if __name__ == "__main__":
    main()
