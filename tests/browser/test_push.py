"""Web Push in a real Chromium: the provider's pages register the service worker (/sw.js, scope
"/"), a push delivered to it through the Chrome DevTools Protocol (ServiceWorker.deliverPushMessage,
what the browser's push service would hand it) becomes a notification with the app's masked text,
and open pages hear about it."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.broadcast import waves
from app.models import OutboxPush, PushSubscription
from app.platform import push

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def until(page, check, what: str, timeout: float = 10.0) -> None:
    """Poll `check` (page.wait_for_function would need eval, which the CSP forbids); waiting
    through the page lets Playwright deliver CDP events meanwhile."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"waited {timeout}s for {what}"
        page.wait_for_timeout(50)


def test_a_push_delivered_to_the_service_worker_shows_the_masked_offer(live_server, db, factory, browser):
    metro, cat = factory.metro("Houston", slug="houston"), factory.category("Grease trap pumping")
    owner = factory.user(email="pro@example.com", password=PASSWORD)
    pro = factory.provider(metro=metro, categories=[cat], owner=owner)
    db.session.add(PushSubscription(provider_id=pro.id, endpoint="https://push.example/x", p256dh="k", auth="a"))
    lead = factory.lead(metro=metro, category=cat, delivery_status="ready", urgency="emergency")
    assert waves.start(db.session, lead)
    db.session.flush()
    row = db.session.scalar(select(OutboxPush).where(OutboxPush.lead_id == lead.id))
    offer_id = lead.offers[0].id
    message = push.payload(row)  # exactly what the app would encrypt and send
    db.session.commit()

    base = live_server.url
    context = browser.new_context()
    context.grant_permissions(["notifications"], origin=base)
    try:
        page = context.new_page()
        page.goto(base + "/auth/login")
        page.get_by_label("Email").fill("pro@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(base + "/provider/settings/notifications")
        expect(page.get_by_role("button", name="Turn on notifications on this device")).to_be_visible()
        manifest = page.evaluate("fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
        assert manifest["display"] == "standalone" and {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}

        scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == base + "/", f"the service worker controls the whole site, got scope {scope}"
        page.evaluate(
            """window.__pushes = [];
            navigator.serviceWorker.addEventListener('message', e => window.__pushes.push(e.data));"""
        )

        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
        cdp.send("ServiceWorker.enable")
        until(page, lambda: any(r["scopeURL"] == base + "/" for r in registrations), "the registration over CDP")
        registration_id = next(r["registrationId"] for r in registrations if r["scopeURL"] == base + "/")
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": base, "registrationId": registration_id, "data": json.dumps(message)},
        )

        until(page, lambda: page.evaluate("window.__pushes.length") > 0, "the page to hear about the push")
        shown = page.evaluate(
            """navigator.serviceWorker.ready
                 .then(r => r.getNotifications())
                 .then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))"""
        )
        assert shown, "the service worker showed no notification"
        [note] = shown
        assert note["title"] == "New offer: grease trap pumping in Houston", note
        assert note["body"].endswith("to accept · Emergency (today)"), note
        assert note["url"] == f"{base}/provider/offers#offer-{offer_id}", note
        assert "maria" not in json.dumps(note).lower() and "555" not in json.dumps(note)
        heard = page.evaluate("window.__pushes[0]")
        assert heard["title"] == note["title"] and heard["url"] == note["url"]
        # The control: with push support it says where this device stands, and turning it on
        # either saves the subscription or says in words why not (a browser without a push
        # service, as this test Chromium is, refuses the subscription).
        status = page.locator("#push-status")
        expect(status).to_have_text("Notifications are off for this device.")
        page.get_by_role("button", name="Turn on notifications on this device").click()
        expect(status).to_have_text(
            re.compile(r"^(Notifications are on for this device|This browser could not turn on notifications \(.+\))"),
            timeout=15000,
        )
    finally:
        context.close()
