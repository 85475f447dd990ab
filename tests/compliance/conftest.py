"""Compliance fixtures: a Houston metro with its 90-day rule, a provider holding a job whose
request described a trap (attached to a site through intake, as in production)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from app.compliance import records
from app.leads import intake
from app.models import ComplianceRule, Lead, Provider

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 9:00 in Houston


@dataclass
class Job:
    lead: Lead
    provider: Provider
    other: Provider


def file_request(db, metro, cat, *, email="maria.garcia@gmail.com", street="12 Main St", mode="broadcast", **kw):
    data = intake.LeadInput(
        mode=mode,
        metro_id=metro.id,
        category_id=cat.id,
        description=kw.pop("description", "Interceptor needs its quarterly pump-out."),
        customer_name="Maria Garcia",
        city="Houston",
        customer_email=email,
        customer_phone="+17135550142",
        street=street,
        business_name="Taqueria Maria",
        trap_type=kw.pop("trap_type", "interceptor"),
        trap_capacity_gallons=kw.pop("trap_capacity_gallons", 1500),
        trap_last_pumped=kw.pop("trap_last_pumped", date(2026, 1, 10)),
        trap_access_notes="Lid behind the dumpster",
        **kw,
    )
    return intake.submit_lead(db.session, data, source="web")


@pytest.fixture
def houston(db, factory, clock):
    clock.freeze(START)
    metro = factory.metro("Houston", slug="houston")
    db.session.add(
        ComplianceRule(
            metro_id=metro.id,
            interval_days=90,
            lead_days=14,
            authority="City of Houston",
            rule_text="Full evacuation at least every 90 days (Code of Ordinances ch. 47 art. XI §47-512(b)).",
        )
    )
    cat = factory.category("Grease trap pumping", slug="grease-trap-pumping")
    db.session.flush()
    return metro, cat


@pytest.fixture
def job(db, factory, houston):
    """A broadcast request with trap fields, accepted by `provider` (it holds the job)."""
    metro, cat = houston
    provider = factory.provider(metro=metro, categories=[cat], name="Bayou Pumping", tier="pro")
    other = factory.provider(metro=metro, categories=[cat], name="Other Pumping", tier="pro")
    lead = file_request(db, metro, cat)
    lead.assigned_provider_id = provider.id
    lead.delivery_status = "accepted"
    factory.assignment(lead, provider, kind="broadcast")
    db.session.commit()
    return Job(lead, provider, other)


GOOD = {
    "service_date": "2026-03-02",
    "gallons_removed": "1,450",
    "percent_full": "20",
    "transporter_registration": "TX-GT-20931",
    "vehicle": "Vac truck 7 (TX ABC-1234)",
    "driver": "Luis Ortega",
    "disposal_facility": "Houston Grease Recycling, 1200 Clinton Dr",
    "generator_signer": "Maria Garcia",
    "notes": "Baffles intact.",
}


def record(db, job, **overrides):
    data, errors = records.validate({**GOOD, **overrides}, date(2026, 3, 2))
    assert not errors, errors
    saved = records.record_service(db.session, job.lead.id, job.provider, data)
    db.session.commit()
    return saved
