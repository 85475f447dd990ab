"""What a provider's offer card and the customer's tracking page show of a broadcast."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from app.broadcast.wave_plan import plan_of
from app.broadcast.waves import ESCROW_REASON
from app.core import clock
from app.leads import masking, tracking
from app.leads.tracking import TrackingView
from app.models import Assignment, Lead, Offer, OfferState
from app.models.base import State


class CardState(State):
    """What an offer is to the provider looking at its card (an OfferState, seen from one side)."""

    open = "open", "Open", "info"  # the card adds the wave
    restricted = "restricted", "Verify to accept", "warn"
    mine = "mine", "Yours", "good"
    taken = "taken", "Taken", "muted"
    expired = "expired", "Closed", "muted"
    declined = "declined", "Declined", "muted"


# ---------------------------------------------------------------------------- views' helpers
def is_entitled(session: Session, lead_id: int, provider_id: int) -> bool:
    return (
        session.scalar(
            select(Assignment.id).where(Assignment.lead_id == lead_id, Assignment.provider_id == provider_id)
        )
        is not None
    )


def open_offers(session: Session, provider_id: int) -> list[Offer]:
    """The provider's open offers, soonest deadline first (the live offers page)."""
    return list(
        session.scalars(
            select(Offer)
            .options(joinedload(Offer.lead))
            .where(Offer.provider_id == provider_id, Offer.state == "offered")
            .order_by(Offer.expires_at, Offer.id)
        )
    )


def history(session: Session, provider_id: int, limit: int = 30) -> list[Offer]:
    """The latest offers that are no longer open (the page's History filter)."""
    return list(
        session.scalars(
            select(Offer)
            .options(joinedload(Offer.lead))
            .where(Offer.provider_id == provider_id, Offer.state != "offered")
            .order_by(Offer.updated_at.desc(), Offer.id.desc())
            .limit(limit)
        )
    )


def offers_for(session: Session, provider_id: int, limit: int = 30) -> list[Offer]:
    """Open offers first (soonest deadline), then the latest closed ones."""
    return open_offers(session, provider_id) + history(session, provider_id, limit)


def live_offers(session: Session, provider_id: int, shown_ids: Iterable[int]) -> list[Offer]:
    """What a poll compares: the offers the page shows (`shown_ids`) and every open one."""
    ids = [i for i in shown_ids][:MAX_SHOWN]
    return list(
        session.scalars(
            select(Offer)
            .options(joinedload(Offer.lead))
            .where(Offer.provider_id == provider_id, or_(Offer.state == "offered", Offer.id.in_(ids)))
            .order_by(Offer.id.desc())
        )
    )


MAX_SHOWN = 200


@dataclass(frozen=True)
class Card:
    """What one offer card shows, masked according to the viewer's entitlement."""

    offer: Offer
    lead: dict
    state: CardState
    seconds_left: int
    more_waves: bool
    final: bool
    deadline: datetime | None = None

    @property
    def key(self) -> str:
        """What the status region shows, as the page reports it back on each poll."""
        stamp = int(self.deadline.timestamp()) if self.deadline and not self.final else ""
        return f"{self.state}:{self.offer.wave}:{stamp}:{int(self.more_waves)}"


def cards(session: Session, offers: list[Offer]) -> list[Card]:
    """Every offer's card, with one statement for the entitlements whatever the number of offers
    (the offers' leads come with them: `open_offers`, `history` and `live_offers` join them)."""
    accepted = {(o.lead_id, o.provider_id) for o in offers if o.state == "accepted"}
    entitled: set[tuple[int, int]] = set()
    if accepted:
        entitled = set(
            session.execute(
                select(Assignment.lead_id, Assignment.provider_id).where(
                    Assignment.lead_id.in_({lead for lead, _ in accepted}),
                    Assignment.provider_id.in_({provider for _, provider in accepted}),
                )
            ).all()
        )
    return [card(session, o, entitled=(o.lead_id, o.provider_id) in entitled) for o in offers]


def card(session: Session, offer: Offer, entitled: bool | None = None) -> Card:
    """One offer's card; `entitled` (the provider holds the lead's assignment) is looked up
    when not given."""
    lead = offer.lead
    if entitled is None and offer.state == "accepted":
        entitled = is_entitled(session, lead.id, offer.provider_id)
    mine = offer.state == "accepted" and bool(entitled)
    restricted = offer.restricted and not offer.provider.is_verified
    if mine:
        shown = masking.full(lead)
    elif restricted:
        shown = masking.restricted_preview(lead)
    else:
        shown = masking.preview(lead)
    seen = {
        OfferState.accepted: CardState.mine,
        OfferState.offered: CardState.restricted if restricted else CardState.open,
    }
    state = CardState(seen.get(OfferState(offer.state), offer.state))
    left = 0
    deadline = lead.wave_deadline if offer.state == "offered" else None
    if deadline is not None:
        left = max(0, int((deadline - clock.now()).total_seconds()))
    more = lead.delivery_status == "offering" and lead.current_wave < len(plan_of(lead))
    return Card(
        offer=offer,
        lead=shown,
        state=state,
        seconds_left=left,
        more_waves=more,
        final=offer.state != "offered",
        deadline=deadline,
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


OUTCOMES = {
    "offered": "First to accept gets it.",
    "accepted": "You accepted this lead.",
    "taken": "Taken by another provider.",
    "expired": "Closed without an accept.",
    "declined": "You declined this offer.",
}
OLD_CALLS = ("First to accept gets it.", "Verify your listing to accept.")  # once part of the stored text


def outcomes(session: Session, provider_id: int, lead_ids: list[int]) -> dict[int, str]:
    """{lead id: what became of this provider's offer}, for "new offer" notifications: a
    notification of an offer that was taken or closed says so, not "First to accept gets it"."""
    if not lead_ids:
        return {}
    rows = session.execute(
        select(Offer.lead_id, Offer.state, Offer.restricted).where(
            Offer.provider_id == provider_id, Offer.lead_id.in_(set(lead_ids))
        )
    )
    return {
        lead_id: "Verify your listing to accept." if state == "offered" and restricted else OUTCOMES.get(state, "")
        for lead_id, state, restricted in rows
    }


def without_old_call(body: str | None) -> str:
    """A stored notification text without the call to action it was written with."""
    text = body or ""
    for call in OLD_CALLS:
        text = text.replace(call, "")
    return text.strip()
