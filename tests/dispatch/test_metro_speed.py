"""Dashboard (issue 13): per metro, the share of verified leads filled within 20 minutes and
answered within 5 minutes, computed from hand-built leads and checked by hand."""

from datetime import UTC, datetime

from app.reporting import metrics
from tests.reporting.test_metrics import assign, at, now  # noqa: F401 - the fixture


def test_fill_within_20_and_answered_within_5_minutes_per_metro(db, factory, now):  # noqa: F811
    houston, dallas = factory.metro("Houston"), factory.metro("Dallas")
    category = factory.category()
    p = factory.provider(metro=houston)

    def lead(metro, got_after_seconds=None, **kw):
        made = factory.lead(metro=metro, category=category, created_at=at(9, 10), **kw)
        if got_after_seconds is not None:
            assign(db, made, p, datetime.fromtimestamp(at(9, 10).timestamp() + got_after_seconds, UTC))
        return made

    lead(houston, 60)  # 1 min: answered within 5, filled within 20
    lead(houston, 300)  # exactly 5 min: both
    lead(houston, 301)  # just over 5 min: filled within 20 only
    lead(houston, 1200)  # exactly 20 min: filled
    lead(houston, 1201)  # just over 20: reached a provider, but not within 20 minutes
    lead(houston)  # never filled
    lead(houston, 10, status="spam")  # never verified: not counted
    lead(dallas, 30, status="completed")
    factory.lead(metro=dallas, category=category, created_at=at(1, 10))  # before the period

    speeds = metrics.speed_per_metro(db.session, metrics.Period.last(7))

    assert [(s.metro, s.total, s.filled_in_20, s.answered_in_5) for s in speeds] == [
        ("Dallas", 1, 1, 1),
        ("Houston", 6, 4, 2),
    ], speeds
    assert speeds[1].fill_rate_20 == 4 / 6 and speeds[1].answered_rate_5 == 2 / 6
    assert metrics.dashboard(db.session, 7).speed_by_metro == speeds


def test_dashboard_shows_the_per_metro_speed_chart_with_its_table(db, factory, now, as_admin):  # noqa: F811
    houston = factory.metro("Houston")
    p = factory.provider(metro=houston)
    made = factory.lead(metro=houston, created_at=at(10, 9))
    assign(db, made, p, at(10, 9, 3))
    factory.lead(metro=houston, created_at=at(10, 9))
    db.session.commit()
    html = as_admin.get("/admin/?days=7").get_data(as_text=True)
    assert "Filled fast, per metro" in html and 'id="chart-metro-speed"' in html
    assert "Houston · within 20 min" in html and "50% · 1/2" in html, html
