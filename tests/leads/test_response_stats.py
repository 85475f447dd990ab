"""Response times kept up to date as offers are answered (issue 10): written in the answer's own
transaction, read by `reputations` without touching the provider's history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.broadcast import offer_actions, waves
from app.leads import response_stats
from app.models import Assignment, Provider
from app.quotes import reviews
from tests.web.test_templates_render import statements


def _broadcast(db, factory, metro, cat):
    lead = factory.lead(metro=metro, category=cat, delivery_status="ready", postal_code="77002")
    assert waves.start(db.session, lead)
    db.session.flush()
    return lead


def test_an_accept_updates_the_providers_figures_in_the_same_transaction(db, factory, clock):
    metro, cat = factory.metro("Houston", slug="houston"), factory.category()
    provider = factory.provider(metro=metro, categories=[cat], tier="pro")
    db.session.commit()
    waits = (120, 30, 600)
    for seconds in waits:
        lead = _broadcast(db, factory, metro, cat)
        clock.advance(timedelta(seconds=seconds))
        [offer] = lead.offers
        offer_actions.accept(db.session, offer.id, provider.id)
        db.session.flush()
    row = db.session.get(Provider, provider.id)
    assert (row.answered_count, row.median_response_seconds) == (3, 120.0), (
        row.answered_count,
        row.recent_response_seconds,
    )
    assert row.recent_response_seconds == [120.0, 30.0, 600.0]
    db.session.rollback()  # the answers and the figures go together
    assert db.session.get(Provider, provider.id).answered_count == 0


def test_only_the_last_answers_count_and_direct_deliveries_never(db, factory, clock):
    provider = factory.provider()
    for n in range(response_stats.RECENT_RESPONSES + 10):
        lead = factory.lead(metro=provider.home_metro)
        factory.assignment(lead, provider, kind="quote", notified_at=clock.now() - timedelta(seconds=1000 + n))
    factory.assignment(factory.lead(metro=provider.home_metro), provider, kind="direct", notified_at=clock.now())
    db.session.refresh(provider)
    assert provider.answered_count == response_stats.RECENT_RESPONSES + 10
    assert len(provider.recent_response_seconds) == response_stats.RECENT_RESPONSES
    # the median of the last 50 (1010 .. 1059 s), not of all 60
    assert provider.median_response_seconds == 1034.5


def test_reputations_read_the_stored_figures_not_the_history(db, factory, clock):
    providers = [factory.provider(name=f"P{i}") for i in range(3)]
    for i, provider in enumerate(providers):
        for _ in range(5):
            lead = factory.lead(metro=provider.home_metro)
            factory.assignment(lead, provider, kind="broadcast", notified_at=clock.now() - timedelta(minutes=i + 2))
    db.session.flush()
    with statements() as seen:
        many = reviews.reputations(db.session, [p.id for p in providers], recent=0)
    assert not any("assignments" in s.lower() for s in seen), seen
    assert [many[p.id].median_response for p in providers] == [timedelta(minutes=m) for m in (2, 3, 4)]
    assert [many[p.id].responds_fast for p in providers] == [True, True, True]
    total = db.session.scalars(select(Assignment.id)).all()
    assert len(total) == 15
