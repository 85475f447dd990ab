"""The pipeline in a real Chromium: a provider moves a broadcast lead from new to job done on its
lead page (htmx swaps the pipeline card), and the results page counts the won job."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import demo
from app.core import clock
from app.models import Provider

pytestmark = pytest.mark.browser
PRO = "houston-pro-pumping@demo.fogforge.local"


def test_a_provider_moves_a_broadcast_lead_to_job_done_and_sees_it_on_results(live_server, db, page, factory):
    demo.seed(db.session)
    db.session.commit()
    provider = db.session.scalar(select(Provider).where(Provider.slug == "houston-pro-pumping"))
    lead = factory.lead(
        mode="broadcast",
        metro=provider.home_metro,
        category=provider.categories[0],
        status="verified",
        delivery_status="accepted",
        customer_name="Rosa Pipeline",
        assigned_provider_id=provider.id,
    )
    factory.assignment(lead, provider, kind="broadcast", notified_at=clock.now())
    tz = provider.home_metro.timezone  # read before the commit: no open transaction while the server writes
    db.session.commit()
    base = live_server.url

    page.goto(base + "/auth/login")
    page.get_by_label("Email").fill(PRO)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(base + "/provider/results?days=30")
    won_before = int(page.locator("#won").inner_text())

    page.goto(base + "/provider/inbox?q=Rosa+Pipeline")  # the demo has another Rosa (compliance)
    expect(page.locator(".lead-card")).to_have_count(1)
    expect(page.locator(".lead-card .stage-badge")).to_have_text("New")
    page.locator(".lead-card .card-title a").click()
    card = page.locator("#pipeline")
    expect(card.locator("#stage")).to_have_text("New")
    expect(card).to_contain_text("Contact the customer before marking the lead won.")

    card.get_by_label("What happened? (optional)").fill("Called Rosa, booked a look at the trap")
    card.get_by_role("button", name="Mark contacted").click()
    expect(card.locator("#stage")).to_have_text("Contacted")

    card.get_by_label("Visit date").fill("2020-01-01")  # the past: a field message, the stage stays
    card.get_by_label("Visit time").fill("09:30")
    card.get_by_role("button", name="Schedule visit").click()
    expect(card.locator("#visit_date-error")).to_contain_text("in the future")
    expect(card.locator("#stage")).to_have_text("Contacted")
    tomorrow = (clock.local(clock.now(), tz) + timedelta(days=1)).date().isoformat()
    card.get_by_label("Visit date").fill(tomorrow)
    card.get_by_label("Visit time").fill("09:30")
    card.get_by_role("button", name="Schedule visit").click()
    expect(card.locator("#stage")).to_have_text("Visit scheduled")
    expect(card.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()

    card.get_by_label("Your price (USD)").fill("725")
    card.get_by_role("button", name="Send quote").click()
    expect(card.locator("#stage")).to_have_text("Quoted")
    card.get_by_role("button", name="Mark won").click()
    expect(card.locator("#stage")).to_have_text("Won")
    card.get_by_role("button", name="Mark job done").click()
    expect(card.locator("#stage")).to_have_text("Job done")
    expect(card.locator(".pipeline-timeline")).to_contain_text("Called Rosa, booked a look at the trap")
    page.screenshot(path="/tmp/h14-pipeline-done.png", full_page=True)

    page.get_by_role("link", name="Results", exact=True).click()
    expect(page).to_have_url(re.compile(r"/provider/results"))
    expect(page.locator("#won")).to_have_text(str(won_before + 1))
    expect(page.locator("#revenue-won")).to_contain_text("725")
    expect(page.locator("#cost-per-won")).to_contain_text("per won job")
    page.screenshot(path="/tmp/h14-results.png", full_page=True)
