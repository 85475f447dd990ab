"""Direct routing: an eligible requested provider gets the lead at once; otherwise escrow."""

from sqlalchemy import select

from app.direct import escrow_inbox, release
from app.leads import routing
from app.models import Assignment, Lead, Notification, OutboxEmail


def direct_lead(factory, provider, **kw):
    return factory.lead(
        mode="direct",
        metro=provider.home_metro,
        requested_provider_id=provider.id,
        category=provider.categories[0],
        **kw,
    )


def test_eligible_provider_gets_the_lead_with_notification_and_email(db, factory, rq, smtp):
    provider = factory.provider(tier="growth", email="office@pro.example")
    lead = direct_lead(factory, provider)
    lead_id, provider_id = lead.id, provider.id
    routing.request_routing(db.session, lead)
    rq.run()
    rq.run()  # the email job queued by routing
    lead = db.session.get(Lead, lead_id)
    assert lead.delivery_status == "delivered" and lead.assigned_provider_id == provider_id
    [assignment] = db.session.scalars(select(Assignment)).all()
    assert (assignment.kind, assignment.status, assignment.teaser) == ("direct", "delivered", False)
    [note] = db.session.scalars(select(Notification)).all()
    assert note.kind == "direct_lead" and note.provider_id == provider_id and note.lead_id == lead_id
    assert note.url == f"/provider/inbox/{lead_id}"
    [message] = smtp.to("office@pro.example")
    assert "New direct request" in message["Subject"]
    body = smtp.text_of(message)
    assert "maria.garcia@gmail.com" in body and "(713) 555-1234" in body and "12 Main St" in body
    assert "Emergency (today)" in body or "This week" in body or "Flexible" in body, body
    assert [e.kind for e in lead.events][-1] == "delivered"
    assert "Sent to" in lead.events[-1].public_text


def test_email_preference_off_keeps_in_app_only(db, factory, rq):
    provider = factory.provider(email_prefs={"direct_lead": False})
    lead = direct_lead(factory, provider)
    routing.route(db.session, lead.id)
    assert db.session.scalar(select(Notification.kind)) == "direct_lead"
    assert db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "direct_lead")).all() == []


def test_ineligible_provider_puts_the_lead_in_escrow_with_the_reason(db, factory):
    cases = {
        "unclaimed": dict(status="unclaimed", tier="free"),
        "unverified": dict(status="claimed"),
        "free_plan": dict(tier="free"),
        "paused": dict(paused=True),
        "suspended": dict(status="suspended"),
        "weekly_cap": dict(weekly_cap=0),
    }
    for reason, kw in cases.items():
        provider = factory.provider(**kw)
        lead = direct_lead(factory, provider)
        assert routing.route(db.session, lead.id)
        db.session.refresh(lead)
        assert (lead.delivery_status, lead.escrow_reason) == ("pending", reason), reason
        assert lead.assigned_provider_id is None
        assert "won't send your request to anyone else" in lead.events[-1].public_text
        assert [r.id for r in escrow_inbox.inbox(db.session, reason=reason).rows] == [lead.id]
    assert db.session.scalars(select(Assignment)).all() == []
    assert db.session.scalars(select(Notification)).all() == []


def test_routing_twice_delivers_once(db, factory):
    provider = factory.provider()
    lead = direct_lead(factory, provider)
    assert routing.route(db.session, lead.id) is True
    assert routing.route(db.session, lead.id) is False
    assert len(db.session.scalars(select(Assignment)).all()) == 1


def test_automatic_release_on_eligibility_delivers_oldest_first_up_to_the_cap(db, factory, clock):
    provider = factory.provider(status="claimed", tier="starter", weekly_cap=2)
    ids = []
    for _ in range(3):
        lead = direct_lead(factory, provider)
        routing.route(db.session, lead.id)
        ids.append(lead.id)
        clock.advance(__import__("datetime").timedelta(minutes=1))
    assert release.release_for_provider(db.session, provider) == []  # still unverified
    provider.status = "verified"
    db.session.flush()
    assert release.release_for_provider(db.session, provider) == ids[:2]
    notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [n.lead_id for n in notes] == ids[:2]
    third = db.session.get(Lead, ids[2])
    assert third.delivery_status == "pending" and third.escrow_reason == "weekly_cap"
    assert "Released automatically" in db.session.get(Lead, ids[0]).events[-1].text


def test_inbox_reason_follows_the_provider(db, factory):
    provider = factory.provider(status="unclaimed", tier="free")
    lead = direct_lead(factory, provider)
    routing.route(db.session, lead.id)
    assert escrow_inbox.reason_of(lead) == "unclaimed"
    provider.status = "claimed"  # claimed since: the inbox says what holds it now
    db.session.flush()
    assert escrow_inbox.reason_of(lead) == "unverified"
    assert release.release_for_provider(db.session, provider) == []
    db.session.refresh(lead)
    assert lead.escrow_reason == "unverified"
    provider.status, provider.paused = "verified", True
    provider.tier = "growth"
    db.session.flush()
    assert escrow_inbox.reason_of(lead) == "paused"
    provider.paused = False
    db.session.flush()
    assert escrow_inbox.reason_of(lead) == "eligible_now"
    assert [r.id for r in escrow_inbox.inbox(db.session, reason="eligible_now").rows] == [lead.id]


def test_admin_approving_verification_releases_the_escrowed_lead(db, factory, rq, smtp):
    from app.accounts import verification

    owner = factory.user(email="owner@paid.example")
    provider = factory.provider(status="claimed", tier="starter", owner=owner)
    lead = direct_lead(factory, provider)
    routing.route(db.session, lead.id)
    assert lead.delivery_status == "pending" and lead.escrow_reason == "unverified"
    request = verification.submit(
        db.session, provider, owner, licence_number="HOU-1", service_phone="+17135550100", note=None
    )
    verification.decide(db.session, request.id, factory.admin(), approve=True, note="ok")
    db.session.refresh(lead)
    assert lead.delivery_status == "delivered" and lead.assigned_provider_id == provider.id
    lead_id = lead.id
    rq.run()
    [delivered] = [m for m in smtp.to("owner@paid.example") if "New direct request" in m["Subject"]]
    assert "maria.garcia@gmail.com" in smtp.text_of(delivered)
    assert db.session.scalar(
        select(Notification.id).where(Notification.lead_id == lead_id, Notification.kind == "direct_lead")
    )
