"""The admin dashboard charts in a real browser (issue 8): the SVG charts render under the CSP
without console errors, the period selector is a plain GET form, the data tables open."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app import demo
from app.core import clock
from app.models import Assignment

pytestmark = pytest.mark.browser


def test_admin_reads_the_charts_and_switches_the_period(live_server, db, factory, page):
    demo.seed(db.session)
    metro, category = factory.metro("Houston Test"), factory.category()
    provider = factory.provider(metro=metro)
    now = clock.now()
    for minutes, hours_ago in ((2, 1), (9, 30), (4, 200)):
        lead = factory.lead(metro=metro, category=category, mode="direct", created_at=now - timedelta(hours=hours_ago))
        db.session.add(
            Assignment(
                lead_id=lead.id,
                provider_id=provider.id,
                kind="direct",
                created_at=lead.created_at + timedelta(minutes=minutes),
            )
        )
    factory.lead(metro=metro, category=category, status="pending")
    db.session.commit()
    errors = []  # CSP violations, script errors and failed requests (favicon included)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    base = live_server.url
    page.goto(base + "/auth/login")
    page.get_by_label("Email").fill(demo.ADMIN_EMAIL)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(base + "/admin/")

    speed = page.locator("figure#speed")
    expect(speed.locator("svg[role=img]")).to_be_visible()
    expect(speed.locator(".chart-figures")).to_contain_text("Leads3")
    expect(speed.locator(".chart-figures")).to_contain_text("Median4 min")
    expect(page.locator("figure#backlog")).to_contain_text("Low quality (held for review)")
    speed.get_by_text("Data table").click()
    expect(speed.locator("table")).to_be_visible()
    page.screenshot(path="/tmp/h8-dashboard-test.png", full_page=True)

    page.get_by_label("Period").select_option("7")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/admin/\?days=7$"))
    expect(page.get_by_role("heading", name="Last 7 days")).to_be_visible()
    expect(speed.locator(".chart-figures")).to_contain_text("Leads2")  # 200 h ago is outside the week
    assert not errors, errors
