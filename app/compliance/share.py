"""The inspector's link: per site, an unguessable read-only token (256 bits) the customer can
make and revoke (a revoked link answers 404 at once; a new link is a new token). The page and
its PDF list five years of service records per trap, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.compliance import records, schedule, sites
from app.core.refusal import Refusal
from app.models import ServiceRecord, Site, Trap, TrapStatus
from app.models.compliance import new_share_token

YEARS = 5


@dataclass
class TrapHistory:
    trap: Trap
    records: list[ServiceRecord]
    next_due: date | None
    status: TrapStatus


@dataclass
class SiteRecord:
    site: Site
    since: date
    traps: list[TrapHistory]
    authority: str
    rule_text: str
    interval_days: int | None


def _owned(session: Session, site_id: int, owner_email: str) -> Site:
    site = session.get(Site, site_id)
    if site is None or site.owner_email != sites.owner_key(owner_email):
        raise Refusal("No such site.", code="not_found")
    return site


def create(session: Session, site_id: int, owner_email: str) -> Site:
    site = _owned(session, site_id, owner_email)
    site.share_token = new_share_token()  # a new link replaces any earlier one
    session.flush()
    return site


def revoke(session: Session, site_id: int, owner_email: str) -> Site:
    site = _owned(session, site_id, owner_email)
    site.share_token = None
    session.flush()
    return site


def by_token(session: Session, token: str) -> Site | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Site).where(Site.share_token == token))


def five_years_before(today: date) -> date:
    try:
        return today.replace(year=today.year - YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - YEARS, day=28)


def site_record(session: Session, site: Site, today: date) -> SiteRecord:
    since = five_years_before(today)
    rule = schedule.rule_for(session, site.metro_id)
    traps = [
        TrapHistory(
            trap,
            records.history(session, trap.id, since),
            trap.next_due,
            schedule.status_of(session, trap, today),
        )
        for trap in site.traps
    ]
    return SiteRecord(site, since, traps, rule.authority, rule.rule_text, rule.interval_days)
