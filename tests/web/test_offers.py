"""The provider's live offers page and cards; the admin metro policy editor and broadcast actions."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.broadcast import waves
from app.models import AuditLog, Lead, Metro, Offer
from tests.conftest import csrf_from, login
from tests.web.polls import poll_args

PASSWORD = "correct horse battery"
HX = {"HX-Request": "true"}


@pytest.fixture
def setup(db, factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping")
    people = {}
    for name, tier in (("alpha", "pro"), ("bravo", "growth")):
        user = factory.user(email=f"{name}@example.com")
        people[name] = factory.provider(metro=metro, categories=[cat], tier=tier, owner=user, name=name.title() + " Co")
    lead = factory.lead(metro=metro, category=cat, delivery_status="ready")
    waves.start(db.session, lead)
    db.session.commit()
    offers = {name: db.session.scalar(select(Offer.id).where(Offer.provider_id == p.id)) for name, p in people.items()}
    return {"metro": metro, "lead_id": lead.id, "offers": offers, "people": people}


def signed_in(app, email):
    client = app.test_client()
    login(client, email, PASSWORD)
    return client


def post(client, url, data=None, htmx=False):
    token = csrf_from(client.get("/provider/offers").get_data(as_text=True))
    headers = {**HX, "X-CSRFToken": token} if htmx else {}
    return client.post(url, data={**(data or {}), "csrf_token": token}, headers=headers)


def test_offers_page_shows_masked_open_offers_and_polls_once_for_the_page(clock, app, setup):
    client = signed_in(app, "alpha@example.com")
    page = client.get("/provider/offers")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    offer_id = setup["offers"]["alpha"]
    assert f'id="offer-{offer_id}"' in html and 'id="offer-poller"' in html and 'hx-trigger="every 1s"' in html
    assert html.count('hx-trigger="every') == 1, "one poll for the whole page (the bell rides on it), no card polls"
    assert "Maria G." in html and "(***) ***-1234" in html and "m***@gmail.com" in html
    assert "Maria Garcia" not in html and "12 Main St" not in html
    # wave 1 of 3: the countdown is to the next wave, from the server's deadline
    assert re.search(
        r'More providers get this offer in\s*<strong class="countdown" role="timer" aria-live="off" data-seconds="300"\s*'
        r'data-deadline="[^"]+">5:00</strong>',
        html,
    )
    card = client.get(f"/provider/offers/{offer_id}", headers=HX)
    assert card.status_code == 200 and card.get_data(as_text=True).lstrip().startswith("<article")
    assert "Accept lead" in card.get_data(as_text=True)
    # without htmx the card URL is the page
    assert client.get(f"/provider/offers/{offer_id}").status_code == 302


def test_accept_over_htmx_swaps_the_card_and_the_other_page_hears_it_is_taken(app, setup):
    alpha, bravo = signed_in(app, "alpha@example.com"), signed_in(app, "bravo@example.com")
    offers = setup["offers"]
    bravo_page = bravo.get("/provider/offers").get_data(as_text=True)
    response = post(alpha, f"/provider/offers/{offers['alpha']}/accept", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "You accepted this lead" in html
    assert "Maria Garcia" in html and "+17135551234" in html and "hx-trigger" not in html
    assert 'hx-history="false"' in html and response.headers["Cache-Control"] == "no-store"
    poll = bravo.get("/provider/offers/poll", query_string=poll_args(bravo_page), headers=HX)
    text = poll.get_data(as_text=True)
    assert poll.status_code == 200 and "Taken by another provider" in text
    assert f'id="offer-{offers["bravo"]}-status" data-state="taken"' in text and "Accept lead" not in text
    assert "Alpha" not in text and "Maria Garcia" not in text  # never says who, never unmasks
    late = post(bravo, f"/provider/offers/{offers['bravo']}/accept", htmx=True)
    assert late.status_code == 200 and "Another provider accepted this lead first." in late.get_data(as_text=True)


def test_accept_and_decline_work_without_javascript(app, db, setup):
    bravo = signed_in(app, "bravo@example.com")
    offer_id = setup["offers"]["bravo"]
    response = post(bravo, f"/provider/offers/{offer_id}/decline", {"reason": "too_far"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/provider/offers?show=history#offer-{offer_id}")
    page = bravo.get("/provider/offers?show=history").get_data(as_text=True)
    assert "Offer declined" in page and "You declined this offer (Too far away)" in page
    db.session.expire_all()
    assert db.session.get(Offer, offer_id).state == "declined"
    alpha = signed_in(app, "alpha@example.com")
    response = post(alpha, f"/provider/offers/{setup['offers']['alpha']}/accept")
    assert response.status_code == 303
    assert "The lead is yours" in alpha.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Lead, setup["lead_id"]).assigned_provider_id == setup["people"]["alpha"].id


def test_a_bad_decline_reason_changes_nothing_and_says_why(app, db, setup):
    bravo = signed_in(app, "bravo@example.com")
    offer_id = setup["offers"]["bravo"]
    response = post(bravo, f"/provider/offers/{offer_id}/decline", {"reason": "bogus"}, htmx=True)
    assert "Pick a reason from the list" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Offer, offer_id).state == "offered"


def test_other_providers_offers_are_404_and_admins_are_403(app, db, factory, setup):
    alpha = signed_in(app, "alpha@example.com")
    theirs = setup["offers"]["bravo"]
    assert alpha.get(f"/provider/offers/{theirs}", headers=HX).status_code == 404
    assert post(alpha, f"/provider/offers/{theirs}/accept").status_code == 404
    factory.admin(email="boss@example.com")
    db.session.commit()
    assert signed_in(app, "boss@example.com").get("/provider/offers").status_code == 403
    assert app.test_client().get("/provider/offers").status_code in (302, 401)


def test_expired_offer_card_says_closed(app, db, setup, clock):
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/offers").get_data(as_text=True)
    clock.advance(timedelta(hours=2))
    for _ in range(3):
        waves.expand_overdue(db.session)
        db.session.commit()
    poll = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=HX)
    assert poll.status_code == 200 and "This offer closed without an accept" in poll.get_data(as_text=True)
    card = alpha.get(f"/provider/offers/{setup['offers']['alpha']}", headers=HX)
    assert "This offer closed without an accept" in card.get_data(as_text=True)
    tracking = app.test_client().get(f"/t/{db.session.get(Lead, setup['lead_id']).public_token}")
    assert "Still looking" in tracking.get_data(as_text=True)


# ---------------------------------------------------------------------------- admin
@pytest.fixture
def admin_client(app, db, factory):
    factory.admin(email="boss@example.com")
    db.session.commit()
    return signed_in(app, "boss@example.com")


def metro_form(**overrides):
    data = {
        "pool_policy": "strict",
        "consent_wait_hours": "12",
        "unverified_preview": "1",
        "wave-1-tiers": ["pro", "growth", "starter"],
        "wave-1-size": "4",
        "wave-1-minutes": "3",
        "wave-2-tiers": ["free"],
        "wave-2-size": "2",
        "wave-2-minutes": "7",
    }
    data.update(overrides)
    return data


def test_admin_edits_a_metro_policy_with_an_audit_entry(admin_client, db, setup):
    metro_id = setup["metro"].id
    url = f"/admin/metros/{metro_id}"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="balanced" checked' in page and 'name="wave-3-minutes" value="10"' in page
    response = admin_client.post(url, data={**metro_form(), "csrf_token": csrf_from(page)})
    assert response.status_code == 303
    db.session.expire_all()
    metro = db.session.get(Metro, metro_id)
    assert metro.pool_policy == "strict" and metro.consent_wait_hours == 12 and metro.unverified_preview
    assert metro.wave_plan == [
        {"tiers": ["pro", "growth", "starter"], "size": 4, "minutes": 3},
        {"tiers": ["free"], "size": 2, "minutes": 7},
    ]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "metro.policy"))
    assert entry.object_id == metro_id and "wave_plan" in entry.data
    assert "strict" in admin_client.get("/admin/metros").get_data(as_text=True)


def test_bad_metro_policy_names_each_field_and_changes_nothing(admin_client, db, setup):
    metro_id = setup["metro"].id
    url = f"/admin/metros/{metro_id}"
    token = csrf_from(admin_client.get(url).get_data(as_text=True))
    response = admin_client.post(
        url,
        data={
            **metro_form(
                **{"pool_policy": "chaos", "consent_wait_hours": "0", "wave-2-tiers": ["pro"], "wave-2-size": "x"}
            ),
            "csrf_token": token,
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "Pool policy: choose strict, balanced or aggressive.",
        "Consent wait: a whole number of hours from 1 to 336.",
        "Wave 2: pro is already in wave 1; a tier belongs to one wave.",
        "Wave 2: providers must be a whole number from 1 to 50.",
    ):
        assert message.replace("'", "&#39;") in html
    assert 'name="wave-2-size" value="x"' in html  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(Metro, metro_id).pool_policy == "balanced"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "metro.policy")) is None


def test_admin_assigns_an_unaccepted_broadcast_by_hand(admin_client, db, setup, clock):
    clock.advance(timedelta(hours=2))
    for _ in range(3):
        waves.expand_overdue(db.session)
        db.session.commit()
    lead_id = setup["lead_id"]
    listing = admin_client.get("/admin/broadcasts").get_data(as_text=True)
    assert f"/admin/broadcasts/{lead_id}" in listing
    escrow_inbox = admin_client.get("/admin/escrow?reason=unaccepted_broadcast").get_data(as_text=True)
    assert "Unaccepted broadcast" in escrow_inbox and f"/admin/broadcasts/{lead_id}" in escrow_inbox
    assert f"/admin/broadcasts/{lead_id}" in admin_client.get(f"/admin/leads/{lead_id}").get_data(as_text=True)
    page = admin_client.get(f"/admin/broadcasts/{lead_id}").get_data(as_text=True)
    assert "Nobody accepted" in page and "Maria Garcia" in page
    token = csrf_from(page)
    missing = admin_client.post(f"/admin/broadcasts/{lead_id}/assign", data={"csrf_token": token})
    assert missing.status_code == 422 and "Provider: choose who gets this lead." in missing.get_data(as_text=True)
    bravo = setup["people"]["bravo"]
    done = admin_client.post(f"/admin/broadcasts/{lead_id}/assign", data={"csrf_token": token, "provider_id": bravo.id})
    assert done.status_code == 303
    db.session.expire_all()
    lead = db.session.get(Lead, lead_id)
    assert (lead.delivery_status, lead.assigned_provider_id) == ("accepted", bravo.id)
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "broadcast.assign"))
    again = admin_client.post(f"/admin/broadcasts/{lead_id}/restart", data={"csrf_token": token})
    assert again.status_code == 409 and "Only unaccepted broadcast leads can be restarted." in again.get_data(
        as_text=True
    )


def test_admin_restarts_the_waves(admin_client, db, setup, clock):
    clock.advance(timedelta(hours=2))
    for _ in range(3):
        waves.expand_overdue(db.session)
        db.session.commit()
    lead_id = setup["lead_id"]
    token = csrf_from(admin_client.get(f"/admin/broadcasts/{lead_id}").get_data(as_text=True))
    assert admin_client.post(f"/admin/broadcasts/{lead_id}/restart", data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    lead = db.session.get(Lead, lead_id)
    assert lead.delivery_status == "offering" and lead.current_wave == 1
    assert sorted(o.state for o in lead.offers) == ["offered", "offered"]
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "broadcast.restart"))
