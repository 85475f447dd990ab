"""A newcomer signs up, confirms from the email, claims "Houston AAA Grease Trap Cleaners" and
asks for verification; an admin approves it in the queue (htmx); the status card says verified."""

import re

import pytest
from playwright.sync_api import expect

from app import demo

pytestmark = pytest.mark.browser


def test_sign_up_confirm_claim_verify_and_get_approved(live_server, db, page, browser, smtp):
    demo.seed(db.session)
    db.session.commit()
    base = live_server.url

    page.goto(base + "/p/houston-aaa-grease-trap-cleaners")
    page.get_by_role("link", name="Claim it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_role("link", name="Create a provider account").click()
    page.get_by_label("Your name (optional)").fill("Dana Reyes")
    page.get_by_label("Email").fill("dana@aaa-grease.example")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Repeat the password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_contain_text("Use at least 12 characters.")
    page.get_by_label("Password", exact=True).fill("grease-trap-2026!")
    page.get_by_label("Repeat the password").fill("grease-trap-2026!")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Claim Houston AAA Grease Trap Cleaners")

    [message] = smtp.wait_for(1)
    link = re.search(r"(http://\S+/auth/confirm/\S+)", smtp.text_of(message)).group(1)
    assert link.startswith(base)
    page.goto(link)
    expect(page.locator(".flashes")).to_contain_text("Your email is confirmed.")

    page.goto(base + "/p/houston-aaa-grease-trap-cleaners")
    page.get_by_role("link", name="Claim it").click()
    page.get_by_role("button", name="Claim this listing").click()
    expect(page.locator(".flashes")).to_contain_text("You now manage Houston AAA Grease Trap Cleaners")
    page.locator("[data-step=verify]").get_by_role("link", name="Get verified").click()
    page.get_by_label("Business licence number").fill("HOU-LWH-20931")
    page.get_by_label("Service phone").fill("(713) 555-0188")
    page.get_by_label("Anything we should know (optional)").fill("Pumping Houston kitchens since 2009.")
    page.get_by_role("button", name="Send for verification").click()
    expect(page.locator("#provider-status")).to_contain_text("Verification under review")

    admin_context = browser.new_context()
    admin = admin_context.new_page()
    admin.goto(base + "/auth/login")
    admin.get_by_label("Email").fill(demo.ADMIN_EMAIL)
    admin.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    admin.get_by_role("link", name="Verification", exact=True).click()
    item = admin.locator(".verification-item", has_text="Houston AAA Grease Trap Cleaners")
    expect(item).to_contain_text("HOU-LWH-20931")
    expect(item).to_contain_text("(713) 555-0188")
    item.get_by_label("Note to the provider").fill("Licence checked with the City of Houston.")
    item.get_by_role("button", name="Approve").click()
    expect(item.locator(".badge")).to_have_text("approved")  # swapped in place by htmx
    assert admin.url.endswith("/admin/verification")
    admin.screenshot(path="/tmp/h3-admin-queue.png", full_page=True)
    admin_context.close()

    page.goto(base + "/provider/")
    card = page.locator("#provider-status")
    expect(card).to_contain_text("Verified")
    expect(card.locator("[data-step=verify]")).to_contain_text("Verified")
    expect(card).not_to_contain_text("Verification under review")
    page.screenshot(path="/tmp/h3-dashboard.png", full_page=True)
