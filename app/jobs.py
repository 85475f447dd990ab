"""RQ entry points: take ids, call a service, commit. Thin.

Each job runs inside the app context the worker pushed (worker.py); the session is removed
after every job.
"""

from __future__ import annotations

import functools
import logging
import smtplib

from flask import current_app, has_app_context

from app.broadcast import waves
from app.core import clock
from app.economics import pauses, refunds  # noqa: F401 - sweep steps (pause ends, automatic refunds)
from app.extensions import db, mail, remove_session
from app.leads import routing
from app.models import OutboxEmail, OutboxPush
from app.platform import outbox, push, smtp_recovery  # noqa: F401 - smtp_recovery: a sweep step
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
    """Send one outbox row, once. An SMTP failure schedules the row's next attempt (backoff,
    in the row); the sweep sends it then. Returns sent / stored / retry / failed / skipped."""
    session = db.session
    row = outbox.claim(session, outbox_id)
    if row is None:
        session.commit()
        return "skipped"
    attempt = row.attempts
    session.commit()  # the claim is visible (and renewable) before SMTP is contacted
    try:
        row = session.get_one(OutboxEmail, outbox_id)
        message = outbox.compose(row)
        session.commit()  # the rendered email is kept; no transaction stays open while SMTP talks
        if message is not None:
            with outbox.keep_claim(outbox_id, attempt):
                mail.send(message)
    except Exception as exc:
        session.rollback()
        row = session.get_one(OutboxEmail, outbox_id)
        retry_at = outbox.mark_failed(row, exc)
        session.commit()
        expected = isinstance(exc, (OSError, smtplib.SMTPException))  # refused, timed out, 4xx/5xx
        what = f"next attempt {retry_at:%Y-%m-%d %H:%M:%S} UTC" if retry_at else "gave up: marked failed"
        log.log(
            logging.WARNING if expected else logging.ERROR,
            "email %s not sent (attempt %s, %s: %s); %s",
            outbox_id,
            attempt,
            type(exc).__name__,
            str(exc)[:200],
            what,
            exc_info=not expected,
        )
        return "retry" if retry_at else "failed"
    row = session.get_one(OutboxEmail, outbox_id)
    status = "sent" if message is not None else "stored"
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


def sweep_pause() -> float:
    """Seconds until the sweep loop runs again: SWEEP_INTERVAL_SECONDS, or less when a
    deadline (a wave, an email's backoff) comes sooner. The sweep owns every deadline."""
    interval = float(current_app.config["SWEEP_INTERVAL_SECONDS"])
    try:
        due = sweep_steps.next_due(db.session)
    except Exception:  # noqa: BLE001 - the next run reports the problem
        return interval
    finally:
        db.session.rollback()
    if due is None:
        return interval
    return min(interval, max(0.05, (due - clock.now()).total_seconds() + 0.05))
