"""The seed-000 flow in a real Chromium: a customer asks for quotes in Houston; two providers
unlock and quote; the customer picks one on the tracking page, marks the job done and reviews;
the rating shows on the provider page."""

import re

import pytest
from playwright.sync_api import expect

from app import demo
from tests.browser.helpers import fill_request

pytestmark = pytest.mark.browser

PRO = "houston-pro-pumping@demo.fogforge.local"
GROWTH = "houston-growth-grease-services@demo.fogforge.local"


def provider_quotes(browser, base_url, email, amount, message):
    context = browser.new_context()
    page = context.new_page()
    page.goto(base_url + "/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(base_url + "/provider/quotes")
    expect(page.locator(".quote-item")).to_contain_text("Maria G.")
    page.screenshot(path=f"/tmp/h6-quotes-list-{email.split('-')[1]}.png", full_page=True)
    page.get_by_role("link", name="Grease trap pumping in Houston").click()
    card = page.locator("#quote-card")
    expect(card).to_contain_text("(***) ***-0142")
    card.get_by_role("button", name=re.compile("^Unlock for")).click()
    expect(card).to_contain_text("maria.garcia@gmail.com")  # swapped in by htmx
    card.get_by_label("Your price (USD)").fill(amount)
    card.get_by_label("Message to the customer (optional)").fill(message)
    card.get_by_role("button", name="Send quote").click()
    expect(card).to_contain_text("Quote sent to the customer.")
    return context, page


def test_customer_gets_two_quotes_chooses_one_and_reviews(live_server, db, page, browser, smtp):
    demo.seed(db.session)
    db.session.commit()

    page.goto(live_server.url + "/m/houston")
    page.get_by_role("link", name=re.compile("Get up to 3 quotes")).click()
    fill_request(page, "1,500 gallon trap behind the kitchen, due for pumping.")
    expect(page).to_have_url(re.compile(r"/t/[A-Za-z0-9_-]{43,}$"))
    tracking_url = page.url
    expect(page.locator(".timeline")).to_contain_text("to quote", timeout=10_000)  # routed by the worker

    ctx1, _ = provider_quotes(browser, live_server.url, PRO, "450", "Tuesday morning works.")
    ctx2, growth_page = provider_quotes(browser, live_server.url, GROWTH, "395", "Can come today.")
    expect(growth_page.locator("#quote-card")).to_contain_text("2/3 unlocked")
    growth_page.screenshot(path="/tmp/h6-provider-card.png", full_page=True)

    page.goto(tracking_url)
    expect(page.locator(".status-headline")).to_have_text("2 quotes received")
    expect(page.locator(".quote-offers")).to_contain_text("$395.00")
    expect(page.locator(".quote-offers")).to_contain_text("$450.00")
    page.screenshot(path="/tmp/h6-tracking-quotes.png", full_page=True)
    page.get_by_role("button", name="Choose Houston Growth Grease Services").click()
    expect(page.locator(".status-headline")).to_have_text("You chose Houston Growth Grease Services")
    page.get_by_role("button", name=re.compile("mark it done")).click()
    expect(page.locator(".status-headline")).to_have_text("Job done")
    page.get_by_label("4 stars").check()
    page.get_by_label("Your review").fill("Showed up the same day, clean job.")
    page.get_by_role("button", name="Post review").click()
    expect(page.locator(".review-done")).to_contain_text("Showed up the same day")
    page.screenshot(path="/tmp/h6-tracking-done.png", full_page=True)

    page.goto(live_server.url + "/p/houston-growth-grease-services")
    expect(page.locator(".rating-summary")).to_contain_text("★ 4.0")
    expect(page.locator(".rating-summary")).to_contain_text("1 review")
    expect(page.locator(".review-list")).to_contain_text("Maria G.")
    page.screenshot(path="/tmp/h6-provider-page.png", full_page=True)
    ctx1.close()
    ctx2.close()
