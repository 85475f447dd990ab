"""Per-metro charts keep the busiest TOP_METROS metros and fold the rest into one row, so the
dashboard's size does not grow with the number of metros (issue 10)."""

from app.reporting import metrics


def test_leads_fill_and_speed_per_metro_fold_the_quiet_metros(db, factory):
    category = factory.category()
    for i in range(metrics.TOP_METROS + 2):
        metro = factory.metro(f"Metro {i:02d}")
        for _ in range(1 if i >= metrics.TOP_METROS else 2):  # the last two are the quiet ones
            factory.lead(metro=metro, category=category)
    db.session.commit()
    period = metrics.Period.last(30)
    per_metro = metrics.leads_per_metro(db.session, period)
    assert len(per_metro) == metrics.TOP_METROS + 1
    assert per_metro[-1].metro == "Other metros (2)" and per_metro[-1].total == 2
    assert sum(m.total for m in per_metro) == 2 * metrics.TOP_METROS + 2, "no lead lost in the fold"
    fills = metrics.fill_rate(db.session, period).by_metro
    assert [f.label for f in fills][-1] == "Other metros (2)" and fills[-1].total == 2
    assert "Metro 13" not in [f.label for f in fills] and "Metro 00" in [f.label for f in fills]
    speeds = metrics.speed_per_metro(db.session, period)  # issue 13's "Filled fast, per metro"
    assert len(speeds) == metrics.TOP_METROS + 1, [s.metro for s in speeds]
    assert (speeds[-1].metro, speeds[-1].total) == ("Other metros (2)", 2)
    assert sum(s.total for s in speeds) == 2 * metrics.TOP_METROS + 2, "no lead lost in the fold"
