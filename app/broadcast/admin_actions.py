"""Admin actions on broadcast leads: assign by hand, restart the waves, the lists."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.broadcast.offer_actions import tell_customer_accepted
from app.broadcast.waves import ESCROW_REASON, email_lead, start
from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.core.urls import app_path, external_url
from app.leads import masking, timeline
from app.models import Assignment, Lead, Provider, User
from app.pipeline import autoreply
from app.platform import audit, notify


# ---------------------------------------------------------------------------- admin
def assign_by_hand(session: Session, lead: Lead, provider: Provider, user: User, ip: str | None = None) -> Assignment:
    """Admin: give an unaccepted broadcast lead to a provider (verified, matching category)."""
    if not provider.is_verified:
        raise Refusal(f"{provider.name} is not verified.")
    if lead.category_id not in {c.id for c in provider.categories}:
        raise Refusal(f"{provider.name} does not offer {lead.category.name.lower()}.")
    now = clock.now()
    won = session.execute(
        update(Lead)
        .where(
            Lead.id == lead.id,
            Lead.status == "verified",
            Lead.mode == "broadcast",
            Lead.delivery_status == "pending",
            Lead.escrow_reason == ESCROW_REASON,
            Lead.assigned_provider_id.is_(None),
        )
        .values(
            assigned_provider_id=provider.id,
            delivery_status="accepted",
            escrow_reason=None,
            wave_deadline=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if affected(won) != 1:
        raise Refusal("This lead is no longer waiting for a provider.")
    session.refresh(lead)
    assignment = session.scalar(
        select(Assignment).where(Assignment.lead_id == lead.id, Assignment.provider_id == provider.id)
    )
    if assignment is None:
        assignment = Assignment(
            lead_id=lead.id, provider_id=provider.id, kind="broadcast", status="delivered", notified_at=now
        )
        session.add(assignment)
        session.flush()
        autoreply.send(session, assignment)
    timeline.record(
        session,
        lead,
        "assigned_by_admin",
        f"Assigned by hand to {provider.name}",
        user=user,
        public_text=f"Accepted by {provider.name}. They have your details and will contact you shortly.",
        data={"provider_id": provider.id},
    )
    audit.log(
        session,
        user,
        "broadcast.assign",
        lead,
        f"Assigned broadcast lead #{lead.id} to {provider.name}",
        data={"provider_id": provider.id},
        ip=ip,
    )
    shown = masking.full(lead)
    notify.notify(
        session,
        provider,
        "broadcast_assigned",
        f"New lead for you: {shown['category']} in {shown['city']}",
        body=f"Assigned by FogForge: {shown['customer_name']}.",
        url=app_path("provider.offers"),
        lead_id=lead.id,
        email_template="offer_assigned",
        email_context={"lead": email_lead(shown), "offers_url": external_url("provider.offers")},
        dedupe_key=f"lead:{lead.id}:assigned:{provider.id}",
    )
    tell_customer_accepted(session, lead, provider)
    return assignment


def restart(session: Session, lead: Lead, user: User, ip: str | None = None) -> bool:
    """Admin: offer an unaccepted broadcast lead again from the first wave."""
    if not (lead.delivery_status == "pending" and lead.escrow_reason == ESCROW_REASON):
        raise Refusal("Only unaccepted broadcast leads can be restarted.")
    audit.log(session, user, "broadcast.restart", lead, f"Restarted offer waves for lead #{lead.id}", ip=ip)
    return start(session, lead, user=user)


def unaccepted(session: Session) -> list[Lead]:
    return list(
        session.scalars(
            select(Lead)
            .where(Lead.delivery_status == "pending", Lead.escrow_reason == ESCROW_REASON)
            .order_by(Lead.updated_at)
        )
    )


def live(session: Session) -> list[Lead]:
    return list(session.scalars(select(Lead).where(Lead.delivery_status == "offering").order_by(Lead.wave_deadline)))
