"""The customer's side of a quote lead: the quotes, the choice, job done."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.core.urls import app_path, external_url
from app.leads import timeline, tracking
from app.leads.tracking import TrackingView
from app.models import Assignment, Lead
from app.pipeline import stages
from app.pipeline.stages import OPEN_STATUSES
from app.platform import notify
from app.quotes.result import Done


# ---------------------------------------------------------------- the customer's side
def quotes_for(session: Session, lead: Lead) -> list[Assignment]:
    """Quotes the customer can see: every assignment with a quote, oldest first."""
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.lead_id == lead.id, Assignment.kind == "quote", Assignment.quote_amount.is_not(None))
            .order_by(Assignment.updated_at, Assignment.id)
        )
    )


def choose(session: Session, lead: Lead, assignment_id: int) -> Done:
    """The customer picks a quote: it is won, every other unlock lost, everyone emailed."""
    if lead.assigned_provider_id is not None:
        raise Refusal("You already chose a provider for this request.")
    if lead.status != "verified":
        raise Refusal("This request is closed.")
    chosen = session.get(Assignment, assignment_id)
    if chosen is None or chosen.lead_id != lead.id or chosen.kind != "quote" or chosen.status != "quoted":
        raise Refusal("Choose one of the quotes on this page.")
    now = clock.now()
    claimed = session.execute(
        update(Lead)
        .where(
            Lead.id == lead.id, Lead.mode == "quotes", Lead.status == "verified", Lead.assigned_provider_id.is_(None)
        )
        .values(assigned_provider_id=chosen.provider_id, delivery_status="chosen", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(claimed) != 1:
        raise Refusal("You already chose a provider for this request.")
    won = session.execute(
        update(Assignment)
        .where(Assignment.id == chosen.id, Assignment.status == "quoted")
        .values(status="won", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(won) != 1:
        raise RuntimeError("chosen quote changed under us")  # rolls the whole choice back
    others = list(
        session.scalars(
            select(Assignment).where(
                Assignment.lead_id == lead.id,
                Assignment.kind == "quote",
                Assignment.id != chosen.id,
                Assignment.status.in_(OPEN_STATUSES),
            )
        )
    )
    session.execute(
        update(Assignment)
        .where(Assignment.id.in_([a.id for a in others]))
        .values(status="lost", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(lead)
    session.refresh(chosen)
    winner = chosen.provider
    timeline.record(
        session,
        lead,
        "quote_chosen",
        f"Customer chose {winner.name}",
        public_text=f"You chose {winner.name}. They'll be in touch to schedule the job.",
        data={"provider_id": winner.id, "assignment_id": chosen.id},
    )
    lead_url = external_url("provider.quote_lead", lead_id=lead.id)
    notify.notify(
        session,
        winner,
        "quote_picked",
        f"You won the job: {lead.category.name} in {lead.city}",
        body=f"{lead.customer_name} chose your quote of ${chosen.quote_amount:,.2f}.",
        url=app_path("provider.quote_lead", lead_id=lead.id),
        lead_id=lead.id,
        email_template="quote_picked",
        email_context={"lead_url": lead_url, "won": True, "customer_name": lead.customer_name},
        dedupe_key=f"quote_picked:{chosen.id}",
    )
    for other in others:
        session.refresh(other)
        notify.notify(
            session,
            other.provider,
            "quote_declined",
            f"The customer chose another provider: {lead.category.name} in {lead.city}",
            body="Thanks for quoting. The customer picked someone else this time.",
            url=app_path("provider.quote_lead", lead_id=lead.id),
            lead_id=lead.id,
            email_template="quote_picked",
            email_context={"lead_url": lead_url, "won": False},
            dedupe_key=f"quote_declined:{other.id}",
        )
    return Done(f"You chose {winner.name}. We let them know.", chosen)


def mark_done(session: Session, lead: Lead) -> Done:
    """The customer says the chosen provider did the job."""
    if lead.assigned_provider_id is None:
        raise Refusal("Choose a provider before marking the job done.")
    done = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.status == "verified", Lead.assigned_provider_id.is_not(None))
        .values(status="completed", updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if affected(done) != 1:
        raise Refusal("This job is already marked done.")
    session.refresh(lead)
    assert lead.assigned_provider is not None  # the UPDATE required one
    for assignment in lead.assignments:  # the provider's pipeline: won -> job done
        if assignment.provider_id == lead.assigned_provider_id:
            stages.complete(session, assignment)
    timeline.record(
        session,
        lead,
        "completed",
        f"Customer marked the job done by {lead.assigned_provider.name}",
        public_text="You marked the job done. Thanks! You can leave a review below.",
    )
    return Done("Marked done. How did it go? Leave a review below.")


@tracking.mode_view("quotes")
def tracking_view(lead: Lead) -> TrackingView:
    """What the tracking page's headline says for a quote lead (after the spam/pending checks)."""
    if lead.assigned_provider is not None:
        return TrackingView(
            f"You chose {lead.assigned_provider.name}",
            "They have your details and will contact you to schedule the job. "
            "Mark the job done below once it's finished.",
            "good",
            False,
        )
    quoted = sum(1 for a in lead.assignments if a.kind == "quote" and a.quote_amount is not None)
    if quoted:
        return TrackingView(
            f"{quoted} quote{'s' if quoted != 1 else ''} received",
            "Compare them below and choose the provider you want. More may arrive.",
            "good",
            False,
        )
    if lead.delivery_status == "pending":
        return TrackingView(
            "Finding providers to quote",
            "We're still matching your request with providers; our team is on it.",
            "waiting",
            False,
        )
    return TrackingView(
        "Finding providers to quote",
        f"We're asking {lead.category.name.lower()} providers in {lead.metro.name} to quote. "
        f"Up to {lead.max_providers} can respond; quotes will appear here.",
        "waiting",
        False,
    )
