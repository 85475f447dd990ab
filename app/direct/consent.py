"""Customer consent for a direct request waiting in escrow.

After the metro's consent wait (default 24 h) the tracking page asks the customer whether we
may offer the request to other providers (and the sweep emails the question once). "Yes"
converts the lead to broadcast; "no" keeps waiting for the requested provider.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload

from app.core import clock
from app.core.db import affected, keyset
from app.core.refusal import Refusal
from app.core.urls import external_url
from app.direct import escrow_actions
from app.leads import timeline, tracking
from app.leads.tracking import TrackingView
from app.models import Lead
from app.platform import outbox, sweep


def asks_at(lead: Lead) -> datetime:
    return clock.as_utc(lead.routed_at or lead.created_at) + timedelta(hours=lead.metro.consent_wait_hours)


def due(lead: Lead, now: datetime | None = None) -> bool:
    """Should the customer be asked now? (direct, in escrow, no answer yet, wait passed)."""
    return (
        lead.mode == "direct"
        and lead.status == "verified"
        and lead.delivery_status == "pending"
        and lead.consent is None
        and (now or clock.now()) >= asks_at(lead)
    )


NOT_OPEN = "This question is no longer open; the page shows where your request is now."


def answer(session: Session, lead: Lead, yes: bool) -> str:
    """Record the customer's answer once; "yes" converts the lead to broadcast. Refusal when
    the question is not (or no longer) open."""
    if not due(lead):
        raise Refusal(NOT_OPEN)
    now = clock.now()
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.consent.is_(None), Lead.delivery_status == "pending", Lead.mode == "direct")
        .values(consent="yes" if yes else "no", consent_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        raise Refusal(NOT_OPEN)
    session.refresh(lead)
    if yes:
        timeline.record(
            session,
            lead,
            "consent_yes",
            "Customer agreed to offer the request to other providers",
            public_text="You agreed that we may offer your request to other providers.",
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
        timeline.record(
            session,
            lead,
            "consent_asked",
            "Customer asked whether to offer the request to others",
            public_text=f"{name} hasn't picked up your request yet. We asked whether you'd like "
            "us to offer it to other providers.",
        )
        if lead.customer_email:
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
    if due(lead):
        return TrackingView(
            f"{provider.name} hasn't picked up your request yet",
            "Would you like us to offer it to other providers nearby? Nothing changes until you say so.",
            "waiting",
            False,
        )
    if lead.consent == "no":
        return TrackingView(
            f"Waiting for {provider.name}",
            f"As you asked, we're keeping your request for {provider.name} only.",
            "waiting",
            False,
        )
    return TrackingView(
        f"Waiting for {provider.name}",
        f"We're getting your request to {provider.name}. We will not send it to anyone else without asking you first.",
        "waiting",
        False,
    )
