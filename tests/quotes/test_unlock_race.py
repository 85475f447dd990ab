"""The unlock race, with real threads on the real database (SQLite and PostgreSQL): a lead
capped at 3, 10 providers each clicking "unlock" twice at once, one of them short of credits.
Every trial: exactly 3 unlocks, each charged once, no charge for anyone else, every balance
equal to the sum of its ledger and never negative."""

import random

import pytest
from sqlalchemy import func, select

from app.core.refusal import Refusal
from app.models import Assignment, CreditEntry, CreditWallet, Lead, Provider
from app.pipeline import stages as pipeline
from app.quotes import credits, customer, unlock
from tests.conftest import succeeds
from tests.quote_helpers import fund, houston_market

TRIALS = 30
PROVIDERS = 10
PRICE = 2  # growth tier, emergency, 300-600 budget, quality 75


def _click(db, provider_id, lead_id):
    try:
        done = unlock.unlock(db.session, lead_id, db.session.get(Provider, provider_id), PRICE)
    except Refusal as refusal:
        return ("refused", provider_id, refusal.message)
    return ("ok", provider_id, done.message)


def _outcome(result, provider_id):
    if isinstance(result, Exception):  # a loser may hit a constraint; it must write nothing
        return ("error", provider_id, f"{type(result).__name__}: {result}")
    return result


@pytest.fixture
def market(db, factory):
    metro, cat = houston_market(factory)
    providers = [
        factory.provider(metro=metro, categories=[cat], tier="growth", name=f"Growth {i}") for i in range(PROVIDERS)
    ]
    for p in providers[1:]:
        fund(db.session, p, PRICE * TRIALS)
    fund(db.session, providers[0], PRICE - 1)  # short of credits, always
    ids = [p.id for p in providers]
    metro_id, cat_id = metro.id, cat.id
    db.session.commit()
    return metro_id, cat_id, ids


def test_ten_providers_double_clicking_unlock_at_once(db, factory, market, race):
    metro_id, cat_id, ids = market
    short_id = ids[0]
    rng = random.Random(6)
    for trial in range(TRIALS):
        lead = Lead(
            mode="quotes",
            metro_id=metro_id,
            category_id=cat_id,
            description="Trap overflowing",
            customer_name="Maria Garcia",
            customer_email="maria.garcia@gmail.com",
            city="Houston",
            status="verified",
            delivery_status="quoting",
            urgency="emergency",
            budget="300_600",
            quality_score=75,
        )
        db.session.add(lead)
        db.session.flush()
        lead_id = lead.id
        db.session.commit()

        clicks = [pid for pid in ids for _ in range(2)]
        rng.shuffle(clicks)
        results = race(len(clicks), lambda i, lid=lead_id, pids=clicks: _click(db, pids[i], lid), timeout=120)
        outcomes = [_outcome(r, pid) for r, pid in zip(results, clicks, strict=True)]
        assert len(outcomes) == len(clicks), f"trial {trial}: threads hung"
        db.session.expire_all()

        winners = db.session.scalars(select(Assignment.provider_id).where(Assignment.lead_id == lead_id)).all()
        assert len(winners) == 3 == len(set(winners)), f"trial {trial}: {outcomes}"
        assert short_id not in winners
        assert db.session.get(Lead, lead_id).unlock_count == 3
        spends = db.session.execute(
            select(CreditEntry.provider_id, CreditEntry.amount).where(CreditEntry.reference == f"lead:{lead_id}")
        ).all()
        assert sorted(spends) == sorted((pid, -PRICE) for pid in winners), f"trial {trial}: each charged once"
        # every click got an answer a person can read; nobody saw a crash
        assert all(kind in ("ok", "refused") for kind, _, _ in outcomes), outcomes
        assert all(kind == "ok" for kind, pid, _ in outcomes if pid in winners)

    for pid in ids:
        balance = credits.balance(db.session, pid)
        assert balance == credits.ledger_sum(db.session, pid) >= 0
    assert credits.balance(db.session, short_id) == PRICE - 1
    assert db.session.scalar(select(func.min(CreditWallet.balance))) >= 0
    total_unlocks = db.session.scalar(select(func.count(Assignment.id)))
    assert total_unlocks == 3 * TRIALS
    assert (
        sum(credits.ledger_sum(db.session, pid) for pid in ids[1:])
        == (PRICE * TRIALS) * (PROVIDERS - 1) - PRICE * total_unlocks
    )


def test_two_simultaneous_choices_pick_exactly_one_winner(db, factory, race):
    metro, cat = houston_market(factory)
    providers = [factory.provider(metro=metro, categories=[cat], tier="pro") for _ in range(3)]
    lead = Lead(
        mode="quotes",
        metro_id=metro.id,
        category_id=cat.id,
        description="Trap overflowing",
        customer_name="Maria Garcia",
        customer_email="maria.garcia@gmail.com",
        city="Houston",
        status="verified",
        delivery_status="quoting",
        quality_score=75,
    )
    db.session.add(lead)
    db.session.flush()
    for p in providers:
        assert unlock.unlock(db.session, lead.id, p, 0)
        assert pipeline.transition(db.session, lead.id, p, "quoted", amount="100")
    lead_id = lead.id
    assignment_ids = db.session.scalars(select(Assignment.id).where(Assignment.lead_id == lead_id)).all()
    db.session.commit()
    results = race(
        len(assignment_ids),
        lambda i: succeeds(customer.choose, db.session, db.session.get(Lead, lead_id), assignment_ids[i]),
        timeout=60,
    )
    outcomes = [type(r).__name__ if isinstance(r, Exception) else r for r in results]
    db.session.expire_all()
    assert sorted(outcomes, key=str) == [False, False, True]
    statuses = sorted(db.session.scalars(select(Assignment.status).where(Assignment.lead_id == lead_id)).all())
    assert statuses == ["lost", "lost", "won"]
