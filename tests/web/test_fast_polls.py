"""Issue 11: an unchanged poll is answered before the user is loaded (app/web/provider/live.py).

The page's poller carries a signed token (provider id + the session identity); a poll whose
token matches the signed session cookie and whose version Redis still holds gets 204 without
one SQL statement. Any other poll takes the full path (user loaded, access checked), so a token
that is forged, another user's, expired or outlived its session never reveals anything."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from app.accounts import users
from app.models import Offer, User
from app.platform.queue import redis_connection
from app.web.provider import live
from tests.conftest import login
from tests.web.polls import new_broadcast, poll_args, poll_headers, two_pro_providers

PASSWORD = "correct horse battery"


@pytest.fixture
def scene(db, factory):
    return two_pro_providers(db, factory)


def signed_in(app, email):
    client = app.test_client()
    login(client, email, PASSWORD)
    return client


@contextmanager
def sql_statements(db):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def bell_args(page: str) -> dict:
    import re

    return {"v": re.search(r'id="notification-bell"[^>]*hx-vals=\'\{"v": (\d+)\}\'', page).group(1)}


def test_an_unchanged_poll_issues_no_sql_statement(app, db, factory, scene):
    new_broadcast(db, factory, scene, customer_name="Olga Open")
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/offers").get_data(as_text=True)
    assert "X-Poll-Token" in poll_headers(page), "the poller carries the fast path's token"
    inbox = alpha.get("/provider/inbox").get_data(as_text=True)
    with sql_statements(db) as seen:
        for _ in range(3):
            poll = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=poll_headers(page))
            assert poll.status_code == 204 and poll.get_data() == b"", poll.get_data(as_text=True)[:300]
            bell = alpha.get("/provider/notifications/bell", query_string=bell_args(inbox), headers=poll_headers(inbox))
            assert bell.status_code == 204 and bell.get_data() == b"", bell.get_data(as_text=True)[:300]
    assert seen == [], f"an unchanged poll ran SQL: {seen}"
    assert poll.headers["Cache-Control"] == "no-store"

    new_broadcast(db, factory, scene, customer_name="Nina New")  # a change: the full path renders it
    with sql_statements(db) as seen:
        poll = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=poll_headers(page))
    assert poll.status_code == 200 and "Nina N." in poll.get_data(as_text=True)
    assert seen, "a changed version takes the full path (user, access, data)"
    assert "X-Poll-Token" in poll_headers(poll.get_data(as_text=True)), "the new poller keeps a token"


def test_a_redis_miss_takes_the_full_path_and_still_answers_204(app, db, factory, scene):
    new_broadcast(db, factory, scene)
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/offers").get_data(as_text=True)
    redis_connection().flushdb()
    with sql_statements(db) as seen:
        poll = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=poll_headers(page))
    assert poll.status_code == 204 and seen, "Redis lost the version: read from the database"
    with sql_statements(db) as seen:
        poll = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=poll_headers(page))
    assert poll.status_code == 204 and seen == [], f"re-seeded: fast again, but ran {seen}"


def test_another_users_or_a_forged_token_gets_no_data(app, db, factory, scene):
    alpha_p, bravo_p = scene["people"]["alpha"], scene["people"]["bravo"]
    new_broadcast(db, factory, scene, customer_name="Shared Customer")
    alpha, bravo = signed_in(app, "alpha@example.com"), signed_in(app, "bravo@example.com")
    alpha_page = alpha.get("/provider/offers").get_data(as_text=True)
    bravo_page = bravo.get("/provider/offers").get_data(as_text=True)
    bravo_offer = db.session.scalar(select(Offer.id).where(Offer.provider_id == bravo_p.id))
    alpha_offer = db.session.scalar(select(Offer.id).where(Offer.provider_id == alpha_p.id))
    alpha_identity = db.session.get(User, alpha_p.owner_id).get_id()
    db.session.rollback()  # SQLite: the test's read transaction holds the write lock

    # alpha's session with bravo's token and bravo's page state: the full path, as alpha
    args = poll_args(bravo_page)
    with sql_statements(db) as seen:
        poll = alpha.get("/provider/offers/poll", query_string=args, headers=poll_headers(bravo_page))
    text = poll.get_data(as_text=True)
    assert seen, "a token of another session never takes the fast path"
    assert f"offer-{bravo_offer}" not in text, f"bravo's offer shown to alpha: {text[:400]}"

    # bravo's provider id with alpha's identity, signed with another key; junk; nothing
    app.config["SECRET_KEY"], real = "not the secret", app.config["SECRET_KEY"]
    try:
        forged = live.token(bravo_p.id, alpha_identity)
    finally:
        app.config["SECRET_KEY"] = real
    for token in (forged, "garbage", ""):
        with sql_statements(db) as seen:
            poll = alpha.get(
                "/provider/offers/poll", query_string=args, headers={"HX-Request": "true", "X-Poll-Token": token}
            )
        text = poll.get_data(as_text=True)
        assert seen and f"offer-{bravo_offer}" not in text, f"{token!r}: {poll.status_code} {text[:300]}"

    # no session at all, with alpha's genuine token: never 204, never data, the sign-in answer
    stranger = app.test_client()
    poll = stranger.get("/provider/offers/poll", query_string=poll_args(alpha_page), headers=poll_headers(alpha_page))
    assert poll.status_code in (302, 401) and f"offer-{alpha_offer}" not in poll.get_data(as_text=True)
    assert "/auth/login" in poll.headers.get("Location", ""), poll.headers


def test_a_signed_out_session_gets_204_at_most_then_the_sign_in_answer(app, db, factory, scene):
    alpha_p = scene["people"]["alpha"]
    new_broadcast(db, factory, scene)
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/offers").get_data(as_text=True)
    users.end_sessions(db.session, alpha_p.owner_id)  # "sign out everywhere" from another device
    db.session.commit()

    poll = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=poll_headers(page))
    assert poll.status_code == 204 and poll.get_data() == b"", "nothing changed: an empty 204, nothing else"

    new_broadcast(db, factory, scene, customer_name="After Signout")
    for path in ("/provider/offers/poll", "/provider/notifications/bell"):
        poll = alpha.get(path, query_string=poll_args(page), headers=poll_headers(page))
        text = poll.get_data(as_text=True)
        assert poll.status_code == 302 and "/auth/login" in poll.headers["Location"], (
            path,
            poll.status_code,
            text[:300],
        )
        assert "After S" not in text and "offer-" not in text


def test_an_expired_token_takes_the_full_path_and_gets_a_fresh_one(app, db, factory, scene, clock):
    new_broadcast(db, factory, scene)
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/offers").get_data(as_text=True)
    clock.advance(timedelta(seconds=live.MAX_AGE_SECONDS + 60))
    poll = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=poll_headers(page))
    text = poll.get_data(as_text=True)
    assert poll.status_code == 200 and 'id="offer-poller"' in text, (poll.status_code, text[:300])
    assert poll_headers(text)["X-Poll-Token"] != poll_headers(page)["X-Poll-Token"]
    with sql_statements(db) as seen:
        again = alpha.get("/provider/offers/poll", query_string=poll_args(page, text), headers=poll_headers(page, text))
    assert again.status_code == 204 and seen == [], "the fresh token is fast again"


def test_an_unchanged_poll_is_answered_in_front_of_flask_with_every_answers_headers(app, db, factory, scene):
    """live.FastPolls answers before Flask dispatches (no request_started); a changed poll
    still reaches the view, and a cookie-less or tampered-cookie poll never gets 204."""
    from flask import request_started

    new_broadcast(db, factory, scene)
    alpha = signed_in(app, "alpha@example.com")
    page = alpha.get("/provider/offers").get_data(as_text=True)
    dispatched: list[str] = []

    def seen(sender, **extra):
        from flask import request

        dispatched.append(request.path)

    request_started.connect(seen, app)
    try:
        poll = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=poll_headers(page))
        assert poll.status_code == 204 and dispatched == [], f"Flask dispatched {dispatched}"
        assert poll.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert poll.headers["X-Frame-Options"] == "DENY" and poll.headers["Vary"] == "HX-Request"
        assert poll.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in poll.headers

        cookie = alpha.get_cookie("session")
        assert cookie is not None
        tampered = app.test_client()
        tampered.set_cookie("session", cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"))
        poll = tampered.get("/provider/offers/poll", query_string=poll_args(page), headers=poll_headers(page))
        assert poll.status_code == 302 and dispatched == ["/provider/offers/poll"], (poll.status_code, dispatched)

        new_broadcast(db, factory, scene, customer_name="Reaches Flask")
        poll = alpha.get("/provider/offers/poll", query_string=poll_args(page), headers=poll_headers(page))
        assert poll.status_code == 200 and "Reaches F." in poll.get_data(as_text=True)
        assert dispatched == ["/provider/offers/poll"] * 2, dispatched
    finally:
        request_started.disconnect(seen, app)
