"""Web Push, end to end against a real local push service (tests/push_service.py): the app signs
with VAPID and encrypts (aes128gcm); the service verifies the signature and decrypts with the
device's own keys, so these tests read back exactly what a lock screen would show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import jobs
from app.broadcast import waves
from app.direct import direct
from app.models import OutboxPush, PushPreference, PushSubscription
from app.platform import push, sweep
from tests.push_service import LocalPushService

CONTACT_FORMS = [
    "maria.garcia@gmail.com",
    "+17135551234",
    "7135551234",
    "(713) 555-1234",
    "12 Main St",
    "Maria",
    "Garcia",
]


@pytest.fixture(scope="module")
def push_server(app):
    with app.app_context():
        key = push.public_key()
    server = LocalPushService(expected_key=key).start()
    yield server
    server.stop()


@pytest.fixture
def push_service(push_server, db):
    push_server.clear()
    yield push_server
    push_server.clear()


@pytest.fixture
def market(factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping")

    def provider(**kw):
        kw.setdefault("categories", [cat])
        return factory.provider(metro=kw.pop("metro", metro), **kw)

    return metro, cat, provider


def subscribe(as_provider, provider, push_service):
    """Subscribe a new device for `provider` the way push.js does (JSON + CSRF header)."""
    device = push_service.new_subscription()
    client = as_provider(provider)
    response = client.post(
        "/provider/push/subscribe",
        json=device.as_json(),
        headers={"X-CSRFToken": client.csrf_token(), "User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131.0"},
        csrf=False,
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["label"] == "Chrome on Android"
    return device, client


def offer_lead(db, factory, metro, cat, **kw):
    lead = factory.lead(metro=metro, category=cat, delivery_status="ready", **kw)
    assert waves.start(db.session, lead)
    db.session.flush()
    return lead


def test_new_offer_reaches_the_device_masked_signed_and_encrypted(
    db, factory, market, as_provider, push_service, rq, clock
):
    metro, cat, provider = market
    pro = provider()
    device, _ = subscribe(as_provider, pro, push_service)
    lead = offer_lead(db, factory, metro, cat)
    offer = lead.offers[0]
    assert rq.push_queue.count == 0, "nothing is enqueued before commit"
    db.session.commit()
    assert rq.push_queue.count == 1, "the push goes on its own queue"
    rq.run()

    [msg] = push_service.wait_for(1, token=device.token)
    assert msg.payload["title"] == "New offer: grease trap pumping in Houston", msg.payload
    assert msg.payload["body"].startswith("5:00 to accept"), msg.payload
    assert msg.payload["url"] == f"/provider/offers#offer-{offer.id}"
    leaked = [form for form in CONTACT_FORMS if form in msg.raw]
    assert not leaked, f"the push shows {leaked}: {msg.raw}"
    assert msg.headers.get("urgency") == "high" and int(msg.headers["ttl"]) > 0, msg.headers
    row = db.session.scalar(select(OutboxPush).where(OutboxPush.lead_id == lead.id))
    assert row.status == "sent" and row.attempts == 1, (row.status, row.attempts, row.last_error)
    assert db.session.scalar(select(PushSubscription.last_success_at)) is not None

    # sent once per row: the job running again (a duplicate from RQ or the sweep) sends nothing
    row_id = row.id
    db.session.commit()
    assert jobs.send_push(row_id) == "skipped"
    assert len(push_service.received) == 1


def test_direct_delivery_push_never_carries_the_contact_the_provider_is_entitled_to(
    db, factory, market, as_provider, push_service, rq
):
    metro, cat, provider = market
    pro = provider()
    device, _ = subscribe(as_provider, pro, push_service)
    lead = factory.lead(metro=metro, category=cat, mode="direct", urgency="emergency")
    direct.notify_delivered(db.session, lead, pro)
    rq.run()
    [msg] = push_service.wait_for(1, token=device.token)
    assert msg.payload["title"] == "New direct request: grease trap pumping in Houston"
    assert msg.payload["body"].startswith("Emergency (today)")
    assert not [form for form in CONTACT_FORMS if form in msg.raw], msg.raw


def test_gone_subscription_is_deleted_and_the_row_kept(db, factory, market, as_provider, push_service, rq):
    metro, cat, provider = market
    pro = provider()
    device, _ = subscribe(as_provider, pro, push_service)
    push_service.answer(device, 410)
    lead = offer_lead(db, factory, metro, cat)
    rq.run()
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0, "a 410 deletes the subscription"
    row = db.session.scalar(select(OutboxPush).where(OutboxPush.lead_id == lead.id))
    assert (row.status, row.subscription_id) == ("gone", None)
    assert push_service.received == []


def test_a_failing_push_service_is_retried_and_the_message_arrives_once(
    db, factory, market, as_provider, push_service, rq, clock
):
    metro, cat, provider = market
    pro = provider()
    device, _ = subscribe(as_provider, pro, push_service)
    push_service.answer(device, 503)
    lead = offer_lead(db, factory, metro, cat)
    rq.run()  # the job fails; RQ schedules a retry (and the sweep would find the row)
    row = db.session.scalar(select(OutboxPush).where(OutboxPush.lead_id == lead.id))
    assert (row.status, row.attempts) == ("pending", 1), (row.status, row.attempts, row.last_error)
    assert "503" in (row.last_error or "")
    rq.push_queue.empty()  # Redis lost the retry: the sweep finds the overdue row
    clock.advance(timedelta(seconds=16))
    assert sweep.run(db.session)["pushes"] == 1
    rq.run()
    push_service.wait_for(1, token=device.token)
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("sent", 2)
    assert sweep.run(db.session)["pushes"] == 0
    assert len(push_service.received) == 1


def test_an_offer_that_closed_before_sending_is_not_pushed(db, factory, market, as_provider, push_service, rq, clock):
    metro, cat, provider = market
    pro = provider()
    subscribe(as_provider, pro, push_service)
    lead = offer_lead(db, factory, metro, cat)
    db.session.commit()
    rq.push_queue.empty()
    clock.advance(timedelta(minutes=6))
    row_id = db.session.scalar(select(OutboxPush.id).where(OutboxPush.lead_id == lead.id))
    db.session.commit()
    assert jobs.send_push(row_id) == "stale"
    assert push_service.received == []


def test_preferences_and_quiet_hours_suppress_and_emergencies_break_through(
    db, factory, market, as_provider, push_service, rq, clock
):
    metro, cat, provider = market
    pro = provider()
    device, client = subscribe(as_provider, pro, push_service)
    clock.freeze(datetime(2026, 3, 3, 5, 0, tzinfo=UTC))  # 23:00 in Houston (CST)

    def count_for(**lead_kw) -> int:
        before = db.session.scalar(select(func.count(OutboxPush.id)))
        offer_lead(db, factory, metro, cat, **lead_kw)
        return db.session.scalar(select(func.count(OutboxPush.id))) - before

    def save(**form):
        data = {"kinds": ["new_offer", "direct_lead", "quote_available"], "emergencies_break_through": "y", **form}
        data = {k: v for k, v in data.items() if v is not None}
        return client.post("/provider/settings/notifications", data=data)

    assert count_for() == 1, "no preferences: every kind, any time"
    assert save(kinds=["direct_lead"]).status_code == 303
    assert count_for() == 0, "new offers switched off"

    assert save(quiet_start="22:00", quiet_end="07:00").status_code == 303
    assert count_for(urgency="this_week") == 0, "23:00 is inside 22:00-07:00"
    assert count_for(urgency="emergency") == 1, "an emergency breaks through"
    assert save(quiet_start="22:00", quiet_end="07:00", emergencies_break_through=None).status_code == 303
    assert count_for(urgency="emergency") == 0, "unless the provider says no"
    clock.advance(timedelta(hours=8, minutes=1))  # 07:01 local
    assert count_for(urgency="this_week") == 1, "quiet hours are over"

    bad = save(quiet_start="22:00", quiet_end="")
    assert bad.status_code == 422 and "Give both a start and an end" in bad.get_data(as_text=True)
    rq.run()
    push_service.wait_for(1, token=device.token)
    statuses = sorted(db.session.scalars(select(OutboxPush.status)))
    assert statuses == ["sent", "stale", "stale"], "offers that closed hours ago are not pushed late"


def test_devices_are_listed_and_removable_only_by_their_provider(db, market, as_provider, push_service, anon):
    _, _, provider = market
    mine, other = provider(), provider()
    subscribe(as_provider, mine, push_service)
    device_id = db.session.scalar(select(PushSubscription.id))
    page = as_provider(mine).get("/provider/settings/notifications").get_data(as_text=True)
    assert "Chrome on Android" in page and "Turn on notifications on this device" in page
    assert "needs JavaScript" in page, "the page explains what happens without push support"

    stranger = as_provider(other)
    assert stranger.post(f"/provider/settings/notifications/devices/{device_id}/remove").status_code == 404
    owner = as_provider(mine)
    assert owner.post(f"/provider/settings/notifications/devices/{device_id}/remove", csrf=False).status_code == 400
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 1
    assert owner.post(f"/provider/settings/notifications/devices/{device_id}/remove").status_code == 303
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0
    assert anon.post("/provider/push/subscribe", json={}).status_code in (302, 400, 401, 403)


def test_subscribe_refuses_what_a_browser_would_never_send(db, market, as_provider, push_service):
    _, _, provider = market
    client = as_provider(provider())
    good = push_service.new_subscription().as_json()
    headers = {"X-CSRFToken": client.csrf_token()}
    for bad, field in (
        ({**good, "endpoint": "http://10.0.0.5/push/x"}, "endpoint"),
        ({**good, "endpoint": "https://192.168.1.2/push/x"}, "endpoint"),
        ({**good, "endpoint": "ftp://push.example/x"}, "endpoint"),
        ({**good, "keys": {**good["keys"], "p256dh": "AAAA"}}, "p256dh"),
        ({**good, "keys": {**good["keys"], "auth": "not base64 !!"}}, "auth"),
    ):
        response = client.post("/provider/push/subscribe", json=bad, headers=headers, csrf=False)
        assert response.status_code == 422 and field in response.json["fields"], (bad, response.json)
    without_csrf = client.post("/provider/push/subscribe", json=good, csrf=False)
    assert without_csrf.status_code == 400, "a subscribe without the CSRF header is refused"
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0

    ok = client.post("/provider/push/subscribe", json=good, headers=headers, csrf=False)
    assert ok.status_code == 201
    again = client.post("/provider/push/subscribe", json=good, headers=headers, csrf=False)
    assert again.status_code == 201 and again.json["id"] == ok.json["id"], "the same browser is one device"
    gone = client.post("/provider/push/unsubscribe", json={"endpoint": good["endpoint"]}, headers=headers, csrf=False)
    assert gone.json == {"removed": True}


def test_push_is_sent_before_a_burst_of_emails(db, factory, market, as_provider, push_service, rq, smtp):
    """The worker listens on the push queue first: 30 emails queued before it do not delay it."""
    from app.models import OutboxEmail

    metro, cat, provider = market
    pro = provider(email=None)  # no offer email: only the burst below
    device, _ = subscribe(as_provider, pro, push_service)
    for i in range(30):
        factory.outbox_email(to=f"x{i}@example.com", status="pending")
    ids = list(db.session.scalars(select(OutboxEmail.id)))
    db.session.commit()
    for email_id in ids:
        rq.queue.enqueue("app.jobs.send_email", email_id)
    offer_lead(db, factory, metro, cat)
    rq.run()
    [msg] = push_service.wait_for(1, token=device.token)
    sent = sorted(t for t in db.session.scalars(select(OutboxEmail.sent_at)) if t is not None)
    assert len(sent) >= 30, f"the emails were sent too ({len(sent)})"
    assert msg.received_at < sent[0].timestamp(), "the push went out before the first email of the burst"


def test_vapid_keys_are_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    import app.config as config

    monkeypatch.delenv("VAPID_PRIVATE_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    first = config._vapid_private_key()
    assert (tmp_path / "vapid_private_key").read_text().strip() == first
    assert oct((tmp_path / "vapid_private_key").stat().st_mode & 0o777) == "0o600"
    assert config._vapid_private_key() == first, "kept, not regenerated"
    monkeypatch.setenv("VAPID_PRIVATE_KEY", "from-env")
    assert config._vapid_private_key() == "from-env"


def test_the_settings_page_is_private_and_refuses_control_characters(db, market, as_provider, push_service):
    _, _, provider = market
    pro = provider()
    client = as_provider(pro)
    page = client.get("/provider/settings/notifications")
    assert "no-store" in page.headers.get("Cache-Control", ""), page.headers
    bad = client.post("/provider/settings/notifications", data={"quiet_start": "22:00\x00", "quiet_end": "07:00"})
    assert bad.status_code == 422, bad.status_code
    assert "Remove the invisible control characters" in bad.get_data(as_text=True)
    assert db.session.scalar(select(PushPreference.quiet_start).where(PushPreference.provider_id == pro.id)) is None
