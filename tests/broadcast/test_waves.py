"""Broadcast waves: who is in the pool, in which order, and how waves open, skip and fall back."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import jobs
from app.broadcast import admin_actions, offer_actions, offer_cards, wave_plan, waves
from app.broadcast.pool import Candidate, choose_wave, order_key, pool_member
from app.core.refusal import Refusal
from app.models import Lead, Offer, OutboxEmail, Provider
from app.platform import sweep


# ---------------------------------------------------------------------------- pure rules
def cand(pid=1, tier="pro", status="verified", home=True, **kw):
    return Candidate(provider_id=pid, status=status, tier=tier, home=home, **kw)


@pytest.mark.parametrize(
    "policy, tier, status, home, teaser, expected",
    [
        ("strict", "pro", "verified", False, True, True),
        ("strict", "starter", "verified", True, True, True),
        ("strict", "free", "verified", True, True, False),
        ("balanced", "free", "verified", True, True, True),
        ("balanced", "free", "verified", False, True, False),  # teasers: home metro only
        ("balanced", "free", "verified", True, False, False),  # teaser used this week
        ("balanced", "free", "claimed", True, True, False),
        ("aggressive", "free", "claimed", True, True, True),  # restricted, cannot accept
        ("aggressive", "pro", "unclaimed", True, True, False),
        ("aggressive", "pro", "suspended", True, True, False),
    ],
)
def test_pool_policy(policy, tier, status, home, teaser, expected):
    assert pool_member(cand(tier=tier, status=status, home=home, teaser_left=teaser), policy) is expected


def test_paused_over_cap_and_priority_rules():
    assert not pool_member(cand(paused=True), "balanced")
    assert not pool_member(cand(under_cap=False), "balanced")
    # teasers are never priority (emergency) leads; paid providers still are
    assert not pool_member(cand(tier="free"), "balanced", priority=True)
    assert pool_member(cand(tier="starter"), "balanced", priority=True)


def test_order_tier_then_least_recently_offered_then_faster_median():
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    pool = [
        cand(1, "growth", last_offered_at=None),
        cand(2, "pro", last_offered_at=t0 + timedelta(hours=1)),
        cand(3, "pro", last_offered_at=t0),
        cand(4, "pro", last_offered_at=None, median_accept_seconds=300),
        cand(5, "pro", last_offered_at=None, median_accept_seconds=40),
        cand(6, "pro", status="claimed", last_offered_at=None),  # cannot accept: after all who can
    ]
    assert [c.provider_id for c in sorted(pool, key=order_key)] == [5, 4, 3, 2, 1, 6]
    wave = {"tiers": ["pro", "growth"], "size": 3, "minutes": 5}
    assert [c.provider_id for c in choose_wave(pool, wave, "balanced", already={5})] == [4, 3, 2]


def test_plan_validation_names_each_bad_field():
    plan, errors = wave_plan.validate_plan(
        [
            {"tiers": ["pro"], "size": "3", "minutes": "5"},
            {"tiers": [], "size": "0", "minutes": "abc"},
            {"tiers": ["pro", "free"], "size": "2", "minutes": "2000"},
        ]
    )
    assert errors == {
        "wave-2-tiers": "Wave 2: pick at least one tier (pro, growth, starter or free).",
        "wave-2-size": "Wave 2: providers must be a whole number from 1 to 50.",
        "wave-2-minutes": "Wave 2: the window must be a whole number of minutes from 1 to 1440.",
        "wave-3-tiers": "Wave 3: pro is already in wave 1; a tier belongs to one wave.",
        "wave-3-minutes": "Wave 3: the window must be a whole number of minutes from 1 to 1440.",
    }
    assert wave_plan.validate_plan([])[1] == {
        "waves": "Add at least one wave: pick its tiers, how many providers and how many minutes."
    }
    assert wave_plan.validate_plan([{"tiers": ["growth", "pro"], "size": "3", "minutes": "5"}]) == (
        [{"tiers": ["pro", "growth"], "size": 3, "minutes": 5}],
        {},
    )
    free_first = wave_plan.validate_plan(
        [{"tiers": ["free"], "size": "5", "minutes": "10"}, {"tiers": ["pro"], "size": "3", "minutes": "5"}]
    )[1]
    assert free_first == {"wave-1-tiers": "Wave 1: verified-free providers (teasers) can only be in the last wave."}


# ---------------------------------------------------------------------------- database
@pytest.fixture
def market(factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping")

    def provider(tier="pro", status="verified", **kw):
        kw.setdefault("categories", [cat])
        return factory.provider(metro=kw.pop("metro", metro), tier=tier, status=status, **kw)

    return metro, cat, provider


def start(db, factory, metro, cat, **kw):
    lead = factory.lead(metro=metro, category=cat, delivery_status="ready", **kw)
    assert waves.start(db.session, lead)
    db.session.flush()
    return lead


def offered(lead, wave=None):
    return sorted(o.provider_id for o in lead.offers if wave is None or o.wave == wave)


def test_wave_one_offers_top_paid_by_rotation_and_skips_non_matching(db, factory, market, clock):
    metro, cat, provider = market
    other_metro, other_cat = factory.metro("Dallas"), factory.category("Hydro jetting")
    recent = provider("pro", last_offered_at=clock.now() - timedelta(minutes=1))
    older = provider("pro", last_offered_at=clock.now() - timedelta(days=2))
    never = provider("growth")
    extra = provider("growth", metro=other_metro, last_offered_at=clock.now() - timedelta(days=1))
    extra.extra_metros = [metro]
    provider("pro", paused=True)
    provider("pro", categories=[other_cat])
    provider("pro", metro=other_metro)  # not in this metro
    provider("pro", status="suspended")
    capped = provider("pro", weekly_cap=0)
    starter = provider("starter")

    lead = start(db, factory, metro, cat)
    assert lead.delivery_status == "offering" and lead.current_wave == 1
    assert lead.wave_deadline == clock.now() + timedelta(minutes=5)
    # pro before growth, least recently offered first: older pro, recent pro, then growth "never"
    assert offered(lead) == sorted([older.id, recent.id, never.id])
    assert extra.id not in offered(lead) and capped.id not in offered(lead)
    assert all(o.expires_at == lead.wave_deadline and o.state == "offered" for o in lead.offers)
    assert db.session.get(Provider, never.id).last_offered_at == clock.now()
    # the next wave adds the remaining growth (extra metro) ... no: wave 2 is starter only
    clock.advance(timedelta(minutes=5, seconds=1))
    lead_id = lead.id
    db.session.commit()
    assert jobs.expand_wave(lead_id, 1) == "expanded"
    lead = db.session.get(Lead, lead_id)
    assert lead.current_wave == 2 and offered(lead, 2) == [starter.id]
    assert len(lead.offers) == 4 and all(o.state == "offered" for o in lead.offers)  # cumulative
    assert [e.public_text for e in lead.events if e.kind == "wave_opened"] == [
        "Offered to 3 providers near you.",
        "Expanded to 4 providers.",
    ]


def test_free_wave_needs_a_teaser_left_and_the_home_metro(db, factory, market, clock):
    metro, cat, provider = market
    free_home = provider("free")
    used = provider("free")
    away = provider("free", metro=factory.metro("Austin"))
    away.extra_metros = [metro]
    past = factory.lead(metro=metro, category=cat, delivery_status="accepted", assigned_provider_id=used.id)
    factory.assignment(past, used, kind="broadcast", teaser=True)
    lead = start(db, factory, metro, cat)
    # waves 1 and 2 have nobody: skipped at once, straight to the free wave
    assert lead.current_wave == 3 and offered(lead) == [free_home.id]
    assert [e.text for e in lead.events if e.kind == "wave_skipped"] == [
        "Wave 1 skipped: nobody eligible",
        "Wave 2 skipped: nobody eligible",
    ]
    assert lead.wave_deadline == clock.now() + timedelta(minutes=10)
    emergency = start(db, factory, metro, cat, urgency="emergency", customer_email="b@example.com", description="other")
    assert emergency.delivery_status == "pending" and emergency.escrow_reason == "unaccepted_broadcast"


def test_strict_and_aggressive_policies(db, factory, market):
    metro, cat, provider = market
    free = provider("free")
    claimed = provider("pro", status="claimed")
    metro.pool_policy = "strict"
    strict_lead = start(db, factory, metro, cat)
    assert strict_lead.delivery_status == "pending"  # nobody: a verified free provider is not in a strict pool
    metro.pool_policy = "aggressive"
    lead = start(db, factory, metro, cat, description="another", customer_email="x@example.com")
    assert lead.current_wave == 1 and offered(lead) == [claimed.id]
    [offer] = lead.offers
    assert offer.restricted
    card = offer_cards.card(db.session, offer)
    assert card.state == "restricted" and card.lead["customer_email"] is None
    with pytest.raises(Refusal, match="Verify your listing"):
        offer_actions.accept(db.session, offer.id, claimed.id)
    assert free.id not in offered(lead)
    claimed.status = "verified"  # verified while the offer is open: now it may accept
    assert offer_cards.card(db.session, offer).state == "open"
    assert offer_actions.accept(db.session, offer.id, claimed.id).provider_id == claimed.id


def test_a_lead_nobody_can_take_falls_back_at_once_and_the_customer_hears(db, factory, market, rq, smtp):
    metro, cat, _ = market
    lead = start(db, factory, metro, cat)
    assert (lead.delivery_status, lead.escrow_reason, lead.current_wave) == ("pending", "unaccepted_broadcast", 0)
    rq.run()
    [mail] = smtp.to("maria.garcia@gmail.com")
    assert mail["Subject"].startswith("Still looking for a provider")


def test_deadlines_expand_then_fall_back_and_duplicate_jobs_do_nothing(db, factory, market, rq, clock, smtp):
    metro, cat, provider = market
    pro, starter, free = provider("pro"), provider("starter"), provider("free")
    lead = start(db, factory, metro, cat)
    lead_id = lead.id
    rq.run()  # new-offer emails; no job waits for the deadline: the sweep wakes for it
    assert [m["Subject"] for m in smtp.messages] == [
        "New lead: Grease trap pumping in Houston — first to accept gets it"
    ]
    assert rq.queue.scheduled_job_registry.get_job_ids() == []
    assert sweep.next_due(db.session) == clock.now() + timedelta(minutes=5)
    db.session.commit()
    assert jobs.expand_wave(lead_id, 1) == "early"  # before the deadline a job does nothing
    clock.advance(timedelta(minutes=5))
    assert sweep.run(db.session)["waves"] == 1
    rq.run()
    lead = db.session.get(Lead, lead_id)
    assert lead.current_wave == 2 and offered(lead, 2) == [starter.id]
    db.session.commit()
    assert jobs.expand_wave(lead_id, 1) == "skipped"  # duplicate of the first deadline's job
    clock.advance(timedelta(minutes=5, seconds=1))
    sweep.run(db.session)
    rq.run()
    lead = db.session.get(Lead, lead_id)
    assert lead.current_wave == 3 and offered(lead, 3) == [free.id]
    clock.advance(timedelta(minutes=10, seconds=1))
    sweep.run(db.session)
    rq.run()
    lead = db.session.get(Lead, lead_id)
    assert (lead.delivery_status, lead.escrow_reason) == ("pending", "unaccepted_broadcast")
    assert {o.state for o in lead.offers} == {"expired"}
    db.session.commit()
    assert jobs.expand_wave(lead_id, 3) == "skipped"
    rq.run()
    assert [m["Subject"] for m in smtp.to("maria.garcia@gmail.com")] == [
        "Still looking for a provider for your grease trap pumping request"
    ]
    assert pro.id in offered(lead)


def test_with_redis_flushed_the_sweep_expands_every_overdue_lead(db, factory, market, rq, clock):
    metro, cat, provider = market
    provider("pro"), provider("starter")
    ids = [
        start(db, factory, metro, cat, description=f"lead {n}", customer_email=f"c{n}@example.com").id for n in range(3)
    ]
    db.session.commit()
    rq.queue.connection.flushdb()  # every scheduled job is gone
    assert sweep.run(db.session)["waves"] == 0  # nothing overdue yet
    clock.advance(timedelta(minutes=5, seconds=1))
    assert sweep.run(db.session)["waves"] == 3
    db.session.commit()
    assert [db.session.get(Lead, i).current_wave for i in ids] == [2, 2, 2]
    assert sweep.run(db.session)["waves"] == 0  # idempotent
    clock.advance(timedelta(minutes=5, seconds=1))
    assert sweep.run(db.session)["waves"] == 3  # wave 3 (free) is empty: straight to the fallback
    db.session.commit()
    assert {db.session.get(Lead, i).delivery_status for i in ids} == {"pending"}


def test_accept_gives_the_winner_the_lead_and_closes_every_other_offer(db, factory, market, rq, smtp):
    metro, cat, provider = market
    a, b, c = provider("pro", name="Alpha Pumping"), provider("pro"), provider("growth")
    lead = start(db, factory, metro, cat)
    rq.run()
    smtp.clear()
    offer_a = next(o for o in lead.offers if o.provider_id == a.id)
    assignment = offer_actions.accept(db.session, offer_a.id, a.id)
    db.session.flush()
    assert assignment.kind == "broadcast" and not assignment.teaser
    lead = db.session.get(Lead, lead.id)
    assert (lead.delivery_status, lead.assigned_provider_id, lead.wave_deadline) == ("accepted", a.id, None)
    assert {o.provider_id: o.state for o in lead.offers} == {a.id: "accepted", b.id: "taken", c.id: "taken"}
    offer_b = next(o for o in lead.offers if o.provider_id == b.id)
    with pytest.raises(Refusal, match="Another provider accepted this lead first"):
        offer_actions.accept(db.session, offer_b.id, b.id)
    assert offer_cards.card(db.session, offer_b).state == "taken"
    assert offer_cards.card(db.session, offer_a).lead["customer_phone"] == "+17135551234"
    assert offer_cards.card(db.session, offer_b).lead["customer_phone"] == "(***) ***-1234"
    rq.run()
    [customer] = smtp.to("maria.garcia@gmail.com")
    assert customer["Subject"] == "Alpha Pumping accepted your grease trap pumping request"
    body = smtp.text_of(customer)
    assert "(713) 555-0100" in body and f"/p/{a.slug}" in body
    assert [m["Subject"] for m in smtp.to(b.email)] == ["Taken: Grease trap pumping in Houston"]
    assert "Accepted by Alpha Pumping" in [e.public_text for e in lead.events][-1]
    assert db.session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.kind == "accepted_by")) == 1


def test_teaser_accept_uses_the_weeks_allowance(db, factory, market, clock):
    metro, cat, provider = market
    free = provider("free")
    first = start(db, factory, metro, cat)
    assignment = offer_actions.accept(db.session, first.offers[0].id, free.id)
    assert assignment.teaser
    second = start(db, factory, metro, cat, description="second", customer_email="s@example.com")
    assert second.delivery_status == "pending"  # no teaser left: not even offered
    clock.advance(timedelta(days=7))
    third = start(db, factory, metro, cat, description="third", customer_email="t@example.com")
    assert offered(third) == [free.id]


def test_refusals_name_the_reason(db, factory, market, clock):
    metro, cat, provider = market
    a, b = provider("pro"), provider("pro")
    lead = start(db, factory, metro, cat)
    offer_a, offer_b = sorted(lead.offers, key=lambda o: o.provider_id)
    a.status = "suspended"
    with pytest.raises(Refusal, match="suspended"):
        offer_actions.accept(db.session, offer_a.id, a.id)
    with pytest.raises(Refusal, match="not yours"):
        offer_actions.accept(db.session, offer_a.id, b.id)
    offer_actions.decline(db.session, offer_b.id, b.id, "too_far")
    assert (offer_b.state, offer_b.decline_reason) == ("declined", "too_far")
    with pytest.raises(Refusal, match="You declined"):
        offer_actions.accept(db.session, offer_b.id, b.id)
    with pytest.raises(Refusal, match="Pick a reason"):
        offer_actions.decline(db.session, offer_a.id, a.id, "<script>")
    lead_id = lead.id
    clock.advance(timedelta(hours=1))
    db.session.commit()
    waves.expand_overdue(db.session)
    waves.expand_overdue(db.session)
    a.status = "verified"
    db.session.flush()
    assert db.session.get(Lead, lead_id).delivery_status == "pending"
    with pytest.raises(Refusal, match="This offer has closed"):
        offer_actions.accept(db.session, offer_a.id, a.id)


def test_admin_restart_and_assign_by_hand(db, factory, market, rq, smtp):
    metro, cat, provider = market
    admin = factory.admin()
    lead = start(db, factory, metro, cat)
    assert lead.delivery_status == "pending"
    late = provider("growth")
    assert admin_actions.restart(db.session, lead, admin)
    assert lead.delivery_status == "offering" and offered(lead) == [late.id]
    with pytest.raises(Refusal, match="Only unaccepted"):
        admin_actions.restart(db.session, lead, admin)
    offer_actions.decline(db.session, lead.offers[0].id, late.id)
    # everyone offered declined: no waiting for the deadline, the next wave (none left) now
    assert (lead.delivery_status, lead.escrow_reason) == ("pending", "unaccepted_broadcast")
    lead_id = lead.id
    db.session.commit()
    assert jobs.expand_wave(lead_id, 1) == "skipped"
    lead = db.session.get(Lead, lead_id)
    other = provider("starter", name="Hand Picked Co")
    admin_actions.assign_by_hand(db.session, lead, other, admin)
    assert (lead.delivery_status, lead.assigned_provider_id) == ("accepted", other.id)
    with pytest.raises(Refusal, match="no longer waiting"):
        admin_actions.assign_by_hand(db.session, lead, late, admin)
    rq.run()
    assert (
        smtp.to("maria.garcia@gmail.com")[-1]["Subject"] == "Hand Picked Co accepted your grease trap pumping request"
    )
    assert db.session.scalar(select(func.count(Offer.id)).where(Offer.lead_id == lead_id)) == 1


def test_a_consented_escrow_lead_enters_the_waves(db, factory, market, rq):
    from app.direct import escrow_actions
    from app.leads import routing

    metro, cat, provider = market
    pro = provider("pro")
    unclaimed = provider("free", status="unclaimed")
    lead = factory.lead(mode="direct", metro=metro, category=cat, requested_provider_id=unclaimed.id)
    routing.route(db.session, lead.id)
    assert (lead.delivery_status, lead.escrow_reason) == ("pending", "unclaimed")
    lead.consent = "yes"
    assert escrow_actions.convert_to_broadcast(db.session, lead, factory.admin())
    lead_id = lead.id
    rq.run()  # the route_lead job hands it to the broadcast router
    lead = db.session.get(Lead, lead_id)
    assert (lead.mode, lead.delivery_status, lead.current_wave) == ("broadcast", "offering", 1)
    assert offered(lead) == [pro.id]


def test_an_offering_lead_cannot_be_closed_from_escrow_and_a_closed_lead_cannot_be_accepted(db, factory, market, clock):
    from app.direct import escrow_actions

    metro, cat, provider = market
    a = provider("pro")
    lead = start(db, factory, metro, cat)
    offer = next(o for o in lead.offers if o.provider_id == a.id)
    with pytest.raises(Refusal, match="no longer waiting in escrow"):
        escrow_actions.close(db.session, lead, factory.admin(), "spam")
    # Closed some other way (e.g. by a data fix): no accept, no further waves.
    lead.status = "spam"
    db.session.flush()
    with pytest.raises(Refusal):
        offer_actions.accept(db.session, offer.id, a.id)
    clock.advance(timedelta(hours=1))
    assert waves.expand(db.session, lead.id, lead.current_wave) == "skipped"
    db.session.refresh(lead)
    assert (lead.assigned_provider_id, lead.delivery_status) == (None, "offering")


def test_start_never_turns_a_direct_escrow_lead_into_a_broadcast(db, factory, market):
    metro, cat, provider = market
    requested = provider("free", status="claimed")
    lead = factory.lead(
        metro=metro,
        category=cat,
        mode="direct",
        requested_provider_id=requested.id,
        delivery_status="pending",
        escrow_reason="unverified",
    )
    assert not waves.start(db.session, lead)
    db.session.refresh(lead)
    assert (lead.mode, lead.delivery_status) == ("direct", "pending")
