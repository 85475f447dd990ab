"""Issue 16: a session cookie copied elsewhere (another browser, a stolen cookie) stops working
when its user signs out, gets a new password (reset or set), or is suspended; the remember-me
cookie too. A per-user session version in the database is part of every cookie."""

from __future__ import annotations

from app.accounts import plans
from app.accounts import users as accounts
from app.models import User
from tests.conftest import PASSWORD, new_client


def _copy(app, client):
    """A second browser holding a copy of `client`'s cookies."""
    thief = new_client(app)
    for cookie in client._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return thief


def _signed_in(client) -> bool:
    return client.get("/provider/").status_code == 200


def _login_remembered(app, email):
    client = new_client(app)
    page = client.get("/auth/login")
    assert page.status_code == 200
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


def _remember_only(app, client):
    """A copy of the remember-me cookie alone (the session cookie is gone)."""
    other = new_client(app)
    cookie = next(c for c in client._cookies.values() if c.key == "remember_token")
    other.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return other


def test_sign_out_ends_a_copied_session_and_remember_cookie(app, db, factory):
    factory.user(email="p@example.com")
    db.session.commit()
    client = _login_remembered(app, "p@example.com")
    copy, remembered = _copy(app, client), _remember_only(app, client)
    assert _signed_in(copy) and _signed_in(remembered), "the copies work while signed in"
    assert client.post("/auth/logout").status_code == 303
    assert not _signed_in(client)
    assert not _signed_in(copy), "a copied session cookie still works after sign-out"
    assert not _signed_in(remembered), "a copied remember cookie still works after sign-out"
    again = _login_remembered(app, "p@example.com")  # signing in again works
    assert _signed_in(again)


def test_a_new_password_ends_copied_sessions(app, db, factory):
    user = factory.user(email="p@example.com")
    db.session.commit()
    client = _login_remembered(app, "p@example.com")
    copy, remembered = _copy(app, client), _remember_only(app, client)
    accounts.set_password(db.session.get(User, user.id), "another long password")
    db.session.commit()
    assert not _signed_in(copy) and not _signed_in(remembered) and not _signed_in(client)


def test_suspension_and_deactivation_end_copied_sessions(app, db, factory):
    provider = factory.provider(owner=factory.user(email="p@example.com"))
    admin = factory.admin()
    other = factory.user(email="q@example.com")
    db.session.commit()
    client = _login_remembered(app, "p@example.com")
    copy = _copy(app, client)
    assert plans.suspend(db.session, provider, admin, "fraud")
    db.session.commit()
    assert not _signed_in(copy) and not _signed_in(client)
    assert _signed_in(_login_remembered(app, "p@example.com")), "a suspended provider may still sign in"

    deactivated = _copy(app, _login_remembered(app, "q@example.com"))
    db.session.get(User, other.id).is_active_account = False
    db.session.commit()
    assert not _signed_in(deactivated)


def test_end_sessions_counts_every_call(app, db, factory, race):
    user = factory.user(email="p@example.com")
    db.session.flush()
    start, user_id = user.session_version, user.id
    db.session.commit()  # the threads see only committed rows (and SQLite's write lock is free)

    def bump(i):
        from app.extensions import db as _db

        accounts.end_sessions(_db.session, user_id)

    assert race(4, bump).errors == []
    db.session.expire_all()
    assert db.session.get(User, user_id).session_version == start + 4
