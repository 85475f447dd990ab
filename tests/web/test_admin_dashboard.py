"""The admin dashboard charts (issue 8): an admin sees every chart with its figures and data
table, the period selector works without JS, and the page keeps its CSP (no inline style or
script). Non-admins are refused by the access matrix (tests/web/test_access_matrix.py)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import login

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def dashboard_data(db, factory, clock):
    clock.freeze(NOW)
    houston, dallas = factory.metro("Houston"), factory.metro("Dallas <South> & Co")
    category = factory.category()
    provider = factory.provider(metro=houston)
    # Houston: a direct lead delivered after 2 min, a broadcast accepted 6 min after wave 1
    direct = factory.lead(metro=houston, category=category, mode="direct", created_at=NOW - timedelta(hours=3))
    factory.assignment(direct, provider, kind="direct", created_at=NOW - timedelta(hours=3) + timedelta(minutes=2))
    broadcast = factory.lead(metro=houston, category=category, created_at=NOW - timedelta(days=10))
    factory.offer(
        broadcast,
        provider,
        wave=1,
        state="accepted",
        offered_at=NOW - timedelta(days=10),
        responded_at=NOW - timedelta(days=10) + timedelta(minutes=6),
        expires_at=None,
    )
    factory.assignment(
        broadcast, provider, kind="broadcast", created_at=NOW - timedelta(days=10) + timedelta(minutes=6)
    )
    # Dallas: one lead held for review, waiting for 2 hours
    factory.lead(metro=dallas, category=category, status="pending", created_at=NOW - timedelta(hours=2))
    factory.admin(email="boss@example.com")
    db.session.commit()


def page(client, url="/admin/"):
    if client.get("/admin/").status_code != 200:
        login(client, "boss@example.com", "correct horse battery")
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def chart(html: str, key: str) -> str:
    match = re.search(rf'<figure class="card chart" id="{key}">(.*?)</figure>', html, re.S)
    assert match, key
    return match.group(1)


def test_admin_sees_every_chart_with_its_figures_and_data(client, dashboard_data):
    html = page(client)
    assert "Last 30 days" in html and '<option value="30" selected>' in html
    # the existing cards stay
    assert "leads waiting in escrow" in html and "verification requests waiting" in html
    for key in ("speed", "fill", "accept", "metros", "backlog", "entered"):
        section = chart(html, key)
        assert f'<svg class="chart-svg" id="chart-{key}" role="img"' in section
        assert "<details" in section and "Data table" in section

    speed = chart(html, "speed")
    assert "<dt>Median</dt><dd>2 min</dd>" in speed and "<dt>Leads</dt><dd>2</dd>" in speed
    assert "<dt>90th percentile</dt><dd>6 min</dd>" in speed
    assert "<title>2026-03-10 · Median: 2 min</title>" in speed
    accept = chart(html, "accept")
    assert "<dt>Median</dt><dd>6 min</dd>" in accept and "<td>2026-02-28</td>" not in accept
    assert '<th scope="row">2026-02-28</th><td>1</td><td>6 min</td>' in accept
    fill = chart(html, "fill")
    assert "<dt>Overall</dt><dd>100%</dd>" in fill and "<dt>Reached</dt><dd>2 of 2</dd>" in fill
    metros = chart(html, "metros")
    # metro names are escaped inside the SVG and the table
    assert "Dallas &lt;South&gt; &amp; Co" in metros and "<South>" not in metros
    assert '<th scope="row">Houston</th><td>1</td><td>1</td><td>0</td><td>2</td>' in metros
    backlog = chart(html, "backlog")
    assert "<dt>Waiting</dt><dd>1</dd>" in backlog
    assert '<th scope="row">Low quality (held for review)</th><td>0</td><td>1</td><td>0</td><td>1</td>' in backlog


def test_period_selector_narrows_the_figures(client, dashboard_data):
    html = page(client, "/admin/?days=7")
    assert "Last 7 days" in html and '<option value="7" selected>' in html
    assert re.search(r'<form method="get" action="/admin/"', html)
    # the broadcast lead came in 10 days ago: outside the week
    assert "<dt>Leads</dt><dd>0</dd>" in chart(html, "accept")
    assert "<dt>Leads</dt><dd>1</dd>" in chart(html, "speed")
    assert "Last 30 days" in page(client, "/admin/?days=1000")


def test_dashboard_has_no_inline_style_or_script(client, dashboard_data):
    html = page(client)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_charts_are_cached_per_period_and_say_as_of(app, client, db, factory, dashboard_data, clock, monkeypatch):
    """With DASHBOARD_CACHE_SECONDS, a view within the window shows the figures as of the first
    one (and says when); after the window the new lead is counted."""
    from app.reporting import metrics

    monkeypatch.setitem(app.config, "DASHBOARD_CACHE_SECONDS", 60)
    monkeypatch.setattr(metrics, "_CACHE", {})
    first = page(client)
    assert "Figures as of 12:00:00 UTC (recomputed at most every 60 s)" in first
    assert "<dt>Waiting</dt><dd>1</dd>" in chart(first, "backlog")
    factory.lead(metro=factory.metro("Austin"), status="pending")
    db.session.commit()
    clock.freeze(NOW + timedelta(seconds=30))
    cached = page(client)
    assert "Figures as of 12:00:00 UTC" in cached and "<dt>Waiting</dt><dd>1</dd>" in chart(cached, "backlog")
    clock.freeze(NOW + timedelta(seconds=61))
    fresh = page(client)
    assert "Figures as of 12:01:01 UTC" in fresh and "<dt>Waiting</dt><dd>2</dd>" in chart(fresh, "backlog")


def test_email_card_counts_waiting_emails_and_those_sent_in_the_period(client, factory, db, dashboard_data):
    factory.outbox_email(status="pending")
    factory.outbox_email(status="failed")
    factory.outbox_email(status="sent", sent_at=NOW - timedelta(days=2))
    factory.outbox_email(status="sent", sent_at=NOW - timedelta(days=200))  # outside the 30 days
    db.session.commit()
    html = page(client)
    assert "1 pending · 1 failed · 1 sent in 30 days" in html, re.findall(r"Emails</span>.*?</span>", html, re.S)
