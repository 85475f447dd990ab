"""Notifications: an in-app row (the bell) and, if the provider wants it, an email and a Web
Push to its devices (app/platform/push.py).

Callers pass only what the provider may see (use services.masking for lead data); this
module never reads contact fields itself.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.models import Notification, Provider
from app.platform import changes, outbox, push
from app.platform.push import PushText


def notify(
    session: Session,
    provider: Provider,
    kind: str,
    title: str,
    *,
    body: str | None = None,
    url: str | None = None,
    lead_id: int | None = None,
    email_template: str | None = None,
    email_context: dict | None = None,
    dedupe_key: str | None = None,
    push_text: PushText | None = None,
) -> Notification:
    """Create the in-app notification; queue the email too when a template is given and the
    provider's preferences allow this kind, and a push to its devices when `push_text` (masked
    text only) is given and its push preferences and quiet hours allow. `url` is a path inside
    the app (the push opens it)."""
    note = Notification(
        provider_id=provider.id, kind=kind, title=title, body=body, url=url, lead_id=lead_id, created_at=clock.now()
    )
    session.add(note)
    session.flush()
    changes.touch(session, provider.id)  # the bell (and the offers page) show it
    to = provider.contact_email
    if email_template and to and provider.wants_email(kind):
        outbox.queue_email(
            session,
            kind=kind,
            to=to,
            template=email_template,
            lead_id=lead_id,
            context={"provider_name": provider.name, "title": title, "body": body or "", **(email_context or {})},
            dedupe_key=dedupe_key,
        )
    if push_text is not None:
        push.queue_push(
            session,
            provider,
            kind,
            push_text,
            url=push_text.url or url or "/provider/",
            lead_id=lead_id,
            dedupe_key=f"push:{dedupe_key}" if dedupe_key else None,
        )
    return note


def unread_count(session: Session, provider_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Notification.id)).where(
                Notification.provider_id == provider_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def recent(session: Session, provider_id: int, limit: int = 50) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.provider_id == provider_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(session: Session, provider_id: int, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread notification of the provider read."""
    query = update(Notification).where(Notification.provider_id == provider_id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    count = affected(session.execute(query.values(read_at=clock.now())))
    if count:
        changes.touch(session, provider_id)  # the bell's count went down
    return count
