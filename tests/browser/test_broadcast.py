"""A broadcast request watched live in three browsers: two providers see the offer arrive, one
accepts, the other's card turns to "taken" without a reload, and the customer sees the winner."""

import re

import pytest
from playwright.sync_api import expect

from app import demo
from tests.browser.helpers import fill_request

pytestmark = pytest.mark.browser
PASSWORD = "fogforge-demo-2026"


def sign_in(page, base, email):
    page.goto(base + "/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(base + "/provider/offers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Broadcast offers")


def test_two_providers_race_for_a_broadcast_live_and_the_customer_sees_the_winner(
    live_server, db, page, browser, app, smtp, monkeypatch
):
    monkeypatch.setitem(app.config, "OFFER_POLL_SECONDS", 1)  # restored after the test
    monkeypatch.setitem(app.config, "TRACKING_POLL_SECONDS", 1)
    demo.seed(db.session)
    db.session.commit()
    base = live_server.url
    pro_ctx, growth_ctx = browser.new_context(), browser.new_context()
    try:
        pro, growth = pro_ctx.new_page(), growth_ctx.new_page()
        sign_in(pro, base, "houston-pro-pumping@demo.fogforge.local")
        sign_in(growth, base, "houston-growth-grease-services@demo.fogforge.local")
        expect(pro.get_by_text("No open offers right now")).to_be_visible()

        # The customer asks "anyone in Houston".
        page.goto(base + "/m/houston/request/broadcast")
        fill_request(page, "Trap backing up into the kitchen, need it pumped today.")
        expect(page).to_have_url(re.compile(r"/t/[A-Za-z0-9_-]{43,}$"))
        expect(page.locator(".status-headline")).to_have_text("Finding a provider", timeout=15000)
        expect(page.locator(".timeline")).to_contain_text("Offered to 2 providers near you.")

        # Both providers see the offer arrive without reloading, masked, with a countdown.
        pro_card = pro.locator("article.offer-card").first
        growth_card = growth.locator("article.offer-card").first
        for card in (pro_card, growth_card):
            expect(card).to_contain_text("Grease trap pumping in Houston", timeout=10000)
            expect(card).to_contain_text("Maria G.")
            expect(card).to_contain_text("(***) ***-0142")
            expect(card.locator(".countdown")).to_have_text(re.compile(r"^[45]:\d\d$"))
        pro.screenshot(path="/tmp/h5-offer-open.png", full_page=True)

        pro_card.get_by_role("button", name="Accept lead").click()
        expect(pro_card).to_contain_text("You accepted this lead")
        expect(pro_card).to_contain_text("Maria Garcia")
        expect(pro_card.get_by_role("link", name="(713) 555-0142")).to_be_visible()

        # The other provider's card changes by itself: taken, still masked, no buttons.
        expect(growth_card).to_contain_text("Taken by another provider", timeout=10000)
        expect(growth_card.get_by_role("button", name="Accept lead")).to_have_count(0)
        expect(growth_card).not_to_contain_text("Maria Garcia")
        growth.screenshot(path="/tmp/h5-offer-taken.png", full_page=True)

        # The customer's tracking page shows the winner.
        expect(page.locator(".status-headline")).to_have_text("Accepted by Houston Pro Pumping", timeout=10000)
        expect(page.get_by_role("link", name="See Houston Pro Pumping's profile")).to_be_visible()
        page.screenshot(path="/tmp/h5-tracking-accepted.png", full_page=True)
        smtp.wait_for(
            1, match=lambda m: m["Subject"] == "Houston Pro Pumping accepted your grease trap pumping request"
        )
    finally:
        pro_ctx.close()
        growth_ctx.close()
