"""Emails through the outbox: queued in the caller's transaction, sent by a job after commit.

A row is claimed by one job at a time with a conditional UPDATE, so a job that runs twice
sends once. The claim is a short lease (OUTBOX_CLAIM_SECONDS) that the sending job renews
from a heartbeat thread, so a worker killed mid-send frees its email within seconds. Each row
goes out with a stable Message-ID (`<outbox.ID@host of APP_BASE_URL>`), so a duplicate from
such a crash is recognisable as one.

An SMTP failure puts the row back to `pending` with `next_attempt_at` set by exponential
backoff with jitter (app/platform/backoff.py); the sweep sends it again then. Retries are
budgeted by time (EMAIL_RETRY_HOURS from the row's creation), not by a count: only a row still
failing after that is `failed` (visible to admins, who can retry it). Nothing is dropped.
A failure of the server itself (refused, timed out, 421/45x outside RCPT) is marked as such
in `last_error` (`SERVER_LEVEL`): app/platform/smtp_recovery.py sends those rows again within
seconds of the server answering, without waiting out their backoff.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_mail import Message
from jinja2_fragments.flask import render_block
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, object_session

from app.core import clock
from app.core.db import affected, insert_new
from app.extensions import db
from app.models import Lead, OutboxEmail
from app.platform import backoff
from app.platform.queue import enqueue_after_commit


def clean_header(value: str) -> str:
    """No CR/LF may reach an email header (header injection)."""
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())


@dataclass(frozen=True)
class Email:
    """An email to queue: `context` must be JSON-serialisable and hold only what the recipient
    may see; a `dedupe_key` already used means it was queued before (nothing is queued again)."""

    kind: str
    to: str
    template: str
    context: dict
    lead_id: int | None = None
    dedupe_key: str | None = None


def queue_emails(session: Session, emails: Sequence[Email]) -> list[int]:
    """Record the emails in the outbox in one statement; each is sent by its own job after
    commit. Returns the ids queued (an email whose dedupe key was used before is left out)."""
    rows = [
        {
            "kind": e.kind,
            "to_email": clean_header(e.to),
            "template": e.template,
            "context": e.context,
            "lead_id": e.lead_id,
            "dedupe_key": e.dedupe_key,
            "status": "pending",
        }
        for e in emails
    ]
    ids = insert_new(session, OutboxEmail, rows, unique=["dedupe_key"])
    for outbox_id in ids:
        enqueue_after_commit(session, "app.jobs.send_email", outbox_id)
    return ids


def queue_email(
    session: Session,
    *,
    kind: str,
    to: str,
    template: str,
    context: dict,
    lead_id: int | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue one email (see `Email`); its outbox id, or None when its dedupe key was used before."""
    ids = queue_emails(session, [Email(kind, to, template, context, lead_id, dedupe_key)])
    return ids[0] if ids else None


DEFAULT_FOOTER = "You're getting this because of a request on FogForge."


def render(row: OutboxEmail) -> tuple[str, str, str]:
    """(subject, text, html) for a row: templates/email/<template>.txt (blocks subject, body and
    optionally footer) inside the one text layout email/_layout.txt, and <template>.html, which
    extends email/_layout.html. A context `timezone` makes both say which zone times are in."""
    ctx = dict(row.context or {})
    ctx.setdefault("timezone", None)
    name = f"email/{row.template}.txt"
    subject = clean_header(render_block(name, "subject", **ctx))
    body = render_block(name, "body", **ctx).strip()
    body = body.removesuffix("— FogForge").rstrip()  # a template still signing itself: the layout signs
    has_footer = "footer" in current_app.jinja_env.get_template(name).blocks
    footer = render_block(name, "footer", **ctx).strip() if has_footer else DEFAULT_FOOTER
    text = render_template("email/_layout.txt", **ctx, email_body=body, email_footer=footer).strip() + "\n"
    html = render_template(f"email/{row.template}.html", subject=subject, **ctx)
    return subject, text, html


def claim_lease() -> timedelta:
    return timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])


def claim_row(session: Session, model: Any, row_id: int, ready: Any = None) -> Any:
    """Take an outbox row (an email, a push) for sending in one conditional UPDATE: a `pending`
    row (that also meets `ready`, if given), or a `sending` row whose lease ran out (its worker
    died). Returns the row, or None if another job has it or it is already done."""
    now = clock.now()
    pending = model.status == "pending" if ready is None else and_(model.status == "pending", ready)
    result = session.execute(
        update(model)
        .where(
            model.id == row_id,
            or_(pending, and_(model.status == "sending", model.locked_at < now - claim_lease())),
        )
        .values(status="sending", locked_at=now, attempts=model.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return None
    row = session.get_one(model, row_id)
    session.refresh(row)
    return row


def claim(session: Session, outbox_id: int) -> OutboxEmail | None:
    """Take the email for sending; None if another job has it, it is waiting for its backoff,
    or it is already done."""
    due = or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= clock.now())
    return claim_row(session, OutboxEmail, outbox_id, ready=due)


def keep_claim(outbox_id: int, attempt: int) -> backoff.Heartbeat:
    """`with keep_claim(id, attempt):` renews the claim of attempt `attempt` while SMTP talks
    (on its own connection: the job's session holds no lock meanwhile)."""
    engine = db.engine

    def renew() -> bool:
        with engine.begin() as conn:
            result = conn.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == outbox_id, OutboxEmail.status == "sending", OutboxEmail.attempts == attempt)
                .values(locked_at=clock.now())
            )
        return affected(result) == 1

    return backoff.Heartbeat(renew, every=max(0.5, claim_lease().total_seconds() / 5))


def message_id(outbox_id: int) -> str:
    """The same Message-ID for every attempt of one row: a duplicate is recognisable."""
    host = urlsplit(current_app.config["APP_BASE_URL"]).hostname or "fogforge.local"
    return f"<outbox.{outbox_id}@{host}>"


def compose(row: OutboxEmail) -> Message | None:
    """Render the row (kept on it) and build its message; None when no mail server is set
    (the email is then only kept in the outbox)."""
    subject, text, html = render(row)
    row.subject, row.body_text, row.body_html = subject, text, html
    if not current_app.config.get("MAIL_SERVER"):
        return None
    message = Message(
        subject=subject,
        recipients=[row.to_email],
        body=text,
        html=html,
        sender=clean_header(current_app.config["MAIL_DEFAULT_SENDER"]),
        extra_headers={"X-FogForge-Outbox-Id": str(row.id)},
    )
    message.msgId = message_id(row.id)
    return message


def mark_done(row: OutboxEmail, status: str) -> None:
    row.status = status
    row.sent_at = clock.now()
    row.last_error = None
    row.locked_at = None
    row.next_attempt_at = None


# `last_error` of a row that failed because the server did (not this email or recipient).
SERVER_LEVEL = "SMTP server unavailable: "


def server_level(error: BaseException) -> bool:
    """Did sending fail because of the SMTP server as a whole (so any email would have), rather
    than this email or its recipient? Refused / timed-out / dropped connections, a failed greeting
    or HELO are the server's; so is a temporary (4xx: 421, 451, 452...) answer to MAIL FROM,
    DATA or login. A refusal at RCPT (550 no such user, but also a 450/451 greylisting of one
    address) is the recipient's, and a 5xx is this message's: those keep their own backoff."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(error, (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPServerDisconnected)):
        return True  # the greeting or HELO failed, or the connection dropped: no email gets through
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500  # 421 closing, 451 local error, 452 no space, 454 ...
    if isinstance(error, smtplib.SMTPException):  # (an OSError too) e.g. STARTTLS unsupported
        return False
    return isinstance(error, OSError)  # refused, unreachable, timed out, DNS


def mark_failed(row: OutboxEmail, error: BaseException) -> datetime | None:
    """Back to `pending` until its next attempt (backoff with jitter), or `failed` once the time
    budget is spent. Returns the next attempt's time (None: failed)."""
    now = clock.now()
    budget = timedelta(hours=current_app.config["EMAIL_RETRY_HOURS"])
    if row.give_up_at is None:
        row.give_up_at = clock.as_utc(row.created_at) + budget
    prefix = SERVER_LEVEL if server_level(error) else ""
    row.last_error = f"{prefix}{type(error).__name__}: {error}"[:2000]
    row.locked_at = None
    row.updated_at = now
    row.next_attempt_at = backoff.next_attempt(row.attempts, now=now, give_up_at=clock.as_utc(row.give_up_at))
    row.status = "pending" if row.next_attempt_at is not None else "failed"
    note_hard_bounce(row, error)
    return row.next_attempt_at


def hard_bounce(error: BaseException) -> bool:
    """The server refused the recipient for good (5xx at RCPT: no such user, mailbox gone)."""
    if not isinstance(error, smtplib.SMTPRecipientsRefused) or not error.recipients:
        return False
    return all(int(code) >= 500 for code, _message in error.recipients.values())


def note_hard_bounce(row: OutboxEmail, error: BaseException) -> None:
    """A hard bounce of an email to a lead's customer marks the lead (`email_bounced_at`): the
    automatic refunds (app/economics/refunds.py) read it. Retries go on as for any refusal."""
    session = object_session(row)
    if session is None or row.lead_id is None or not hard_bounce(error):
        return
    session.execute(
        update(Lead)
        .where(Lead.id == row.lead_id, Lead.customer_email == row.to_email, Lead.email_bounced_at.is_(None))
        .values(email_bounced_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def due_clause(now: datetime, older_than: timedelta):
    """Rows the sweep should (re-)enqueue: pending and due (never tried: queued `older_than`
    ago and its job apparently lost; tried: its backoff is over), or `sending` past its lease."""
    return or_(
        and_(
            OutboxEmail.status == "pending",
            or_(
                OutboxEmail.next_attempt_at <= now,
                and_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.updated_at < now - older_than),
            ),
        ),
        and_(OutboxEmail.status == "sending", OutboxEmail.locked_at < now - claim_lease()),
    )


def overdue_ids(session: Session, older_than: timedelta) -> list[int]:
    """Rows the sweep should re-enqueue (see `due_clause`)."""
    rows = session.scalars(
        select(OutboxEmail.id).where(due_clause(clock.now(), older_than)).order_by(OutboxEmail.id).limit(500)
    )
    return list(rows)


def fresh_ids(session: Session, older_than: timedelta) -> list[int]:
    """Pending rows never tried, queued less than `older_than` ago: their job should be in
    Redis (the sweep checks that it still is)."""
    rows = session.scalars(
        select(OutboxEmail.id)
        .where(
            OutboxEmail.status == "pending",
            OutboxEmail.next_attempt_at.is_(None),
            OutboxEmail.updated_at >= clock.now() - older_than,
        )
        .order_by(OutboxEmail.id)
        .limit(500)
    )
    return list(rows)


def backlog(session: Session) -> tuple[int, datetime | None]:
    """(how many, queued when) emails are not yet sent: for /healthz."""
    count, oldest = session.execute(
        select(func.count(OutboxEmail.id), func.min(OutboxEmail.created_at)).where(
            OutboxEmail.status.in_(("pending", "sending"))
        )
    ).one()
    return count, clock.as_utc(oldest)


def next_due(session: Session) -> datetime | None:
    """The earliest backoff still to come (the sweep loop wakes for it)."""
    return clock.as_utc(
        session.scalar(
            select(func.min(OutboxEmail.next_attempt_at)).where(
                OutboxEmail.status == "pending", OutboxEmail.next_attempt_at > clock.now()
            )
        )
    )


def retry_failed(session: Session, outbox_id: int) -> bool:
    """Admin: give a `failed` row another time budget of attempts."""
    result = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == outbox_id, OutboxEmail.status == "failed")
        .values(
            status="pending",
            attempts=0,
            next_attempt_at=None,
            give_up_at=clock.now() + timedelta(hours=current_app.config["EMAIL_RETRY_HOURS"]),
            updated_at=clock.now(),
        )
    )
    if affected(result):
        enqueue_after_commit(session, "app.jobs.send_email", outbox_id)
    return bool(affected(result))
