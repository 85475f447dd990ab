"""An admin creates an API partner and a key in a real Chromium; the key (shown once) works
against the live API, then the admin revokes it and the API refuses it."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from app import demo

pytestmark = pytest.mark.browser


def api_post(base, key, body):
    request = urllib.request.Request(
        base + "/api/v1/leads",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_admin_issues_a_key_that_creates_leads_until_revoked(live_server, page, db):
    demo.seed(db.session)
    db.session.commit()
    base = live_server.url
    page.goto(base + "/auth/login")
    page.get_by_label("Email").fill(demo.ADMIN_EMAIL)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Partners").first.click()
    page.get_by_label("Name").fill("K")  # too short: the field says why
    page.get_by_role("button", name="Create partner").click()
    expect(page.locator("#partner-name-error")).to_contain_text("Name: enter the partner's name")
    page.get_by_label("Name").fill("Kitchen Compliance Co")
    page.get_by_role("button", name="Create partner").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kitchen Compliance Co")
    page.get_by_label("Label (optional)").fill("production server")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("It is shown only once")).to_be_visible()
    key = page.get_by_label("API key").input_value()
    assert key.startswith("ffk_")
    page.screenshot(path="/tmp/h7-partner-key.png", full_page=True)
    page.get_by_role("link", name="Partners").last.click()
    expect(page.get_by_role("row", name="Kitchen Compliance Co")).to_contain_text("active")

    body = {
        "mode": "broadcast",
        "metro": "houston",
        "category": "grease-trap-pumping",
        "description": "Quarterly pumping for a 750 gallon trap.",
        "customer_name": "Lee Wong",
        "customer_email": "lee.wong@example.com",
        "city": "Houston",
        "status": "verified",
    }
    status, created = api_post(base, key, body)
    assert status == 201 and created["mode"] == "broadcast"

    page.get_by_role("link", name="Kitchen Compliance Co").click()  # the key is never shown again
    expect(page.get_by_text("It is shown only once")).to_have_count(0)
    expect(page.get_by_text("1 lead sent through the API")).to_be_visible()
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("revoked: requests with it now get 401")).to_be_visible()
    page.screenshot(path="/tmp/h7-partner-revoked.png", full_page=True)
    status, refused = api_post(base, key, {**body, "description": "Another pumping next month."})
    assert status == 401 and refused["error"] == "unauthorized"
