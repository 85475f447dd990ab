"""A provider's devices for Web Push (subscribe, list, remove) and its push preferences.

Sending lives in app/platform/push.py; this module only records what a browser handed us.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.models import Provider, PushPreference, PushSubscription
from app.platform.push import PUSH_KINDS, b64url_decode, preference

TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _endpoint_ok(endpoint: str) -> bool:
    """A push service is an https origin on the internet (plain http to loopback only when
    PUSH_ALLOW_HTTP_LOOPBACK is on: the tests' local push service)."""
    parts = urlsplit(endpoint)
    if not parts.hostname or len(endpoint) > 1024:
        return False
    host = parts.hostname
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    loopback = host == "localhost" or (address is not None and address.is_loopback)
    if parts.scheme == "http":
        return loopback and bool(current_app.config.get("PUSH_ALLOW_HTTP_LOOPBACK"))
    if parts.scheme != "https":
        return False
    if address is not None and not address.is_global:  # never POST to private networks
        return loopback and bool(current_app.config.get("PUSH_ALLOW_HTTP_LOOPBACK"))
    return not loopback or bool(current_app.config.get("PUSH_ALLOW_HTTP_LOOPBACK"))


def _key_ok(value: str, length: int, first: int | None = None) -> bool:
    try:
        raw = b64url_decode(value)
    except ValueError:
        return False
    return len(raw) == length and (first is None or raw[0] == first)


def device_label(user_agent: str | None) -> str:
    """A short, human name for the device from its User-Agent ("Chrome on Android")."""
    ua = user_agent or ""
    browser = next(
        (
            name
            for token, name in (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
            if token in ua
        ),
        "Browser",
    )
    system = next(
        (
            name
            for token, name in (
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS", "macOS"),
                ("Linux", "Linux"),
            )
            if token in ua
        ),
        "",
    )
    return f"{browser} on {system}" if system else browser


def subscribe(
    session: Session,
    provider: Provider,
    *,
    user_id: int | None,
    endpoint: str,
    p256dh: str,
    auth: str,
    user_agent: str | None = None,
) -> PushSubscription:
    """Record (or refresh) this browser's subscription for the provider. The same endpoint
    subscribed again (new keys, or another account on the same browser) replaces the old row."""
    endpoint = (endpoint or "").strip()
    errors = {}
    if not _endpoint_ok(endpoint):
        errors["endpoint"] = "This browser's push service address is not one we can send to."
    if not _key_ok(p256dh or "", 65, 0x04):
        errors["p256dh"] = "The browser's key is not a P-256 public key."
    if not _key_ok(auth or "", 16):
        errors["auth"] = "The browser's auth secret must be 16 bytes."
    if errors:
        raise Refusal("This browser's subscription could not be saved.", errors)
    device = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if device is None:
        device = PushSubscription(endpoint=endpoint, created_at=clock.now())
        session.add(device)
    device.provider_id, device.user_id = provider.id, user_id
    device.p256dh, device.auth = p256dh, auth
    device.label = device_label(user_agent)[:120]
    session.flush()
    return device


def devices(session: Session, provider_id: int) -> list[PushSubscription]:
    return list(
        session.scalars(
            select(PushSubscription).where(PushSubscription.provider_id == provider_id).order_by(PushSubscription.id)
        )
    )


def unsubscribe(session: Session, provider_id: int, endpoint: str) -> bool:
    """The browser turned notifications off: forget its subscription."""
    result = session.execute(
        delete(PushSubscription).where(
            PushSubscription.provider_id == provider_id, PushSubscription.endpoint == (endpoint or "")
        )
    )
    return bool(affected(result))


def remove(session: Session, provider_id: int, device_id: int) -> bool:
    """Remove one of the provider's devices from the settings list."""
    result = session.execute(
        delete(PushSubscription).where(PushSubscription.provider_id == provider_id, PushSubscription.id == device_id)
    )
    return bool(affected(result))


def save_preferences(
    session: Session,
    provider_id: int,
    *,
    kinds_on: set[str],
    quiet_start: str | None,
    quiet_end: str | None,
    emergencies_break_through: bool,
) -> PushPreference:
    """Per-kind switches, quiet hours ("HH:MM" local time of the home metro, both or neither)."""
    quiet_start, quiet_end = (quiet_start or "").strip() or None, (quiet_end or "").strip() or None
    errors = {}
    for name, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if value is not None and not TIME_RE.match(value):
            errors[name] = "Use a time like 22:00."
    if not errors and (quiet_start is None) != (quiet_end is None):
        errors["quiet_end" if quiet_end is None else "quiet_start"] = "Give both a start and an end, or neither."
    if errors:
        raise Refusal("Quiet hours need a start and an end time.", errors)
    pref = preference(session, provider_id)
    pref.kinds = {kind: kind in kinds_on for kind in PUSH_KINDS}
    pref.quiet_start, pref.quiet_end = quiet_start, quiet_end
    pref.emergencies_break_through = emergencies_break_through
    session.add(pref)
    session.flush()
    return pref
