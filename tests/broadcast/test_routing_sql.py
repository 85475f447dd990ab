"""The SQL pick (app/leads/pool_query.py) chooses exactly what the readable rules in
app/broadcast/pool.py choose (pool_member, order_key, choose_wave), on a random metro of
providers with every kind of difference: tier, state, trial, pause, cap reached, teaser used,
extra metro, other category, service areas in and out of reach, rotation and response times."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from app.broadcast.pool import Candidate, choose, choose_wave
from app.leads import pool_query, zips
from app.models import Provider
from app.models.metro import default_wave_plan
from app.quotes import matching

ZIPS = ("77002", "77494", "77573", "77379", "77450", "77077", "77338", "77598")


@pytest.fixture
def metro_of_providers(db, factory, clock):
    rng = random.Random(7)
    metro, other_metro = factory.metro("Houston", slug="houston"), factory.metro("Dallas", slug="dallas")
    cat, other_cat = factory.category("Pumping"), factory.category("Jetting")
    old_lead = factory.lead(metro=metro, category=cat, status="completed", delivery_status="accepted")
    for _ in range(60):
        tier = rng.choice(["pro", "growth", "starter", "free", "free"])
        status = rng.choice(["verified"] * 5 + ["claimed", "unclaimed", "suspended"])
        provider = factory.provider(
            metro=metro if rng.random() < 0.85 else other_metro,
            categories=[cat] if rng.random() < 0.9 else [other_cat],
            tier=tier,
            status=status,
            paused=rng.random() < 0.1,
            last_offered_at=None if rng.random() < 0.3 else clock.now() - timedelta(minutes=rng.randint(1, 5000)),
            weekly_cap=rng.choice([None, None, None, 1, 5]),
        )
        if provider.home_metro_id != metro.id:
            provider.extra_metros = [metro] if rng.random() < 0.7 else []
        if tier in ("starter", "free") and rng.random() < 0.2:
            provider.trial_ends_at = clock.now() + timedelta(days=3)
        provider.median_response_seconds = None if rng.random() < 0.4 else float(rng.choice([30, 60, 300, 900]))
        if rng.random() < 0.6:
            base = zips.lookup(rng.choice(ZIPS))
            assert base is not None
            provider.base_zip, provider.base_lat, provider.base_lon = base.code, base.lat, base.lon
            if rng.random() < 0.8:
                provider.service_radius_miles = rng.choice([5, 15, 30])
                box = zips.bbox(base.lat, base.lon, provider.service_radius_miles)
                provider.area_min_lat, provider.area_max_lat, provider.area_min_lon, provider.area_max_lon = box
        if rng.random() < 0.25:  # a lead this week: over a cap of 1, and a used teaser for free ones
            factory.assignment(old_lead, provider, kind="broadcast", teaser=tier == "free")
    db.session.flush()
    return metro, cat


def expected(db, lead, wave, policy, priority, already=frozenset()):
    """What the pure rules choose, from each provider's row."""
    site = pool_query.site_of(lead)
    assert site is not None
    week = pool_query.week_start()
    candidates = []
    for p in db.session.query(Provider).all():
        in_metro = p.home_metro_id == lead.metro_id or any(m.id == lead.metro_id for m in p.extra_metros)
        if not in_metro or not any(c.id == lead.category_id for c in p.categories):
            continue
        if not pool_query.provider_covers(p, site):
            continue
        mine = [a for a in p_assignments(db, p.id) if a.created_at >= week]
        tier = p.effective_tier.value
        candidates.append(
            Candidate(
                provider_id=p.id,
                status=p.status,
                tier=tier,
                home=p.home_metro_id == lead.metro_id,
                paused=p.paused_now,
                under_cap=p.weekly_cap is None or len(mine) < p.weekly_cap,
                teaser_left=tier in ("pro", "growth", "starter") or not any(a.teaser for a in mine),
                last_offered_at=p.last_offered_at,
                median_accept_seconds=p.median_response_seconds,
                miles=zips.miles(site.lat, site.lon, p.base_lat, p.base_lon) if p.base_lat is not None else None,
            )
        )
    return [c.provider_id for c in choose_wave(candidates, wave, policy, set(already), priority=priority)]


def p_assignments(db, provider_id):
    from app.models import Assignment

    return db.session.query(Assignment).filter(Assignment.provider_id == provider_id).all()


@pytest.mark.parametrize("policy", ["strict", "balanced", "aggressive"])
@pytest.mark.parametrize("priority", [False, True])
@pytest.mark.parametrize("zip_code", ["77002", "77494", "77573"])
def test_the_sql_pick_chooses_what_the_rules_choose(db, factory, metro_of_providers, policy, priority, zip_code):
    metro, cat = metro_of_providers
    metro.pool_policy = policy
    lead = factory.lead(
        metro=metro, category=cat, postal_code=zip_code, urgency="emergency" if priority else "this_week"
    )
    plan = default_wave_plan()
    picked_any = False
    for wave in [*plan, {"tiers": ["pro", "growth", "starter", "free"], "size": 50, "minutes": 5}]:
        want = expected(db, lead, wave, policy, priority)
        got = [c.provider_id for c in choose(db.session, lead, wave, set(), priority=priority)]
        assert got == want, (policy, priority, zip_code, wave["tiers"])
        picked_any = picked_any or bool(got)
    assert picked_any, "the random metro should give every case someone to pick"
    # and with earlier offers left out
    wave = {"tiers": ["pro", "growth", "starter", "free"], "size": 50, "minutes": 5}
    first = expected(db, lead, wave, policy, priority)[:3]
    got = [c.provider_id for c in choose(db.session, lead, wave, set(first), priority=priority)]
    assert got == expected(db, lead, wave, policy, priority, first)


def test_the_quote_router_picks_the_paid_verified_in_the_same_order(db, factory, metro_of_providers):
    metro, cat = metro_of_providers
    lead = factory.lead(metro=metro, category=cat, mode="quotes", postal_code="77002")
    wave = {"tiers": ["pro", "growth", "starter"], "size": 10, "minutes": 5}
    assert [p.id for p in matching.candidates(db.session, lead)] == expected(db, lead, wave, "strict", True)
