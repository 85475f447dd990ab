"""The weekly cap holds when two deliveries to one provider are decided at the same time."""

import pytest
from sqlalchemy import func, select

from app.leads import routing
from app.models import Assignment, Lead

pytestmark = pytest.mark.race


def test_two_direct_leads_routed_at_once_respect_a_cap_of_one(db, factory, race):
    provider = factory.provider(tier="pro", weekly_cap=1)
    leads = [
        factory.lead(
            mode="direct",
            metro=provider.home_metro,
            category=provider.categories[0],
            requested_provider_id=provider.id,
            customer_email=f"c{i}@gmail.com",
        )
        for i in range(2)
    ]
    lead_ids = [lead.id for lead in leads]
    provider_id = provider.id
    db.session.commit()
    results = race(2, lambda i: routing.route(db.session, lead_ids[i]))
    db.session.expire_all()
    assert results.errors == []
    assert db.session.scalar(select(func.count(Assignment.id)).where(Assignment.provider_id == provider_id)) == 1
    states = sorted(
        (lead.delivery_status, lead.escrow_reason)
        for lead in db.session.scalars(select(Lead).where(Lead.id.in_(lead_ids)))
    )
    assert states == [("delivered", None), ("pending", "weekly_cap")]
