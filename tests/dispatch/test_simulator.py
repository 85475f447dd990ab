"""The policy simulator (issue 13): the real engine on a throwaway database under the one clock.
Same seed, same report; a bigger first wave fills faster; the real database is never written."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select

from app.core import clock as real_clock
from app.dispatch import metro_day, simulate
from app.dispatch.report import unfilled_reason
from app.dispatch.scenario import Scenario, fairest_gini, gini
from app.extensions import db as _db
from app.models import Lead

SMALL = {"pro": 4, "growth": 4, "starter": 6, "free": 6}


@pytest.fixture(autouse=True)
def _app_context(db):
    """The engine reads the app's config and URL map: every test runs inside the app."""


def small(seed=7, leads=40, **kw):
    return Scenario(seed=seed, leads=leads, providers=dict(SMALL), **kw)


def plan(first_wave_size):
    return simulate.Plan(
        wave_plan=[
            {"tiers": ["pro", "growth"], "size": first_wave_size, "minutes": 5},
            {"tiers": ["starter"], "size": 5, "minutes": 5},
            {"tiers": ["free"], "size": 5, "minutes": 10},
        ]
    )


def test_the_same_seed_gives_the_same_report_and_another_seed_another():
    first = simulate.run(small(), plan(3)).as_dict()
    again = simulate.run(small(), plan(3)).as_dict()
    assert first == again
    assert first["leads"] == 40 and sum(first["by_mode"].values()) == 40
    other = simulate.run(small(seed=8), plan(3)).as_dict()
    assert other != first


def test_a_bigger_first_wave_fills_faster_on_the_same_day():
    narrow = simulate.run(small(leads=60), plan(1))
    wide = simulate.run(small(leads=60), plan(6))
    assert narrow.leads == wide.leads == 60
    assert wide.accept_p50 < narrow.accept_p50, (wide.accept_p50, narrow.accept_p50)
    assert wide.accept_p90 <= narrow.accept_p90, (wide.accept_p90, narrow.accept_p90)
    assert wide.fill_rate_20 >= narrow.fill_rate_20
    # more offers go out per lead with the wider first wave
    assert sum(t.offers for t in wide.tiers) > sum(t.offers for t in narrow.tiers)


def test_the_report_covers_what_the_engine_did():
    report = simulate.run(small(leads=60), plan(3))
    assert report.filled >= report.filled_in_20 > 0
    assert report.accept_p50 is not None and report.accept_p50 <= report.accept_p90
    assert {t.tier for t in report.tiers} == {"pro", "growth", "starter", "free"}
    assert sum(t.providers for t in report.tiers) == sum(SMALL.values())
    assert all(0 <= t.gini <= 1 for t in report.tiers)
    assert report.wall_seconds > 0


def _table_counts():
    with _db.engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {
            name: conn.execute(select(func.count()).select_from(_db.metadata.tables[name])).scalar_one()
            for name in names
            if name in _db.metadata.tables
        }


def test_it_never_writes_to_the_real_database(db, factory, rq):
    metro = factory.metro("Houston", slug="houston")
    category = factory.category()
    for tier in ("pro", "growth", "starter", "free"):
        factory.provider(metro=metro, categories=[category], tier=tier)
    factory.lead(metro=metro, category=category, customer_name="Real Customer")
    db.session.commit()
    before = _table_counts()
    scenario = metro_day.scenario_for(db.session, metro, seed=3, leads=30)
    assert scenario.providers == {"pro": 1, "growth": 1, "starter": 1, "free": 1}
    current = simulate.Plan.of(metro)
    db.session.rollback()  # reading is over (SQLite: end the read before counting on another connection)
    report = simulate.run(scenario, current)
    assert report.leads == 30
    db.session.expire_all()
    assert _table_counts() == before
    assert db.session.scalar(select(func.count(Lead.id))) == 1
    # nor to the real queue or the live-poll versions (savepoint releases fire commit events)
    assert rq.jobs() == [] and rq.push_queue.jobs == []
    from app.platform.queue import redis_connection

    assert not [k for k in redis_connection().keys("*") if b"change" in k.lower()], redis_connection().keys("*")
    assert str(_db.engine.url) != "" and "fogforge-sim-" not in str(_db.engine.url)


def test_a_replay_takes_only_times_modes_and_urgencies_of_the_last_days(db, factory, clock):
    clock.freeze(datetime(2026, 6, 10, 15, 0, tzinfo=UTC))
    metro = factory.metro("Houston", slug="houston")
    category = factory.category()
    p = factory.provider(metro=metro, categories=[category], tier="growth")
    for hours, mode, urgency in (
        (30, "broadcast", "emergency"),
        (40, "direct", "flexible"),
        (20, "quotes", "this_week"),
    ):
        factory.lead(
            metro=metro,
            category=category,
            mode=mode,
            urgency=urgency,
            created_at=real_clock.now() - timedelta(hours=hours),
            requested_provider_id=p.id if mode == "direct" else None,
        )
    factory.lead(metro=metro, category=category, created_at=real_clock.now() - timedelta(days=5))  # too old
    factory.lead(metro=metro, category=category, created_at=real_clock.now() - timedelta(hours=1))  # today
    db.session.commit()
    scenario = metro_day.scenario_for(db.session, metro, seed=1, replay_days=2)
    arrivals = scenario.arrivals
    assert [(a.mode, a.urgency) for a in arrivals] == [
        ("direct", "flexible"),
        ("broadcast", "emergency"),
        ("quotes", "this_week"),
    ]
    tiers = scenario.provider_tiers()
    assert tiers[arrivals[0].direct_to] == "growth"  # a synthetic provider of the real one's tier
    assert set(vars(arrivals[0])) == {"at", "mode", "urgency", "direct_to"}  # nothing else is carried
    report = simulate.run(scenario, simulate.Plan.of(metro))
    assert report.leads == 3


def test_simulated_time_is_this_threads_only():
    seen = {}
    with real_clock.simulated(datetime(2030, 1, 1, tzinfo=UTC)) as sim:
        sim.advance(timedelta(minutes=5))
        other = threading.Thread(target=lambda: seen.setdefault("other", real_clock.now()))
        other.start()
        other.join()
        assert real_clock.now() == datetime(2030, 1, 1, 0, 5, tzinfo=UTC)
        with pytest.raises(ValueError):
            sim.set(datetime(2029, 1, 1, tzinfo=UTC))
    assert seen["other"].year < 2030 and real_clock.now().year < 2030


def test_gini_of_offer_counts():
    assert gini([5, 5, 5, 5]) == 0
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)
    assert gini([]) == 0


def test_the_fairest_gini_gives_each_provider_the_floor_or_ceiling_of_its_share():
    assert fairest_gini(0, 5) == 0 and fairest_gini(3, 0) == 0
    assert fairest_gini(10, 5) == 0  # an even split
    assert fairest_gini(1, 4) == pytest.approx(0.75)  # [0, 0, 0, 1]
    assert fairest_gini(3, 2) == pytest.approx(gini([1, 2])) == pytest.approx(1 / 6)
    assert fairest_gini(7, 3) == pytest.approx(gini([2, 2, 3]))
    assert fairest_gini(5, 120) == pytest.approx(1 - 5 / 120)  # fewer offers than providers: 1 - k/n
    assert fairest_gini(175, 90) == pytest.approx(gini([1] * 5 + [2] * 85))
    for k, n in ((4, 9), (9, 4), (13, 13), (30, 7)):  # no split of k among n scores lower
        split = [k // n] * n
        split[0] += k % n
        assert fairest_gini(k, n) <= gini(split) + 1e-12


def test_the_unfilled_breakdown_adds_up_and_tiers_say_whether_rotation_reached_the_floor():
    report = simulate.run(small(leads=80, mix={"broadcast": 0.5, "quotes": 0.2, "direct": 0.3}), plan(2))
    assert sum(report.unfilled.values()) == report.leads - report.filled
    assert sum(report.late.values()) == report.filled - report.filled_in_20
    assert sum(report.unfilled.values()) + sum(report.late.values()) == report.leads - report.filled_in_20
    assert report.stats["offer_now"] + report.stats["consent_yes"] > 0  # customers opened waiting requests
    for t in report.tiers:
        assert t.fairest == pytest.approx(fairest_gini(t.offers, t.providers), abs=1e-4)
        assert t.gini >= t.fairest - 1e-4
        assert t.at_fairest == (t.most - t.least <= 1)
    as_dict = report.as_dict()
    assert as_dict["unfilled"] == report.unfilled and "fairest" in as_dict["tiers"][0]


def test_unfilled_reasons_read_as_words():
    assert unfilled_reason(False, "direct", "verified", "pending", None) == "direct, waiting for the chosen provider"
    assert unfilled_reason(False, "direct", "verified", "pending", "no") == "direct, the customer chose to keep waiting"
    assert (
        unfilled_reason(True, "broadcast", "verified", "pending", "yes")
        == "direct opened to others, unaccepted (escrow inbox)"
    )
    assert unfilled_reason(False, "broadcast", "verified", "pending", None) == "broadcast, unaccepted (escrow inbox)"
    assert unfilled_reason(False, "quotes", "verified", "quoting", None) == "quotes, nobody unlocked"
    assert unfilled_reason(False, "broadcast", "pending", "new", None) == "not routed (pending)"


def test_flask_simulate_prints_both_plans(app, db, factory):
    metro = factory.metro("Houston", slug="houston")
    category = factory.category()
    factory.provider(metro=metro, categories=[category], tier="pro")
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "simulate",
            "--metro",
            "houston",
            "--leads",
            "15",
            "--plan",
            '[{"tiers": ["pro"], "size": 2, "minutes": 3}]',
        ]
    )
    assert result.exit_code == 0, result.output
    assert "== current plan ==" in result.output and "== candidate plan ==" in result.output
    assert "pro ×2 / 3 min" in result.output and "fill rate" in result.output
    assert "never filled" in result.output and "fairest" in result.output
    bad = runner.invoke(args=["simulate", "--plan", '[{"tiers": ["gold"], "size": 0}]'])
    assert bad.exit_code != 0 and "--plan" in bad.output
