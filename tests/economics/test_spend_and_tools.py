"""Spend control (weekly budget, pause until) and the premium tools (auto-reply, CSV export)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from app.broadcast import pool
from app.economics import pauses
from app.leads import eligibility
from app.models import Assignment, Notification, OutboxEmail
from app.pipeline import autoreply, spend, stages
from app.quotes import credits, matching, pricing, unlock
from tests.conftest import refusal_of
from tests.quote_helpers import fund, houston_market, quoting_lead


def test_an_unlock_over_the_weekly_budget_is_refused_and_charges_nothing(db, factory):
    metro, cat = houston_market(factory)
    provider = factory.provider(metro=metro, categories=[cat], tier="growth", weekly_budget=2)
    fund(db.session, provider, 20)
    first = quoting_lead(factory, metro, cat, status="verified", urgency="flexible", budget="under_300")
    second = quoting_lead(factory, metro, cat, status="verified", urgency="emergency", budget="over_1200")
    db.session.flush()
    unlock.unlock(db.session, first.id, provider, pricing.lead_price(first, provider))
    spent = spend.spent_this_week(db.session, provider.id)
    cost = pricing.lead_price(second, provider)
    assert spent + cost > 2, (spent, cost)
    balance = credits.balance(db.session, provider.id)
    refusal = refusal_of(unlock.unlock, db.session, second.id, provider, cost)
    assert refusal.message.startswith("Over your weekly budget") and "Nothing was charged" in refusal.message
    assert credits.balance(db.session, provider.id) == balance, "a refused unlock charged credits"
    assert db.session.scalar(select(Assignment).where(Assignment.lead_id == second.id)) is None
    assert credits.ledger_sum(db.session, provider.id) == balance


def test_quote_notifications_say_over_your_weekly_budget(db, factory):
    metro, cat = houston_market(factory)
    provider = factory.provider(metro=metro, categories=[cat], tier="growth", weekly_budget=0)
    fund(db.session, provider, 5)
    lead = quoting_lead(factory, metro, cat, status="verified", delivery_status="ready")
    db.session.flush()
    matching.route(db.session, lead)
    note = db.session.scalar(select(Notification).where(Notification.provider_id == provider.id))
    assert note.body.endswith("over your weekly budget"), note.body
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "quote_available"))
    assert email.context["over_budget"] is True


def test_pause_until_keeps_leads_away_then_resumes_by_itself(db, factory, clock):
    provider = factory.provider(tier="growth")
    tz = provider.home_metro.timezone
    day = clock.local(clock.now() + timedelta(days=3), tz).date().isoformat()
    spend.update(db.session, provider, budget="", paused_until=day, auto_reply="")
    assert provider.paused_now and not provider.paused, "pause-until is separate from the vacation flag"
    assert eligibility.direct(provider, 0).reason == "paused"
    lead = factory.lead(metro=provider.home_metro, category=provider.categories[0], status="verified")
    wave = {"tiers": ["pro", "growth", "starter", "free"], "size": 10, "minutes": 5}
    chosen = [c.provider_id for c in pool.choose(db.session, lead, wave, set())]
    assert provider.id not in chosen, f"broadcast offers ignore the pause: {chosen}"
    quote_ids = [p.id for p in matching.candidates(db.session, lead)]
    assert provider.id not in quote_ids, f"quote routing ignores the pause: {quote_ids}"
    past = refusal_of(spend.update, db.session, provider, budget="x", paused_until="2020-01-01", auto_reply="a" * 1001)
    assert set(past.fields) == {"weekly_budget", "paused_until", "auto_reply"}, past.fields
    clock.advance(timedelta(days=4))
    assert not provider.paused_now
    assert pauses.end_pauses(db.session) == 1
    db.session.refresh(provider)
    assert provider.paused_until is None and eligibility.direct(provider, 0).ok
    assert provider.id in [c.provider_id for c in pool.choose(db.session, lead, wave, set())], "offers resume"


def test_the_auto_reply_goes_to_the_customer_with_this_providers_name_only(db, factory, smtp, rq):
    metro, cat = houston_market(factory)
    mine = factory.provider(
        metro=metro, categories=[cat], tier="pro", name="Acme Grease", auto_reply="We'll call you within the hour."
    )
    other = factory.provider(metro=metro, categories=[cat], tier="pro", name="Rival Pumping", auto_reply="Rival here")
    lead = quoting_lead(factory, metro, cat, status="verified")
    db.session.flush()
    unlock.unlock(db.session, lead.id, mine, 0)
    unlock.unlock(db.session, lead.id, other, 0)
    rq.run()
    [reply] = smtp.wait_for(1, match=lambda m: "Acme Grease got your" in str(m["Subject"]))
    text = smtp.text_of(reply) + smtp.html_of(reply)
    assert "We'll call you within the hour." in text and str(reply["To"]) == lead.customer_email
    assert "Rival" not in text, "the auto-reply revealed another provider"
    assert (
        autoreply.send(db.session, db.session.scalar(select(Assignment).where(Assignment.provider_id == mine.id)))
        is False
    ), "sent twice"


def test_a_teaser_delivery_gets_no_auto_reply(db, factory):
    provider = factory.provider(tier="free", auto_reply="Hello!")
    lead = factory.lead(mode="broadcast", status="verified")
    teaser = factory.assignment(lead, provider, kind="broadcast", teaser=True)
    assert autoreply.send(db.session, teaser) is False
    assert db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "auto_reply")) is None


def test_the_csv_round_trips_a_comma_a_quote_and_a_newline(db, factory, as_provider):
    client = as_provider(tier="growth")
    provider = client.provider
    tricky = 'Back door, "blue" gate\nthen left'
    lead = factory.lead(mode="direct", status="verified", description=tricky, customer_name="=HYPERLINK(1)")
    factory.assignment(lead, provider, kind="direct")
    db.session.flush()
    stages.add_note(db.session, lead.id, provider, 'Said "maybe", call back, Tue')
    db.session.commit()
    response = client.get("/provider/leads.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed and "no-store" in response.headers["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1, rows
    assert rows[0]["description"] == tricky
    assert rows[0]["notes"] == 'Said "maybe", call back, Tue'
    assert rows[0]["customer_name"] == "'=HYPERLINK(1)", "a formula must not run in a spreadsheet"
    assert rows[0]["customer_phone"].startswith("+1") or rows[0]["customer_phone"].startswith("(")


def test_the_csv_holds_only_this_providers_non_teaser_leads(db, factory, as_provider):
    client = as_provider(tier="growth")
    me = client.provider
    other = factory.provider()
    rows = {}
    for who, kind, teaser in (
        (me, "direct", False),
        (me, "broadcast", True),
        (other, "quote", False),
        (other, "broadcast", False),
    ):
        lead = factory.lead(
            mode={"quote": "quotes"}.get(kind, kind), status="verified", customer_name=f"{who.name} {kind} {teaser}"
        )
        factory.assignment(lead, who, kind=kind, teaser=teaser)
        rows[(who.id, kind, teaser)] = lead.id
    db.session.commit()
    body = client.get("/provider/leads.csv").get_data(as_text=True)
    got = {int(r["lead_id"]) for r in csv.DictReader(io.StringIO(body))}
    assert got == {rows[(me.id, "direct", False)]}, (got, rows)
    assert other.name not in body
    assert "Teaser leads are not included" in client.get("/provider/tools").get_data(as_text=True)


def test_the_tools_page_saves_with_field_messages(db, factory, as_provider):
    client = as_provider(tier="growth")
    bad = client.post(
        "/provider/tools", data={"weekly_budget": "-3", "paused_until": "2001-01-01", "auto_reply": "\x00"}
    )
    assert bad.status_code in (400, 422), bad.status_code
    bad = client.post("/provider/tools", data={"weekly_budget": "-3", "paused_until": "2001-01-01", "auto_reply": "ok"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "whole number of credits" in body and "Choose a date after today" in body
    ok = client.post("/provider/tools", data={"weekly_budget": "12", "paused_until": "", "auto_reply": "Thanks!"})
    assert ok.status_code == 303
    db.session.refresh(client.provider)
    assert (client.provider.weekly_budget, client.provider.auto_reply) == (12, "Thanks!")


def test_a_teaser_lead_visibly_lacks_the_premium_tools(db, factory, as_provider):
    client = as_provider(tier="free")
    lead = factory.lead(mode="broadcast", status="verified")
    factory.assignment(lead, client.provider, kind="broadcast", teaser=True)
    paid = factory.lead(mode="broadcast", status="verified")
    factory.assignment(paid, client.provider, kind="broadcast")
    db.session.commit()
    from tests.dom import has, text_of

    page = client.get(f"/provider/inbox/{lead.id}")
    assert "premium tools are not included" in text_of(page, "#teaser-tools")
    other = client.get(f"/provider/inbox/{paid.id}")
    assert not has(other, "#teaser-tools") and "CSV export" in text_of(other, "#premium-tools")


def test_direct_delivery_and_broadcast_accept_send_the_auto_reply(db, factory):
    from app.broadcast import offer_actions
    from app.direct import direct

    provider = factory.provider(tier="growth", auto_reply="On our way soon.")
    direct_lead = factory.lead(
        mode="direct", status="verified", delivery_status="ready", requested_provider_id=provider.id
    )
    db.session.flush()
    direct.deliver(db.session, direct_lead, provider, how="routing")
    broadcast_lead = factory.lead(mode="broadcast", status="verified", delivery_status="offering", current_wave=1)
    offer = factory.offer(broadcast_lead, provider)
    db.session.flush()
    offer_actions.accept(db.session, offer.id, provider.id)
    replies = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "auto_reply")).all()
    assert sorted(r.lead_id for r in replies) == sorted([direct_lead.id, broadcast_lead.id]), replies
    assert all(
        r.context["provider_name"] == provider.name and r.context["message"] == "On our way soon." for r in replies
    )


def test_a_direct_request_held_by_a_pause_is_delivered_when_it_ends(db, factory, clock):
    from app.leads import routing

    provider = factory.provider(tier="growth")
    day = clock.local(clock.now() + timedelta(days=2), provider.home_metro.timezone).date().isoformat()
    spend.update(db.session, provider, budget="", paused_until=day, auto_reply="")
    lead = factory.lead(mode="direct", status="verified", delivery_status="new", requested_provider_id=provider.id)
    db.session.flush()
    assert routing.route(db.session, lead.id)
    db.session.refresh(lead)
    assert (lead.delivery_status, lead.escrow_reason) == ("pending", "paused")
    assert pauses.end_pauses(db.session) == 0, "ended a pause before its date"
    clock.advance(timedelta(days=3))
    assert pauses.end_pauses(db.session) == 1
    db.session.refresh(lead)
    assert lead.delivery_status == "delivered" and lead.assigned_provider_id == provider.id
