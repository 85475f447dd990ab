"""Service records = waste manifests: recorded by the provider that holds the job, confirmed by
the customer, then immutable (a correction is a new revision; the old one stays, superseded).

`validate` is pure (field messages a person can read); the operations flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.compliance import schedule, sites
from app.core import clock
from app.core.db import insert_once, transition
from app.core.refusal import Refusal
from app.leads import timeline, validation
from app.models import Lead, Provider, ServiceRecord, Trap, TrapType

TEXT_LIMITS = {
    "transporter_registration": (3, 60, "the hauler's transporter registration number"),
    "vehicle": (2, 80, "the vehicle (plate or unit number)"),
    "driver": (2, 120, "the driver's name"),
    "disposal_facility": (3, 200, "the disposal facility"),
    "generator_signer": (2, 120, "the name of the person who signed for the restaurant"),
}
MAX_GALLONS = 20_000


@dataclass(frozen=True)
class RecordInput:
    service_date: date
    gallons_removed: int
    percent_full: int
    transporter_registration: str
    vehicle: str
    driver: str
    disposal_facility: str
    generator_signer: str
    notes: str | None = None


def _whole(raw, low: int, high: int, what: str) -> tuple[int | None, str | None]:
    text = str(raw if raw is not None else "").strip().replace(",", "")
    if not text:
        return None, f"Enter {what}."
    if not text.isascii() or not text.isdigit() or len(text) > 7:
        return None, f"Enter {what} as a whole number."
    value = int(text)
    if not low <= value <= high:
        return None, f"{what[0].upper()}{what[1:]} must be between {low:,} and {high:,}."
    return value, None


def validate(form: dict, today: date) -> tuple[RecordInput | None, dict[str, str]]:
    """(the record's values, {}) or (None, {field: message})."""
    errors: dict[str, str] = {}
    when = validation.check_past_date(form.get("service_date"), today, "The service date")
    if when.error or when.value is None:
        errors["service_date"] = when.error or "Enter the date of the service."
    gallons, why = _whole(form.get("gallons_removed"), 1, MAX_GALLONS, "the gallons removed")
    if why:
        errors["gallons_removed"] = why
    percent, why = _whole(form.get("percent_full"), 0, 100, "how full the trap was (percent)")
    if why:
        errors["percent_full"] = why
    texts = {}
    for name, (low, high, what) in TEXT_LIMITS.items():
        value = " ".join(str(form.get(name) or "").split())
        if not value:
            errors[name] = f"Enter {what}."
        elif not low <= len(value) <= high:
            errors[name] = f"Enter {what} in {low} to {high} characters."
        elif validation.has_control_chars(value):
            errors[name] = validation.CONTROL_CHARS_ERROR
        texts[name] = value
    notes = str(form.get("notes") or "").strip()
    if len(notes) > 2000:
        errors["notes"] = "Keep the notes under 2,000 characters."
    elif validation.has_control_chars(notes):
        errors["notes"] = validation.CONTROL_CHARS_ERROR
    if errors:
        return None, errors
    assert gallons is not None and percent is not None and isinstance(when.value, date)
    return RecordInput(when.value, gallons, percent, notes=notes or None, **texts), {}


def held_lead(session: Session, lead_id: int, provider: Provider) -> Lead:
    """The lead, if this provider holds the job (delivered, accepted or chosen); else refused."""
    lead = session.get(Lead, lead_id)
    if lead is None or lead.assigned_provider_id != provider.id:
        raise Refusal("You can record a service only on a job you hold.", code="not_holder")
    return lead


def record_service(
    session: Session, lead_id: int, provider: Provider, data: RecordInput, *, trap: tuple[str, int] | None = None
) -> ServiceRecord:
    """The provider records the service done for this job (one record per job; corrections go
    through `correct`). `trap` (type, gallons) names the trap when the request gave none."""
    lead = held_lead(session, lead_id, provider)
    if data.service_date < clock.local(lead.created_at, lead.metro.timezone).date():
        raise Refusal(
            "Check the service date.", {"service_date": "The service date cannot be before the request was made."}
        )
    existing = session.scalar(
        select(ServiceRecord).where(ServiceRecord.lead_id == lead.id, ServiceRecord.superseded_at.is_(None))
    )
    if existing is not None:
        raise Refusal("This job already has a service record; correct it instead.", code="already_recorded")
    if lead.trap_id is None:
        if trap is None:
            raise Refusal("Say which trap you serviced.", {"trap_type": "Choose the trap type."})
        found = sites.ensure_trap(session, lead, *trap)
    else:
        held_trap = session.get(Trap, lead.trap_id)
        assert held_trap is not None
        found = held_trap
    record = ServiceRecord(trap_id=found.id, lead_id=lead.id, provider_id=provider.id, **vars(data))
    if not insert_once(session, record):  # saved twice at once: the first one stands
        raise Refusal("This job already has a service record; correct it instead.", code="already_recorded")
    schedule.refresh(session, found)
    timeline.record(
        session,
        lead,
        "service_recorded",
        f"{provider.name} recorded the service: manifest {record.number}, {data.gallons_removed:,} gal removed",
        public_text=f"{provider.name} recorded the service (manifest {record.number}). Check and confirm it in My sites.",
        actor=provider.name,
        data={"record_id": record.id, "number": record.number},
    )
    return record


def correct(session: Session, record_id: int, provider: Provider, data: RecordInput) -> ServiceRecord:
    """Change a record: in place while the customer has not confirmed it; once confirmed, a new
    revision that supersedes it (the old one stays visible). One revision wins a race."""
    record = session.get(ServiceRecord, record_id)
    if record is None or record.provider_id != provider.id:
        raise Refusal("You can correct only your own service records.", code="not_holder")
    if record.superseded_at is not None:
        raise Refusal("This record was already corrected; correct the latest revision.")
    if not record.confirmed:
        moved = transition(
            session,
            ServiceRecord,
            [
                ServiceRecord.id == record.id,
                ServiceRecord.confirmed_at.is_(None),
                ServiceRecord.superseded_at.is_(None),
            ],
            vars(data),
            obj=record,
        )
        if moved:
            schedule.refresh(session, record.trap)
            return record
        session.refresh(record)  # confirmed in the meantime: make a revision instead
    transition(
        session,
        ServiceRecord,
        [ServiceRecord.id == record.id, ServiceRecord.superseded_at.is_(None)],
        {"superseded_at": clock.now()},
        refuse="This record was already corrected; correct the latest revision.",
    )
    revision = ServiceRecord(
        trap_id=record.trap_id,
        lead_id=record.lead_id,
        provider_id=provider.id,
        revision=record.revision + 1,
        supersedes_id=record.id,
        **vars(data),
    )
    session.add(revision)
    session.flush()
    schedule.refresh(session, record.trap)
    return revision


def confirm(session: Session, record_id: int, owner_email: str) -> ServiceRecord:
    """The customer (signed in as the site's email) confirms the record: it is final from now."""
    record = session.get(ServiceRecord, record_id)
    if record is None or record.trap.site.owner_email != sites.owner_key(owner_email):
        raise Refusal("No such service record.", code="not_found")
    transition(
        session,
        ServiceRecord,
        [ServiceRecord.id == record.id, ServiceRecord.confirmed_at.is_(None), ServiceRecord.superseded_at.is_(None)],
        {"confirmed_at": clock.now()},
        obj=record,
        refuse="This record is already confirmed (or was corrected).",
    )
    return record


def history(session: Session, trap_id: int, since: date | None = None) -> list[ServiceRecord]:
    """Every record of the trap, revisions included (newest service first, then newest revision)."""
    query = select(ServiceRecord).where(ServiceRecord.trap_id == trap_id)
    if since is not None:
        query = query.where(ServiceRecord.service_date >= since)
    return list(
        session.scalars(query.order_by(ServiceRecord.service_date.desc(), ServiceRecord.revision.desc()).limit(500))
    )


def by_number(session: Session, number: str) -> ServiceRecord | None:
    return session.scalar(select(ServiceRecord).where(ServiceRecord.number == number.strip().upper()))


def for_lead(session: Session, lead_id: int) -> list[ServiceRecord]:
    return list(
        session.scalars(
            select(ServiceRecord).where(ServiceRecord.lead_id == lead_id).order_by(ServiceRecord.revision.desc())
        )
    )


def trap_type_choice(raw: str | None, capacity_raw) -> tuple[tuple[str, int] | None, dict[str, str]]:
    """The trap a provider names for a request that gave none."""
    errors = {}
    if raw not in TrapType.values():
        errors["trap_type"] = "Choose the trap type."
    check = validation.check_capacity(capacity_raw)
    if check.error or check.value is None:
        errors["trap_capacity_gallons"] = check.error or "Enter the trap's capacity in gallons."
    if errors:
        return None, errors
    assert isinstance(check.value, int) and raw is not None
    return (raw, check.value), {}


@dataclass(frozen=True)
class Panel:
    """What a provider's job page shows about its service records."""

    lead_id: int
    records: list[ServiceRecord]
    can_record: bool  # holds the job and has no record in force yet


def panel(session: Session, lead_id: int, provider: Provider | None) -> Panel | None:
    lead = session.get(Lead, lead_id)
    if provider is None or lead is None or lead.assigned_provider_id != provider.id:
        return None
    found = for_lead(session, lead_id)
    return Panel(lead_id, found, not any(r.superseded_at is None for r in found))
