"""Accepting and declining a broadcast offer.

`accept` is decided by one conditional UPDATE on the lead; the partial unique index on
offers (one accepted per lead) is the last line of defence."""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session, joinedload, lazyload

from app.broadcast import sla
from app.broadcast.waves import expand
from app.core import clock
from app.core.db import claim
from app.core.refusal import Refusal
from app.core.urls import app_path, external_url
from app.leads import eligibility, masking, timeline
from app.models import Assignment, Lead, Offer, Provider, User
from app.pipeline import autoreply
from app.platform import audit, changes, notify, outbox

DECLINE_REASONS = {
    "too_far": "Too far away",
    "too_busy": "Fully booked",
    "not_our_service": "Not a service we offer",
    "other": "Other",
}


# ---------------------------------------------------------------------------- accept / decline
STATE_REASONS = {
    "taken": "Another provider accepted this lead first.",
    "expired": "This offer has closed.",
    "declined": "You declined this offer.",
}


def check_can_accept(session: Session, offer: Offer) -> None:
    """Raise Refusal with the reason when this provider may not accept this offer now."""
    provider = offer.provider
    if offer.state != "offered":
        raise Refusal(STATE_REASONS.get(offer.state, "This offer is no longer open."))
    if provider.status == "suspended":
        raise Refusal("Your listing is suspended, so it cannot accept leads.")
    if provider.status != "verified":  # a restricted offer becomes acceptable once verified
        raise Refusal("Verify your listing to accept leads.")
    if provider.paused_now:
        raise Refusal("Your listing is paused. Resume it in your settings to accept leads.")
    if provider.weekly_cap is not None or not provider.is_paid:
        # The weekly cap and the teaser count this provider's other leads: take its row lock
        # so two accepts of different leads by the same provider are counted one after the other.
        eligibility.lock_provider(session, provider.id)
    if not eligibility.under_cap(provider, eligibility.week_count_for_cap(session, provider)):
        raise Refusal("You have reached your weekly lead cap.")
    if not provider.is_paid and not eligibility.teaser_available(session, provider):
        raise Refusal("You have used this week's free lead. Start a Growth trial to accept more.")


def accept(session: Session, offer_id: int, provider_id: int, *, user: User | None = None) -> Assignment:
    """The provider accepts its offer. Exactly one accept per lead wins: the conditional
    UPDATE on the lead decides; losers get Refusal("Another provider accepted…")."""
    offer = session.get(Offer, offer_id)
    if offer is None or offer.provider_id != provider_id:
        raise Refusal("This offer is not yours.")
    if offer.state == "accepted":
        existing = session.scalar(
            select(Assignment).where(Assignment.lead_id == offer.lead_id, Assignment.provider_id == provider_id)
        )
        assert existing is not None  # the accept that won wrote the assignment in the same transaction
        return existing
    check_can_accept(session, offer)
    now = clock.now()
    # the lead as this UPDATE leaves it comes back with it (without its offers and assignments,
    # read when needed): no second SELECT of it
    lead = session.scalars(
        update(Lead)
        .where(
            Lead.id == offer.lead_id,
            Lead.status == "verified",
            Lead.delivery_status == "offering",
            Lead.assigned_provider_id.is_(None),
        )
        .values(assigned_provider_id=provider_id, delivery_status="accepted", wave_deadline=None, updated_at=now)
        .returning(Lead)
        .options(lazyload(Lead.offers), lazyload(Lead.assignments)),
        execution_options={"synchronize_session": False, "populate_existing": True},
    ).first()
    if lead is None:  # say why, reading only the one column that tells
        assigned = session.scalar(select(Lead.assigned_provider_id).where(Lead.id == offer.lead_id))
        raise Refusal(STATE_REASONS["taken" if assigned not in (None, provider_id) else "expired"])
    # this offer accepted and every other open one taken, in one statement
    settled = dict(
        session.execute(
            update(Offer)
            .where(Offer.lead_id == offer.lead_id, Offer.state == "offered")
            .values(
                state=case((Offer.id == offer_id, "accepted"), else_="taken"),
                responded_at=case((Offer.id == offer_id, now), else_=Offer.responded_at),
                updated_at=now,
            )
            .returning(Offer.id, Offer.state)
            .execution_options(synchronize_session=False)
        ).all()
    )
    if settled.get(offer_id) != "accepted":  # cannot happen while the lead UPDATE above holds
        raise Refusal(STATE_REASONS["expired"])  # never half-accept: the transaction is rolled back
    taken_ids = [oid for oid in settled if oid != offer_id]
    sla.answered(session, provider_id)  # an answer ends a streak of unanswered offers
    session.expire(lead, ["offers", "assignments"])
    # this offer and the others as the UPDATE left them, with the accounts the other providers'
    # emails go to: one statement however many providers lose
    others = [
        o
        for o in session.scalars(
            select(Offer)
            .where(Offer.id.in_([offer_id, *taken_ids]))
            .options(joinedload(Offer.provider).joinedload(Provider.owner))
            .execution_options(populate_existing=True)
        )
        if o.id != offer_id
    ]
    changes.touch(session, provider_id, *(o.provider_id for o in others))
    provider = offer.provider
    teaser = not provider.is_paid
    assignment = Assignment(
        lead_id=lead.id,
        provider_id=provider_id,
        kind="broadcast",
        status="delivered",
        teaser=teaser,
        notified_at=offer.offered_at,
    )
    session.add(assignment)
    session.flush()
    autoreply.send(session, assignment)
    waited = int((now - offer.offered_at).total_seconds())
    timeline.record(
        session,
        lead,
        "accepted",
        f"Accepted by {provider.name} in wave {offer.wave}, {waited}s after the offer"
        + (" (teaser)" if teaser else ""),
        public_text=f"Accepted by {provider.name}. They have your details and will contact you shortly.",
        user=user,
        actor=f"provider:{provider_id}",
        data={"provider_id": provider_id, "offer_id": offer_id, "wave": offer.wave, "teaser": teaser},
    )
    audit.log(
        session,
        user,
        "offer.accept",
        lead,
        f"{provider.name} accepted broadcast lead #{lead.id}",
        data={"offer_id": offer_id, "provider_id": provider_id, "teaser": teaser},
    )
    shown = masking.preview(lead)
    # the customer's email goes into the outbox with the other providers' (one statement)
    notify.notify_all(session, [_taken(shown, lead, other) for other in others], emails=accepted_email(lead, provider))
    return assignment


def tell_customer_accepted(session: Session, lead: Lead, provider: Provider) -> None:
    outbox.queue_emails(session, accepted_email(lead, provider))


def accepted_email(lead: Lead, provider: Provider) -> list[outbox.Email]:
    """The customer's "<provider> accepted your request" email (none without an address)."""
    if not lead.customer_email:
        return []
    return [
        outbox.Email(
            kind="accepted_by",
            to=lead.customer_email,
            template="customer_accepted_by",
            lead_id=lead.id,
            dedupe_key=f"lead:{lead.id}:accepted_by",
            context={
                "customer_name": lead.customer_name,
                "category_name": lead.category.name,
                "provider_name": provider.name,
                "provider_phone": provider.phone,
                "profile_url": external_url("public.provider", slug=provider.slug),
                "tracking_url": external_url("public.tracking", token=lead.public_token),
            },
        )
    ]


def _taken(shown: dict, lead: Lead, offer: Offer) -> notify.Note:
    """The "lead taken" notification for the provider of an offer another provider won."""
    return notify.Note(
        offer.provider,
        "lead_taken",
        f"Taken: {shown['category']} in {shown['city']}",
        body="Another provider accepted this lead first. Faster answers win more leads.",
        url=app_path("provider.offers"),
        lead_id=lead.id,
        email_template="lead_taken",
        email_context={
            "category": shown["category"],
            "city": shown["city"],
            "offers_url": external_url("provider.offers"),
        },
        dedupe_key=f"offer:{offer.id}:taken:{offer.offered_at.isoformat()}",
    )


def decline(session: Session, offer_id: int, provider_id: int, reason: str | None = None) -> Offer:
    """Decline an open offer (a stat, not a penalty). `reason` is a DECLINE_REASONS key or None."""
    if reason and reason not in DECLINE_REASONS:
        raise Refusal("Pick a reason from the list, or none.")
    offer = session.get(Offer, offer_id)
    if offer is None or offer.provider_id != provider_id:
        raise Refusal("This offer is not yours.")
    now = clock.now()
    values = {"state": "declined", "decline_reason": reason or None, "responded_at": now, "updated_at": now}
    if not claim(session, offer, [Offer.state == "offered"], values):
        session.refresh(offer, ["state"])
        raise Refusal(STATE_REASONS.get(offer.state, "This offer is no longer open."))
    sla.answered(session, provider_id)  # a decline is an answer: never a penalty
    changes.touch(session, provider_id)
    lead = offer.lead
    timeline.record(
        session,
        lead,
        "offer_declined",
        f"{offer.provider.name} declined" + (f": {DECLINE_REASONS[reason]}" if reason else ""),
        data={"offer_id": offer_id, "provider_id": provider_id, "reason": reason},
    )
    session.expire(lead, ["offers"])
    if lead.delivery_status == "offering" and not any(o.state == "offered" for o in lead.offers):
        # Everyone offered so far said no: don't make the customer wait for the deadline.
        expand(session, lead.id, lead.current_wave, now_ok=True)
    return offer
