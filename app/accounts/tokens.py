"""Signed, expiring tokens for links in emails (email confirmation, password reset).

Tokens are signed with SECRET_KEY (itsdangerous) and carry the time they were issued, read
from services.clock, so expiry follows the one clock. A password-reset token also carries a
fingerprint of the password hash it was issued for: once the password changes, every reset
token issued before is dead (single use).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.core import clock
from app.models.user import password_fingerprint

CONFIRM = "email-confirm"
RESET = "password-reset"
MAX_AGE = {CONFIRM: timedelta(days=3), RESET: timedelta(hours=1)}


def _serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"fogforge.{purpose}")


def make(purpose: str, payload: dict) -> str:
    return _serializer(purpose).dumps({**payload, "iat": int(clock.now().timestamp())})


def read(purpose: str, token: str) -> dict | None:
    """The payload if the token is genuine, for this purpose, and not expired; else None."""
    try:
        data = _serializer(purpose).loads(token or "")
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("iat"), int):
        return None
    age = clock.now().timestamp() - data["iat"]
    if age < -60 or age > MAX_AGE[purpose].total_seconds():
        return None
    return data


def fingerprint(secret: str | None) -> str:
    return password_fingerprint(secret)
