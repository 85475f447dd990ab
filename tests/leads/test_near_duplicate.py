"""The near-duplicate signal of intake: the same contact and category in the metro within 24 h
(however many leads came since), or the same text among the metro's last 200 of the 24 h."""

from datetime import timedelta

import pytest

from app.core import clock
from app.leads import intake
from app.models import Lead


@pytest.fixture
def market(factory):
    metro = factory.metro("Houston")
    cat, other_cat = factory.category("Grease trap pumping"), factory.category("Hydro jetting")
    return metro, cat, other_cat


def asked(metro, cat, **kw) -> intake.LeadInput:
    values = dict(
        mode="broadcast",
        metro_id=metro.id,
        category_id=cat.id,
        description="Please pump our trap",
        customer_name="Ana Ruiz",
        city="Houston",
        customer_email="ana@example.com",
        customer_phone="+17135550000",
    )
    return intake.LeadInput(**(values | kw))


def strangers(db, metro, cat, n, *, age=timedelta(0)):
    """`n` leads in the metro from other people, with other texts."""
    at = clock.now() - age
    db.session.add_all(
        Lead(
            mode="broadcast",
            metro=metro,
            category=cat,
            description=f"Request number {i}",
            customer_name="Someone",
            customer_email=f"someone{i}@example.com",
            city="Houston",
            created_at=at,
        )
        for i in range(n)
    )
    db.session.flush()


def test_same_contact_and_category_is_a_duplicate_however_many_leads_came_since(db, factory, market):
    metro, cat, _ = market
    factory.lead(metro=metro, category=cat, customer_email="ana@example.com", description="First words")
    strangers(db, metro, cat, 210)  # the first lead is no longer among the last 200 texts
    assert intake.is_near_duplicate(db.session, asked(metro, cat, customer_phone=None))
    assert intake.is_near_duplicate(db.session, asked(metro, cat, customer_email=None, customer_phone="+17135551234"))


def test_same_contact_elsewhere_or_earlier_is_not_a_duplicate(db, factory, market):
    metro, cat, other_cat = market
    dallas = factory.metro("Dallas")
    factory.lead(metro=metro, category=other_cat, customer_email="ana@example.com", description="Jetting")
    factory.lead(metro=dallas, category=cat, customer_email="ana@example.com", description="In Dallas")
    factory.lead(
        metro=metro,
        category=cat,
        customer_email="ana@example.com",
        description="Long ago",
        created_at=clock.now() - intake.DUPLICATE_WINDOW - timedelta(minutes=1),
    )
    assert not intake.is_near_duplicate(db.session, asked(metro, cat))
    assert not intake.is_near_duplicate(db.session, asked(metro, cat, customer_email=None, customer_phone=None))


def test_same_text_from_anyone_among_the_last_200_is_a_duplicate(db, factory, market):
    metro, cat, other_cat = market
    factory.lead(metro=metro, category=other_cat, customer_email="x@example.com", description=" please PUMP  our trap")
    assert intake.is_near_duplicate(db.session, asked(metro, cat))
    strangers(db, metro, cat, 200)
    assert not intake.is_near_duplicate(db.session, asked(metro, cat))  # 200 newer texts came since


def test_nothing_in_the_metro_today_is_no_duplicate(db, factory, market):
    metro, cat, _ = market
    strangers(db, metro, cat, 3, age=timedelta(days=2))
    assert not intake.is_near_duplicate(db.session, asked(metro, cat, description="Request number 1"))
