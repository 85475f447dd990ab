"""The access matrix, walked from app.url_map at test time, so routes added later are covered:
- every /admin route: anonymous -> redirect to sign in, provider -> 403;
- every /provider route: anonymous -> redirect to sign in (admins get 403);
- every state-changing route refuses a request without a (valid) CSRF token with 400 and
  changes nothing in the database;
- every /api/ route (but the public OpenAPI document) answers 401 JSON without a valid API key.
"""

import hashlib

import pytest
from sqlalchemy import select

from app import demo
from app.extensions import db as _db
from tests.conftest import csrf_from, login

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Routes left out of the CSRF rule, each with its reason.
CSRF_EXEMPT_PREFIXES = {
    "/api/": "the partner API authenticates with API keys, not cookies, so CSRF does not apply",
}


def routes(app, prefix=""):
    """(rule, url, methods) for every rule under `prefix`, its variables filled with samples."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.rule.startswith(prefix):
            continue
        values = {}
        for name in rule.arguments:
            converter = type(rule._converters[name]).__name__
            values[name] = (
                1
                if converter in ("IntegerConverter", "FloatConverter")
                else (next(iter(rule._converters[name].items)) if converter == "AnyConverter" else "x")
            )
        url = adapter.build(rule.endpoint, values, method=next(iter(rule.methods - {"HEAD", "OPTIONS"})))
        found.append((rule, url, sorted(rule.methods - {"HEAD", "OPTIONS"})))
    assert found or prefix == "/api", f"no routes under {prefix}"
    return found


def call(client, method, url, token=None, **kw):
    data = {"csrf_token": token} if token else {}
    return client.open(url, method=method, data=data if method != "GET" else None, **kw)


def token_for(client):
    """A valid CSRF token for this client's session (any page has one)."""
    return csrf_from(client.get("/").get_data(as_text=True))


@pytest.fixture
def seeded(db):
    demo.seed(db.session)
    db.session.commit()


@pytest.fixture
def provider_client(app, seeded):
    client = app.test_client()
    assert login(client, "houston-pro-pumping@demo.fogforge.local", demo.DEMO_PASSWORD).status_code == 303
    return client


@pytest.fixture
def admin_client(app, seeded):
    client = app.test_client()
    assert login(client, demo.ADMIN_EMAIL, demo.DEMO_PASSWORD).status_code == 303
    return client


def is_login_redirect(response):
    return response.status_code in (302, 303) and response.headers["Location"].startswith("/auth/login")


def test_admin_routes_refuse_anonymous_and_provider_users(app, client, provider_client, seeded):
    anon_token, provider_token = token_for(client), token_for(provider_client)
    failures = []
    for rule, url, methods in routes(app, "/admin"):
        for method in methods:
            anon = call(client, method, url, anon_token)
            if not is_login_redirect(anon):
                failures.append(f"anonymous {method} {rule.rule}: {anon.status_code}")
            as_provider = call(provider_client, method, url, provider_token)
            if as_provider.status_code != 403:
                failures.append(f"provider {method} {rule.rule}: {as_provider.status_code}")
    assert not failures, "\n".join(failures)


def test_provider_routes_send_anonymous_users_to_sign_in_and_refuse_admins(app, client, admin_client, seeded):
    anon_token, admin_token = token_for(client), token_for(admin_client)
    failures = []
    for rule, url, methods in routes(app, "/provider"):
        for method in methods:
            anon = call(client, method, url, anon_token)
            if not is_login_redirect(anon):
                failures.append(f"anonymous {method} {rule.rule}: {anon.status_code}")
            as_admin = call(admin_client, method, url, admin_token)
            if as_admin.status_code != 403:
                failures.append(f"admin {method} {rule.rule}: {as_admin.status_code}")
    assert not failures, "\n".join(failures)


def test_admin_and_provider_views_use_the_role_decorators(app):
    for rule, _, _ in routes(app, "/admin") + routes(app, "/provider"):
        expected = "admin" if rule.rule.startswith("/admin") else "provider"
        assert getattr(app.view_functions[rule.endpoint], "required_role", None) == expected, rule.rule


def database_digest():
    digest = hashlib.sha256()
    for table in _db.metadata.sorted_tables:
        rows = _db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    _db.session.rollback()
    return digest.hexdigest()


@pytest.mark.parametrize("who", ["anonymous", "provider", "admin"])
def test_state_changing_routes_refuse_requests_without_csrf_and_change_nothing(
    app, client, provider_client, admin_client, seeded, who
):
    user_client = {"anonymous": client, "provider": provider_client, "admin": admin_client}[who]
    user_client.get("/")  # the session has a CSRF secret; the request just doesn't carry the token
    before = database_digest()
    failures, checked = [], 0
    for rule, url, methods in routes(app):
        if any(rule.rule.startswith(p) for p in CSRF_EXEMPT_PREFIXES):
            continue
        for method in set(methods) & STATE_CHANGING:
            checked += 1
            missing = call(user_client, method, url)
            forged = call(user_client, method, url, token="forged-token", headers={"X-CSRFToken": "forged"})
            if missing.status_code != 400 or forged.status_code != 400:
                failures.append(f"{method} {rule.rule}: {missing.status_code}/{forged.status_code}")
    assert checked >= 10
    assert not failures, "\n".join(failures)
    assert database_digest() == before


# /api/ routes that need no key, each with its reason.
API_PUBLIC = {
    "/api/v1/openapi.json": "the public description of the API; it holds no data",
}


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_api_routes_refuse_requests_without_a_valid_key_with_401_json(app, client, admin_client, seeded, who):
    """A browser session (even an admin's) is not an API key; a wrong or malformed key neither."""
    user_client = {"anonymous": client, "admin": admin_client}[who]
    before = database_digest()
    failures, checked = [], 0
    for rule, url, methods in routes(app, "/api/"):
        if rule.rule in API_PUBLIC:
            continue
        assert getattr(app.view_functions[rule.endpoint], "api_key_required", False), rule.rule
        for method in methods:
            for header in (None, "Bearer ffk_00000000_" + "x" * 43, "Bearer wrong"):
                checked += 1
                response = call(user_client, method, url, headers={"Authorization": header} if header else {})
                if response.status_code != 401 or response.json.get("error") != "unauthorized":
                    failures.append(f"{who} {method} {rule.rule} ({header}): {response.status_code}")
    assert checked >= 6
    assert not failures, "\n".join(failures)
    assert database_digest() == before


def test_htmx_requests_pass_csrf_through_the_header(admin_client, db):
    token = token_for(admin_client)
    assert admin_client.post("/auth/logout", headers={"X-CSRFToken": token, "HX-Request": "true"}).status_code == 303
