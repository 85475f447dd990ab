"""A provider's "My customers": the sites it has serviced, each trap's next due date and status
(for traps whose latest service was its own: the provider that keeps the trap), the jobs due
in the next 30/60/90 days, and the reminders FogForge sent on its behalf.

Only what the provider already got through a job it held: business name, street, city (the
customer's email and phone stay on the jobs in its inbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.compliance import schedule
from app.models import Provider, Reminder, ServiceRecord, Site, Trap, TrapStatus


@dataclass
class TrapRow:
    trap: Trap
    next_due: date | None
    status: TrapStatus
    last_service: date | None
    kept: bool  # the latest service was this provider's


@dataclass
class CustomerSite:
    site: Site
    traps: list[TrapRow] = field(default_factory=list)


@dataclass
class Overview:
    sites: list[CustomerSite]
    due_within: dict[int, int]  # 30/60/90 -> jobs due (kept traps, overdue ones included)
    reminders: list[Reminder]


def overview(session: Session, provider: Provider, today: date) -> Overview:
    served = session.scalars(
        select(Trap)
        .join(ServiceRecord, ServiceRecord.trap_id == Trap.id)
        .where(ServiceRecord.provider_id == provider.id)
        .distinct()
        .order_by(Trap.site_id, Trap.id)
        .limit(1000)
    ).all()
    by_site: dict[int, CustomerSite] = {}
    due_within = {30: 0, 60: 0, 90: 0}
    for trap in served:
        latest = schedule.current_records(session, trap.id)
        last = latest[0] if latest else None
        kept = last is not None and last.provider_id == provider.id
        status = schedule.status_of(session, trap, today)
        row = TrapRow(trap, trap.next_due, status, last.service_date if last else None, kept)
        by_site.setdefault(trap.site_id, CustomerSite(trap.site)).traps.append(row)
        if kept and trap.next_due is not None:
            for days in due_within:
                if trap.next_due <= today + timedelta(days=days):
                    due_within[days] += 1
    reminders = list(
        session.scalars(
            select(Reminder).where(Reminder.provider_id == provider.id).order_by(Reminder.id.desc()).limit(100)
        )
    )
    return Overview(list(by_site.values()), due_within, reminders)
