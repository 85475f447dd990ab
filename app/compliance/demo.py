"""Compliance demo data (issue 12), called by app/demo.py: Houston's 90-day rule, two
restaurant sites with a year of manifests from Houston Pro Pumping, one trap due soon, one
overdue and one current. Idempotent (skipped once the demo sites exist). Sign in to "My sites"
as owner@lareina.demo.fogforge.local or manager@bayouburger.demo.fogforge.local (the link
arrives in the dev mailbox)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.compliance import schedule, sites
from app.core import clock
from app.models import Assignment, Category, ComplianceRule, Lead, Metro, Provider, ServiceRecord, Site, Trap

HOUSTON_RULE = (
    "Every grease interceptor must be fully evacuated at least every 90 days, and sooner when floating "
    "grease plus settled solids reach 25 % of the liquid depth (Code of Ordinances ch. 47, art. XI, §47-512(b)). "
    "Keep five years of waste manifests for inspectors."
)
# (email, contact, business, street, [(trap type, gallons, days ago of each service, oldest first)])
SITES = [
    (
        "owner@lareina.demo.fogforge.local",
        "Rosa Delgado",
        "Taqueria La Reina",
        "2410 Navigation Blvd",
        [("interceptor", 1500, [350, 260, 170, 80]), ("grit", 300, [110, 20])],
    ),
    (
        "manager@bayouburger.demo.fogforge.local",
        "Sam Nguyen",
        "Bayou Burger",
        "801 Main St",
        [("indoor", 50, [190, 100])],
    ),
]


def seed(session: Session) -> None:
    houston = session.scalar(select(Metro).where(Metro.slug == "houston"))
    provider = session.scalar(select(Provider).where(Provider.slug == "houston-pro-pumping"))
    category = session.scalar(select(Category).where(Category.slug == "grease-trap-pumping"))
    if houston is None or provider is None or category is None:
        return
    if session.get(ComplianceRule, houston.id) is None:
        session.add(
            ComplianceRule(
                metro_id=houston.id, interval_days=90, lead_days=14, authority="City of Houston", rule_text=HOUSTON_RULE
            )
        )
        session.flush()
    if session.scalar(select(Site.id).where(Site.owner_email == SITES[0][0])) is not None:
        return
    today = clock.now()
    for email, contact, business, street, traps in SITES:
        site = Site(
            owner_email=email,
            metro_id=houston.id,
            address_key=sites.address_key(street, "Houston"),
            business_name=business,
            street=street,
            city="Houston",
            postal_code="77002",
            contact_name=contact,
            contact_phone="+17135550177",
        )
        session.add(site)
        session.flush()
        # The site's first request, long ago (outside every dashboard period); later services
        # were booked directly with the provider (records without a FogForge request).
        first_ago = max(max(days) for _t, _g, days in traps) + 3
        when = today - timedelta(days=first_ago)
        lead = Lead(
            mode="broadcast",
            source="web",
            metro_id=houston.id,
            category_id=category.id,
            description="Quarterly pump-out of our grease trap.",
            customer_name=contact,
            customer_email=email,
            customer_phone="+17135550177",
            business_name=business,
            street=street,
            city="Houston",
            status="completed",
            delivery_status="accepted",
            assigned_provider_id=provider.id,
            site_id=site.id,
            created_at=when,
            updated_at=when,
        )
        session.add(lead)
        session.flush()
        session.add(Assignment(lead_id=lead.id, provider_id=provider.id, kind="broadcast", created_at=when))
        for trap_type, gallons, days_ago in traps:
            trap = Trap(
                site_id=site.id, trap_type=trap_type, capacity_gallons=gallons, access_notes="Behind the kitchen"
            )
            session.add(trap)
            session.flush()
            if lead.trap_id is None:
                lead.trap_id, lead.trap_type, lead.trap_capacity_gallons = trap.id, trap_type, gallons
            for n, ago in enumerate(days_ago):
                last = n == len(days_ago) - 1
                session.add(
                    ServiceRecord(
                        trap_id=trap.id,
                        lead_id=lead.id if lead.trap_id == trap.id and n == 0 else None,
                        provider_id=provider.id,
                        service_date=(today - timedelta(days=ago)).date(),
                        gallons_removed=max(1, gallons - 40),
                        percent_full=22,
                        transporter_registration="TX-GT-20931",
                        vehicle="Vac truck 7 (TX BPK-4471)",
                        driver="Luis Ortega",
                        disposal_facility="Houston Grease Recycling, 1200 Clinton Dr",
                        generator_signer=contact,
                        created_at=today - timedelta(days=ago),
                        confirmed_at=None if last else today - timedelta(days=ago - 1),
                    )
                )
                session.flush()
            schedule.refresh(session, trap)
