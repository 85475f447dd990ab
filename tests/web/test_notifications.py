"""Provider notifications: bell with unread count (htmx), list, mark read, mark all read."""

import pytest
from sqlalchemy import select

from app.models import Notification
from app.platform import notify
from tests.conftest import csrf_from, login


@pytest.fixture
def provider_client(app, db, factory):
    user = factory.user(email="owner@example.com")
    provider = factory.provider(owner=user)
    stranger = factory.provider(owner=factory.user(email="stranger@example.com"))
    for i in range(3):
        notify.notify(db.session, provider, "direct_lead", f"New direct request {i}", url="/provider/inbox")
    foreign_id = notify.notify(db.session, stranger, "direct_lead", "Not yours")
    db.session.commit()
    client = app.test_client()
    login(client, "owner@example.com", "correct horse battery")
    return client, provider.id, foreign_id


def test_bell_in_header_and_fragment_show_unread_count(provider_client):
    client, _, _ = provider_client
    page = client.get("/provider/inbox").get_data(as_text=True)
    assert 'id="notification-bell"' in page and 'href="/provider/notifications"' in page
    assert 'hx-get="/provider/notifications/bell"' in page and 'class="bell-count">3<' in page
    fragment = client.get("/provider/notifications/bell", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.strip().startswith("<a") and ">3<" in fragment and "<html" not in fragment


def test_mark_one_read_htmx_swaps_the_item_then_mark_all(provider_client, db):
    client, provider_id, foreign_id = provider_client
    page = client.get("/provider/notifications").get_data(as_text=True)
    assert "New direct request 2" in page and "Not yours" not in page
    token = csrf_from(page)
    first = db.session.scalar(select(Notification.id).where(Notification.provider_id == provider_id))
    response = client.post(
        f"/provider/notifications/{first}/read", headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert response.status_code == 200 and response.get_data(as_text=True).strip().startswith("<li")
    assert "Read" in response.get_data(as_text=True)
    assert notify.unread_count(db.session, provider_id) == 2
    assert client.post(f"/provider/notifications/{foreign_id}/read", data={"csrf_token": token}).status_code == 404
    response = client.post("/provider/notifications/read-all", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.expire_all()
    assert notify.unread_count(db.session, provider_id) == 0
    assert db.session.get(Notification, foreign_id).read_at is None
    assert 'class="bell-count"' not in client.get("/provider/notifications/bell").get_data(as_text=True)


def test_provider_pages_refuse_admins_and_anonymous(app, db, factory):
    factory.admin(email="a@example.com")
    db.session.commit()
    for url in ("/provider/inbox", "/provider/notifications", "/provider/notifications/bell"):
        assert app.test_client().get(url).status_code in (302, 401)
        admin = app.test_client()
        login(admin, "a@example.com", "correct horse battery")
        assert admin.get(url).status_code == 403
