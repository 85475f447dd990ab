"""One pipeline for every lead a provider holds (direct, broadcast, quote, teaser):

    new -> contacted (note) -> visit scheduled (date/time) -> quoted (amount, message)
        -> won / lost (reason) -> job done

"New" is the stored `delivered` (direct, broadcast) or `purchased` (a quote unlock). Every move
is one conditional UPDATE from the statuses it may come from, so a double submit or two tabs
move once. Quote leads are won only by the customer's choice on the tracking page
(app/quotes/customer.py); a direct or broadcast lead is marked won by the provider and the
customer may confirm or dispute it (`customer_verdict`). `complete` (won -> job done) is the
one place a job becomes done, for other capabilities to hook into."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.core.urls import external_url
from app.leads import timeline
from app.models import Assignment, AssignmentStatus, Lead, PipelineNote, Provider
from app.models.assignment import NEW_STATUSES
from app.models.economics import LOST_REASONS
from app.pipeline.result import Done
from app.platform import outbox

OPEN_STATUSES = ("delivered", "purchased", "contacted", "visit", "quoted")
HELD = ("contacted", "visit", "quoted")  # the customer was reached: a lead may be won from here

# provider actions: action -> statuses it may come from
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "contacted": NEW_STATUSES,
    "visit": NEW_STATUSES + HELD,
    "quoted": NEW_STATUSES + ("contacted", "visit"),
    "won": HELD,
    "lost": NEW_STATUSES + HELD,
    "done": ("won",),
}
MESSAGES = {
    "contacted": "Marked as contacted.",
    "visit": "Visit scheduled.",
    "quoted": "Quote sent to the customer.",
    "won": "Marked as won. The customer can confirm it on their tracking page.",
    "lost": "Marked as lost.",
    "done": "Job done. It counts on your results page.",
}
MAX_TEXT = 2000
VISIT_HORIZON = timedelta(days=366)


def stage(status: str) -> str:
    """The pipeline stage of a stored status ("new" for delivered and purchased)."""
    return "new" if status in NEW_STATUSES else status


def stage_title(status: str) -> str:
    return "New" if status in NEW_STATUSES else AssignmentStatus(status).title


def assignment_of(session: Session, lead_id: int, provider_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment).where(Assignment.lead_id == lead_id, Assignment.provider_id == provider_id)
    )


# ---------------------------------------------------------------- parsing (field messages)
def parse_amount(raw: str | None) -> Decimal | None:
    try:
        value = Decimal((raw or "").replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value.quantize(Decimal("0.01"))


def _amount(raw: str | None, field: str, errors: dict, *, required: bool) -> Decimal | None:
    if not (raw or "").strip():
        if required:
            errors[field] = "Enter the price as a number, e.g. 450 or 450.00."
        return None
    value = parse_amount(raw)
    if value is None:
        errors[field] = "Enter the price as a number, e.g. 450 or 450.00."
    elif value <= 0 or value > Decimal("1000000"):
        errors[field] = "Enter a price between $0.01 and $1,000,000."
    else:
        return value
    return None


def parse_visit(raw_date: str | None, raw_time: str | None, tz_name: str, errors: dict) -> datetime | None:
    """A visit date and time typed in the provider's time zone -> UTC; field errors if not a
    real date and time, in the past, or more than a year ahead."""
    raw_date, raw_time = (raw_date or "").strip(), (raw_time or "").strip()
    day = when = None
    try:
        day = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        pass
    try:
        when = time.fromisoformat(raw_time) if raw_time else None
    except ValueError:
        pass
    if day is None:
        errors["visit_date"] = "Enter the visit date, e.g. 2027-03-14."
    if when is None:
        errors["visit_time"] = "Enter the visit time, e.g. 09:30."
    if day is None or when is None:
        return None
    local = datetime.combine(day, when.replace(tzinfo=None), tzinfo=ZoneInfo(tz_name))
    at = clock.as_utc(local)
    now = clock.now()
    if at <= now:
        errors["visit_date"] = "The visit must be in the future: choose a later date or time."
    elif at > now + VISIT_HORIZON:
        errors["visit_date"] = "Schedule the visit within the next 12 months."
    else:
        return at
    return None


def clean_note(raw: str | None, errors: dict, field: str = "notes") -> str | None:
    note = (raw or "").strip() or None
    if note and len(note) > MAX_TEXT:
        errors[field] = "Keep notes under 2,000 characters."
    return note


# ---------------------------------------------------------------- provider transitions
def transition(
    session: Session,
    lead_id: int,
    provider: Provider,
    action: str,
    *,
    notes: str | None = None,
    amount: str | None = None,
    message: str | None = None,
    visit_date: str | None = None,
    visit_time: str | None = None,
    reason: str | None = None,
) -> Done:
    """Move this provider's lead along its pipeline; an invalid move or bad input is refused
    with field messages and changes nothing."""
    assignment = assignment_of(session, lead_id, provider.id)
    if assignment is None:
        raise Refusal("This lead isn't yours: unlock or accept it first.")
    if action not in TRANSITIONS:
        raise Refusal("Unknown action.")
    allowed = TRANSITIONS[action]
    if action == "won" and assignment.kind == "quote":
        raise Refusal(
            "The customer picks among the quotes on their tracking page; a quote lead is won when they choose yours."
        )
    if assignment.status not in allowed:
        raise Refusal(_wrong_order(assignment.status, action))
    errors: dict[str, str] = {}
    note = clean_note(notes, errors)
    now = clock.now()
    values: dict = {"status": action, "updated_at": now}
    if action in ("contacted", "visit", "quoted") and assignment.contacted_at is None:
        values["contacted_at"] = now
    if action == "visit":
        values["visit_at"] = parse_visit(visit_date, visit_time, provider.home_metro.timezone, errors)
    elif action == "quoted":
        text = (message or "").strip() or None
        if text and len(text) > MAX_TEXT:
            errors["quote_message"] = "Keep the message under 2,000 characters."
        values.update(quote_amount=_amount(amount, "quote_amount", errors, required=True), quote_message=text)
    elif action == "won":
        value = _amount(amount, "quote_amount", errors, required=False)
        if value is not None:
            values["quote_amount"] = value
        values["won_at"] = now
    elif action == "lost":
        if reason not in LOST_REASONS:
            errors["reason"] = "Choose why the lead was lost."
        values["lost_reason"] = reason
    elif action == "done":
        values["done_at"] = now
    if errors:
        raise Refusal("Please fix the highlighted fields.", errors)
    if note and action in ("contacted", "quoted"):
        values["notes"] = note
    moved = session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.status.in_(allowed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if affected(moved) != 1:
        session.refresh(assignment)
        raise Refusal(f"This lead is already {stage_title(assignment.status).lower()}.")
    session.refresh(assignment)
    _record_note(session, assignment, action, note or _summary(assignment, action))
    _tell(session, provider, assignment, action)
    return Done(MESSAGES[action], assignment)


def _wrong_order(status: str, action: str) -> str:
    if action == "won" and status in NEW_STATUSES:
        return "Contact the customer first: a lead can't be won before you've been in touch."
    if action == "done":
        return "Mark the lead won before marking the job done."
    return f"This lead is already {stage_title(status).lower()}; it can't be marked {stage_title(action).lower()}."


def _summary(assignment: Assignment, action: str) -> str:
    if action == "quoted" and assignment.quote_amount is not None:
        return f"Quoted ${assignment.quote_amount:,.2f}"
    if action == "lost" and assignment.lost_reason:
        return f"Lost: {LOST_REASONS[assignment.lost_reason]}"
    if action == "won" and assignment.quote_amount is not None:
        return f"Won (${assignment.quote_amount:,.2f})"
    return stage_title(action)


def _record_note(session: Session, assignment: Assignment, status: str | None, body: str) -> None:
    session.add(PipelineNote(assignment_id=assignment.id, status=status, body=body, created_at=clock.now()))
    session.flush()


def _tell(session: Session, provider: Provider, assignment: Assignment, action: str) -> None:
    """The lead's (staff) timeline, and the customer's email for a quote."""
    lead = assignment.lead
    prefix = "quote" if assignment.kind == "quote" else "pipeline"
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
        return
    public = None
    if action == "won":
        public = f"{provider.name} says you hired them for this job. Confirm it below, or tell us if that's wrong."
    elif action == "visit" and assignment.visit_at is not None:
        public = f"{provider.name} scheduled a visit."
    timeline.record(
        session,
        lead,
        f"{prefix}_{action}",
        f"{provider.name} marked the lead {stage_title(action).lower()}",
        public_text=public,
        data={"provider_id": provider.id},
    )


def add_note(session: Session, lead_id: int, provider: Provider, body: str | None) -> Done:
    """A note on the provider's own timeline of the lead (never shown to anyone else)."""
    assignment = assignment_of(session, lead_id, provider.id)
    if assignment is None:
        raise Refusal("This lead isn't yours.")
    errors: dict[str, str] = {}
    note = clean_note(body, errors, "note")
    if not note and not errors:
        errors["note"] = "Write the note first."
    if errors:
        raise Refusal("Please fix the note.", errors)
    assert note is not None
    _record_note(session, assignment, None, note)
    return Done("Note added.", assignment)


# ---------------------------------------------------------------- job done and the customer's word
def complete(session: Session, assignment: Assignment) -> bool:
    """Won -> job done (once). The one place a job becomes done: the provider's "job done" and
    the customer's "mark the job done" both come here. True if this call moved it."""
    now = clock.now()
    moved = session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.status == "won")
        .values(status="done", done_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(moved) != 1:
        return False
    session.refresh(assignment)
    _record_note(session, assignment, "done", "Job done")
    return True


def won_claim(lead: Lead) -> Assignment | None:
    """A direct or broadcast lead a provider marked won (or done) that the customer has not answered."""
    for a in lead.assignments:
        if a.kind != "quote" and a.status in ("won", "done") and a.customer_verdict is None:
            return a
    return None


def customer_verdict(session: Session, lead: Lead, assignment_id: int, verdict: str) -> Done:
    """The customer confirms ("confirmed") or disputes ("disputed") a provider's "won"."""
    if verdict not in ("confirmed", "disputed"):
        raise Refusal("Choose confirm or dispute.")
    moved = session.execute(
        update(Assignment)
        .where(
            Assignment.id == assignment_id,
            Assignment.lead_id == lead.id,
            Assignment.kind != "quote",
            Assignment.status.in_(("won", "done")),
            Assignment.customer_verdict.is_(None),
        )
        .values(customer_verdict=verdict, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if affected(moved) != 1:
        raise Refusal("There is nothing to confirm on this request.")
    assignment = session.get_one(Assignment, assignment_id)
    session.refresh(assignment)
    name = assignment.provider.name
    words = "confirmed" if verdict == "confirmed" else "disputed"
    timeline.record(
        session,
        lead,
        f"customer_{words}",
        f"Customer {words} that {name} won the job",
        public_text=f"You {words} that {name} is doing this job.",
        data={"provider_id": assignment.provider_id},
    )
    _record_note(session, assignment, None, f"The customer {words} the job.")
    return Done("Thanks: we noted it." if verdict == "confirmed" else "Thanks: our team will look into it.", assignment)


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
