"""A provider moves an unlocked quote lead: contacted, quoted, lost."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.core.urls import external_url
from app.leads import timeline
from app.models import Assignment, AssignmentStatus, Lead, Provider
from app.platform import outbox
from app.quotes.preview import assignment_of
from app.quotes.result import Done

OPEN_STATUSES = ("purchased", "contacted", "quoted")


# provider actions on an unlocked lead: action -> statuses it may come from
TRANSITIONS = {
    "contacted": ("purchased",),
    "quoted": ("purchased", "contacted"),
    "lost": ("purchased", "contacted", "quoted"),
}


# ---------------------------------------------------------------- provider transitions
def parse_amount(raw: str | None) -> Decimal | None:
    try:
        value = Decimal((raw or "").replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value.quantize(Decimal("0.01"))


def transition(
    session: Session,
    lead_id: int,
    provider: Provider,
    action: str,
    *,
    notes: str | None = None,
    amount: str | None = None,
    message: str | None = None,
) -> Done:
    """Move this provider's assignment on (contacted, quoted, lost); invalid moves are refused."""
    assignment = assignment_of(session, lead_id, provider.id)
    if assignment is None or assignment.kind != "quote":
        raise Refusal("Unlock this lead first.")
    if action not in TRANSITIONS:
        raise Refusal("Unknown action.")
    allowed = TRANSITIONS[action]
    if assignment.status not in allowed:
        raise Refusal(
            f"This lead is already {AssignmentStatus(assignment.status).title.lower()}; "
            f"it can't be marked {AssignmentStatus(action).title.lower()}."
        )
    values: dict = {"status": action, "updated_at": clock.now()}
    notes = (notes or "").strip() or None
    if notes and len(notes) > 2000:
        raise Refusal("Notes are too long.", {"notes": "Keep notes under 2,000 characters."})
    if action == "contacted":
        values["notes"] = notes
    if action == "quoted":
        value = parse_amount(amount)
        message = (message or "").strip() or None
        errors = {}
        if value is None:
            errors["quote_amount"] = "Enter the price as a number, e.g. 450 or 450.00."
        elif value <= 0 or value > Decimal("1000000"):
            errors["quote_amount"] = "Enter a price between $0.01 and $1,000,000."
        if message and len(message) > 2000:
            errors["quote_message"] = "Keep the message under 2,000 characters."
        if errors:
            raise Refusal("Please fix the quote.", errors)
        values.update(quote_amount=value, quote_message=message)
        if notes:
            values["notes"] = notes
    moved = session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.status.in_(allowed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if affected(moved) != 1:
        session.refresh(assignment)
        raise Refusal(f"This lead is already {AssignmentStatus(assignment.status).title.lower()}.")
    session.refresh(assignment)
    lead = assignment.lead
    if action == "quoted":
        timeline.record(
            session,
            lead,
            "quote_sent",
            f"{provider.name} quoted ${assignment.quote_amount}",
            public_text=f"{provider.name} sent you a quote: ${assignment.quote_amount:,.2f}.",
            data={"provider_id": provider.id},
        )
        _email_customer(
            session,
            lead,
            "quote_received",
            provider=provider.name,
            amount=f"{assignment.quote_amount:,.2f}",
            message=assignment.quote_message or "",
            dedupe_key=f"quote_received:{assignment.id}",
        )
    else:
        timeline.record(
            session,
            lead,
            f"quote_{action}",
            f"{provider.name} marked the lead {action}",
            data={"provider_id": provider.id},
        )
    return Done(
        {"contacted": "Marked as contacted.", "quoted": "Quote sent to the customer.", "lost": "Marked as lost."}[
            action
        ],
        assignment,
    )


def _email_customer(session: Session, lead: Lead, template: str, dedupe_key: str, **context) -> None:
    if not lead.customer_email:
        return
    outbox.queue_email(
        session,
        kind=template,
        to=lead.customer_email,
        template=template,
        lead_id=lead.id,
        context={
            "customer_name": lead.customer_name,
            "category_name": lead.category.name,
            "tracking_url": external_url("public.tracking", token=lead.public_token),
            **context,
        },
        dedupe_key=dedupe_key,
    )
