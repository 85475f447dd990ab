"""Partner API (/api/v1): API keys (Authorization: Bearer), not cookies, so no CSRF here.

Every route except the public OpenAPI document needs a live key (401 JSON otherwise) and is
rate limited per key. Errors are JSON: {"error", "message", "fields"}.
"""

from __future__ import annotations

import functools
import re

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

from app.core.refusal import Refusal
from app.extensions import csrf, db, limiter
from app.partners import api as partner_api
from app.partners import keys as partners
from app.web.api.openapi import IDEMPOTENCY_KEY_PATTERN, document
from app.web.errors import error_headers

bp = Blueprint("api", __name__)
csrf.exempt(bp)

IDEMPOTENCY_KEY_RE = re.compile(IDEMPOTENCY_KEY_PATTERN)


def error(status: int, code: str, message: str | None, fields: dict | None = None, headers: dict | None = None):
    return jsonify(error=code, message=message, fields=fields or {}), status, headers or {}


# The partner API's JSON error shape on top of the one refusal type: the refusal's code is the
# "error" field and picks the status (422 unless listed).
REFUSAL_STATUS = {"invalid_json": 400, "idempotency_conflict": 409}


@bp.errorhandler(Refusal)
def api_refusal(refusal: Refusal):
    db.session.rollback()
    code = refusal.code or "refused"
    return error(REFUSAL_STATUS.get(code, 422), code, refusal.message, refusal.fields)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    messages = {
        404: "Not found.",
        405: "That method is not allowed here.",
        429: "Too many requests for this API key; wait a minute and retry.",
    }
    code = exc.code or 500
    return error(
        code, exc.name.lower().replace(" ", "_"), messages.get(code, exc.description), headers=error_headers(exc)
    )


def rate_limit_key() -> str:
    prefix = partners.key_prefix(request.headers.get("Authorization"))
    return f"api-key:{prefix}" if prefix else f"api-ip:{get_remote_address()}"


def rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def api_key_required(view):
    """401 JSON unless the request carries a live key; the key is g.api_key."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        api_key = partners.authenticate(db.session, request.headers.get("Authorization"))
        if api_key is None:
            db.session.rollback()
            return error(
                401,
                "unauthorized",
                "Send a valid API key: Authorization: Bearer ffk_…",
                headers={"WWW-Authenticate": 'Bearer realm="fogforge"'},
            )
        g.api_key = api_key
        return view(*args, **kwargs)

    wrapped.api_key_required = True  # read by the access-matrix test
    return wrapped


@bp.post("/leads")
@limiter.limit(rate_limit, key_func=rate_limit_key)
@api_key_required
def create_lead():
    payload = request.get_json(force=True, silent=True)
    if payload is None:
        return error(400, "invalid_json", "The request body must be JSON (Content-Type: application/json).")
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY_RE.match(key):
        return error(
            400,
            "invalid_idempotency_key",
            "Idempotency-Key: 1 to 255 visible ASCII characters.",
            {"Idempotency-Key": "Idempotency-Key: 1 to 255 visible ASCII characters."},
        )
    api_key_id = g.api_key.id
    result = partner_api.create_lead(db.session, g.api_key, payload, key)
    partners.touch(db.session, api_key_id)
    db.session.commit()
    headers = {"Location": url_for("api.lead_status", lead_id=result.lead_id)} if result.lead_id else {}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return jsonify(result.body), result.status, headers


@bp.get("/leads/<int:lead_id>")
@limiter.limit(rate_limit, key_func=rate_limit_key)
@api_key_required
def lead_status(lead_id: int):
    lead = partner_api.lead_for_partner(db.session, g.api_key.partner_id, lead_id)
    if lead is None:
        db.session.rollback()
        return error(404, "not_found", f"No lead {lead_id} created by your partner account.")
    body = partner_api.describe(lead)
    partners.touch(db.session, g.api_key.id)
    db.session.commit()
    return jsonify(body)


@bp.get("/openapi.json")
def openapi():
    """The API description (public: it holds no data)."""

    return jsonify(document())
