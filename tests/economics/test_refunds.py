"""Money back without asking: the unlock is refunded once, with its reason, when the customer's
email hard-bounces (a real SMTP server answers 550) and no valid phone was given, when the
customer never opens the request within 48 h, or when an admin closes the lead as spam or
duplicate; never for a lead the customer opened; exactly once under two concurrent sweeps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.economics import refunds
from app.leads import intake
from app.models import Assignment, CreditEntry, Lead
from app.quotes import credits, disputes, pricing, unlock
from tests.quote_helpers import fund, houston_market, quoting_lead


def _unlocked(db, factory, market=None, **lead_kw):
    metro, cat = market or houston_market(factory)
    provider = factory.provider(metro=metro, categories=[cat], tier="growth")
    fund(db.session, provider, 10)
    lead = quoting_lead(factory, metro, cat, status="verified", **lead_kw)
    db.session.flush()
    cost = pricing.lead_price(lead, provider)
    unlock.unlock(db.session, lead.id, provider, cost)
    assignment = db.session.scalar(select(Assignment).where(Assignment.lead_id == lead.id))
    return provider, lead, assignment


def _refunds(db, provider_id):
    return list(
        db.session.scalars(
            select(CreditEntry).where(CreditEntry.provider_id == provider_id, CreditEntry.kind == "refund")
        )
    )


def test_a_hard_bounce_with_no_phone_refunds_the_unlock_once(db, factory, smtp, rq, clock):
    provider, lead, a = _unlocked(db, factory, customer_email="gone@example.com", customer_phone=None)
    smtp.refuse_rcpt = {"gone@example.com"}
    intake.queue_confirmation(db.session, lead)
    rq.run()  # the real aiosmtpd server answers 550 at RCPT
    lead = db.session.get(Lead, lead.id)
    assert lead.email_bounced_at is not None, "the 550 did not mark the lead"
    assert refunds.sweep_refunds(db.session) == 1
    assert refunds.sweep_refunds(db.session) == 0, "refunded twice"
    [entry] = _refunds(db, provider.id)
    assert entry.amount == a.credits_spent and refunds.reason_of(entry) == "bounce", (entry.amount, entry.reference)
    assert "email bounced" in entry.note
    assert credits.balance(db.session, provider.id) == 10


def test_a_temporary_refusal_or_a_valid_phone_is_no_bounce_refund(db, factory, smtp, rq, clock):
    provider, lead, a = _unlocked(db, factory, customer_email="gone@example.com")  # with a valid phone
    smtp.refuse_rcpt = {"gone@example.com"}
    intake.queue_confirmation(db.session, lead)
    rq.run()
    assert db.session.get(Lead, lead.id).email_bounced_at is not None
    assert refunds.sweep_refunds(db.session) == 0, "refunded although the customer gave a valid phone"
    assert _refunds(db, provider.id) == []


def test_never_opened_in_48_hours_is_refunded_but_an_opened_lead_never(db, factory, anon, clock):
    provider, lead, a = _unlocked(db, factory)
    other_provider, opened_lead, _ = _unlocked(db, factory, market=(lead.metro, lead.category))
    db.session.commit()
    clock.advance(timedelta(hours=1))
    assert anon.get(f"/t/{opened_lead.public_token}").status_code == 200  # the customer looks
    clock.advance(timedelta(hours=46, minutes=58))
    assert refunds.sweep_refunds(db.session) == 0, "refunded before 48 hours"
    clock.advance(timedelta(minutes=2))
    assert refunds.sweep_refunds(db.session) == 1
    assert [refunds.reason_of(e) for e in _refunds(db, provider.id)] == ["unopened"]
    assert _refunds(db, other_provider.id) == [], "refunded a lead the customer opened"


def test_an_admin_closing_an_unlocked_lead_as_spam_refunds_it(db, factory, clock):
    provider, lead, a = _unlocked(db, factory)
    admin = factory.admin()
    text = refunds.close_unlocked(db.session, lead, admin, "duplicate")
    assert "refunded" in text and lead.status == "cancelled"
    [entry] = _refunds(db, provider.id)
    assert refunds.reason_of(entry) == "duplicate"
    clock.advance(timedelta(days=3))
    assert refunds.sweep_refunds(db.session) == 0, "the 48 h rule refunded it a second time"
    assert disputes.refund_unlock(db.session, a, admin) is False, "a dispute refunded it a second time"


@pytest.mark.parametrize("threads", [2])
def test_two_concurrent_sweeps_refund_exactly_once(db, factory, race, clock, threads):
    provider, lead, a = _unlocked(db, factory)
    db.session.commit()
    clock.advance(timedelta(hours=49))
    results = race(threads, lambda i: refunds.sweep_refunds(refunds_session()))
    assert not results.errors, results.errors
    assert sorted(results.values) == [0, 1], results
    db.session.expire_all()
    entries = _refunds(db, provider.id)
    assert len(entries) == 1, [(e.id, e.reference) for e in entries]
    assert credits.balance(db.session, provider.id) == credits.ledger_sum(db.session, provider.id) == 10


def refunds_session():
    from app.extensions import db as _db

    return _db.session


def test_a_bad_broadcast_lead_on_a_paid_plan_earns_one_replacement_credit(db, factory, as_provider, as_admin):
    client = as_provider(tier="growth")
    provider = client.provider
    lead = factory.lead(mode="broadcast", status="verified")
    factory.assignment(lead, provider, kind="broadcast")
    teaser_provider = factory.provider(tier="free")
    teaser_lead = factory.lead(mode="broadcast", status="verified")
    teaser = factory.assignment(teaser_lead, teaser_provider, kind="broadcast", teaser=True)
    db.session.commit()
    page = client.get(f"/provider/inbox/{lead.id}").get_data(as_text=True)
    assert "1 replacement credit" in page
    reported = client.post(f"/provider/inbox/{lead.id}/report", data={"reason": "wrong_contact"}, htmx=True)
    assert reported.status_code == 200 and "Reported" in reported.get_data(as_text=True)
    dispute = disputes.dispute_of(db.session, lead.assignments[0].id)
    admin = factory.admin()
    disputes.resolve(db.session, dispute.id, "refund", admin, None)
    assert credits.balance(db.session, provider.id) == 1
    assert disputes.remedy(teaser) == "we take note (teaser leads carry no credit)"
    disputes.report(db.session, teaser_lead.id, teaser_provider, "spam", None)
    disputes.resolve(db.session, disputes.dispute_of(db.session, teaser.id).id, "refund", admin, None)
    assert credits.balance(db.session, teaser_provider.id) == 0


def test_admin_closes_a_held_lead_from_its_page(db, factory, as_admin):
    provider, lead, a = _unlocked(db, factory)
    db.session.commit()
    answer = as_admin.post(f"/admin/leads/{lead.id}/close-held", data={"reason": "spam"}, follow_redirects=True)
    assert "Closed as spam; refunded" in answer.get_data(as_text=True)
    assert [refunds.reason_of(e) for e in _refunds(db, provider.id)] == ["spam"]
    bad = as_admin.post(f"/admin/leads/{lead.id}/close-held", data={"reason": "spam"}, follow_redirects=True)
    assert "already closed" in bad.get_data(as_text=True)
    assert len(_refunds(db, provider.id)) == 1


def test_the_admin_credits_page_shows_each_refund_with_its_reason(db, factory, as_admin, clock):
    provider, lead, a = _unlocked(db, factory)
    db.session.commit()
    clock.advance(timedelta(hours=49))
    refunds.sweep_refunds(db.session)
    db.session.commit()
    page = as_admin.get("/admin/credits")
    from tests.dom import texts_of

    rows = texts_of(page, "table.refund-reasons td")
    assert any("Automatic: The customer didn't open the request or any quote within 48 hours" in r for r in rows), rows


def test_plan_prices_are_validated_and_saved(db, factory, as_admin):
    bad = as_admin.post("/admin/plan-prices", data={"price_pro": "lots", "price_growth": "-1", "price_starter": "49"})
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert "Pro: enter a monthly price" in body and "Growth: enter a monthly price" in body
    from app.economics import prices

    assert prices.all_prices(db.session)["starter"] == 0, "a refused save stored a price"
    ok = as_admin.post(
        "/admin/plan-prices", data={"price_pro": "399", "price_growth": "$199.00", "price_starter": "49"}
    )
    assert ok.status_code == 303
    assert {k: str(v) for k, v in prices.all_prices(db.session).items()} == {
        "pro": "399.00",
        "growth": "199.00",
        "starter": "49.00",
    }


def test_the_dashboard_shows_automatic_refunds_per_day(db, factory, as_admin, clock):
    provider, lead, a = _unlocked(db, factory)
    db.session.commit()
    clock.advance(timedelta(hours=49))
    refunds.sweep_refunds(db.session)
    db.session.commit()
    from tests.dom import texts_of

    page = as_admin.get("/admin/?days=7")
    cells = texts_of(page, "#auto-refunds td, #auto-refunds th[scope=row]")
    assert cells[-3:] == [clock.now().date().isoformat(), "1", str(a.credits_spent)], cells
