"""The lead timeline: every state change is an event with time and actor."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.core import clock
from app.models import Lead, LeadEvent, User


def actor_label(user: User | None) -> str:
    if user is None:
        return "system"
    return f"{user.role}:{user.id}"


def record(
    session: Session,
    lead: Lead,
    kind: str,
    text: str,
    *,
    public_text: str | None = None,
    actor: str = "system",
    user: User | None = None,
    data: dict | None = None,
) -> LeadEvent:
    """Append an event to `lead`'s timeline (flushes, does not commit)."""
    event = LeadEvent(
        lead=lead,
        kind=kind,
        text=text,
        public_text=public_text,
        actor=actor_label(user) if user is not None else actor,
        actor_user_id=user.id if user is not None else None,
        data=data or {},
        created_at=clock.now(),
    )
    session.add(event)
    session.flush()
    return event


def public_events(lead: Lead) -> list[LeadEvent]:
    """The events a customer sees on the tracking page, oldest first."""
    return [e for e in lead.events if e.public_text]
