"""The results page answers "what did FogForge cost me per job won?" from the ledger, the plan
price and the pipeline, for 30/90/365 days."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.economics import prices, results
from app.models import PlanPrice
from app.pipeline import stages
from tests.dom import text_of, texts_of


def _lead_won(db, factory, provider, clock, amount, kind="broadcast"):
    lead = factory.lead(mode={"quote": "quotes"}.get(kind, kind), status="verified")
    a = factory.assignment(lead, provider, kind=kind, notified_at=clock.now())
    db.session.flush()
    clock.advance(timedelta(minutes=10))
    stages.transition(db.session, lead.id, provider, "contacted")
    stages.transition(db.session, lead.id, provider, "won", amount=amount)
    return lead, a


def test_cost_per_won_job_from_plan_price_and_credits(db, factory, clock, as_provider):
    client = as_provider(tier="growth")
    provider = client.provider
    db.session.add(PlanPrice(tier="growth", monthly_price=Decimal("300.00")))
    factory.wallet(provider, 10)
    from app.quotes import credits

    credits.post(db.session, provider.id, "spend", -4, "test-spend", reference="lead:0")
    credits.post(db.session, provider.id, "refund", 1, "test-refund", reference="auto_refund:unopened")
    _lead_won(db, factory, provider, clock, "1000")
    _lead_won(db, factory, provider, clock, "500")
    lost = factory.lead(mode="direct", status="verified")
    factory.assignment(lost, provider, kind="direct")
    db.session.flush()
    stages.transition(db.session, lost.id, provider, "lost", reason="price")
    other_lead = factory.lead(mode="broadcast", status="verified")
    factory.offer(other_lead, provider, state="declined")
    db.session.flush()
    r = results.report(db.session, provider, 90)
    assert r.by_mode == {"direct": 1, "broadcast": 2, "quote": 0, "teaser": 0}, r.by_mode
    assert (r.won, r.lost, round(r.win_rate, 2)) == (2, 1, 0.67)
    assert r.revenue_won == Decimal("1500.00")
    assert r.plan_cost == Decimal("900.00"), "three months of a $300 plan"
    assert r.cost_per_won == Decimal("450.00") and r.credits_per_won == 1.5, (r.cost_per_won, r.credits_per_won)
    assert r.response_p50 == 600 and r.response_p90 == 600
    assert r.missed["declined"] == 1
    db.session.commit()
    page = client.get("/provider/results?days=90")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    assert "$450.00" in text_of(page, "#cost-per-won") and "1.5" in text_of(page, "#cost-per-won")
    assert text_of(page, "#won") == "2"
    assert "Declined" in " ".join(texts_of(page, "#results-missed td, #results-missed th"))
    assert client.get("/provider/results?days=7").status_code == 200  # an unknown period falls back


def test_a_period_only_counts_its_own_leads(db, factory, clock, as_provider):
    client = as_provider(tier="starter")
    provider = client.provider
    _lead_won(db, factory, provider, clock, "200")
    clock.advance(timedelta(days=40))
    assert results.report(db.session, provider, 30).won == 0
    assert results.report(db.session, provider, 90).won == 1
    assert prices.monthly_price(db.session, "starter") == 0
