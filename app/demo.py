"""Demo data for `make run`: three Texas metros, the FOG categories, providers in every
state and tier, one admin and a few provider logins. Idempotent: running it again changes
nothing that is already there."""

from __future__ import annotations

from decimal import Decimal

from slugify import slugify
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import service_area
from app.accounts import users as accounts
from app.compliance import demo as compliance_demo
from app.core import clock
from app.models import Category, Metro, PlanPrice, Provider, VerificationRequest
from app.quotes import credits

METROS = [
    ("Houston", "houston", "TX", "America/Chicago"),
    ("Dallas", "dallas", "TX", "America/Chicago"),
    ("Austin", "austin", "TX", "America/Chicago"),
]
CATEGORIES = [
    ("Grease trap pumping", "grease-trap-pumping"),
    ("Hydro jetting", "hydro-jetting"),
    ("Used cooking oil collection", "used-cooking-oil-collection"),
    ("Lift station cleaning", "lift-station-cleaning"),
]
# (name suffix, status, tier, categories by index, has login)
PROVIDER_PLAN = [
    ("Pro Pumping", "verified", "pro", [0, 1, 3], True),
    ("Growth Grease Services", "verified", "growth", [0, 1], True),
    ("Starter Trap Co", "verified", "starter", [0, 2], True),
    ("Free Verified FOG", "verified", "free", [0, 2], True),
    ("Claimed Jetting", "claimed", "free", [1], True),
    ("Unclaimed Oil Recyclers", "unclaimed", "free", [2], False),
]
DEMO_PASSWORD = "fogforge-demo-2026"
ADMIN_EMAIL = "admin@fogforge.local"


def _get_or_create(session: Session, model, lookup: dict, **values):
    obj = session.scalar(select(model).filter_by(**lookup))
    if obj is None:
        obj = model(**lookup, **values)
        session.add(obj)
        session.flush()
    return obj


DEMO_PLAN_PRICES = {"pro": Decimal("299.00"), "growth": Decimal("149.00"), "starter": Decimal("49.00")}


def seed(session: Session) -> list[tuple[str, str, str]]:
    """Create what is missing; return the demo logins as (role, email, password)."""
    metros = [
        _get_or_create(session, Metro, {"slug": slug}, name=name, state=state, timezone=tz)
        for name, slug, state, tz in METROS
    ]
    cats = [
        _get_or_create(session, Category, {"slug": slug}, name=name, position=i)
        for i, (name, slug) in enumerate(CATEGORIES)
    ]
    logins = []
    admin = accounts.find_by_email(session, ADMIN_EMAIL) or accounts.create_user(
        session, ADMIN_EMAIL, DEMO_PASSWORD, role="admin", name="FogForge Admin", confirmed_at=clock.now()
    )
    logins.append(("admin", admin.email, DEMO_PASSWORD))
    for tier, price in DEMO_PLAN_PRICES.items():  # issue 14: the results page's plan cost
        _get_or_create(session, PlanPrice, {"tier": tier}, monthly_price=price)

    for metro in metros:
        listings = (
            [("Houston AAA Grease Trap Cleaners", "unclaimed", "free", [0, 1], False)]
            if metro.slug == "houston"
            else []
        )
        listings += [
            (f"{metro.name} {suffix}", status, tier, cat_idx, login)
            for suffix, status, tier, cat_idx, login in PROVIDER_PLAN
        ]
        for name, status, tier, cat_idx, login in listings:
            slug = slugify(name)
            provider = session.scalar(select(Provider).where(Provider.slug == slug))
            if provider is None:
                provider = Provider(
                    name=name,
                    slug=slug,
                    home_metro=metro,
                    status=status,
                    tier=tier,
                    city=metro.name,
                    phone="+17135550100",
                    email=f"office@{slug}.example",
                    website=f"https://{slug}.example",
                    about=f"{name} serves restaurants and commercial kitchens across {metro.name}.",
                    verified_at=clock.now() if status == "verified" else None,
                )
                provider.categories = [cats[i] for i in cat_idx]
                session.add(provider)
                session.flush()
            if login:  # every claimed or verified listing can sign in (and so accept offers)
                email = f"{slug}@demo.fogforge.local"
                user = accounts.find_by_email(session, email) or accounts.create_user(
                    session, email, DEMO_PASSWORD, role="provider", name=name, confirmed_at=clock.now()
                )
                if provider.owner_id is None:
                    provider.owner_id = user.id
                if metro.slug == "houston":  # the others follow the same pattern
                    logins.append((f"provider ({status}, {tier})", email, DEMO_PASSWORD))
    _demo_credits(session)
    _demo_verification_request(session)
    _demo_service_area(session)
    compliance_demo.seed(session)  # issue 12: sites with manifests, one trap due soon, one overdue
    session.flush()
    return logins


def _demo_service_area(session: Session) -> None:
    """Houston Starter Trap Co works within 25 miles of downtown (77002): a lead in Katy (77494,
    ~29 miles west) does not reach it, one in the Heights does (issue 13's service areas)."""
    provider = session.scalar(select(Provider).where(Provider.slug == "houston-starter-trap-co"))
    if provider is not None and provider.base_zip is None:
        service_area.update_area(session, provider, base_zip="77002", radius="25", zip_list="")


def _demo_verification_request(session: Session) -> None:
    """The claimed Houston listing waits in the admin verification queue (once)."""
    provider = session.scalar(select(Provider).where(Provider.slug == "houston-claimed-jetting"))
    if provider is None or provider.owner_id is None or provider.status != "claimed":
        return
    if session.scalar(select(VerificationRequest.id).where(VerificationRequest.provider_id == provider.id)) is None:
        session.add(
            VerificationRequest(
                provider_id=provider.id,
                submitted_by_id=provider.owner_id,
                licence_number="HOU-LWH-10442",
                service_phone="+17135550100",
                note="Demo: jetting crew, 3 trucks.",
                status="pending",
            )
        )


def _demo_credits(session: Session) -> None:
    """10 credits for each verified growth/starter listing, so quote unlocks work in
    `make run` (pro unlocks free). Keyed per listing: seeding again grants nothing."""
    paying = session.scalars(
        select(Provider).where(Provider.status == "verified", Provider.tier.in_(("growth", "starter")))
    )
    for provider in paying:
        credits.grant(session, provider.id, 10, f"demo:credits:{provider.slug}", note="Demo credits")
