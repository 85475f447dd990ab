"""Direct eligibility: verified + paid (or trial) + not paused + not suspended + under the weekly cap."""

import itertools
from datetime import timedelta

import pytest

from app.core import clock
from app.leads import eligibility
from app.models import Provider
from app.models.lead import EscrowReason
from app.models.provider import PROVIDER_STATUSES, TIERS


def expected(status, tier, trial, paused, capped):
    if status == "suspended":
        return "suspended"
    if status == "unclaimed":
        return "unclaimed"
    if status != "verified":
        return "unverified"
    if tier == "free" and not trial:
        return "free_plan"
    if paused:
        return "paused"
    if capped:
        return "weekly_cap"
    return None


@pytest.mark.parametrize(
    "status, tier, trial, paused, capped",
    list(itertools.product(PROVIDER_STATUSES, TIERS, [False, True], [False, True], [False, True])),
)
def test_direct_eligibility_table(status, tier, trial, paused, capped):
    provider = Provider(
        status=status,
        tier=tier,
        paused=paused,
        weekly_cap=2,
        trial_ends_at=clock.now() + timedelta(days=3) if trial else None,
    )
    decision = eligibility.direct(provider, deliveries_this_week=2 if capped else 1)
    reason = expected(status, tier, trial, paused, capped)
    assert decision.ok is (reason is None)
    assert decision.reason == reason
    assert decision.label == ("Eligible" if reason is None else EscrowReason(reason).title)


def test_no_cap_means_no_limit_and_an_expired_trial_is_free():
    provider = Provider(
        status="verified", tier="free", paused=False, weekly_cap=None, trial_ends_at=clock.now() - timedelta(seconds=1)
    )
    assert eligibility.direct(provider, 10_000).reason == "free_plan"
    provider.tier = "starter"
    assert eligibility.direct(provider, 10_000).ok


def test_cap_counts_this_iso_week_only(db, factory, clock):
    clock.freeze(clock.now().replace(year=2026, month=11, day=18, hour=12))  # a Wednesday
    provider = factory.provider(weekly_cap=1)
    old = factory.lead(mode="direct")
    factory.assignment(old, provider, kind="direct", created_at=clock.iso_week_start() - timedelta(minutes=1))
    assert eligibility.check_direct(db.session, provider).ok
    new = factory.lead(mode="direct")
    factory.assignment(new, provider, kind="direct")
    assert eligibility.check_direct(db.session, provider).reason == "weekly_cap"


def test_teaser_available_once_per_iso_week_for_verified_free_only(db, factory, clock):
    clock.freeze(clock.now().replace(year=2026, month=11, day=18, hour=12))
    free = factory.provider(tier="free")
    assert eligibility.teaser_available(db.session, free)
    assert not eligibility.teaser_available(db.session, factory.provider(tier="starter"))
    assert not eligibility.teaser_available(db.session, factory.provider(tier="free", status="claimed"))
    lead = factory.lead(mode="direct")
    factory.assignment(lead, free, kind="direct", teaser=True)
    assert not eligibility.teaser_available(db.session, free)
    clock.advance(timedelta(days=5))  # next Monday
    assert eligibility.teaser_available(db.session, free)
