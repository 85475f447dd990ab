"""RQ entry points: take ids, call a service, commit. Thin.

Each job runs inside the app context the worker pushed (worker.py); the session is removed
after every job.
"""

from __future__ import annotations

import functools
import logging

from flask import current_app, has_app_context

from app.broadcast import waves
from app.extensions import db, remove_session
from app.leads import routing
from app.models import OutboxEmail, OutboxPush
from app.platform import outbox, push
from app.platform import sweep as sweep_steps

log = logging.getLogger(__name__)


def _job(fn):
    """Run a job in its own app context (so its own database session), removed afterwards.
    Jobs run in the app that worker.py (or a test's worker) built and pushed."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not has_app_context():
            raise RuntimeError("FogForge jobs run inside the app: start workers with `python worker.py`.")
        with current_app.app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                remove_session()

    return wrapper


@_job
def send_email(outbox_id: int) -> str:
    """Send one outbox row, once. Raises on SMTP failure so RQ retries with backoff."""
    session = db.session
    row = outbox.claim(session, outbox_id)
    session.commit()
    if row is None:
        return "skipped"
    try:
        status = outbox.send(row)
    except Exception as exc:
        session.rollback()
        row = session.get_one(OutboxEmail, outbox_id)
        outbox.mark_failed(row, exc)
        session.commit()
        log.warning("email %s failed (attempt %s): %s", outbox_id, row.attempts, exc)
        if row.status == "failed":
            return "failed"
        raise
    outbox.mark_done(row, status)
    session.commit()
    return status


@_job
def send_push(push_id: int) -> str:
    """Send one push row, once (queue `push`). A dead subscription (404/410) is deleted; any
    other failure raises so RQ retries within seconds (the sweep later)."""
    session = db.session
    row = push.claim(session, push_id)
    session.commit()
    if row is None:
        return "skipped"
    try:
        status = push.deliver(row)
    except push.Expired:
        status = "gone"
    except Exception as exc:
        session.rollback()
        row = session.get_one(OutboxPush, push_id)
        push.mark_failed(row, exc)
        session.commit()
        log.warning("push %s failed (attempt %s): %s", push_id, row.attempts, exc)
        if row.status == "failed":
            return "failed"
        raise
    push.finish(session, row, status)
    session.commit()
    return status


@_job
def route_lead(lead_id: int) -> bool:
    routed = routing.route(db.session, lead_id)
    db.session.commit()
    return routed


@_job
def expand_wave(lead_id: int, expected_wave: int) -> str:
    """At a broadcast wave's deadline: open the next wave (or fall back). A duplicate or late
    job finds the lead past `expected_wave` and does nothing."""
    result = waves.expand(db.session, lead_id, expected_wave)
    db.session.commit()
    return result


@_job
def sweep() -> dict:
    counts = sweep_steps.run(db.session)
    db.session.commit()
    if any(counts.values()):
        current_app.logger.info("sweep re-enqueued %s", counts)
    return counts
