"""Notifications: an in-app row (the bell) and, if the provider wants it, an email and a Web
Push to its devices (app/platform/push.py).

Callers pass only what the provider may see (use services.masking for lead data); this
module never reads contact fields itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected, insert_rows
from app.models import Notification, Provider
from app.platform import changes, outbox, push
from app.platform.push import PushText


@dataclass(frozen=True)
class Note:
    """One notification for `provider` (see `notify`)."""

    provider: Provider
    kind: str
    title: str
    body: str | None = None
    url: str | None = None
    lead_id: int | None = None
    email_template: str | None = None
    email_context: dict | None = None
    dedupe_key: str | None = None
    push_text: PushText | None = None


def notify_all(session: Session, notes: Sequence[Note], *, emails: Sequence[outbox.Email] = ()) -> list[int]:
    """Every note's in-app notification, email and push, each kind written in one statement
    whatever the number of providers (a lead taken from 31 others costs what one costs).
    `emails` (to others, e.g. the customer) join the notes' emails in that statement.
    Returns the notifications' ids."""
    if not notes:
        outbox.queue_emails(session, emails)
        return []
    now = clock.now()
    made = insert_rows(
        session,
        Notification,
        [
            {
                "provider_id": n.provider.id,
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "url": n.url,
                "lead_id": n.lead_id,
                "created_at": now,
            }
            for n in notes
        ],
    )
    changes.touch(session, *(n.provider.id for n in notes))  # the bell (and the offers page) show it
    outbox.queue_emails(
        session,
        [*emails]
        + [
            outbox.Email(
                kind=n.kind,
                to=to,
                template=n.email_template,
                lead_id=n.lead_id,
                context={
                    "provider_name": n.provider.name,
                    "title": n.title,
                    "body": n.body or "",
                    **(n.email_context or {}),
                },
                dedupe_key=n.dedupe_key,
            )
            for n in notes
            if n.email_template and (to := n.provider.contact_email) and n.provider.wants_email(n.kind)
        ],
    )
    push.queue_pushes(
        session,
        [
            push.Push(
                n.provider,
                n.kind,
                n.push_text,
                url=n.push_text.url or n.url or "/provider/",
                lead_id=n.lead_id,
                dedupe_key=f"push:{n.dedupe_key}" if n.dedupe_key else None,
            )
            for n in notes
            if n.push_text is not None
        ],
    )
    return made


def notify(session: Session, provider: Provider, kind: str, title: str, **details) -> int:
    """Create the in-app notification; queue the email too when `email_template` is given and
    the provider's preferences allow this kind, and a push to its devices when `push_text`
    (masked text only) is given and its push preferences and quiet hours allow. `url` is a path
    inside the app (the push opens it). The other keywords are `Note`'s. Returns its id."""
    return notify_all(session, [Note(provider, kind, title, **details)])[0]


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
