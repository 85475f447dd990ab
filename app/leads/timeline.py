"""The lead timeline: every state change is an event with time and actor."""

from __future__ import annotations

from sqlalchemy import insert, inspect
from sqlalchemy.orm import Session

from app.core import clock
from app.models import Lead, LeadEvent, User


def actor_label(user: User | None) -> str:
    if user is None:
        return "system"
    return f"{user.role}:{user.id}"


_INSERT = insert(LeadEvent)  # run on the connection: a plain INSERT, no ORM bookkeeping; built once


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
) -> None:
    """Append an event to `lead`'s timeline (flushes what is pending, does not commit).

    One INSERT, not an ORM object: an event is never changed after it is written, and a lead
    gathers several per transaction (routing, each wave, the accept), where adding and flushing
    an object costs several times the statement. The lead's `events`, if this session loaded
    them, are read again on next use."""
    session.flush()  # the lead (and anything else pending) is written first, as before
    session.connection().execute(
        _INSERT,
        {
            "lead_id": lead.id,
            "kind": kind,
            "text": text,
            "public_text": public_text,
            "actor": actor_label(user) if user is not None else actor,
            "actor_user_id": user.id if user is not None else None,
            "data": data or {},
            "created_at": clock.now(),
        },
    )
    if "events" not in inspect(lead).unloaded:
        session.expire(lead, ["events"])


def public_events(lead: Lead) -> list[LeadEvent]:
    """The events a customer sees on the tracking page, oldest first."""
    return [e for e in lead.events if e.public_text]
