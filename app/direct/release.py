"""Escrowed direct leads go out by themselves once their provider becomes eligible."""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.direct import direct
from app.leads import eligibility
from app.models import Lead, Provider
from app.platform import sweep


@sweep.step("cap_released", order=40)
def release_capped(session: Session) -> int:
    """Sweep: leads held only by a provider's weekly cap go out once a new week starts."""
    provider_ids = session.scalars(
        select(Lead.requested_provider_id)
        .distinct()
        .where(
            Lead.mode == "direct",
            Lead.status == "verified",
            Lead.delivery_status == "pending",
            Lead.escrow_reason == "weekly_cap",
        )
    ).all()
    released = 0
    for provider_id in provider_ids:
        provider = session.get(Provider, provider_id)
        if provider is not None:
            released += len(release_for_provider(session, provider))
    return released


def release_for_provider(session: Session, provider: Provider) -> list[int]:
    """Deliver the provider's escrowed direct leads if it is now eligible; returns lead ids.

    Called by every change that can make a provider eligible (verification, plan change,
    trial start, un-pause). Oldest first; stops at the weekly cap."""
    delivered: list[int] = []
    decision = eligibility.check_direct(session, provider, lock=True)
    if not decision.ok:  # keep the stored reason current for the inbox filters
        session.execute(
            update(Lead)
            .where(
                Lead.mode == "direct",
                Lead.status == "verified",
                Lead.delivery_status == "pending",
                Lead.requested_provider_id == provider.id,
                Lead.escrow_reason != decision.reason,
                Lead.escrow_reason != "out_of_area",  # a place, not a state of the provider
            )
            .values(escrow_reason=decision.reason)
        )
        return delivered
    leads = session.scalars(
        select(Lead)
        .where(
            Lead.mode == "direct",
            Lead.status == "verified",
            Lead.delivery_status == "pending",
            Lead.requested_provider_id == provider.id,
            # outside its area: the customer or an admin decides
            or_(Lead.escrow_reason.is_(None), Lead.escrow_reason != "out_of_area"),
        )
        .order_by(Lead.created_at, Lead.id)
    )
    for lead in list(leads):
        if not eligibility.check_direct(session, provider).ok:
            session.execute(
                update(Lead)
                .where(Lead.id == lead.id, Lead.delivery_status == "pending")
                .values(escrow_reason="weekly_cap")
            )
            continue
        if direct.deliver(session, lead, provider, how="auto") is not None:
            delivered.append(lead.id)
    return delivered
