"""Urgency-aware escrow (issue 13): a direct request that cannot be delivered says why at once,
an emergency asks at once whether others may have it, and "yes" offers it within seconds."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.direct import consent
from app.leads import routing
from app.models import Lead, Offer, OutboxEmail
from tests.conftest import csrf_from, login
from tests.web.test_intake import good_data, post_form


@pytest.fixture
def houston(factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping", slug="grease-trap-pumping")
    free = factory.provider(metro=metro, categories=[cat], name="Bayou Pumping", status="verified", tier="free")
    free.slug = "bayou"
    pros = [factory.provider(metro=metro, categories=[cat], name=f"Pro {i}", tier="pro") for i in range(3)]
    factory.session.commit()
    return metro, cat, free, pros


def _confirmation(db, lead):
    return db.session.scalar(select(OutboxEmail).where(OutboxEmail.dedupe_key == f"lead:{lead.id}:confirmation"))


def test_emergency_to_a_free_provider_asks_at_once_and_yes_offers_it_within_seconds(client, db, houston, rq, clock):
    metro, cat, free, pros = houston
    response = post_form(client, "/p/bayou/request", good_data(cat, urgency="emergency"))
    assert response.status_code == 303
    lead = db.session.scalar(select(Lead))
    email = _confirmation(db, lead)
    context = email.context
    assert context["ask_consent"] is True, context
    assert "doesn't take requests instantly" in context["why"], context
    # in words, never the provider's plan
    assert "free" not in context["why"].lower() and "plan" not in context["why"].lower()
    rq.run()  # routing: escrowed
    db.session.refresh(lead)
    assert lead.delivery_status == "pending" and lead.escrow_reason == "free_plan"
    page = client.get(response.headers["Location"]).get_data(as_text=True).replace("&#39;", "'")
    assert "can't take your emergency request right now" in page, page[:3000]
    assert "Yes, offer it to others" in page and "doesn't take requests instantly" in page
    assert "Free plan" not in page and "free plan" not in page
    # the sweep records the question; the confirmation already asked it, so no second email
    assert consent.ask_due(db.session) == 1
    assert not db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "consent_request")).all()
    db.session.commit()
    token = csrf_from(page)
    started = clock.now()
    answered = client.post(
        f"{response.headers['Location']}/consent", data={"csrf_token": token, "answer": "yes"}, follow_redirects=False
    )
    assert answered.status_code in (200, 303), answered.status_code
    rq.run()  # the routing job the "yes" enqueued
    db.session.refresh(lead)
    offers = db.session.scalars(select(Offer).where(Offer.lead_id == lead.id)).all()
    assert lead.mode == "broadcast" and lead.delivery_status == "offering", lead
    assert {o.provider_id for o in offers} == {p.id for p in pros}, offers
    assert all(o.offered_at - started < timedelta(seconds=5) for o in offers)


def test_emergency_email_text_says_why_and_offers_the_choice(db, houston, client, smtp, rq):
    _, cat, _, _ = houston
    post_form(client, "/p/bayou/request", good_data(cat, urgency="emergency"))
    rq.run()
    [message] = smtp.wait_for(1)
    body = smtp.text_of(message)
    assert "Bayou Pumping can't take your emergency request right now" in message["Subject"], message["Subject"]
    assert "doesn't take requests instantly through FogForge" in body and "offer it to other providers" in body, body


def test_a_this_week_request_waits_the_metro_consent_wait_before_asking(client, db, houston, rq, clock):
    _, cat, _, _ = houston
    response = post_form(client, "/p/bayou/request", good_data(cat, urgency="this_week"))
    lead = db.session.scalar(select(Lead))
    assert _confirmation(db, lead).context["ask_consent"] is False
    rq.run()
    page = client.get(response.headers["Location"]).get_data(as_text=True).replace("&#39;", "'")
    assert "Yes, offer it to others" not in page
    assert "can't receive your request yet" in page and "after 24 hours" in page, page[:3000]
    clock.advance(timedelta(hours=24, seconds=1))
    page = client.get(response.headers["Location"]).get_data(as_text=True).replace("&#39;", "'")
    assert "Yes, offer it to others" in page


def test_emergency_wait_is_a_metro_setting(client, db, houston, rq, clock):
    metro, cat, _, _ = houston
    metro.consent_wait_emergency_minutes = 15
    db.session.commit()
    response = post_form(client, "/p/bayou/request", good_data(cat, urgency="emergency"))
    rq.run()
    page = client.get(response.headers["Location"]).get_data(as_text=True).replace("&#39;", "'")
    assert "Yes, offer it to others" not in page and "after 15 minutes" in page
    clock.advance(timedelta(minutes=15, seconds=1))
    assert "Yes, offer it to others" in client.get(response.headers["Location"]).get_data(as_text=True).replace(
        "&#39;", "'"
    )


def test_provider_page_of_a_provider_that_cannot_receive_drops_the_5_minute_badge(client, db, houston, factory):
    metro, cat, free, pros = houston
    # both answered fast (median well under 5 min), but only the paid one can receive requests now
    from app.models import Assignment

    for provider in (free, pros[0]):
        lead = factory.lead(metro=metro, category=cat)
        db.session.add(
            Assignment(
                lead_id=lead.id,
                provider_id=provider.id,
                kind="broadcast",
                notified_at=lead.created_at,
                created_at=lead.created_at + timedelta(minutes=1),
            )
        )
    db.session.commit()
    free_page = client.get("/p/bayou").get_data(as_text=True).replace("&#39;", "'")
    assert "Responds within 5 min" not in free_page and "Not taking instant requests now" in free_page
    assert "doesn't take requests instantly" in free_page and "Get help fast from anyone in Houston" in free_page
    pro_page = client.get(f"/p/{pros[0].slug}").get_data(as_text=True).replace("&#39;", "'")
    assert "Responds within 5 min" in pro_page and "Not taking instant requests now" not in pro_page
    metro_page = client.get("/m/houston").get_data(as_text=True).replace("&#39;", "'")
    assert metro_page.count("Responds within 5 min") == 1 and metro_page.count("Not taking instant requests now") == 1
    form = client.get("/p/bayou/request").get_data(as_text=True).replace("&#39;", "'")
    assert "can't receive requests instantly right now" in form and "straight away" in form
    assert "can't receive requests instantly" not in client.get(f"/p/{pros[0].slug}/request").get_data(
        as_text=True
    ).replace("&#39;", "'")


def test_escrow_inbox_puts_emergencies_first_shows_urgency_and_keeps_counts_true(client, db, houston, factory):
    metro, cat, free, _ = houston
    factory.admin(email="admin@example.com")
    older = factory.lead(mode="direct", metro=metro, category=cat, requested_provider_id=free.id, urgency="flexible")
    urgent = factory.lead(mode="direct", metro=metro, category=cat, requested_provider_id=free.id, urgency="emergency")
    for lead in (older, urgent):
        routing.route(db.session, lead.id)
    db.session.commit()
    login(client, "admin@example.com", "correct horse battery")
    html = client.get("/admin/escrow").get_data(as_text=True).replace("&#39;", "'")
    assert html.index(f'id="escrow-{urgent.id}"') < html.index(f'id="escrow-{older.id}"')
    assert "Emergency (today)" in html and "Emergencies" in html
    token = csrf_from(html)
    answer = (
        client.post(
            f"/admin/escrow/{urgent.id}/spam",
            data={"back": "/admin/escrow"},
            headers={"HX-Request": "true", "X-CSRFToken": token},
        )
        .get_data(as_text=True)
        .replace("&#39;", "'")
    )
    assert 'id="escrow-counts" hx-swap-oob="true"' in answer, answer
    counts = answer[answer.index('id="escrow-counts"') :]
    assert 'All <span class="badge badge-muted">1</span>' in counts, counts
    assert "Emergencies" not in counts  # no emergency waits any more: its filter goes


def test_metro_settings_refuse_a_bad_emergency_wait_and_change_nothing(client, db, houston, factory):
    metro, *_ = houston
    factory.admin(email="admin@example.com")
    db.session.commit()
    login(client, "admin@example.com", "correct horse battery")
    page = client.get(f"/admin/metros/{metro.id}").get_data(as_text=True).replace("&#39;", "'")
    form = {
        "csrf_token": csrf_from(page),
        "pool_policy": "balanced",
        "consent_wait_hours": "24",
        "consent_wait_emergency_minutes": "-5",
        "sla_miss_limit": "4",
        "wave-1-tiers": ["pro", "growth"],
        "wave-1-size": "3",
        "wave-1-minutes": "5",
    }
    refused = client.post(f"/admin/metros/{metro.id}", data=form)
    assert refused.status_code == 422 and "Emergency consent wait: a whole number of minutes" in refused.get_data(
        as_text=True
    )
    db.session.refresh(metro)
    assert metro.consent_wait_emergency_minutes == 0 and metro.sla_miss_limit == 3
    saved = client.post(f"/admin/metros/{metro.id}", data={**form, "consent_wait_emergency_minutes": "10"})
    assert saved.status_code == 303
    db.session.refresh(metro)
    assert metro.consent_wait_emergency_minutes == 10 and metro.sla_miss_limit == 4


def _page(client, url):
    return client.get(url).get_data(as_text=True).replace("&#39;", "'")


def test_a_waiting_this_week_request_can_be_offered_to_others_at_once_and_only_once(client, db, houston, rq, clock):
    """Don't want to wait? The customer opens a waiting non-urgent direct request to others before
    the 24 h wait: it is routed as broadcast at once; a double submit converts it once."""
    _, cat, free, pros = houston
    response = post_form(client, "/p/bayou/request", good_data(cat, urgency="this_week"))
    url = response.headers["Location"]
    rq.run()  # routing: escrowed (free plan), the question is not due for 24 h
    lead = db.session.scalar(select(Lead))
    assert lead.delivery_status == "pending" and not consent.due(lead) and consent.early(lead)
    page = _page(client, url)
    assert "Offer your request to other providers?" not in page  # the question itself waits
    assert "Don't want to wait?" in page and "Offer it to other providers now" in page, page[:3000]
    assert "doesn't take requests instantly" in page  # consent.why, as before
    token = csrf_from(page)
    first = client.post(f"{url}/consent", data={"csrf_token": token, "answer": "yes"})
    again = client.post(f"{url}/consent", data={"csrf_token": token, "answer": "yes"})  # a double submit
    assert first.status_code == again.status_code == 303
    rq.run()  # the routing job the "yes" enqueued
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert (lead.consent, lead.mode, lead.delivery_status) == ("yes", "broadcast", "offering"), lead
    assert lead.requested_provider_id == free.id
    offers = db.session.scalars(select(Offer).where(Offer.lead_id == lead.id)).all()
    assert {o.provider_id for o in offers} == {p.id for p in pros}, offers
    kinds = [e.kind for e in lead.events]
    assert kinds.count("consent_yes") == 1 and kinds.count("converted_to_broadcast") == 1, kinds
    page = _page(client, url)
    assert "You've already answered; nothing was changed" in page  # the second submit's flash
    assert "You asked us to offer your request to other providers now." in page
    assert "Don't want to wait?" not in page


def test_early_no_is_not_taken_and_the_question_still_comes_after_the_wait(db, houston, client, rq, clock):
    _, cat, _, _ = houston
    post_form(client, "/p/bayou/request", good_data(cat, urgency="flexible"))
    rq.run()
    lead = db.session.scalar(select(Lead))
    from tests.conftest import refusal_of

    assert "nothing to answer yet" in refusal_of(consent.answer, db.session, lead, False).message
    assert lead.consent is None and lead.mode == "direct"
    clock.advance(timedelta(hours=24, seconds=1))
    assert consent.due(lead) and not consent.early(lead)


def test_a_request_no_longer_waiting_refuses_the_early_yes_and_changes_nothing(client, db, houston, rq):
    from app.direct import release

    _, cat, free, _ = houston
    response = post_form(client, "/p/bayou/request", good_data(cat, urgency="this_week"))
    url = response.headers["Location"]
    rq.run()
    token = csrf_from(_page(client, url))  # the page the customer had open, with the early choice
    free.tier = "pro"  # the provider upgrades: its waiting request is released to it
    lead = db.session.scalar(select(Lead))
    assert release.release_for_provider(db.session, free) == [lead.id]
    db.session.commit()
    events = len(lead.events)
    refused = client.post(f"{url}/consent", data={"csrf_token": token, "answer": "yes"})
    assert refused.status_code == 303
    page = _page(client, refused.headers["Location"])
    assert "Your request is no longer waiting for Bayou Pumping, so nothing was changed" in page, page[:3000]
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert (lead.consent, lead.mode, lead.delivery_status) == (None, "direct", "delivered")
    assert len(lead.events) == events
    assert not db.session.scalars(select(Offer).where(Offer.lead_id == lead.id)).all()


def test_the_confirmation_of_a_waiting_request_links_to_offer_it_now(db, houston, client, smtp, rq):
    _, cat, _, _ = houston
    response = post_form(client, "/p/bayou/request", good_data(cat, urgency="this_week"))
    lead = db.session.scalar(select(Lead))
    context = _confirmation(db, lead).context
    assert context["offer_now"] is True and context["ask_consent"] is False, context
    rq.run()
    [message] = smtp.wait_for(1)
    body = smtp.text_of(message)
    assert "We received your" in message["Subject"], message["Subject"]
    assert "Don't want to wait?" in body and "offer it to other providers in Houston now" in body, body
    choice = body.split("Don't want to wait?")[1].split("Follow your request here")[0]
    assert f"{response.headers['Location']}\r\n" in choice, choice  # a link to the tracking page (a GET)
    # an emergency already asks; a request the provider can take gets no such line
    assert consent.confirmation_asked(db.session, lead) is False
