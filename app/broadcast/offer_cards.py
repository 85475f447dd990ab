"""What a provider's offer card and the customer's tracking page show of a broadcast."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.broadcast.wave_plan import plan_of
from app.broadcast.waves import ESCROW_REASON
from app.core import clock
from app.leads import masking, tracking
from app.leads.tracking import TrackingView
from app.models import Assignment, Lead, Offer


# ---------------------------------------------------------------------------- views' helpers
def is_entitled(session: Session, lead_id: int, provider_id: int) -> bool:
    return (
        session.scalar(
            select(Assignment.id).where(Assignment.lead_id == lead_id, Assignment.provider_id == provider_id)
        )
        is not None
    )


def offers_for(session: Session, provider_id: int, limit: int = 30) -> list[Offer]:
    """The provider's open offers first (soonest deadline), then the latest closed ones."""
    open_ = list(
        session.scalars(
            select(Offer)
            .where(Offer.provider_id == provider_id, Offer.state == "offered")
            .order_by(Offer.expires_at, Offer.id)
        )
    )
    closed = list(
        session.scalars(
            select(Offer)
            .where(Offer.provider_id == provider_id, Offer.state != "offered")
            .order_by(Offer.updated_at.desc(), Offer.id.desc())
            .limit(limit)
        )
    )
    return open_ + closed


def new_offers(session: Session, provider_id: int, after_id: int) -> list[Offer]:
    """Open offers newer than `after_id` (the live page's poller), newest first."""
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.provider_id == provider_id, Offer.id > after_id, Offer.state == "offered")
            .order_by(Offer.id.desc())
        )
    )


@dataclass(frozen=True)
class Card:
    """What one offer card shows, masked according to the viewer's entitlement."""

    offer: Offer
    lead: dict
    state: str  # open / restricted / mine / taken / expired / declined
    seconds_left: int
    more_waves: bool
    final: bool


def card(session: Session, offer: Offer) -> Card:
    lead = offer.lead
    mine = offer.state == "accepted" and is_entitled(session, lead.id, offer.provider_id)
    restricted = offer.restricted and not offer.provider.is_verified
    if mine:
        shown = masking.full(lead)
    elif restricted:
        shown = masking.restricted_preview(lead)
    else:
        shown = masking.preview(lead)
    state = {"accepted": "mine", "offered": "restricted" if restricted else "open"}.get(offer.state, offer.state)
    left = 0
    if offer.state == "offered" and lead.wave_deadline is not None:
        left = max(0, int((lead.wave_deadline - clock.now()).total_seconds()))
    more = lead.delivery_status == "offering" and lead.current_wave < len(plan_of(lead))
    return Card(
        offer=offer, lead=shown, state=state, seconds_left=left, more_waves=more, final=offer.state != "offered"
    )


def summary(lead: Lead) -> dict:
    """Counts for the tracking page and admin: offered so far, declined, wave."""
    offers = list(lead.offers)
    return {
        "offered": len(offers),
        "declined": sum(o.state == "declined" for o in offers),
        "wave": lead.current_wave,
        "waves": len(plan_of(lead)),
    }


@tracking.mode_view("broadcast")
def tracking_view(lead: Lead) -> TrackingView | None:
    """The broadcast part of the customer's tracking page (None: not a broadcast state)."""
    if lead.mode != "broadcast":
        return None
    if lead.delivery_status == "accepted" and lead.assigned_provider is not None:
        p = lead.assigned_provider
        return TrackingView(
            f"Accepted by {p.name}", f"{p.name} has your details and will contact you shortly.", "good", True
        )
    if lead.delivery_status == "offering":
        n = summary(lead)["offered"]
        return TrackingView(
            "Finding a provider",
            f"Offered to {n} {lead.category.name.lower()} provider{'s' if n != 1 else ''} in {lead.metro.name} "
            "so far. The first to accept will contact you.",
            "waiting",
            False,
        )
    if lead.delivery_status == "pending" and lead.escrow_reason == ESCROW_REASON:
        return TrackingView(
            "Still looking",
            "No provider has accepted yet. Our team is finding one for you and will email you.",
            "waiting",
            False,
        )
    return None
