"""Emails held up by an SMTP outage go out within seconds of the server coming back.

Backoff alone (app/platform/backoff.py) would send each of them at its own next attempt, up to
10 minutes after the outage ends. So while any row waits on a server-level failure (see
`outbox.server_level`), this sweep step probes the server cheaply (one connection: EHLO, NOOP,
QUIT, no email) at most every SMTP_PROBE_SECONDS, and releases every such row
(`next_attempt_at = now`, re-enqueued at once) when:

- a probe succeeds after one failed: the server is reachable again, so all rows waiting on
  it go, whichever outage they waited out (a first probe that succeeds releases nothing: the
  server was up, so what refused those rows is something a probe cannot see);
- an email was accepted after a waiting row failed (a fault the probe cannot see, e.g. a 451
  to DATA). A row released this way, or by a probe, that fails again is released again only
  after one attempt of its own backoff: an email the server keeps refusing while it accepts
  others (a content filter's 451) is tried at most twice as often as backoff alone would.

A row that failed at RCPT (that recipient's problem, greylisting included) is never released:
it keeps its own backoff. Claims make every release send at most once; a release only makes
a row due sooner. State is per process (the sweep loop); a restarted sweep probes afresh.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.models import OutboxEmail
from app.platform import outbox, sweep
from app.platform.queue import enqueue_after_commit

log = logging.getLogger(__name__)


class _SmtpState:
    """What this process last saw of the SMTP server."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.reachable: bool | None = None  # None: not probed yet
        self.probed_at: datetime | None = None
        # row id -> its attempt number that a release caused (since the server was last seen down)
        self.released: dict[int, int] = {}


state = _SmtpState()


def probe() -> str | None:
    """Connect, EHLO (STARTTLS if configured), NOOP, QUIT: None if the server answered every
    step, else what went wrong. Sends nothing; short timeout (the sweep waits for it)."""
    cfg = current_app.config
    timeout = min(float(cfg["MAIL_TIMEOUT"]), 3.0)
    connect = smtplib.SMTP_SSL if cfg.get("MAIL_USE_SSL") else smtplib.SMTP
    try:
        with connect(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout) as conn:
            conn.ehlo()
            if cfg.get("MAIL_USE_TLS"):
                conn.starttls()
                conn.ehlo()
            code, reply = conn.noop()
            if code != 250:
                return f"NOOP answered {code} {reply.decode(errors='replace')[:120]}"
    except (OSError, smtplib.SMTPException) as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


def _waiting(session: Session, now: datetime) -> list[tuple[int, int, datetime]]:
    """(id, attempts, failed at) of pending rows whose last failure was the server's and whose
    next attempt is still to come."""
    rows = session.execute(
        select(OutboxEmail.id, OutboxEmail.attempts, OutboxEmail.updated_at)
        .where(
            OutboxEmail.status == "pending",
            OutboxEmail.next_attempt_at > now,
            OutboxEmail.last_error.startswith(outbox.SERVER_LEVEL, autoescape=True),
        )
        .order_by(OutboxEmail.id)
        .limit(5000)
    )
    return [(row_id, attempts, clock.as_utc(at)) for row_id, attempts, at in rows]


def _last_accepted(session: Session, since: datetime) -> datetime | None:
    """When the server last accepted an email, if it did after `since`."""
    return clock.as_utc(
        session.scalar(
            select(func.max(OutboxEmail.sent_at)).where(OutboxEmail.status == "sent", OutboxEmail.sent_at > since)
        )
    )


def _release(session: Session, waiting: list[tuple[int, int, datetime]], now: datetime) -> list[int]:
    """Make these rows due now (those still waiting) and enqueue them once the sweep commits;
    returns the released ids."""
    if not waiting:
        return []
    ids = [row_id for row_id, _, _ in waiting]
    released = list(
        session.scalars(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids), OutboxEmail.status == "pending", OutboxEmail.next_attempt_at > now)
            .values(next_attempt_at=now)
            .returning(OutboxEmail.id)
            .execution_options(synchronize_session=False)
        )
    )
    attempts = {row_id: n for row_id, n, _ in waiting}
    state.released.update({row_id: attempts[row_id] + 1 for row_id in released})
    for row_id in released:
        enqueue_after_commit(session, "app.jobs.send_email", row_id)
    return released


@sweep.step("smtp_recovered", order=90)
def release_after_outage(session: Session) -> int:
    """Probe while emails wait on the server; release them all once it answers (see above).
    Returns how many emails were released (and enqueued)."""
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        return 0
    now = clock.now()
    with state.lock:
        waiting = _waiting(session, now)
        if not waiting:
            state.released.clear()
            return 0
        released: list[int] = []
        interval = timedelta(seconds=cfg["SMTP_PROBE_SECONDS"])
        if state.probed_at is None or now - state.probed_at >= interval:
            state.probed_at = now
            problem = probe()
            if problem is not None:
                if state.reachable is not False:
                    log.warning(
                        "SMTP unreachable (%s): %d email(s) wait; probing every %s s, they go out "
                        "as soon as it answers",
                        problem,
                        len(waiting),
                        cfg["SMTP_PROBE_SECONDS"],
                    )
                state.reachable = False
                state.released.clear()
                return 0
            if state.reachable is False:
                released = _release(session, waiting, now)
            state.reachable = True
        if not released and state.reachable is not False:
            # not released before, or tried by its own backoff since
            fresh = [w for w in waiting if w[1] > state.released.get(w[0], 0)]
            accepted = _last_accepted(session, min(at for _, _, at in fresh)) if fresh else None
            if accepted is not None:
                released = _release(session, [w for w in fresh if w[2] < accepted], now)
    if released:
        log.warning("SMTP reachable again: releasing %d waiting emails", len(released))
    return len(released)
