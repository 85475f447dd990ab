"""Recurring compliance in a real Chromium (issue 12): a restaurant files a request with its
trap, the provider records the pump-out (the manifest), 76 days later the sweep's reminder
reaches the real SMTP catcher, and the customer books the same provider again in one click."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import demo
from app.models import Lead, ServiceRecord
from app.platform import sweep

pytestmark = pytest.mark.browser

PRO = "Houston Pro Pumping"


def test_request_with_trap_manifest_reminder_and_one_click_rebooking(live_server, db, page, browser, smtp, clock):
    clock.freeze(clock.now())
    demo.seed(db.session)
    db.session.commit()
    base = live_server.url
    today = clock.local(clock.now(), "America/Chicago").date()

    # The restaurant asks Houston Pro Pumping, describing its trap.
    page.goto(f"{base}/p/houston-pro-pumping/request")
    page.get_by_label("Service needed").select_option(label="Grease trap pumping")
    page.get_by_label("What do you need done?").fill("Quarterly pump-out of our interceptor, please.")
    page.get_by_label("Business name (optional)").fill("Casa Verde Cocina")
    page.get_by_label("Street address (optional)").fill("77 Polk St")
    page.get_by_label("City").fill("Houston")
    page.get_by_label("ZIP code").fill("77002")
    page.get_by_label("Trap type (optional)").select_option(label="Outdoor interceptor")
    page.get_by_label("Trap size in gallons").fill("1000000000")  # a typo first: told, nothing saved
    page.get_by_label("Last pumped (optional)").fill((today - timedelta(days=85)).isoformat())
    page.get_by_label("Access notes (optional)").fill("Manhole behind the walk-in cooler")
    page.get_by_label("How soon?").select_option("this_week")
    page.get_by_label("Your name").fill("Elena Ruiz")
    page.get_by_label("Email").fill("elena@casaverde.example")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#trap_capacity_gallons-error")).to_contain_text("whole number")
    assert db.session.scalar(select(Lead).where(Lead.customer_email == "elena@casaverde.example")) is None
    db.session.rollback()  # SQLite: the test's read must not hold the lock the server needs
    page.get_by_label("Trap size in gallons").fill("1,500")
    page.get_by_role("button", name="Send request").click()
    expect(page).to_have_url(re.compile(r"/t/"))

    # The provider sees the trap on the job, records the service (the manifest).
    provider = browser.new_context().new_page()
    provider.goto(base + "/auth/login")
    provider.get_by_label("Email").fill("houston-pro-pumping@demo.fogforge.local")
    provider.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    provider.get_by_role("button", name="Sign in").click()
    provider.get_by_role("link", name="Inbox", exact=True).first.click()
    provider.get_by_role("link", name=re.compile("Grease trap pumping in Houston")).first.click()
    expect(provider.locator(".lead-card")).to_contain_text("Outdoor interceptor, 1,500 gal")
    expect(provider.locator(".lead-card")).to_contain_text("Manhole behind the walk-in cooler")
    provider.get_by_role("link", name="Record the service").click()
    provider.get_by_label("Gallons removed").fill("1,450")
    provider.get_by_label("How full before service (%)").fill("20")
    provider.get_by_label("Transporter registration number").fill("TX-GT-20931")
    provider.get_by_label("Vehicle").fill("Vac truck 7")
    provider.get_by_label("Driver").fill("Luis Ortega")
    provider.get_by_label("Disposal facility").fill("Houston Grease Recycling")
    provider.get_by_label("Signed for the restaurant by").fill("Elena Ruiz")
    provider.get_by_role("button", name="Save service record").click()
    expect(provider.locator(".flashes")).to_contain_text("Service recorded: manifest FM-")
    record = db.session.scalar(select(ServiceRecord).order_by(ServiceRecord.id.desc()))
    db.session.rollback()
    expect(provider.locator("#service-heading").locator("..")).to_contain_text(record.number)

    # 76 days later the sweep reminds the restaurant; the email reaches the SMTP catcher.
    clock.advance(timedelta(days=76))
    counts = sweep.run(db.session)
    db.session.commit()
    assert counts["compliance"] >= 1, counts
    [reminder] = smtp.wait_for(
        1, timeout=20, match=lambda m: m["To"] == "elena@casaverde.example" and "is due" in str(m["Subject"])
    )
    text = smtp.text_of(reminder)
    assert f"Book {PRO} again" in text and "Ask anyone in Houston" in text, text
    book = re.search(r"(http://\S+/rebook/[\w-]+\?mode=direct)", text).group(1)

    # One click books the same provider again: site and trap already filled in.
    page.goto(book)
    page.get_by_role("button", name=f"Book {PRO}").click()
    expect(page).to_have_url(re.compile(r"/t/"))
    expect(page.locator("#status")).to_contain_text(PRO)
    expect(page.locator("body")).to_contain_text(f"Sent to {PRO}", timeout=15000)  # delivered by the worker
    db.session.expire_all()
    again = db.session.scalar(select(Lead).order_by(Lead.id.desc()))
    first = db.session.scalar(select(Lead).where(Lead.customer_email == "elena@casaverde.example").order_by(Lead.id))
    assert again.id != first.id and again.mode == "direct"
    assert (again.requested_provider.name, again.assigned_provider_id) == (PRO, first.assigned_provider_id)
    assert (again.trap_id, again.site_id, again.street) == (first.trap_id, first.site_id, "77 Polk St")
