"""The live polls' fast path (issue 11): an unchanged poll answers 204 without the database.

A page that polls (the offers poller, the header bell) sends with each poll a short signed
token (header X-Poll-Token, set by the poller's hx-headers: kept out of URLs and access logs) (itsdangerous, SECRET_KEY, salt "poll"): the provider id and a digest of the signed-in
user's session identity (Flask-Login's id string, which carries the password fingerprint and
the session version). `unchanged_204` wraps a poll view *outside* its access check, so it runs
before Flask-Login loads the user: when the token is genuine and fresh, its identity is the one
in the signed session cookie (`_user_id`, no database read), and Redis holds the version the
page sent, the answer is an empty 204. Anything else (no token, a forged, expired or other
session's token, a Redis miss or outage, a changed version) takes the view's full path: load
the user, check access, read the version (database fallback), render.

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

from flask import current_app, g, make_response, request, session
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from app.core import clock
from app.platform import changes
from app.web.provider.views import bp
from app.web.responses import private

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


def unchanged_204(view: Callable) -> Callable:
    """Answer 204 before the user is loaded when the token matches the session and Redis holds
    the version the page has; otherwise run `view` (the full path, access check included)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        raw, sent = request.headers.get(HEADER), request.args.get("v", type=int)
        found = _read(raw) if raw else None
        if found is not None:
            provider_id, identity, issued = found
            age = clock.now().timestamp() - issued
            if not -60 <= age <= MAX_AGE_SECONDS:
                g.poll_token_stale = True
            elif sent is not None and identity == _identity(str(session.get("_user_id") or "")):
                if changes.cached_version(provider_id) == sent:
                    return private(make_response("", 204))
        return view(*args, **kwargs)

    return wrapped


@bp.app_context_processor
def poll_helpers() -> dict:
    return {"poll_token": poll_token}


def poll_token() -> str:
    """A token for the signed-in provider's poll ("" for anyone else: the full path only)."""
    provider = getattr(current_user, "provider", None) if current_user.is_authenticated else None
    return "" if provider is None else token(provider.id, current_user.get_id())
