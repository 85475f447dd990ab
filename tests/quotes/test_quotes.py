"""Quote leads: the router (matching, order, top 10, no match -> escrow), preview views,
unlock rules and charges, assignment transitions, the customer's choice, done and review."""

from datetime import timedelta

from sqlalchemy import func, insert, select

from app.core.clock import now as clock_now
from app.leads import routing
from app.models import Assignment, Lead, Notification, OutboxEmail, QuoteView, Review
from app.pipeline import stages as pipeline
from app.quotes import credits, customer, matching, preview, reviews, unlock
from tests.conftest import refusal_of
from tests.quote_helpers import fund, houston_market, quoting_lead


def test_router_matches_orders_by_tier_then_rotation_and_notifies_top_ten(db, factory, clock):
    metro, cat = houston_market(factory)
    other_cat = factory.category("Hydro jetting")
    dallas = factory.metro("Dallas")
    now = clock.now()
    starter = factory.provider(metro=metro, categories=[cat], tier="starter", name="Starter")
    pro_recent = factory.provider(
        metro=metro, categories=[cat], tier="pro", name="Pro recent", last_offered_at=now - timedelta(minutes=5)
    )
    pro_old = factory.provider(
        metro=metro, categories=[cat], tier="pro", name="Pro old", last_offered_at=now - timedelta(days=2)
    )
    growth = factory.provider(metro=dallas, categories=[cat], tier="growth", name="Growth via extra metro")
    growth.extra_metros = [metro]
    trial = factory.provider(
        metro=metro, categories=[cat], tier="free", name="Trial", trial_ends_at=now + timedelta(days=3)
    )
    # not eligible: free, unverified, paused, suspended, wrong category, wrong metro, over cap
    factory.provider(metro=metro, categories=[cat], tier="free", name="Free")
    factory.provider(metro=metro, categories=[cat], tier="pro", status="claimed", name="Unverified")
    factory.provider(metro=metro, categories=[cat], tier="pro", paused=True, name="Paused")
    factory.provider(metro=metro, categories=[cat], tier="pro", status="suspended", name="Suspended")
    factory.provider(metro=metro, categories=[other_cat], tier="pro", name="Other service")
    factory.provider(metro=dallas, categories=[cat], tier="pro", name="Dallas only")
    factory.provider(metro=metro, categories=[cat], tier="pro", weekly_cap=0, name="Capped")
    lead = factory.lead(metro=metro, category=cat, mode="quotes")

    order = [p.name for p in matching.candidates(db.session, lead)]
    assert order == ["Pro old", "Pro recent", "Growth via extra metro", "Trial", "Starter"]

    assert routing.route(db.session, lead.id)
    db.session.refresh(lead)
    assert lead.delivery_status == "quoting"
    notified = db.session.scalars(select(Notification.provider_id).where(Notification.kind == "quote_available")).all()
    assert sorted(notified) == sorted([pro_old.id, pro_recent.id, growth.id, trial.id, starter.id])
    assert pro_old.last_offered_at == now  # rotation moves on
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "quote_available")).all()
    assert len(emails) == 5
    assert "We asked 5 matching providers" in lead.events[-1].public_text


def test_router_notifies_only_the_top_ten_and_warns_those_short_of_credits(db, factory):
    metro, cat = houston_market(factory)
    providers = [factory.provider(metro=metro, categories=[cat], tier="growth") for _ in range(12)]
    fund(db.session, providers[0], 5)
    lead = factory.lead(metro=metro, category=cat, mode="quotes")
    routing.route(db.session, lead.id)
    notes = db.session.scalars(select(Notification).where(Notification.kind == "quote_available")).all()
    assert len(notes) == 10
    by_provider = {n.provider_id: n for n in notes}
    assert "top up to unlock" not in by_provider[providers[0].id].body
    short = next(n for pid, n in by_provider.items() if pid != providers[0].id)
    assert "top up to unlock" in short.body
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_email == providers[1].email))
    assert email.context["short"] is True and email.context["lead"]["customer_name"] == "Maria G."
    assert "maria.garcia@gmail.com" not in str(email.context) and "5551234" not in str(email.context)


def test_no_match_goes_to_the_escrow_inbox(db, factory):
    metro, cat = houston_market(factory)
    lead = factory.lead(metro=metro, category=cat, mode="quotes")
    routing.route(db.session, lead.id)
    db.session.refresh(lead)
    assert (lead.delivery_status, lead.escrow_reason) == ("pending", "no_matching_provider")
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_preview_is_masked_and_the_first_view_per_provider_counts(db, factory):
    metro, cat = houston_market(factory)
    a, b = (factory.provider(metro=metro, categories=[cat], tier="growth") for _ in range(2))
    lead = quoting_lead(factory, metro, cat)
    card = preview.card(db.session, lead, a)
    assert card.data["masked"] and card.data["customer_email"] == "m***@gmail.com"
    assert card.data["street"] is None and card.competition == "0/3 unlocked"
    assert preview.record_view(db.session, lead, a) is True
    assert preview.record_view(db.session, lead, a) is False
    preview.record_view(db.session, lead, b)
    assert preview.view_count(db.session, lead.id) == 2 == db.session.scalar(select(func.count(QuoteView.id)))


def test_unlock_charges_the_shown_price_once_and_reveals_the_contact(db, factory):
    metro, cat = houston_market(factory)
    provider = factory.provider(metro=metro, categories=[cat], tier="growth")
    fund(db.session, provider, 5)
    lead = quoting_lead(factory, metro, cat, urgency="emergency")
    assert preview.card(db.session, lead, provider).cost == 2
    result = unlock.unlock(db.session, lead.id, provider, 2)
    assert result.assignment.status == "purchased" and result.assignment.credits_spent == 2
    again = unlock.unlock(db.session, lead.id, provider, 2)
    assert again.message == "You already unlocked this lead."
    assert credits.balance(db.session, provider.id) == 3 == credits.ledger_sum(db.session, provider.id)
    assert credits.by_key(db.session, f"unlock:{lead.id}:{provider.id}").amount == -2
    db.session.refresh(lead)
    assert lead.unlock_count == 1
    card = preview.card(db.session, lead, provider)
    assert not card.data["masked"] and card.data["customer_email"] == "maria.garcia@gmail.com"


def test_unlock_refuses_a_changed_price_and_charges_nothing(db, factory):
    metro, cat = houston_market(factory)
    provider = factory.provider(metro=metro, categories=[cat], tier="growth")
    fund(db.session, provider, 5)
    lead = quoting_lead(factory, metro, cat)
    result = refusal_of(unlock.unlock, db.session, lead.id, provider, 3)  # shown 3, now 1
    assert "price changed to 1 credit" in result.message
    assert credits.balance(db.session, provider.id) == 5
    assert preview.assignment_of(db.session, lead.id, provider.id) is None


def test_short_of_credits_charges_nothing_and_claims_no_slot(db, factory):
    metro, cat = houston_market(factory)
    provider = factory.provider(metro=metro, categories=[cat], tier="growth")
    lead = quoting_lead(factory, metro, cat)
    result = refusal_of(unlock.unlock, db.session, lead.id, provider, 1)
    assert "Not enough credits" in result.message and "Top up" in result.message
    db.session.refresh(lead)
    assert lead.unlock_count == 0 and preview.assignment_of(db.session, lead.id, provider.id) is None
    assert db.session.scalar(select(func.count(Assignment.id))) == 0


def test_pro_unlocks_free_and_the_cap_shows_fully_unlocked_to_the_rest(db, factory):
    metro, cat = houston_market(factory)
    pros = [factory.provider(metro=metro, categories=[cat], tier="pro") for _ in range(3)]
    late = factory.provider(metro=metro, categories=[cat], tier="growth")
    fund(db.session, late, 5)
    lead = quoting_lead(factory, metro, cat)
    for p in pros:
        assert unlock.unlock(db.session, lead.id, p, 0)
    assert credits.balance(db.session, pros[0].id) == 0
    db.session.refresh(lead)
    card = preview.card(db.session, lead, late)
    assert card.full and card.competition == "3/3 unlocked" and "Fully unlocked" in card.blocked
    result = refusal_of(unlock.unlock, db.session, lead.id, late, 1)
    assert "Fully unlocked" in result.message
    assert credits.balance(db.session, late.id) == 5


def test_a_lead_full_when_read_refuses_with_the_reason_the_writes_would_give(db, factory):
    metro, cat = houston_market(factory)
    pros = [factory.provider(metro=metro, categories=[cat], tier="pro") for _ in range(3)]
    short, funded = (factory.provider(metro=metro, categories=[cat], tier="growth") for _ in range(2))
    fund(db.session, funded, 5)
    lead = quoting_lead(factory, metro, cat)  # 1 credit for growth
    for p in pros:
        assert unlock.unlock(db.session, lead.id, p, 0)
    # the debit comes before the claim of a place: a provider short of credits hears that first
    assert "Not enough credits" in refusal_of(unlock.unlock, db.session, lead.id, short, 1).message
    assert "Fully unlocked" in refusal_of(unlock.unlock, db.session, lead.id, funded, 1).message
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).unlock_count == 3
    assert sorted(db.session.scalars(select(Assignment.provider_id))) == sorted(p.id for p in pros)
    assert credits.balance(db.session, funded.id) == 5 == credits.ledger_sum(db.session, funded.id)
    assert credits.ledger_sum(db.session, short.id) == 0


def test_unlock_leaves_the_lead_as_written_in_the_session(db, factory):
    metro, cat = houston_market(factory)
    provider = factory.provider(metro=metro, categories=[cat], tier="growth")
    fund(db.session, provider, 5)
    lead = quoting_lead(factory, metro, cat)
    done = unlock.unlock(db.session, lead.id, provider, 1)
    assert lead.unlock_count == 1 and lead.assignments == [done.assignment]  # no refresh needed
    assert "(1/3)" in lead.events[-1].text
    again = unlock.unlock(db.session, lead.id, provider, 1)
    assert again.message == "You already unlocked this lead." and again.assignment is done.assignment
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).unlock_count == 1
    assert credits.balance(db.session, provider.id) == 4 == credits.ledger_sum(db.session, provider.id)


def test_an_unlock_written_after_the_lead_was_read_is_still_caught(db, factory):
    metro, cat = houston_market(factory)
    provider = factory.provider(metro=metro, categories=[cat], tier="growth")
    fund(db.session, provider, 5)
    lead = quoting_lead(factory, metro, cat)
    assert lead.assignments == []  # read before the other unlock below
    now = clock_now()
    db.session.execute(
        insert(Assignment).values(
            lead_id=lead.id, provider_id=provider.id, kind="quote", status="purchased", created_at=now, updated_at=now
        )
    )
    done = unlock.unlock(db.session, lead.id, provider, 1)
    assert done.message == "You already unlocked this lead."
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).unlock_count == 0
    assert db.session.scalar(select(func.count(Assignment.id))) == 1
    assert credits.balance(db.session, provider.id) == 5 == credits.ledger_sum(db.session, provider.id)


def test_unlock_needs_an_eligible_matching_provider(db, factory):
    metro, cat = houston_market(factory)
    free = factory.provider(metro=metro, categories=[cat], tier="free")
    elsewhere = factory.provider(categories=[cat], tier="pro")
    lead = quoting_lead(factory, metro, cat)
    assert "free plan" in refusal_of(unlock.unlock, db.session, lead.id, free, 1).message
    assert "outside your services" in refusal_of(unlock.unlock, db.session, lead.id, elsewhere, 0).message


def _unlocked(db, factory, n=2):
    metro, cat = houston_market(factory)
    providers = [factory.provider(metro=metro, categories=[cat], tier="pro", name=f"Pro {i}") for i in range(n)]
    lead = quoting_lead(factory, metro, cat)
    for p in providers:
        unlock.unlock(db.session, lead.id, p, 0)
    return lead, providers


def test_transitions_follow_the_order_and_refuse_invalid_moves_with_a_message(db, factory):
    lead, (p, _) = _unlocked(db, factory)
    bad = refusal_of(pipeline.transition, db.session, lead.id, p, "quoted", amount="abc")
    assert "number" in bad.fields["quote_amount"]
    assert pipeline.transition(db.session, lead.id, p, "contacted", notes="Called, visiting Tue")
    assert pipeline.transition(db.session, lead.id, p, "quoted", amount="$1,250.50", message="Incl. disposal")
    a = preview.assignment_of(db.session, lead.id, p.id)
    assert a.status == "quoted" and float(a.quote_amount) == 1250.50 and a.notes == "Called, visiting Tue"
    refused = refusal_of(pipeline.transition, db.session, lead.id, p, "contacted")
    assert refused.message == "This lead is already quoted; it can't be marked contacted."
    assert refusal_of(pipeline.transition, db.session, lead.id, p, "won")
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "quote_received"))
    assert email.to_email == "maria.garcia@gmail.com" and email.context["amount"] == "1,250.50"


def test_customer_choice_wins_one_loses_the_others_and_emails_everyone(db, factory):
    lead, (a, b) = _unlocked(db, factory, 2)
    for p, amount in ((a, "400"), (b, "450")):
        pipeline.transition(db.session, lead.id, p, "quoted", amount=amount)
    chosen = preview.assignment_of(db.session, lead.id, b.id)
    result = customer.choose(db.session, lead, chosen.id)
    assert result
    db.session.refresh(lead)
    assert lead.assigned_provider_id == b.id
    statuses = {x.provider_id: x.status for x in db.session.scalars(select(Assignment))}
    assert statuses == {a.id: "lost", b.id: "won"}
    kinds = sorted(
        (e.kind, e.to_email)
        for e in db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind.in_(["quote_picked", "quote_declined"])))
    )
    assert kinds == sorted([("quote_picked", b.email), ("quote_declined", a.email)])
    assert refusal_of(customer.choose, db.session, lead, preview.assignment_of(db.session, lead.id, a.id).id)


def test_done_then_one_review_then_reputation(db, factory):
    lead, (a, b) = _unlocked(db, factory, 2)
    assert refusal_of(customer.mark_done, db.session, lead)  # nobody chosen yet
    pipeline.transition(db.session, lead.id, a, "quoted", amount="400")
    customer.choose(db.session, lead, preview.assignment_of(db.session, lead.id, a.id).id)
    assert refusal_of(reviews.leave, db.session, lead, 5, "x")  # not done yet
    assert customer.mark_done(db.session, lead)
    bad = refusal_of(reviews.leave, db.session, lead, 6, "")
    assert bad.fields["rating"] == "Choose 1 to 5 stars."
    assert reviews.leave(db.session, lead, "4", "On time, clean work")
    assert refusal_of(reviews.leave, db.session, lead, 5, "again")
    assert db.session.scalar(select(func.count(Review.id))) == 1
    rep = reviews.reputation(db.session, a.id)
    assert (rep.average, rep.count, rep.recent[0].author_name) == (4.0, 1, "Maria G.")
    assert db.session.scalar(select(Notification).where(Notification.kind == "review_received")).provider_id == a.id


def test_median_time_from_notification_to_unlock(db, factory, clock):
    metro, cat = houston_market(factory)
    provider = factory.provider(metro=metro, categories=[cat], tier="pro")
    for minutes in (4, 10, 30):
        lead = factory.lead(metro=metro, category=cat, mode="quotes")
        routing.route(db.session, lead.id)
        clock.advance(timedelta(minutes=minutes))
        assert unlock.unlock(db.session, lead.id, provider, 0)
    assert reviews.reputation(db.session, provider.id).median_label == "10 min"
    assert db.session.scalar(select(func.count(Lead.id))) == 3


def test_bad_leads_can_be_reported_once_within_seven_days(db, factory, clock):
    from datetime import timedelta

    from app.quotes import disputes

    lead, (early, late) = _unlocked(db, factory, 2)
    stranger = factory.provider(tier="pro")
    assert (
        "only report leads you unlocked"
        in refusal_of(disputes.report, db.session, lead.id, stranger, "spam", None).message
    )
    assert refusal_of(disputes.report, db.session, lead.id, early, "bogus", None).fields == {
        "reason": "Choose what was wrong with the lead."
    }
    assert disputes.report(db.session, lead.id, early, "duplicate", "Same as #12")
    assert "already reported" in refusal_of(disputes.report, db.session, lead.id, early, "spam", None).message
    clock.advance(timedelta(days=7, minutes=1))
    refused = refusal_of(disputes.report, db.session, lead.id, late, "spam", None)
    assert "within 7 days" in refused.message


def test_the_sweep_sends_out_a_held_quote_lead_once_a_provider_matches(db, factory):
    from app.platform import sweep

    metro, cat = houston_market(factory)
    lead = factory.lead(metro=metro, category=cat, mode="quotes")
    routing.route(db.session, lead.id)
    assert sweep.run(db.session)["quotes_rerouted"] == 0
    provider = factory.provider(metro=metro, categories=[cat], tier="starter", status="claimed")
    assert sweep.run(db.session)["quotes_rerouted"] == 0  # not verified yet
    provider.status = "verified"
    assert sweep.run(db.session)["quotes_rerouted"] == 1
    db.session.refresh(lead)
    assert (lead.delivery_status, lead.escrow_reason) == ("quoting", None)
    assert db.session.scalar(select(Notification.provider_id)) == provider.id
    assert sweep.run(db.session)["quotes_rerouted"] == 0
