"""An .ics calendar file for a trap's next due date (icalendar): an all-day event with an alarm
at the reminder lead time, a stable UID per trap and due date (re-importing updates it)."""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Alarm, Calendar, Event

from app.core import clock
from app.models import Trap


def due_ics(trap: Trap, due: date, lead_days: int, url: str, host: str) -> bytes:
    site = trap.site
    cal = Calendar()
    cal.add("prodid", "-//FogForge//Grease trap compliance//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"trap-{trap.id}-due-{due.isoformat()}@{host}")
    event.add("dtstamp", clock.now())
    event.add("dtstart", due)
    event.add("dtend", due + timedelta(days=1))
    event.add("summary", f"Grease trap pump-out due: {site.business_name or site.city}")
    event.add(
        "description",
        f"{trap.label} at {', '.join(p for p in (site.street, site.city) if p)} is due for a full pump-out. {url}",
    )
    event.add("url", url)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "Book your grease trap pump-out")
    alarm.add("trigger", timedelta(days=-max(lead_days, 1)))
    event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical()
