"""The provider's own timeline of a lead (stage changes and notes) and the visit's .ics file."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import clock
from app.models import Assignment, PipelineNote

VISIT_LENGTH = timedelta(hours=1)


def timeline_of(session: Session, assignment_id: int) -> list[PipelineNote]:
    """Oldest first: what this provider did and wrote about the lead."""
    return list(
        session.scalars(
            select(PipelineNote)
            .where(PipelineNote.assignment_id == assignment_id)
            .order_by(PipelineNote.created_at, PipelineNote.id)
        )
    )


def visit_ics(assignment: Assignment, shown: dict, host: str) -> bytes:
    """An iCalendar file for the scheduled visit (UTC times; calendars show them locally).
    `shown` is the lead as this provider may see it (masking.for_viewer)."""
    if assignment.visit_at is None:
        raise ValueError("no visit scheduled")
    start = clock.as_utc(assignment.visit_at)
    cal = Calendar()
    cal.add("prodid", "-//FogForge//Pipeline//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"visit-{assignment.id}@{host}")
    event.add("dtstamp", clock.now())
    event.add("dtstart", start)
    event.add("dtend", start + VISIT_LENGTH)
    event.add("summary", f"Visit: {shown.get('category', 'service')} for {shown.get('customer_name', 'customer')}")
    where = ", ".join(str(v) for v in (shown.get("street"), shown.get("city")) if v)
    if where:
        event.add("location", where)
    contact = " / ".join(str(v) for v in (shown.get("customer_phone"), shown.get("customer_email")) if v)
    event.add("description", f"FogForge lead #{assignment.lead_id}. {contact}".strip())
    cal.add_component(event)
    return cal.to_ical()
