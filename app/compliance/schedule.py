"""A trap's next due date, kept on the trap (`traps.next_due`) from its records and the metro's
rule: recomputed when a record is saved or revised, a trap is reported, or the rule changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.compliance import rules
from app.models import ComplianceRule, ServiceRecord, Trap, TrapStatus

DEFAULT_LEAD_DAYS = 14


@dataclass(frozen=True)
class Rule:
    interval_days: int | None
    lead_days: int
    authority: str
    rule_text: str


def rule_for(session: Session, metro_id: int) -> Rule:
    row = session.get(ComplianceRule, metro_id)
    if row is None:
        return Rule(None, DEFAULT_LEAD_DAYS, "", "")
    return Rule(row.interval_days, row.lead_days, row.authority, row.rule_text)


def current_records(session: Session, trap_id: int, since: date | None = None) -> list[ServiceRecord]:
    """The trap's records in force (not superseded), newest service first."""
    query = select(ServiceRecord).where(ServiceRecord.trap_id == trap_id, ServiceRecord.superseded_at.is_(None))
    if since is not None:
        query = query.where(ServiceRecord.service_date >= since)
    return list(session.scalars(query.order_by(ServiceRecord.service_date.desc(), ServiceRecord.id.desc())))


def compute(session: Session, trap: Trap) -> date | None:
    rule = rule_for(session, trap.site.metro_id)
    records = current_records(session, trap.id)
    if not records:
        return rules.next_due(trap.last_pumped_reported, rule.interval_days)
    last = records[0]
    previous = records[1].service_date if len(records) > 1 else trap.last_pumped_reported
    days = (last.service_date - previous).days if previous is not None and previous < last.service_date else None
    return rules.next_due(
        last.service_date, rule.interval_days, percent_full=last.percent_full, days_since_previous=days
    )


def refresh(session: Session, trap: Trap) -> date | None:
    trap.next_due = compute(session, trap)
    session.flush()
    return trap.next_due


def refresh_metro(session: Session, metro_id: int) -> int:
    """After an admin changes a metro's rule: every trap of the metro gets its new due date."""
    from app.models import Site

    traps = session.scalars(select(Trap).join(Site).where(Site.metro_id == metro_id))
    count = 0
    for trap in traps:
        refresh(session, trap)
        count += 1
    return count


def status_of(session: Session, trap: Trap, today: date) -> TrapStatus:
    return rules.status(trap.next_due, today, rule_for(session, trap.site.metro_id).lead_days)
