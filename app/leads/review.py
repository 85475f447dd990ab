"""Held leads (quality score below the review threshold): admin "verify" one or many."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.leads import intake, routing, timeline
from app.models import Lead, User
from app.platform import audit


def verify(session: Session, lead_ids: list[int], user: User | None, ip: str | None = None) -> list[int]:
    """Mark held leads verified and route them; returns the ids this call verified.

    One conditional UPDATE per lead (pending -> verified) so a double submit routes once."""
    verified = []
    for lead_id in sorted(set(lead_ids)):
        result = session.execute(
            update(Lead)
            .where(Lead.id == lead_id, Lead.status == "pending")
            .values(status="verified", updated_at=clock.now())
            .execution_options(synchronize_session=False)
        )
        if affected(result) != 1:
            continue
        lead = session.get_one(Lead, lead_id)  # the UPDATE above just moved it
        session.refresh(lead)
        timeline.record(
            session,
            lead,
            "verified",
            "Verified by admin after review",
            public_text="Your request was checked and is on its way.",
            user=user,
        )
        audit.log(session, user, "lead.verify", lead, f"Verified held lead #{lead.id}", ip=ip)
        intake.queue_confirmation(session, lead)  # none yet after a honeypot hit; else a no-op
        routing.request_routing(session, lead)
        verified.append(lead_id)
    return verified


def held(session: Session) -> list[Lead]:
    return list(session.scalars(select(Lead).where(Lead.status == "pending").order_by(Lead.created_at)))
