"""Issue 11: the change version behind the live polls, and what the polls answer.

The version: bumped in the transaction that changes what a provider watches, copied to Redis
after commit, read from the database (and re-seeded) when Redis lost it: a change is never
missed. The poll: 204 while the page has the current version; otherwise only what changed,
out-of-band (new cards, a card's status region, its actions removed, the bell)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.broadcast import offer_actions, waves
from app.models import Notification, Offer
from app.platform import changes, notify
from app.platform.queue import redis_connection
from tests.conftest import csrf_from, login
from tests.web.polls import new_broadcast, poll_args, two_pro_providers

PASSWORD = "correct horse battery"
HX = {"HX-Request": "true"}


@pytest.fixture
def scene(db, factory):
    return two_pro_providers(db, factory)


def offer_of(db, lead, provider) -> int:
    return db.session.scalar(select(Offer.id).where(Offer.lead_id == lead.id, Offer.provider_id == provider.id))


def signed_in(app, email):
    client = app.test_client()
    login(client, email, PASSWORD)
    return client


# ---------------------------------------------------------------------------- the version
def test_every_watched_change_moves_the_version_and_redis_follows_the_database(db, factory, scene):
    alpha = scene["people"]["alpha"]
    seen = [changes.version(db.session, alpha.id)]

    def moved(what: str) -> None:
        now = changes.version(db.session, alpha.id)
        assert now > seen[-1], f"{what}: version stayed at {now}"
        assert now == changes.stored_version(db.session, alpha.id), f"{what}: Redis {now} != database"
        seen.append(now)

    lead = new_broadcast(db, factory, scene)
    moved("a new offer")
    notify.mark_read(db.session, alpha.id)
    db.session.commit()
    moved("mark read")
    offer_actions.accept(db.session, offer_of(db, lead, scene["people"]["bravo"]), scene["people"]["bravo"].id)
    db.session.commit()
    moved("the offer taken by another provider")
    lead2 = new_broadcast(db, factory, scene)
    moved("a second offer")
    offer_actions.decline(db.session, offer_of(db, lead2, alpha), alpha.id, "too_far")
    db.session.commit()
    moved("a decline")


def test_a_rolled_back_change_does_not_move_the_version(db, scene):
    alpha = scene["people"]["alpha"]
    before = changes.version(db.session, alpha.id)
    notify.notify(db.session, alpha, "direct_lead", "never committed")
    db.session.rollback()
    assert changes.version(db.session, alpha.id) == before


def test_no_change_is_missed_after_redis_is_flushed(db, factory, scene):
    alpha = scene["people"]["alpha"]
    new_broadcast(db, factory, scene)
    had = changes.version(db.session, alpha.id)
    assert had > 0
    redis_connection().flushdb()
    assert changes.version(db.session, alpha.id) == had, "read back from the database after the flush"
    assert int(redis_connection().get(changes.KEY.format(alpha.id))) == had, "and Redis re-seeded with it"
    redis_connection().flushdb()  # lost again, then a change: the version still moves past what the page had
    notify.notify(db.session, alpha, "direct_lead", "after the flush")
    db.session.commit()
    redis_connection().flushdb()
    assert changes.version(db.session, alpha.id) > had


def test_redis_never_goes_back_to_an_older_value(db, scene):
    alpha = scene["people"]["alpha"]
    notify.notify(db.session, alpha, "direct_lead", "one")
    db.session.commit()
    current = changes.version(db.session, alpha.id)
    changes._raise(alpha.id, current - 1)  # a late publisher from an older transaction
    assert changes.version(db.session, alpha.id) == current


# ---------------------------------------------------------------------------- the poll
def test_the_offers_poll_answers_204_while_nothing_changed(app, db, factory, scene):
    new_broadcast(db, factory, scene)
    client = signed_in(app, "alpha@example.com")
    page = client.get("/provider/offers").get_data(as_text=True)
    for _ in range(3):
        poll = client.get("/provider/offers/poll", query_string=poll_args(page), headers=HX)
        assert poll.status_code == 204 and poll.get_data() == b"", poll.get_data(as_text=True)[:300]
    bell = re.search(r"hx-vals='\{&#34;v&#34;: (\d+)\}'|hx-vals='\{\"v\": (\d+)\}'", page)
    assert bell is None, "on the offers page the bell rides on the offers poll"
    other = client.get("/provider/inbox").get_data(as_text=True)
    v = re.search(r'hx-vals=\'\{"v": (\d+)\}\'', other).group(1)
    assert client.get(f"/provider/notifications/bell?v={v}", headers=HX).status_code == 204


def test_a_new_offer_arrives_as_an_out_of_band_card_and_a_taken_one_swaps_only_its_status(app, db, factory, scene):
    alpha_p, bravo_p = scene["people"]["alpha"], scene["people"]["bravo"]
    first = new_broadcast(db, factory, scene, customer_name="First Customer")
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/offers").get_data(as_text=True)
    assert "<title>(1) Offers · FogForge</title>" in page

    second = new_broadcast(db, factory, scene, customer_name="Second Customer")
    poll = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=HX)
    text = poll.get_data(as_text=True)
    assert poll.status_code == 200 and poll.headers["Cache-Control"] == "no-store"
    assert '<div hx-swap-oob="afterbegin:#open-offers">' in text
    assert f'id="offer-{offer_of(db, second, alpha_p)}"' in text and "Second C." in text
    assert f'id="offer-{offer_of(db, first, alpha_p)}' not in text, "an unchanged card is not sent again"
    assert "notification-bell" in text and 'hx-swap-oob="true"' in text, "the bell: one more unread"

    offer_actions.accept(db.session, offer_of(db, first, bravo_p), bravo_p.id)
    db.session.commit()
    poll2 = alpha.get("/provider/offers/poll", query_string=poll_args(page, text), headers=HX)
    text2 = poll2.get_data(as_text=True)
    mine = offer_of(db, first, alpha_p)
    assert f'<div class="offer-status" id="offer-{mine}-status" data-state="taken"' in text2
    assert f'id="offer-{mine}-actions" hx-swap-oob="true"' in text2 and "Accept lead" not in text2
    assert f'<article class="card offer-card" id="offer-{mine}"' not in text2, "never the whole card"
    assert 'name="reason"' not in text2, "a form the provider may be using is never sent again"
    assert "First Customer" not in text2
    again = alpha.get("/provider/offers/poll", query_string=poll_args(page, text, text2), headers=HX)
    assert again.status_code == 204


def test_the_winner_with_the_page_open_gets_the_contact_by_the_poll(app, db, factory, scene):
    alpha_p = scene["people"]["alpha"]
    lead = new_broadcast(db, factory, scene, customer_name="Wanda Winner", customer_email="wanda@example.com")
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/offers").get_data(as_text=True)
    assert "wanda@example.com" not in page
    offer_actions.accept(db.session, offer_of(db, lead, alpha_p), alpha_p.id)  # e.g. from another tab
    db.session.commit()
    text = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=HX).get_data(as_text=True)
    assert 'data-state="mine"' in text and "wanda@example.com" in text


def test_a_wave_expansion_moves_the_countdown_of_the_open_card(app, db, factory, scene, clock):
    from datetime import timedelta

    lead = new_broadcast(db, factory, scene)
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/offers").get_data(as_text=True)
    clock.advance(timedelta(minutes=6))
    assert waves.expand(db.session, lead.id, lead.current_wave) in ("expanded", "fallback")
    db.session.commit()
    text = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=HX).get_data(as_text=True)
    assert f'id="offer-{offer_of(db, lead, scene["people"]["alpha"])}-status"' in text


def test_mark_read_lowers_the_bell_at_once(app, db, factory, scene):
    alpha_p = scene["people"]["alpha"]
    for i in range(2):
        notify.notify(db.session, alpha_p, "direct_lead", f"note {i}")
    db.session.commit()
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/notifications").get_data(as_text=True)
    assert 'class="bell-count">2<' in page
    note = db.session.scalar(select(Notification.id).where(Notification.provider_id == alpha_p.id))
    answer = alpha.post(f"/provider/notifications/{note}/read", headers={**HX, "X-CSRFToken": csrf_from(page)})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and text.lstrip().startswith("<li")
    assert 'id="notification-bell"' in text and 'hx-swap-oob="true"' in text and 'class="bell-count">1<' in text


def test_new_offer_notifications_say_when_the_offer_was_taken(app, db, factory, scene):
    bravo_p = scene["people"]["bravo"]
    lead = new_broadcast(db, factory, scene)
    alpha = signed_in(app, "alpha@example.com")
    assert "First to accept gets it." in alpha.get("/provider/notifications").get_data(as_text=True)
    offer_actions.accept(db.session, offer_of(db, lead, bravo_p), bravo_p.id)
    db.session.commit()
    page = alpha.get("/provider/notifications").get_data(as_text=True)
    assert "First to accept gets it." not in page and "Taken by another provider." in page


def test_offers_page_shows_open_offers_and_history_behind_a_filter(app, db, factory, scene):
    alpha_p, bravo_p = scene["people"]["alpha"], scene["people"]["bravo"]
    taken = new_broadcast(db, factory, scene, customer_name="Taken Customer")
    offer_actions.accept(db.session, offer_of(db, taken, bravo_p), bravo_p.id)
    db.session.commit()
    new_broadcast(db, factory, scene, customer_name="Open Customer")
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/offers").get_data(as_text=True)
    assert "Open C." in page and "Taken C." not in page and 'href="/provider/offers?show=history"' in page
    history = alpha.get("/provider/offers?show=history").get_data(as_text=True)
    assert "Taken C." in history and "Open C." not in history and "offer-poller" not in history
    assert offer_of(db, taken, alpha_p)


def test_offer_email_shows_local_time_labels_formatted_phone_and_zip(app, db, factory, scene):
    from app.models import OutboxEmail
    from app.platform import outbox

    new_broadcast(db, factory, scene, urgency="emergency", postal_code="77002", customer_phone="+17135551234")
    mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "new_offer"))
    subject, text, html = outbox.render(mail)
    for shown in ("Emergency (today)", "(***) ***-1234", "Houston 77002"):
        assert shown in text, f"{shown!r} not in:\n{text}"
    assert re.search(r"Received: \w+ \d+, \d+:\d\d [AP]M C[SD]T", text), text
    assert re.search(r"closes at \d+:\d\d [AP]M C[SD]T", text), text
    assert "emergency\n" not in text and "UTC" not in text
