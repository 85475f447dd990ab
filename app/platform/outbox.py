"""Emails through the outbox: queued in the caller's transaction, sent by a job after commit.

A row is claimed by one job at a time with a conditional UPDATE, so a job that runs twice
sends once. An SMTP failure puts the row back to `pending` (the sweep and RQ's retry send it
later); nothing is ever dropped: after EMAIL_MAX_ATTEMPTS the row is `failed` and stays
visible to admins.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template
from flask_mail import Message
from jinja2_fragments.flask import render_block
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected, insert_once
from app.extensions import mail
from app.models import OutboxEmail
from app.platform.queue import enqueue_after_commit

CLAIM_TIMEOUT = timedelta(minutes=5)


def clean_header(value: str) -> str:
    """No CR/LF may reach an email header (header injection)."""
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())


def queue_email(
    session: Session,
    *,
    kind: str,
    to: str,
    template: str,
    context: dict,
    lead_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboxEmail | None:
    """Record an email in the outbox and send it after commit.

    `context` must be JSON-serialisable and hold only what the recipient may see.
    A `dedupe_key` already used returns None (the email was queued before).
    """
    if dedupe_key is not None:
        existing = session.scalar(select(OutboxEmail).where(OutboxEmail.dedupe_key == dedupe_key))
        if existing is not None:
            return None
    row = OutboxEmail(
        kind=kind,
        to_email=clean_header(to),
        template=template,
        context=context,
        lead_id=lead_id,
        dedupe_key=dedupe_key,
        status="pending",
    )
    if dedupe_key is None:
        session.add(row)
        session.flush()
    elif not insert_once(session, row):  # a concurrent writer queued it first
        return None
    enqueue_after_commit(session, "app.jobs.send_email", row.id)
    return row


def render(row: OutboxEmail) -> tuple[str, str, str]:
    """(subject, text, html) for a row, from templates/email/<template>.txt and .html."""
    ctx = dict(row.context or {})
    subject = clean_header(render_block(f"email/{row.template}.txt", "subject", **ctx))
    text = render_block(f"email/{row.template}.txt", "body", **ctx).strip() + "\n"
    html = render_template(f"email/{row.template}.html", subject=subject, **ctx)
    return subject, text, html


def claim(session: Session, outbox_id: int) -> OutboxEmail | None:
    """Take the row for sending; None if another job has it or it is already done."""
    now = clock.now()
    result = session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == outbox_id,
            or_(
                OutboxEmail.status == "pending",
                and_(OutboxEmail.status == "sending", OutboxEmail.locked_at < now - CLAIM_TIMEOUT),
            ),
        )
        .values(status="sending", locked_at=now, attempts=OutboxEmail.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return None
    row = session.get(OutboxEmail, outbox_id)
    session.refresh(row)
    return row


def send(row: OutboxEmail) -> str:
    """Render and hand the email to SMTP (or keep it, with no mail server). Returns the status."""
    subject, text, html = render(row)
    row.subject, row.body_text, row.body_html = subject, text, html
    if not current_app.config.get("MAIL_SERVER"):
        return "stored"
    message = Message(
        subject=subject,
        recipients=[row.to_email],
        body=text,
        html=html,
        sender=clean_header(current_app.config["MAIL_DEFAULT_SENDER"]),
        extra_headers={"X-FogForge-Outbox-Id": str(row.id)},
    )
    mail.send(message)
    return "sent"


def mark_done(row: OutboxEmail, status: str) -> None:
    row.status = status
    row.sent_at = clock.now()
    row.last_error = None
    row.locked_at = None


def mark_failed(row: OutboxEmail, error: BaseException) -> None:
    """Back to pending for a retry, or `failed` once attempts run out (never deleted)."""
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    row.locked_at = None
    row.status = "failed" if row.attempts >= current_app.config["EMAIL_MAX_ATTEMPTS"] else "pending"


def overdue_ids(session: Session, older_than: timedelta) -> list[int]:
    """Rows the sweep should re-enqueue: pending too long, or stuck in `sending`."""
    now = clock.now()
    rows = session.scalars(
        select(OutboxEmail.id)
        .where(
            or_(
                and_(OutboxEmail.status == "pending", OutboxEmail.updated_at < now - older_than),
                and_(OutboxEmail.status == "sending", OutboxEmail.locked_at < now - CLAIM_TIMEOUT),
            )
        )
        .order_by(OutboxEmail.id)
        .limit(500)
    )
    return list(rows)


def retry_failed(session: Session, outbox_id: int) -> bool:
    """Admin: give a `failed` row another round of attempts."""
    result = session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == outbox_id, OutboxEmail.status == "failed")
        .values(status="pending", attempts=0, updated_at=clock.now())
    )
    if affected(result):
        enqueue_after_commit(session, "app.jobs.send_email", outbox_id)
    return bool(affected(result))
