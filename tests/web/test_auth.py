"""Accounts end to end: sign up, confirm by email, sign in/out, password reset (single use,
expiring) against the real SMTP test server; failures never reveal whether an email exists."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.accounts import users as accounts
from app.models import OutboxEmail, User
from tests.conftest import csrf_from, login


def text(response):
    return response.get_data(as_text=True)


def post(client, url, data, page=None):
    token = csrf_from(text(client.get(page or url)))
    return client.post(url, data={**data, "csrf_token": token})


def signup(client, email="new@example.com", password="a long enough password", next_url=None):
    url = "/auth/signup" + (f"?next={next_url}" if next_url else "")
    return post(client, url, {"name": "Ana", "email": email, "password": password, "confirm": password})


def link_in(smtp, address, pattern):
    [message] = smtp.to(address)
    body = smtp.text_of(message)
    match = re.search(r"http://localhost(" + pattern + r"\S+)", body)
    assert match, body
    return message, match.group(1)


def test_signup_signs_in_honours_next_and_emails_a_confirmation_link(client, db, rq, smtp):
    response = signup(client, email="Ana@Example.com", next_url="/provider/claim/x")
    assert response.status_code == 303 and response.headers["Location"] == "/provider/claim/x"
    user = db.session.scalar(select(User))
    assert user.email == "ana@example.com" and user.role == "provider" and user.email_confirmed_at is None
    assert user.password_hash.startswith("scrypt:")
    rq.run()
    message, path = link_in(smtp, "ana@example.com", "/auth/confirm/")
    assert message["Subject"] == "Confirm your FogForge email"
    assert "Confirm your email" in text(client.get("/provider/"))
    confirmed = client.get(path)
    assert confirmed.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(User)).email_confirmed_at is not None
    page = text(client.get("/provider/"))
    assert "Your email is confirmed." in page and "Email confirmed" in page


def test_signup_rejects_short_passwords_mismatches_and_taken_emails_saving_nothing(client, db, factory):
    factory.user(email="taken@example.com")
    db.session.commit()
    short = signup(client, password="too short")
    assert short.status_code == 422 and "Use at least 12 characters." in text(short)
    mismatch = post(
        client,
        "/auth/signup",
        {"email": "x@example.com", "password": "a long enough password", "confirm": "another long password"},
    )
    assert "The two passwords are not the same." in text(mismatch)
    bad_email = signup(client, email="not-an-email")
    assert "That email address is not valid" in text(bad_email)
    taken = signup(client, email="TAKEN@example.com")
    assert taken.status_code == 422 and "An account already uses this email." in text(taken)
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_confirmation_link_is_checked_signature_and_expiry(client, db, factory, rq, smtp, clock):
    user = factory.user(email="late@example.com", confirmed=False)
    accounts.send_confirmation(db.session, user)
    rq.run()
    _, path = link_in(smtp, "late@example.com", "/auth/confirm/")
    assert client.get(path[:-3] + "xyz").status_code == 400  # tampered
    clock.advance(timedelta(days=3, minutes=1))
    expired = client.get(path)
    assert expired.status_code == 400 and "invalid or has expired" in text(expired)
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is None


def test_failed_logins_look_the_same_for_unknown_and_known_emails(client, db, factory):
    factory.user(email="known@example.com")
    db.session.commit()
    wrong = login(client, "known@example.com", "wrong password here")
    unknown = login(client, "nobody@example.com", "wrong password here")
    assert wrong.status_code == unknown.status_code == 422
    message = "That email and password don&#39;t match an account."
    assert message in text(wrong) and message in text(unknown)
    strip = lambda html: re.sub(r'(value|content)="[^"]*"|"X-CSRFToken": "[^"]*"', "", html)  # noqa: E731
    assert strip(text(wrong)).replace("known@", "X@") == strip(text(unknown)).replace("nobody@", "X@")


def test_login_renews_the_session_and_sets_flags(client, db, factory):
    factory.user(email="p@example.com")
    db.session.commit()
    before = csrf_from(text(client.get("/auth/login")))
    response = client.post(
        "/auth/login",
        data={"email": "p@example.com", "password": "correct horse battery", "csrf_token": before, "remember": "y"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/provider/"
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The pre-login CSRF token belonged to the old session: it no longer works.
    stale = client.post("/auth/logout", data={"csrf_token": before})
    assert stale.status_code == 400
    assert client.get("/provider/").status_code == 200


def test_login_follows_only_local_next_and_logout_needs_post(client, db, factory):
    factory.user(email="p@example.com")
    db.session.commit()
    token = csrf_from(text(client.get("/auth/login")))
    evil = client.post(
        "/auth/login?next=//evil.example/x",
        data={"email": "p@example.com", "password": "correct horse battery", "csrf_token": token},
    )
    assert evil.headers["Location"] == "/provider/"
    assert client.get("/auth/logout").status_code == 405
    token = csrf_from(text(client.get("/provider/")))
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/provider/").status_code == 302


def test_login_is_rate_limited(client, db, factory):
    factory.user(email="p@example.com")
    db.session.commit()
    codes = [login(client, "p@example.com", f"wrong guess {i}").status_code for i in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    # Even the right password waits out the limit.
    assert login(client, "p@example.com", "correct horse battery").status_code == 429


def test_password_reset_end_to_end_single_use(client, db, factory, rq, smtp):
    user = factory.user(email="forgot@example.com")
    db.session.commit()
    sent = post(client, "/auth/reset", {"email": "Forgot@Example.com"})
    assert sent.status_code == 200 and "If an account uses that address" in text(sent)
    rq.run()
    message, path = link_in(smtp, "forgot@example.com", "/auth/reset/")
    assert message["Subject"] == "Reset your FogForge password"
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    short = client.post(path, data={"password": "short", "confirm": "short", "csrf_token": csrf_from(text(page))})
    assert short.status_code == 422 and "Use at least 12 characters." in text(short)
    done = client.post(
        path,
        data={
            "password": "a brand new password",
            "confirm": "a brand new password",
            "csrf_token": csrf_from(text(short)),
        },
    )
    assert done.status_code == 303 and done.headers["Location"] == "/provider/"
    # Reused: the link is dead, the password stays the new one.
    reused = client.get(path)
    assert reused.status_code == 400 and "already used" in text(reused)
    token = csrf_from(text(reused))
    again = client.post(
        path, data={"password": "attacker password 1", "confirm": "attacker password 1", "csrf_token": token}
    )
    assert again.status_code == 400
    db.session.expire_all()
    assert accounts.authenticate(db.session, "forgot@example.com", "a brand new password").id == user.id
    assert accounts.authenticate(db.session, "forgot@example.com", "correct horse battery") is None


def test_password_reset_link_expires_after_an_hour(client, db, factory, rq, smtp, clock):
    factory.user(email="slow@example.com")
    db.session.commit()
    post(client, "/auth/reset", {"email": "slow@example.com"})
    rq.run()
    _, path = link_in(smtp, "slow@example.com", "/auth/reset/")
    clock.advance(timedelta(minutes=59))
    assert client.get(path).status_code == 200
    clock.advance(timedelta(minutes=2))
    expired = client.get(path)
    assert expired.status_code == 400 and "expired" in text(expired)
    post_expired = client.post(
        path,
        data={
            "password": "a brand new password",
            "confirm": "a brand new password",
            "csrf_token": csrf_from(text(expired)),
        },
    )
    assert post_expired.status_code == 400
    db.session.expire_all()
    assert accounts.authenticate(db.session, "slow@example.com", "correct horse battery") is not None


def test_reset_request_for_unknown_email_looks_the_same_and_sends_nothing(client, db, factory, rq, smtp):
    factory.user(email="known@example.com")
    db.session.commit()
    known = post(client, "/auth/reset", {"email": "known@example.com"})
    unknown = post(client, "/auth/reset", {"email": "unknown@example.com"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", html)  # noqa: E731
    assert strip(text(known)) == strip(text(unknown))
    rq.run()
    assert [m["To"] for m in smtp.messages] == ["known@example.com"]


def test_reset_requests_are_rate_limited(client, db):
    codes = [post(client, "/auth/reset", {"email": f"x{i}@example.com"}).status_code for i in range(6)]
    assert codes == [200] * 5 + [429]


def test_a_password_reset_signs_out_other_sessions_and_deactivation_signs_out(client, db, factory, app, rq, smtp):
    user = factory.user(email="p@example.com")
    db.session.commit()
    login(client, "p@example.com", "correct horse battery")
    assert client.get("/provider/").status_code == 200
    other = app.test_client()
    post(other, "/auth/reset", {"email": "p@example.com"})
    rq.run()
    _, path = link_in(smtp, "p@example.com", "/auth/reset/")
    page = other.get(path)
    other.post(
        path,
        data={
            "password": "a brand new password",
            "confirm": "a brand new password",
            "csrf_token": csrf_from(text(page)),
        },
    )
    assert other.get("/provider/").status_code == 200
    assert client.get("/provider/").status_code == 302  # the old session is gone
    user = db.session.get(User, user.id)
    user.is_active_account = False
    db.session.commit()
    assert other.get("/provider/").status_code == 302


def test_guessing_one_account_from_many_addresses_is_rate_limited_too(client, db, factory):
    factory.user(email="p@example.com")
    db.session.commit()
    token = csrf_from(text(client.get("/auth/login")))
    codes = [
        client.post(
            "/auth/login",
            data={"email": "P@example.com", "password": f"guess {i}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"198.51.100.{i}"},
        ).status_code
        for i in range(21)
    ]
    assert codes[:20] == [422] * 20 and codes[20] == 429
    other = client.post(
        "/auth/login",
        data={"email": "q@example.com", "password": "guess", "csrf_token": token},
        environ_base={"REMOTE_ADDR": "198.51.100.99"},
    )
    assert other.status_code == 422  # other accounts are unaffected


def test_create_admin_command_needs_a_long_password(app, db):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["create-admin", "ops@example.com", "--password", "short"])
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    done = runner.invoke(args=["create-admin", "Ops@Example.com", "--password", "a long admin password"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    admin = accounts.authenticate(db.session, "ops@example.com", "a long admin password")
    assert admin is not None and admin.role == "admin" and admin.email_confirmed_at is not None
