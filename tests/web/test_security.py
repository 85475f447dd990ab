"""The security baseline: headers (CSP, HSTS over https, nosniff, framing, referrer), cookie
flags, ProxyFix, body size limit, email links from APP_BASE_URL, no header injection, and no
inline script/style anywhere in the templates."""

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from app import create_app
from app.accounts import verification
from app.models import User
from tests.conftest import csrf_from, login

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_page_sends_the_security_headers(client, db):
    for url in ("/", "/auth/login", "/auth/signup", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert "unsafe" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers  # plain http: no HSTS


def test_hsts_only_over_https(client, db):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_proxy_fix_trusts_forwarded_proto_and_address_only_when_configured(app, db, client):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert "Strict-Transport-Security" not in client.get("/", headers=forwarded).headers
    behind_proxy = create_app({**app.config, "PROXY_FIX_HOPS": 1})
    seen = {}

    @behind_proxy.get("/_whoami")
    def whoami():
        from flask import request

        seen["addr"], seen["secure"] = request.remote_addr, request.is_secure
        return "ok"

    response = behind_proxy.test_client().get("/_whoami", headers=forwarded)
    assert response.headers["Strict-Transport-Security"] and seen == {"addr": "203.0.113.9", "secure": True}


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, db, factory):
    factory.user(email="p@example.com")
    db.session.commit()
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login",
        data={"email": "p@example.com", "password": "correct horse battery", "remember": "y", "csrf_token": token},
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2
    for cookie in cookies:
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookies_are_secure_when_the_site_is_served_over_https():
    code = "from app.config import Config as C; print(C.SESSION_COOKIE_SECURE, C.REMEMBER_COOKIE_SECURE)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={
            "APP_BASE_URL": "https://fogforge.example",
            "SECRET_KEY": "x",
            "FOGFORGE_INSTANCE_DIR": "/tmp/fogforge-test-instance",
            "PATH": "/usr/bin:/bin",
        },
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.split() == ["True", "True"]


def test_oversized_bodies_are_refused(client, db):
    token = csrf_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"email": "a" * (1024 * 1024 + 10), "csrf_token": token})
    assert response.status_code == 413


def test_links_in_emails_use_app_base_url_not_the_request_host(client, db, factory, rq, smtp):
    factory.user(email="p@example.com")
    db.session.commit()
    evil = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    token = csrf_from(client.get("/auth/reset", headers=evil).get_data(as_text=True))
    sent = client.post("/auth/reset", data={"email": "p@example.com", "csrf_token": token}, headers=evil)
    assert sent.status_code == 200
    rq.run()
    [message] = smtp.messages
    body = smtp.text_of(message) + smtp.html_of(message)
    assert "evil.example" not in body and "http://localhost/auth/reset/" in body


def test_crlf_in_a_business_name_cannot_inject_email_headers(db, factory, rq, smtp):
    owner = factory.user(email="owner@example.com")
    provider = factory.provider(
        status="claimed", tier="free", owner=owner, name="Trap Co\r\nBcc: victim@example.com\r\nX-Evil: 1"
    )
    request = verification.submit(
        db.session, provider, owner, licence_number="TX-1", service_phone="+17135550100", note=None
    )
    verification.decide(db.session, request.id, factory.admin(), approve=True, note=None)
    rq.run()
    [message] = smtp.messages
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"] == "Trap Co Bcc: victim@example.com X-Evil: 1 is verified on FogForge"
    assert [m["To"] for m in smtp.messages] == ["owner@example.com"]


def test_templates_have_no_inline_script_style_or_event_handlers():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        if "email" in path.parts:  # emails are not served under our CSP and need inline styles
            continue
        source = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\sstyle=", r"\son[a-z]+=", r"<style"):
            if re.search(pattern, source):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {pattern}")
    assert not offenders, offenders


def test_a_deactivated_account_cannot_sign_in(client, db, factory):
    user = factory.user(email="gone@example.com")
    user.is_active_account = False
    db.session.commit()
    assert login(client, "gone@example.com", "correct horse battery").status_code == 422
    assert db.session.scalar(select(User.id)) == user.id


def test_trusted_hosts_refuse_other_host_headers(app, db):
    guarded = create_app({**app.config, "TRUSTED_HOSTS": ["fogforge.example", "www.fogforge.example"]})
    client = guarded.test_client()
    assert client.get("/auth/login", headers={"Host": "fogforge.example"}).status_code == 200
    assert client.get("/auth/login", headers={"Host": "evil.example"}).status_code == 400
