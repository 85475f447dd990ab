"""Customer consent for a direct request waiting in escrow.

After the metro's consent wait for the request's urgency (emergency: at once by default; this
week and flexible: 24 h by default) the tracking page asks the customer whether we may offer
the request to other providers (and the sweep emails the question once, unless the
confirmation email already asked). "Yes" converts the lead to broadcast and routes it at once;
"no" keeps waiting for the requested provider.

Before the wait the customer may already say "yes" ("Don't want to wait? Offer it to other
providers now" on the tracking page, linked from the confirmation email), as on Thumbtack or
Angi: nothing forces a customer to wait for a provider that cannot receive the request. "No"
is only taken once the question is asked (an early "no" would answer a question not asked yet
and silence the one asked after the wait).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload

from app.core import clock
from app.core.db import affected, keyset
from app.core.refusal import Refusal
from app.core.urls import external_url
from app.direct import escrow_actions
from app.leads import eligibility, timeline, tracking
from app.leads.tracking import TrackingView
from app.models import Lead, OutboxEmail
from app.platform import outbox, sweep


def asks_at(lead: Lead) -> datetime:
    return clock.as_utc(lead.routed_at or lead.created_at) + eligibility.consent_wait(lead.metro, lead.urgency)


def why(lead: Lead) -> str:
    """Why the request waits, in the customer's words (what holds the provider now; the weekly
    cap as stored, since it needs a count)."""
    provider = lead.requested_provider
    if provider is None:
        return ""
    reason = eligibility.direct(provider, 0).reason
    if reason is None and lead.delivery_status == "pending" and lead.escrow_reason in ("weekly_cap", "out_of_area"):
        reason = lead.escrow_reason  # kept as stored: a count, a place (not a state of the provider)
    return eligibility.customer_reason(reason, provider.name)


def confirmation_asked(session: Session, lead: Lead) -> bool:
    """Did the customer's confirmation email already ask the consent question (an emergency to a
    provider that could not receive it)? Then the sweep does not email the question again."""
    context = session.scalar(
        select(OutboxEmail.context).where(OutboxEmail.dedupe_key == f"lead:{lead.id}:confirmation")
    )
    return bool(context and context.get("ask_consent"))


def waiting(lead: Lead) -> bool:
    """A direct request in escrow the customer has not answered about (yes is open to it)."""
    return (
        lead.mode == "direct"
        and lead.status == "verified"
        and lead.delivery_status == "pending"
        and lead.consent is None
    )


def due(lead: Lead, now: datetime | None = None) -> bool:
    """Should the customer be asked now? (direct, in escrow, no answer yet, wait passed)."""
    return waiting(lead) and (now or clock.now()) >= asks_at(lead)


def early(lead: Lead, now: datetime | None = None) -> bool:
    """May the customer open it to others before the wait? (waiting, question not due yet)."""
    return waiting(lead) and (now or clock.now()) < asks_at(lead)


ANSWERED = "You've already answered; nothing was changed. The page shows where your request is now."
NOT_YET = "There's nothing to answer yet: your request keeps waiting, and we'll ask you before anything changes."


def _not_waiting(lead: Lead) -> str:
    if lead.consent is not None:
        return ANSWERED
    name = lead.requested_provider.name if lead.requested_provider else "the provider"
    return f"Your request is no longer waiting for {name}, so nothing was changed. The page shows where it is now."


def answer(session: Session, lead: Lead, yes: bool) -> str:
    """Record the customer's answer once; "yes" converts the lead to broadcast. "Yes" is taken
    whenever the request waits unanswered (also before the wait: `early`), "no" only once the
    question is due. Refusal (nothing changed) otherwise."""
    if not waiting(lead):
        raise Refusal(_not_waiting(lead))
    before_wait = not due(lead)
    if before_wait and not yes:
        raise Refusal(NOT_YET)
    now = clock.now()
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.consent.is_(None), Lead.delivery_status == "pending", Lead.mode == "direct")
        .values(consent="yes" if yes else "no", consent_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:  # answered or moved on since it was read: the one UPDATE decides
        session.refresh(lead)
        raise Refusal(_not_waiting(lead))
    session.refresh(lead)
    if yes:
        timeline.record(
            session,
            lead,
            "consent_yes",
            "Customer asked to offer the request to other providers now, before the consent wait"
            if before_wait
            else "Customer agreed to offer the request to other providers",
            public_text="You asked us to offer your request to other providers now."
            if before_wait
            else "You agreed that we may offer your request to other providers.",
            actor="customer",
        )
        escrow_actions.convert_to_broadcast(session, lead, None, actor="customer")
    else:
        name = lead.requested_provider.name if lead.requested_provider else "the provider"
        timeline.record(
            session,
            lead,
            "consent_no",
            "Customer chose to keep waiting for the requested provider",
            public_text=f"You chose to keep waiting for {name}.",
            actor="customer",
        )
    return "Thanks, we've noted your answer."


@sweep.step("consent_asked", order=30)
def ask_due(session: Session, limit: int = 200) -> int:
    """Sweep: email the consent question once for every lead whose wait has passed."""
    now = clock.now()
    asked = 0
    for lead in keyset(
        session,
        select(Lead)
        .options(lazyload(Lead.offers), lazyload(Lead.assignments))  # not read here: no statement per walk
        .where(
            Lead.mode == "direct",
            Lead.status == "verified",
            Lead.delivery_status == "pending",
            Lead.consent.is_(None),
            Lead.consent_asked_at.is_(None),
        ),
        Lead.id,
        limit,
    ):
        if not due(lead, now):
            continue
        result = session.execute(
            update(Lead)
            .where(Lead.id == lead.id, Lead.consent_asked_at.is_(None))
            .values(consent_asked_at=now)
            .execution_options(synchronize_session=False)
        )
        if affected(result) != 1:
            continue
        name = lead.requested_provider.name if lead.requested_provider else "the provider"
        emergency = lead.urgency == "emergency"
        timeline.record(
            session,
            lead,
            "consent_asked",
            "Customer asked whether to offer the request to others" + (" (emergency)" if emergency else ""),
            public_text=(
                "Because it's an emergency, we asked whether you'd like us to offer it to other providers now."
                if emergency
                else f"{name} hasn't picked up your request yet. We asked whether you'd like "
                "us to offer it to other providers."
            ),
        )
        if lead.customer_email and not confirmation_asked(session, lead):
            outbox.queue_email(
                session,
                kind="consent_request",
                to=lead.customer_email,
                template="consent_request",
                lead_id=lead.id,
                dedupe_key=f"lead:{lead.id}:consent",
                context={
                    "customer_name": lead.customer_name,
                    "provider_name": name,
                    "why": why(lead),
                    "emergency": emergency,
                    "category_name": lead.category.name,
                    "tracking_url": external_url("public.tracking", token=lead.public_token),
                    "sent_at": lead.created_at.isoformat(),
                    "timezone": lead.metro.timezone,  # the email's times are the lead's metro's
                },
            )
        asked += 1
    return asked


@tracking.mode_view("direct")
def tracking_view(lead: Lead) -> TrackingView | None:
    """A direct request waits for its provider; after the wait the customer is asked first."""
    provider = lead.requested_provider
    if provider is None or (lead.delivery_status == "delivered" and lead.assigned_provider is not None):
        return None
    reason = why(lead) if lead.delivery_status in ("new", "ready", "pending") else ""
    if due(lead):
        if lead.urgency == "emergency":
            return TrackingView(
                f"{provider.name} can't take your emergency request right now",
                f"{reason} Would you like us to offer it to other providers nearby now? The first to accept "
                "contacts you. Nothing changes until you say so.".strip(),
                "waiting",
                False,
            )
        return TrackingView(
            f"{provider.name} hasn't picked up your request yet",
            f"{reason} Would you like us to offer it to other providers nearby? Nothing changes until you "
            "say so.".strip(),
            "waiting",
            False,
        )
    if lead.consent == "no":
        return TrackingView(
            f"Waiting for {provider.name}",
            f"{reason} As you asked, we're keeping your request for {provider.name} only.".strip(),
            "waiting",
            False,
        )
    if reason:
        wait = eligibility.consent_wait(lead.metro, lead.urgency)
        when = "in a moment" if wait.total_seconds() < 60 else f"after {_duration(wait)}"
        return TrackingView(
            f"{provider.name} can't receive your request yet",
            f"{reason} We will not send it to anyone else without asking you first; we'll ask you {when} "
            "whether to offer it to other providers.",
            "waiting",
            False,
        )
    return TrackingView(
        f"Waiting for {provider.name}",
        f"We're getting your request to {provider.name}. We will not send it to anyone else without asking you first.",
        "waiting",
        False,
    )


def _duration(wait) -> str:
    minutes = int(wait.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"
