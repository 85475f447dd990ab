"""The live polls' fast path (issue 11): an unchanged poll answers 204 without the database.

A page that polls (the offers poller, the header bell) sends with each poll a short signed
token (header X-Poll-Token, set by the poller's hx-headers: kept out of URLs and access logs;
itsdangerous, SECRET_KEY, salt "poll"): the provider id and a digest of the signed-in
user's session identity (Flask-Login's id string, which carries the password fingerprint and
the session version). `unchanged_204` wraps a poll view *outside* its access check, so it runs
before Flask-Login loads the user: when the token is genuine and fresh, its identity is the one
in the signed session cookie (`_user_id`, no database read), and Redis holds the version the
page sent, the answer is an empty 204. Anything else (no token, a forged, expired or other
session's token, a Redis miss or outage, a changed version) takes the view's full path: load
the user, check access, read the version (database fallback), render.

`FastPolls` (a WSGI middleware installed by create_app) makes that same verdict in front of
Flask, so an unchanged poll costs a signature check, a cookie check and one Redis GET, not a
Flask request; `unchanged_204` is the same rule for a poll that reaches Flask anyway.

What the fast path can tell anyone: nothing but "204", and only to a request carrying both the
token and a session cookie signed for that same identity. A session signed out elsewhere (its
version bumped) keeps getting 204 until something changes; then the full path answers it with
the sign-in redirect. An expired token makes the full path render a fresh poller (new token)
even when nothing changed, so a page left open for days goes back to the fast path.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, current_app, g, make_response, request, session
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.http import parse_cookie

from app.core import clock
from app.platform import changes
from app.web.provider.views import bp
from app.web.responses import private
from app.web.security import BASE_HEADERS, HSTS

SALT = "poll"
HEADER = "X-Poll-Token"
MAX_AGE_SECONDS = 12 * 3600  # a fresh token comes with the next full answer


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _identity(session_id: str) -> str:
    """A digest of Flask-Login's id string: the token never shows the password fingerprint."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:16]


def token(provider_id: int, session_id: str) -> str:
    return _serializer().dumps([provider_id, _identity(session_id), int(clock.now().timestamp())])


def _read(raw: str) -> tuple[int, str, int] | None:
    """(provider id, identity digest, issued at) of a genuine token, else None."""
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 3 and all(isinstance(x, int | str) for x in data)):
        return None
    provider_id, identity, issued = data
    if not isinstance(provider_id, int) or not isinstance(identity, str) or not isinstance(issued, int):
        return None
    return provider_id, identity, issued


def stale_token() -> bool:
    """This poll sent a token that is genuine but too old (or from the future): the full path
    answers with a fresh poller instead of 204."""
    return bool(g.get("poll_token_stale"))


UNCHANGED, STALE, FULL = "unchanged", "stale", "full"
ENVIRON_KEY = "fogforge.poll_verdict"  # FastPolls' verdict, so the view does not judge twice
POLL_PATHS = frozenset({"/provider/offers/poll", "/provider/notifications/bell"})


def verdict(raw: str | None, sent: int | None, session_user_id: str) -> str:
    """UNCHANGED when `raw` is a genuine fresh token of this session's identity and Redis holds
    the version `sent`; STALE when the token is genuine but too old; FULL otherwise. Needs an
    app context (the secret key, Redis); reads no database."""
    found = _read(raw) if raw else None
    if found is None:
        return FULL
    provider_id, identity, issued = found
    age = clock.now().timestamp() - issued
    if not -60 <= age <= MAX_AGE_SECONDS:
        return STALE
    if sent is not None and identity == _identity(session_user_id):
        if changes.cached_version(provider_id) == sent:
            return UNCHANGED
    return FULL


def unchanged_204(view: Callable) -> Callable:
    """Answer 204 before the user is loaded when the token matches the session and Redis holds
    the version the page has; otherwise run `view` (the full path, access check included).
    Behind FastPolls the verdict is already made (an unchanged poll never reaches Flask)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        found = request.environ.get(ENVIRON_KEY) or verdict(
            request.headers.get(HEADER), request.args.get("v", type=int), str(session.get("_user_id") or "")
        )
        if found == UNCHANGED:
            return private(make_response("", 204))
        g.poll_token_stale = found == STALE
        return view(*args, **kwargs)

    return wrapped


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


class FastPolls:
    """WSGI middleware in front of Flask: an unchanged live poll is answered 204 here, without
    Flask's request dispatch (session object, Flask-Login, CSRF, rate limits, after-request
    hooks). It reads what the in-Flask path reads: the poll token (header), `v` (query), the
    signed session cookie (verified with the app's own session serializer and max age) and one
    Redis key. Every other request, and every poll it cannot prove unchanged, goes to Flask with
    the verdict in the environ. The 204 carries the headers every answer carries (security.py)
    plus no-store; it says nothing, so the Host allow-list and rate limits do not apply to it.
    A session cookie is not refreshed by an unchanged poll: only what a user does keeps a
    session alive."""

    def __init__(self, flask_app: Flask, wsgi_app: Callable) -> None:
        self.flask_app = flask_app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable):
        if environ.get("PATH_INFO") in POLL_PATHS and environ.get("REQUEST_METHOD") == "GET":
            found = self._verdict(environ)
            if found == UNCHANGED:
                headers = [*BASE_HEADERS, ("Cache-Control", "no-store"), ("Vary", "HX-Request")]
                if environ.get("wsgi.url_scheme") == "https":
                    headers.append(HSTS)
                start_response("204 No Content", headers)
                return []
            environ[ENVIRON_KEY] = found
        return self.wsgi_app(environ, start_response)

    def _verdict(self, environ: dict) -> str:
        raw = environ.get("HTTP_X_POLL_TOKEN")
        if not raw:
            return FULL
        app = self.flask_app
        sent = _int(dict(parse_qsl(environ.get("QUERY_STRING", ""))).get("v"))
        cookie = parse_cookie(environ).get(app.config["SESSION_COOKIE_NAME"])
        user_id = ""
        if cookie:
            signer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
            try:
                data = signer.loads(cookie, max_age=int(app.permanent_session_lifetime.total_seconds()))
            except BadSignature:
                data = {}
            user_id = str(data.get("_user_id") or "") if isinstance(data, dict) else ""
        with app.app_context():
            return verdict(raw, sent, user_id)


@bp.app_context_processor
def poll_helpers() -> dict:
    return {"poll_token": poll_token}


def poll_token() -> str:
    """A token for the signed-in provider's poll ("" for anyone else: the full path only)."""
    provider = getattr(current_user, "provider", None) if current_user.is_authenticated else None
    return "" if provider is None else token(provider.id, current_user.get_id())
