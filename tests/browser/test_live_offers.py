"""Issue 11: live offer windows in two providers' browsers. An offer filed by a customer appears
on both open offers pages without a reload; one accepts and the other's card turns "taken"
without a reload; and on a third card, a chosen decline reason and the keyboard focus on its
Accept button survive 10 s of other events (new offers and notifications arriving by poll)."""

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app import demo
from app.broadcast import waves
from app.models import Category, Metro, Provider
from app.platform import notify
from tests.browser.helpers import fill_request

pytestmark = pytest.mark.browser
PASSWORD = "fogforge-demo-2026"
PRO, GROWTH = "houston-pro-pumping@demo.fogforge.local", "houston-growth-grease-services@demo.fogforge.local"


def sign_in(page, base, email):
    page.goto(base + "/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(base + "/provider/offers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Broadcast offers")


def card_titled(page, customer: str):
    return page.locator("article.offer-card", has_text=customer)


def test_offers_arrive_and_turn_taken_live_and_nothing_changes_under_the_provider(
    live_server, db, page, browser, app, smtp
):
    demo.seed(db.session)
    db.session.commit()
    base = live_server.url
    houston = db.session.scalar(select(Metro).where(Metro.slug == "houston"))
    pumping = db.session.scalar(select(Category).where(Category.slug == "grease-trap-pumping"))
    growth_provider = db.session.scalar(select(Provider).where(Provider.slug == "houston-growth-grease-services"))
    db.session.commit()  # SQLite: never hold a transaction open while the browsers write
    pro_ctx, growth_ctx = browser.new_context(), browser.new_context()
    try:
        pro, growth = pro_ctx.new_page(), growth_ctx.new_page()
        polls: list[tuple[str | None, int]] = []  # (token header htmx sent, status) of growth's polls
        growth.on(
            "response",
            lambda r: (
                polls.append((r.request.headers.get("x-poll-token"), r.status)) if "/offers/poll" in r.url else None
            ),
        )
        sign_in(pro, base, PRO)
        sign_in(growth, base, GROWTH)
        expect(growth.get_by_text("No open offers right now")).to_be_visible()
        expect(growth).to_have_title("Offers · FogForge")

        # A customer files a broadcast request: both open pages show it without a reload.
        page.goto(base + "/m/houston/request/broadcast")
        fill_request(page, "Trap backing up into the kitchen, need it pumped today.", name="Ana Alpha")
        expect(page).to_have_url(re.compile(r"/t/[A-Za-z0-9_-]{43,}$"))
        for who in (pro, growth):
            card = card_titled(who, "Ana A.")
            expect(card).to_contain_text("Grease trap pumping in Houston", timeout=10000)
            expect(card.locator(".countdown")).to_have_text(re.compile(r"^[45]:\d\d$"))
        expect(growth).to_have_title("(1) Offers · FogForge")

        # The pro accepts; the growth provider's card turns "taken" by itself, buttons gone.
        mine = pro.locator("#" + card_titled(pro, "Ana A.").get_attribute("id"))
        mine.get_by_role("button", name="Accept lead").click()
        expect(mine).to_contain_text("You accepted this lead")
        expect(mine).to_contain_text("Ana Alpha")
        taken = card_titled(growth, "Ana A.")
        expect(taken).to_contain_text("Taken by another provider", timeout=10000)
        expect(taken.get_by_role("button", name="Accept lead")).to_have_count(0)
        expect(taken).not_to_contain_text("Ana Alpha")
        expect(growth).to_have_title("Offers · FogForge")

        # A third card: the provider picks a reason and tabs to Accept, then thinks.
        demo_lead(db, houston, pumping, "Bea Busy")
        card = card_titled(growth, "Bea B.")
        expect(card).to_be_visible(timeout=10000)
        card.get_by_label("Reason (optional)").select_option("too_far")
        accept = card.get_by_role("button", name="Accept lead")
        accept.focus()
        expect(accept).to_be_focused()

        # 10 s of other events, each reaching the page by a poll with changes.
        started, n = time.monotonic(), 0
        while time.monotonic() - started < 10:
            n += 1
            demo_lead(db, houston, pumping, f"Extra Customer{n}")
            notify.notify(db.session, growth_provider, "direct_lead", f"Something else {n}")
            db.session.commit()
            time.sleep(2)
        expect(growth.locator("article.offer-card")).to_have_count(2 + n, timeout=10000)
        expect(growth.locator(".bell-count")).to_be_visible()

        assert card.get_by_label("Reason (optional)").input_value() == "too_far", "the decline reason snapped back"
        expect(accept).to_be_focused()
        expect(card.locator(".offer-status")).to_contain_text("Open")
        expect(growth).to_have_title(f"({1 + n}) Offers · FogForge")
        growth.screenshot(path="/tmp/i11-live-offers.png", full_page=True)
        assert polls and all(token for token, _ in polls), f"every poll carries the page's token: {polls[:5]}"
        assert any(status == 204 for _, status in polls), f"unchanged polls answer 204: {polls}"
    finally:
        pro_ctx.close()
        growth_ctx.close()


def demo_lead(db, metro, category, name):
    """A broadcast request straight into the database (the public form is rate limited)."""
    from app.models import Lead

    lead = Lead(
        mode="broadcast",
        metro=metro,
        category=category,
        description="Trap needs pumping",
        customer_name=name,
        customer_email=f"{name.split()[0].lower()}@example.com",
        customer_phone="+17135550100",
        city="Houston",
        status="verified",
        delivery_status="ready",
        quality_score=80,
        urgency="this_week",
    )
    db.session.add(lead)
    db.session.flush()
    waves.start(db.session, lead)
    db.session.commit()
