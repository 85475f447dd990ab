"""SLA escalation (issue 13): unanswered offers count against a provider; the Nth in a row pauses
it exactly once (also under two sweeps at once), with an email and a one-click resume; declines
never count."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.broadcast import offer_actions, sla, waves
from app.leads import routing
from app.models import AuditLog, Notification, Offer, OutboxEmail, Provider
from tests.conftest import csrf_from

PLAN = [{"tiers": ["pro"], "size": 1, "minutes": 5}, {"tiers": ["growth"], "size": 1, "minutes": 5}]


@pytest.fixture
def market(db, factory):
    metro = factory.metro("Houston", slug="houston")
    metro.wave_plan = PLAN
    cat = factory.category()
    slow = factory.provider(metro=metro, categories=[cat], tier="pro", name="Slow Pumping")
    backup = factory.provider(metro=metro, categories=[cat], tier="growth", name="Backup Pumping")
    db.session.commit()
    return metro, cat, slow, backup


def offered_lead(db, factory, metro, cat, n):
    lead = factory.lead(
        metro=metro, category=cat, delivery_status="ready", description=f"job {n}", customer_email=f"c{n}@example.com"
    )
    assert waves.start(db.session, lead)
    return lead


def sla_emails(db, provider=None):
    query = select(OutboxEmail).where(OutboxEmail.kind == "sla_paused")
    if provider is not None:
        query = query.where(OutboxEmail.to_email == provider.contact_email)
    return db.session.scalars(query).all()


def test_the_third_unanswered_offer_in_a_row_pauses_once_with_email_notice_and_audit(db, factory, market, clock):
    metro, cat, slow, backup = market
    for n in range(3):
        lead = offered_lead(db, factory, metro, cat, n)
        assert [o.provider_id for o in lead.offers] == [slow.id]
        clock.advance(timedelta(minutes=5, seconds=1))
        assert waves.expand_overdue(db.session) >= 1
        db.session.refresh(slow)
        assert slow.missed_in_row == n + 1, f"after lead {n}: {slow.missed_in_row}"
        assert slow.paused == (n == 2), f"after lead {n}: paused={slow.paused}"
    assert slow.sla_paused and slow.sla_paused_at == clock.now()
    [email] = sla_emails(db)
    assert email.to_email == slow.contact_email and "/resume-offers/" in email.context["resume_url"]
    assert (
        db.session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "sla_paused")) == 1
    )
    assert [a.action for a in db.session.scalars(select(AuditLog))] == ["provider.sla_pause"]
    # paused: the next lead skips it and goes straight to the growth wave
    lead = offered_lead(db, factory, metro, cat, 9)
    assert [o.provider_id for o in lead.offers] == [backup.id]


def test_declines_never_count_and_an_answer_resets_the_streak(db, factory, market, clock):
    metro, cat, slow, _ = market
    for n in range(2):
        offered_lead(db, factory, metro, cat, n)
        clock.advance(timedelta(minutes=5, seconds=1))
        waves.expand_overdue(db.session)
    db.session.refresh(slow)
    assert slow.missed_in_row == 2
    lead = offered_lead(db, factory, metro, cat, 5)
    [offer] = lead.offers
    offer_actions.decline(db.session, offer.id, slow.id, "too_busy")
    clock.advance(timedelta(minutes=11))
    waves.expand_overdue(db.session)
    db.session.refresh(slow)
    assert slow.missed_in_row == 0 and not slow.paused and sla_emails(db, slow) == []
    assert db.session.get(Offer, offer.id).missed_at is None


def test_an_offer_taken_by_another_before_its_window_closed_is_not_missed(db, factory, market, clock):
    metro, cat, slow, backup = market
    lead = offered_lead(db, factory, metro, cat, 1)
    clock.advance(timedelta(minutes=5, seconds=1))
    waves.expand_overdue(db.session)  # wave 1 closed: slow missed it; backup offered now
    backup_offer = next(o for o in db.session.get(type(lead), lead.id).offers if o.provider_id == backup.id)
    offer_actions.accept(db.session, backup_offer.id, backup.id)
    db.session.refresh(slow)
    db.session.refresh(backup)
    assert slow.missed_in_row == 1 and backup.missed_in_row == 0


def test_two_sweeps_at_once_pause_exactly_once(db, factory, market, clock, race):
    metro, cat, slow, _ = market
    leads = [offered_lead(db, factory, metro, cat, n).id for n in range(6)]
    db.session.commit()
    clock.advance(timedelta(minutes=5, seconds=1))

    def sweep(i):  # each thread expands half of the overdue leads, in its own session
        return [waves.expand(db.session, lead_id, 1) for lead_id in leads[i::2]]

    results = race(2, sweep)
    assert not results.errors, results
    db.session.expire_all()
    slow = db.session.get(Provider, slow.id)
    assert slow.missed_in_row == 6 and slow.paused and slow.sla_paused_at is not None
    assert len(sla_emails(db)) == 1
    assert (
        db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "provider.sla_pause"))
        == 1
    )
    missed = db.session.scalar(select(func.count()).select_from(Offer).where(Offer.missed_at.is_not(None)))
    assert missed == 6


def test_two_full_sweeps_over_the_same_leads_count_each_offer_once(db, factory, market, clock, race):
    metro, cat, slow, _ = market
    for n in range(4):
        offered_lead(db, factory, metro, cat, n)
    db.session.commit()
    clock.advance(timedelta(minutes=5, seconds=1))
    results = race(2, lambda i: waves.expand_overdue(db.session))
    assert not results.errors, results
    assert sum(results.values) == 4, results  # each lead moved by one sweep only
    db.session.expire_all()
    slow = db.session.get(Provider, slow.id)
    assert slow.missed_in_row == 4 and slow.paused and len(sla_emails(db)) == 1


def _pause(db, factory, market, clock):
    metro, cat, slow, _ = market
    for n in range(3):
        offered_lead(db, factory, metro, cat, n)
        clock.advance(timedelta(minutes=5, seconds=1))
        waves.expand_overdue(db.session)
    db.session.commit()
    [email] = sla_emails(db, slow)
    return slow, urlsplit(email.context["resume_url"]).path


def test_resume_works_from_the_email_link_once(client, db, factory, market, clock):
    slow, url = _pause(db, factory, market, clock)
    metro, cat, *_ = market
    held = factory.lead(mode="direct", metro=metro, category=cat, requested_provider_id=slow.id)
    routing.route(db.session, held.id)
    db.session.commit()
    assert held.delivery_status == "pending" and held.escrow_reason == "paused"
    path = url
    page = client.get(path)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Resume offers now" in text
    db.session.refresh(slow)
    assert slow.paused, "opening the link alone must not resume (mail scanners follow links)"
    done = client.post(path, data={"csrf_token": csrf_from(text)})
    assert done.status_code == 303
    db.session.refresh(slow)
    assert not slow.paused and slow.sla_paused_at is None and slow.missed_in_row == 0
    db.session.refresh(held)
    assert held.delivery_status == "delivered" and held.assigned_provider_id == slow.id  # held while paused
    assert client.get(path).status_code == 404  # the link belonged to that pause
    assert "provider.sla_resume" in [a.action for a in db.session.scalars(select(AuditLog))]


def test_a_forged_resume_link_is_refused(client, db, factory, market, clock):
    slow, url = _pause(db, factory, market, clock)
    assert client.get("/resume-offers/not-a-token").status_code == 404
    other = sla._serializer().dumps({"p": slow.id, "at": 1})
    assert client.get(f"/resume-offers/{other}").status_code == 404


def test_dashboard_shows_response_rate_median_and_the_pause(db, factory, market, clock, as_provider):
    metro, cat, slow, _ = market
    lead = offered_lead(db, factory, metro, cat, 1)
    clock.advance(timedelta(minutes=2))
    offer_actions.decline(db.session, lead.offers[0].id, slow.id)
    _pause(db, factory, market, clock)
    client = as_provider(slow)
    html = client.get("/provider/").get_data(as_text=True)
    assert "New offers are paused" in html
    assert "25 % (1 answered, 3 unanswered)" in html, html
    assert "2 min" in html
    token = csrf_from(html)
    assert client.post("/provider/resume-offers", data={"csrf_token": token}).status_code == 303
    db.session.refresh(slow)
    assert not slow.paused


def test_admin_sees_auto_paused_providers(db, factory, market, clock, as_admin):
    slow, _ = _pause(db, factory, market, clock)
    dashboard = as_admin.get("/admin/").get_data(as_text=True)
    assert "providers paused for unanswered offers" in dashboard
    listing = as_admin.get("/admin/providers?paused=sla").get_data(as_text=True)
    assert "Slow Pumping" in listing and "Backup Pumping" not in listing and "3 unanswered" in listing
