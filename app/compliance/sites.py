"""Sites and traps: a request attaches to the customer's site, and its trap to the site's trap.

Matching (README "Recurring FOG compliance"): a request with an email attaches to the site
with the same email (case-insensitive), the same metro and the same address key: the street
lower-cased, punctuation dropped and common words shortened ("Street" = "St", "Suite" = "Ste"),
plus the city; a request without a street matches on its business name and city instead.
Its trap attaches to the site's trap of the same type and capacity, or becomes a new trap.
Phone-only requests get no site (nobody could sign in to it).
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from app.compliance import schedule
from app.core.db import dialect_insert
from app.leads import intake
from app.models import Lead, Site, Trap

_WORDS = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "highway": "hwy",
    "parkway": "pkwy",
    "freeway": "fwy",
    "suite": "ste",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "court": "ct",
    "place": "pl",
    "building": "bldg",
    "unit": "ste",
    "#": "ste",
}


def _words(text: str | None) -> str:
    cleaned = re.sub(r"[^\w#]+", " ", (text or "").lower()).replace("#", " # ")
    return " ".join(_WORDS.get(w, w) for w in cleaned.split())


def address_key(street: str | None, city: str, business_name: str | None = None) -> str:
    """ "12 Main Street, Suite 4" in Houston and "12 main st ste 4" in houston are one site."""
    place = _words(street) if (street or "").strip() else "@" + _words(business_name)
    return f"{place}|{_words(city)}"[:300]


def owner_key(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def site_for(session: Session, lead: Lead) -> Site | None:
    """The lead's site, made on its first request (None for a phone-only request)."""
    owner = owner_key(lead.customer_email)
    if owner is None:
        return None
    key = address_key(lead.street, lead.city, lead.business_name)

    def existing() -> Site | None:  # its traps are read when a trap is attached (trap_for)
        return session.scalar(
            select(Site)
            .where(Site.owner_email == owner, Site.metro_id == lead.metro_id, Site.address_key == key)
            .options(lazyload(Site.traps))
        )

    site = existing()
    if site is None:
        site = _made(session, lead, owner, key) or existing()
        assert site is not None  # inserted now or by the concurrent request
        return site
    if lead.business_name and not site.business_name:
        site.business_name = lead.business_name
    return site


def _made(session: Session, lead: Lead, owner: str, key: str) -> Site | None:
    """The lead's new site, or None when a concurrent first request made it (and committed).

    INSERT … ON CONFLICT DO NOTHING (no savepoint): two first requests at once make one site.
    The INSERT returns the row as the Site (no SELECT of it); a site just made has no traps.
    populate_existing: should the session still hold a Site of that id (its INSERT undone by a
    rolled-back savepoint), it gets this row instead of keeping its stale values."""
    values = dict(
        owner_email=owner,
        metro_id=lead.metro_id,
        address_key=key,
        business_name=lead.business_name,
        street=lead.street,
        city=lead.city,
        postal_code=lead.postal_code,
        contact_name=lead.customer_name,
        contact_phone=lead.customer_phone,
        auto_rebook=False,
    )
    statement = (
        dialect_insert(session, Site)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["owner_email", "metro_id", "address_key"])
        .returning(Site)
        .options(lazyload(Site.traps))
        .execution_options(populate_existing=True)
    )
    site = session.scalars(statement).first()
    if site is not None:
        set_committed_value(site, "traps", [])
    return site


def trap_for(session: Session, site: Site, trap_type: str, capacity: int, *, access_notes=None, last_pumped=None):
    """The site's trap of this type and capacity, made if new (notes and date kept up to date)."""
    trap = next((t for t in site.traps if t.trap_type == trap_type and t.capacity_gallons == capacity), None)
    if trap is None:
        trap = Trap(site=site, trap_type=trap_type, capacity_gallons=capacity)
        session.add(trap)
    if access_notes:
        trap.access_notes = access_notes
    if last_pumped is not None and (trap.last_pumped_reported is None or last_pumped > trap.last_pumped_reported):
        trap.last_pumped_reported = last_pumped
    session.flush()
    schedule.refresh(session, trap)
    return trap


@intake.after_submit
def attach(session: Session, lead: Lead) -> None:
    """Intake hook: the request joins its site (and trap, when it gave trap fields)."""
    site = site_for(session, lead)
    if site is None:
        return
    lead.site_id = site.id
    if lead.trap_type and lead.trap_capacity_gallons:
        trap = trap_for(
            session,
            site,
            lead.trap_type,
            lead.trap_capacity_gallons,
            access_notes=lead.trap_access_notes,
            last_pumped=lead.trap_last_pumped,
        )
        lead.trap_id = trap.id
    session.flush()


def ensure_trap(session: Session, lead: Lead, trap_type: str, capacity: int) -> Trap:
    """The trap a provider records a service on when the request named none (the provider
    says which trap it serviced); the lead is attached to it. Phone-only requests get a site
    keyed by the lead (no one can sign in to it, but the record and its PDF exist)."""
    if lead.trap_id is not None:
        trap = session.get(Trap, lead.trap_id)
        assert trap is not None
        return trap
    site = site_for(session, lead)
    if site is None:
        site = Site(
            owner_email=f"lead-{lead.id}@no-email.invalid",
            metro_id=lead.metro_id,
            address_key=address_key(lead.street, lead.city, lead.business_name),
            business_name=lead.business_name,
            street=lead.street,
            city=lead.city,
            postal_code=lead.postal_code,
            contact_name=lead.customer_name,
            contact_phone=lead.customer_phone,
        )
        session.add(site)
        session.flush()
    trap = trap_for(session, site, trap_type, capacity)
    lead.site_id, lead.trap_id = site.id, trap.id
    session.flush()
    return trap


def sites_of(session: Session, email: str) -> list[Site]:
    owner = owner_key(email)
    return list(session.scalars(select(Site).where(Site.owner_email == owner).order_by(Site.id)))


def leads_of(session: Session, email: str) -> list[Lead]:
    """Every request this email ever made (newest first)."""
    owner = owner_key(email)
    from sqlalchemy import func

    return list(
        session.scalars(
            select(Lead).where(func.lower(Lead.customer_email) == owner).order_by(Lead.id.desc()).limit(500)
        )
    )


def today_in(site: Site) -> date:
    from app.core import clock

    return clock.local(clock.now(), site.metro.timezone).date()


def today_for_metro(metro) -> date:
    from app.core import clock

    return clock.local(clock.now(), metro.timezone).date()
