"""Exclusive first accept under real concurrency: 32 providers accept the same lead at the same
moment, in 32 threads with their own database sessions, 50 times over (SQLite and PostgreSQL)."""

import os

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from app.broadcast import offer_actions, waves
from app.core.refusal import Refusal
from app.models import Assignment, Lead, Offer, OutboxEmail

PROVIDERS = 32
TRIALS = int(os.environ.get("ACCEPT_RACE_TRIALS", "50"))


def accept_all(race, db, offers: list[tuple[int, int]]) -> list[str]:
    """Every (offer, provider) accepts at once; returns each thread's outcome."""
    results = race(len(offers), lambda i: offer_actions.accept(db.session, *offers[i]), timeout=120)
    return [_outcome(r) for r in results]


def _outcome(result) -> str:
    if isinstance(result, Refusal):
        return f"refused: {result}"
    if isinstance(result, (IntegrityError, OperationalError)):  # must not happen: counted as failures
        return f"error: {type(result).__name__}"
    if isinstance(result, BaseException):
        return f"crash: {type(result).__name__}: {result}"
    return "won"


def test_exactly_one_of_32_simultaneous_accepts_wins_every_time(db, factory, race):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category()
    metro.wave_plan = [{"tiers": ["pro"], "size": PROVIDERS, "minutes": 5}]
    for _ in range(PROVIDERS):
        factory.provider(metro=metro, categories=[cat], tier="pro")
    db.session.commit()

    for trial in range(TRIALS):
        lead = factory.lead(
            metro=metro,
            category=cat,
            delivery_status="ready",
            description=f"trial {trial}",
            customer_email=f"customer{trial}@example.com",
        )
        assert waves.start(db.session, lead)
        lead_id = lead.id
        offers = [(o.id, o.provider_id) for o in lead.offers]
        assert len(offers) == PROVIDERS
        db.session.commit()

        outcomes = accept_all(race, db, offers)

        db.session.expire_all()
        assert len(outcomes) == PROVIDERS, f"trial {trial}: a thread hung"
        assert outcomes.count("won") == 1, f"trial {trial}: {sorted(set(outcomes))}"
        assert outcomes.count("refused: Another provider accepted this lead first.") == PROVIDERS - 1, outcomes
        lead = db.session.get(Lead, lead_id)
        states = sorted(db.session.scalars(select(Offer.state).where(Offer.lead_id == lead_id)))
        assert states == ["accepted"] + ["taken"] * (PROVIDERS - 1)
        winner = db.session.scalar(select(Offer.provider_id).where(Offer.lead_id == lead_id, Offer.state == "accepted"))
        assert (lead.delivery_status, lead.assigned_provider_id) == ("accepted", winner)
        assert db.session.scalar(select(func.count(Assignment.id)).where(Assignment.lead_id == lead_id)) == 1
        assert (
            db.session.scalar(
                select(func.count(OutboxEmail.id)).where(
                    OutboxEmail.lead_id == lead_id, OutboxEmail.kind == "accepted_by"
                )
            )
            == 1
        )
        db.session.commit()


def test_the_database_refuses_a_second_accepted_offer_even_past_the_service(db, factory):
    """The partial unique index is the last line of defence if a bug skipped the lead UPDATE."""
    import pytest

    metro, cat = factory.metro(), factory.category()
    for _ in range(2):
        factory.provider(metro=metro, categories=[cat])
    lead = factory.lead(metro=metro, category=cat, delivery_status="ready")
    waves.start(db.session, lead)
    first, second = lead.offers
    first.state = "accepted"
    db.session.flush()
    second.state = "accepted"
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_free_provider_racing_for_two_leads_gets_one_teaser(db, factory, race):
    """Two broadcast leads offered to the same verified-free provider, accepted at the same
    moment from two threads: the week's single teaser goes to one of them, never both."""
    metro, cat = factory.metro("Houston", slug="houston"), factory.category()
    free = factory.provider(metro=metro, categories=[cat], tier="free")
    free_id = free.id
    db.session.commit()
    for trial in range(10):
        offers = []
        for n in range(2):
            lead = factory.lead(
                metro=metro,
                category=cat,
                delivery_status="ready",
                description=f"t{trial} lead {n}",
                customer_email=f"c{trial}-{n}@example.com",
            )
            assert waves.start(db.session, lead)
            offers.append((lead.offers[0].id, free_id))
        db.session.commit()
        outcomes = accept_all(race, db, offers)
        assert sorted(outcomes) == [
            "refused: You have used this week's free lead. Start a Growth trial to accept more.",
            "won",
        ], outcomes
        db.session.expire_all()
        teasers = db.session.scalar(
            select(func.count(Assignment.id)).where(Assignment.provider_id == free_id, Assignment.teaser.is_(True))
        )
        assert teasers == 1
        db.session.execute(Assignment.__table__.delete())  # next trial: the allowance is back
        db.session.commit()
