"""Dashboard metrics (issue 8): hand-built leads, assignments, offers and events with the clock
frozen, checked against numbers worked out by hand."""

from datetime import UTC, date, datetime, timedelta

import pytest

from app.models import LeadEvent
from app.reporting import metrics
from tests.factories import Factory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def now(clock):
    clock.freeze(NOW)
    return NOW


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


def assign(db, lead, provider, when, kind="direct"):
    Factory(db.session).assignment(lead, provider, kind=kind, created_at=when)


def offer(db, lead, provider, wave, offered_at, state="offered", responded_at=None):
    Factory(db.session).offer(
        lead, provider, wave=wave, offered_at=offered_at, state=state, responded_at=responded_at, expires_at=None
    )


def test_percentile_is_nearest_rank():
    assert metrics.percentile([], 50) is None
    assert metrics.percentile([4, 1, 3, 2], 50) == 2
    assert metrics.percentile([4, 1, 3, 2], 90) == 4
    assert metrics.percentile(list(range(1, 11)), 90) == 9
    assert metrics.percentile([7], 90) == 7


def test_period_is_the_last_n_utc_days_including_today(now):
    period = metrics.Period.last(7)
    assert period.start == datetime(2026, 3, 4, tzinfo=UTC) and period.end == NOW
    assert period.dates()[0] == date(2026, 3, 4) and period.dates()[-1] == date(2026, 3, 10)
    assert len(metrics.Period.last(90).dates()) == 90


@pytest.mark.parametrize("raw, days", [("7", 7), ("90", 90), (None, 30), ("12", 30), ("x", 30)])
def test_period_selector_accepts_only_7_30_90(raw, days):
    assert metrics.parse_days(raw) == days


def test_speed_to_lead_from_creation_to_the_first_assignment(db, factory, now):
    metro, category = factory.metro(), factory.category()
    p1, p2 = factory.provider(metro=metro), factory.provider(metro=metro)
    a = factory.lead(metro=metro, category=category, mode="direct", created_at=at(9, 10))
    b = factory.lead(metro=metro, category=category, mode="quotes", created_at=at(9, 11))
    c = factory.lead(metro=metro, category=category, mode="broadcast", created_at=at(10, 8))
    old = factory.lead(metro=metro, category=category, created_at=at(1, 8))  # before the period
    factory.lead(metro=metro, category=category, created_at=at(10, 9))  # never reached anyone
    assign(db, a, p1, at(9, 10, 1))  # 60 s
    assign(db, b, p1, at(9, 11, 5), kind="quote")  # 300 s: the first unlock counts...
    assign(db, b, p2, at(9, 11, 15), kind="quote")  # ...not the second
    assign(db, c, p2, at(10, 8, 2), kind="broadcast")  # 120 s
    assign(db, old, p1, at(1, 8, 0, 10))

    result = metrics.speed_to_lead(db.session, metrics.Period.last(7))

    assert result.overall == metrics.Spread(count=3, p50=120, p90=300)
    daily = dict(result.daily)
    assert len(daily) == 7
    assert daily[date(2026, 3, 9)] == metrics.Spread(2, 60, 300)
    assert daily[date(2026, 3, 10)] == metrics.Spread(1, 120, 120)
    assert daily[date(2026, 3, 8)] == metrics.Spread(0, None, None)


def test_fill_rate_counts_verified_leads_that_reached_a_provider(db, factory, now):
    houston, dallas = factory.metro("Houston"), factory.metro("Dallas")
    category = factory.category()
    p1, p2 = factory.provider(metro=houston), factory.provider(metro=dallas)

    def lead(metro, mode, *providers, **kw):
        made = factory.lead(metro=metro, category=category, mode=mode, created_at=at(9, 10), **kw)
        for p in providers:
            assign(db, made, p, at(9, 10, 5), kind={"quotes": "quote"}.get(mode, mode))
        return made

    lead(houston, "direct", p1)
    lead(houston, "direct")
    lead(houston, "broadcast", p1)
    lead(houston, "broadcast")
    lead(dallas, "quotes", p1, p2)  # two unlocks: one lead reached
    lead(dallas, "quotes")
    lead(dallas, "broadcast", p2, status="completed")
    lead(houston, "direct", status="spam")  # never verified: not counted
    lead(houston, "direct", status="pending")  # held for review: not counted
    factory.lead(metro=houston, category=category, created_at=at(1, 10))  # before the period

    result = metrics.fill_rate(db.session, metrics.Period.last(7))

    assert (result.overall.total, result.overall.filled) == (7, 4)
    assert [(f.label, f.total, f.filled) for f in result.by_mode] == [
        ("direct", 2, 1),
        ("broadcast", 3, 2),
        ("quotes", 2, 1),
    ]
    assert [(f.label, f.total, f.filled) for f in result.by_metro] == [("Dallas", 3, 2), ("Houston", 4, 2)]
    assert result.by_metro[1].rate == 0.5
    assert metrics.Fill("none", 0, 0).rate is None


def test_time_to_accept_from_the_first_wave_to_the_accept(db, factory, now):
    metro, category = factory.metro(), factory.category()
    p1, p2, p3 = (factory.provider(metro=metro) for _ in range(3))
    x = factory.lead(metro=metro, category=category, created_at=at(9, 10))
    offer(db, x, p1, 1, at(9, 10, 1), state="taken")
    offer(db, x, p2, 1, at(9, 10, 2), state="taken")
    offer(db, x, p3, 2, at(9, 10, 6), state="accepted", responded_at=at(9, 10, 9))  # 8 min after wave 1
    y = factory.lead(metro=metro, category=category, created_at=at(10, 9))
    offer(db, y, p1, 1, at(10, 9), state="accepted", responded_at=at(10, 9, 0, 45))  # 45 s
    z = factory.lead(metro=metro, category=category, created_at=at(10, 9))
    offer(db, z, p2, 1, at(10, 9), state="expired")  # nobody accepted: not a time to accept

    result = metrics.time_to_accept(db.session, metrics.Period.last(7))

    assert result.overall == metrics.Spread(2, 45, 480)
    daily = dict(result.daily)
    assert daily[date(2026, 3, 9)] == metrics.Spread(1, 480, 480)
    assert daily[date(2026, 3, 10)] == metrics.Spread(1, 45, 45)


def test_leads_per_metro_by_mode_busiest_first(db, factory, now):
    houston, dallas = factory.metro("Houston"), factory.metro("Dallas")
    category = factory.category()
    for metro, mode, kw in [
        (houston, "direct", {}),
        (houston, "direct", {"status": "spam"}),
        (houston, "broadcast", {}),
        (dallas, "quotes", {}),
    ]:
        factory.lead(metro=metro, category=category, mode=mode, created_at=at(8, 10), **kw)
    factory.lead(metro=dallas, category=category, mode="quotes", created_at=at(2, 10))  # before the period

    result = metrics.leads_per_metro(db.session, metrics.Period.last(7))

    assert [(m.metro, m.by_mode, m.total) for m in result] == [
        ("Houston", {"direct": 2, "broadcast": 1, "quotes": 0}, 3),
        ("Dallas", {"direct": 0, "broadcast": 0, "quotes": 1}, 1),
    ]


def test_escrow_backlog_by_reason_and_age_and_entries_per_day(db, factory, now):
    metro, category = factory.metro(), factory.category()
    unclaimed = factory.provider(metro=metro, status="unclaimed", tier="free")
    held = factory.lead(metro=metro, category=category, status="pending", created_at=NOW - timedelta(minutes=30))
    direct = factory.lead(
        metro=metro,
        category=category,
        mode="direct",
        requested_provider_id=unclaimed.id,
        delivery_status="pending",
        escrow_reason="unclaimed",
        created_at=NOW - timedelta(hours=2),
    )
    old = factory.lead(
        metro=metro,
        category=category,
        delivery_status="pending",
        escrow_reason="unaccepted_broadcast",
        created_at=NOW - timedelta(days=3),
    )
    factory.lead(
        metro=metro,
        category=category,
        delivery_status="pending",
        escrow_reason="unaccepted_broadcast",
        created_at=NOW - timedelta(hours=25),
    )
    factory.lead(metro=metro, category=category, delivery_status="accepted")  # not waiting

    def event(lead, kind, when):
        db.session.add(LeadEvent(lead_id=lead.id, kind=kind, text=kind, created_at=when))

    event(held, "held_for_review", NOW - timedelta(minutes=30))
    event(direct, "escrowed", NOW - timedelta(hours=2))
    event(old, "broadcast_unaccepted", at(8, 9))
    event(old, "broadcast_unaccepted", at(8, 15))  # the same lead twice on one day counts once
    event(old, "delivered", at(8, 16))  # not an escrow entry
    event(old, "escrow", at(1, 9))  # before the period
    db.session.flush()

    result = metrics.escrow_backlog(db.session, metrics.Period.last(7))

    assert result.waiting == {
        "low_quality": {"<1h": 1, "1-24h": 0, ">24h": 0},
        "unclaimed": {"<1h": 0, "1-24h": 1, ">24h": 0},
        "unaccepted_broadcast": {"<1h": 0, "1-24h": 0, ">24h": 2},
    }
    assert result.total == 4
    entered = dict(result.entered_daily)
    assert entered[date(2026, 3, 10)] == 2 and entered[date(2026, 3, 8)] == 1
    assert sum(entered.values()) == 3 and len(entered) == 7


def test_age_buckets():
    assert metrics.age_bucket(3599) == "<1h"
    assert metrics.age_bucket(3600) == "1-24h"
    assert metrics.age_bucket(86400) == "1-24h"
    assert metrics.age_bucket(86401) == ">24h"
