"""Quote-lead emails arrive over real SMTP: "quote lead available" (masked, with the price and
"top up to unlock" when short), the customer's "quote received", "you won" / "customer chose
another provider", and "review received"."""

from sqlalchemy import select

from app.leads import routing
from app.models import Assignment, Lead, Provider
from app.pipeline import stages as pipeline
from app.quotes import customer, reviews, unlock
from tests.quote_helpers import fund, houston_market


def test_the_quote_flow_emails_everyone_over_smtp(db, factory, rq, smtp):
    metro, cat = houston_market(factory)
    pro = factory.provider(metro=metro, categories=[cat], tier="pro", name="Pro Co", email="pro@example.com")
    growth = factory.provider(
        metro=metro, categories=[cat], tier="growth", name="Growth Co", email="growth@example.com"
    )
    factory.provider(metro=metro, categories=[cat], tier="growth", name="Broke Co", email="broke@example.com")
    fund(db.session, growth, 5)
    lead = factory.lead(
        metro=metro, category=cat, mode="quotes", urgency="emergency", description="Overflowing trap, call 713-555-1234"
    )
    lead_id = lead.id
    routing.route(db.session, lead_id)
    rq.run()

    [available] = smtp.to("broke@example.com")
    body = smtp.text_of(available)
    assert available["Subject"] == "Quote request: Grease trap pumping in Houston"
    assert "Unlock the contact for 2 credits. You have 0." in body and "top up to unlock" in body
    assert "Maria G." in body and "(***) ***-1234" in body
    assert "maria.garcia@gmail.com" not in body and "555-1234" not in body.replace("(***) ***-1234", "")
    assert "Unlock free on your Pro plan." in smtp.text_of(smtp.to("pro@example.com")[0])

    lead = db.session.get(Lead, lead_id)
    for provider, price, amount in (
        (db.session.get(Provider, pro.id), 0, "480"),
        (db.session.get(Provider, growth.id), 2, "399.99"),
    ):
        assert unlock.unlock(db.session, lead_id, provider, price)
        assert pipeline.transition(db.session, lead_id, provider, "quoted", amount=amount)
    rq.run()
    received = [m for m in smtp.to("maria.garcia@gmail.com") if "New quote" in m["Subject"]]
    assert sorted(m["Subject"] for m in received) == [
        "New quote for your grease trap pumping request: $399.99",
        "New quote for your grease trap pumping request: $480",
    ]
    assert f"/t/{lead.public_token}" in smtp.text_of(received[0])

    chosen = db.session.scalar(select(Assignment).where(Assignment.provider_id == growth.id))
    lead = db.session.get(Lead, lead_id)
    assert customer.choose(db.session, lead, chosen.id)
    assert customer.mark_done(db.session, lead)
    assert reviews.leave(db.session, lead, 5, "Great work")
    rq.run()
    subjects = {m["Subject"] for m in smtp.to("growth@example.com")}
    assert {"You won the job", "New review: 5 of 5 stars"} <= subjects
    assert "The customer chose another provider" in {m["Subject"] for m in smtp.to("pro@example.com")}
    won = next(m for m in smtp.to("growth@example.com") if m["Subject"] == "You won the job")
    assert "Maria Garcia chose your quote of $399.99" in smtp.text_of(won)
    assert not smtp.to("broke@example.com")[1:]  # never unlocked: nothing more
