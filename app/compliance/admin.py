"""Admin side of compliance: the metro rule editor (validated, audited, due dates recomputed),
sites search, traps by status per metro (the dashboard chart), manifest lookup."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.compliance import rules, schedule
from app.core import clock
from app.core.refusal import Refusal
from app.leads import validation
from app.models import ComplianceRule, Metro, Site, Trap, TrapStatus, User
from app.platform import audit


@dataclass
class RuleInput:
    interval_days: str = ""
    lead_days: str = "14"
    authority: str = ""
    rule_text: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def rule_input(session: Session, metro: Metro) -> RuleInput:
    row = session.get(ComplianceRule, metro.id)
    if row is None:
        return RuleInput()
    return RuleInput(str(row.interval_days or ""), str(row.lead_days), row.authority, row.rule_text)


def parse_rule(form) -> RuleInput:
    return RuleInput(
        (form.get("interval_days") or "").strip(),
        (form.get("lead_days") or "").strip(),
        " ".join((form.get("authority") or "").split()),
        (form.get("rule_text") or "").strip(),
    )


def _days(text: str, low: int, high: int, what: str, errors: dict, key: str) -> int | None:
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        errors[key] = f"{what} must be a whole number of days from {low} to {high:,}."
        return None
    return int(text)


def update_rule(session: Session, metro: Metro, data: RuleInput, actor: User | None, ip: str | None) -> int:
    """Save the metro's rule; returns how many traps got a new due date. Refused with field errors."""
    errors: dict[str, str] = {}
    interval = (
        _days(data.interval_days, 1, 3650, "The maximum interval", errors, "interval_days")
        if data.interval_days
        else None
    )
    lead = _days(data.lead_days or "", 0, 120, "The reminder lead time", errors, "lead_days")
    if len(data.authority) > 200:
        errors["authority"] = "Keep the authority's name under 200 characters."
    if len(data.rule_text) > 2000:
        errors["rule_text"] = "Keep the rule text under 2,000 characters."
    for key in ("authority", "rule_text"):
        if validation.has_control_chars(getattr(data, key)):
            errors[key] = validation.CONTROL_CHARS_ERROR
    if errors:
        data.errors = errors
        raise Refusal("Please fix the rule.", errors)
    assert lead is not None
    row = session.get(ComplianceRule, metro.id) or ComplianceRule(metro_id=metro.id)
    row.interval_days, row.lead_days, row.authority, row.rule_text = interval, lead, data.authority, data.rule_text
    session.add(row)
    session.flush()
    audit.log(
        session,
        actor,
        "compliance_rule",
        metro,
        f"{metro.name}: compliance rule set to "
        + (f"every {interval} days" if interval else "no maximum interval")
        + f", reminders {lead} days ahead",
        data={"interval_days": interval, "lead_days": lead},
        ip=ip,
    )
    return schedule.refresh_metro(session, metro.id)


def search_sites(session: Session, q: str | None, limit: int = 200) -> list[Site]:
    query = select(Site).order_by(Site.id.desc()).limit(limit)
    words = " ".join((q or "").split())[:100]
    if words:
        like = f"%{words.lower()}%"
        query = query.where(
            or_(
                func.lower(Site.business_name).like(like),
                func.lower(Site.street).like(like),
                func.lower(Site.city).like(like),
                Site.owner_email.like(like),
            )
        )
    return list(session.scalars(query))


@dataclass
class MetroStatus:
    metro: str
    counts: dict[str, int]


def status_per_metro(session: Session) -> list[MetroStatus]:
    """Traps by status (Current / Due soon / Overdue / No due date) per metro, today in each metro."""
    found: dict[int, MetroStatus] = {}
    lead_days: dict[int, int] = {}
    today: dict[int, date] = {}
    rows = session.execute(
        select(Trap.next_due, Site.metro_id, Metro.name, Metro.timezone)
        .select_from(Trap)
        .join(Site, Site.id == Trap.site_id)
        .join(Metro, Metro.id == Site.metro_id)
    )
    for due, metro_id, name, tz in rows:
        if metro_id not in found:
            found[metro_id] = MetroStatus(name, {s.value: 0 for s in TrapStatus})
            lead_days[metro_id] = schedule.rule_for(session, metro_id).lead_days
            today[metro_id] = clock.local(clock.now(), tz).date()
        found[metro_id].counts[rules.status(due, today[metro_id], lead_days[metro_id]).value] += 1
    return sorted(found.values(), key=lambda m: (-m.counts["overdue"], m.metro))
