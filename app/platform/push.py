"""Web Push through its own outbox: queued in the caller's transaction, sent after commit by a
job on the `push` queue (its own queue, listened to first, so an email burst never delays it).

One row per message per device. A row is claimed with a conditional UPDATE (sent once, like an
email: see app/platform/outbox.py); a push-service failure puts it back to `pending` (RQ retries
within seconds, the sweep after PUSH_RETRY_AFTER_SECONDS); after PUSH_MAX_ATTEMPTS it is
`failed`. A 404/410 from the push service means the subscription expired: it is deleted and
the row is `gone`. Callers pass only masked text (app/leads/masking.py); this module never
reads lead data.
"""

from __future__ import annotations

import json
import logging
import threading
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import insert_new
from app.models import OutboxPush, Provider, PushPreference, PushSubscription
from app.platform import sweep
from app.platform.outbox import claim_lease, claim_row
from app.platform.queue import enqueue, enqueue_after_commit

log = logging.getLogger(__name__)

JOB = "app.jobs.send_push"

# Notification kinds that reach a provider's devices (each can be switched off in settings).
PUSH_KINDS = {
    "new_offer": "New broadcast offers",
    "direct_lead": "Direct requests delivered to you",
    "quote_available": "New quote leads you can unlock",
}


@dataclass(frozen=True)
class PushText:
    """What a push says: masked text only. With `expires_at` the body starts with the time left
    to accept, computed when it is sent. `urgent` (an emergency) may break through quiet hours."""

    title: str
    body: str = ""
    expires_at: datetime | None = None
    urgent: bool = False
    url: str | None = None  # where a tap leads, when not the notification's own url


# ---------------------------------------------------------------- keys
def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(value: str) -> bytes:
    return urlsafe_b64decode(value + "=" * (-len(value) % 4))


_vapid_cache: dict[str, object] = {}
_vapid_lock = threading.Lock()


def vapid(private_key: str | None = None):
    """The py_vapid signer for the configured private key (built once per process)."""
    from py_vapid import Vapid02

    key = private_key or current_app.config["VAPID_PRIVATE_KEY"]
    with _vapid_lock:
        signer = _vapid_cache.get(key)
        if signer is None:
            signer = _vapid_cache[key] = Vapid02.from_string(key)
    return signer


def public_key() -> str:
    """The applicationServerKey browsers subscribe with (base64url, uncompressed P-256 point)."""
    configured = current_app.config.get("VAPID_PUBLIC_KEY")
    if configured:
        return configured
    point = vapid().public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


# ---------------------------------------------------------------- preferences and quiet hours
def preference(session: Session, provider_id: int) -> PushPreference:
    """The provider's push preferences (defaults, unsaved, when it never set any)."""
    return session.get(PushPreference, provider_id) or default_preference(provider_id)


def default_preference(provider_id: int) -> PushPreference:
    """What a provider that never set push preferences gets (unsaved)."""
    return PushPreference(provider_id=provider_id, kinds={}, emergencies_break_through=True)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def in_quiet_hours(pref: PushPreference, tz_name: str, at: datetime) -> bool:
    """Is `at` inside the quiet hours (start inclusive, end exclusive, local time; may wrap midnight)?"""
    if not pref.quiet_start or not pref.quiet_end or pref.quiet_start == pref.quiet_end:
        return False
    local = clock.as_utc(at).astimezone(ZoneInfo(tz_name))
    now, start, end = local.hour * 60 + local.minute, _minutes(pref.quiet_start), _minutes(pref.quiet_end)
    return start <= now < end if start < end else now >= start or now < end


def allowed(pref: PushPreference, provider: Provider, kind: str, urgent: bool) -> bool:
    """Would a push of `kind` reach the provider's devices now, under these preferences?"""
    if kind not in PUSH_KINDS:
        return False
    if not pref.wants(kind):
        return False
    if in_quiet_hours(pref, provider.home_metro.timezone, clock.now()):
        return urgent and pref.emergencies_break_through
    return True


# ---------------------------------------------------------------- queueing
@dataclass(frozen=True)
class Push:
    """A push to queue for every device of `provider` (masked text only; `url` inside the app)."""

    provider: Provider
    kind: str
    text: PushText
    url: str
    lead_id: int | None = None
    dedupe_key: str | None = None


def queue_pushes(session: Session, pushes: Sequence[Push]) -> list[int]:
    """One outbox row per device of each push's provider (none when its preferences or quiet
    hours say no), written in one statement; each is sent by a job after commit. A `dedupe_key`
    already used queues nothing again. Returns the outbox ids queued."""
    if not pushes:
        return []
    # devices first: most providers have none, and then their preferences need no reading
    devices: dict[int, list[int]] = {}
    for provider_id, device_id in session.execute(
        select(PushSubscription.provider_id, PushSubscription.id)
        .where(PushSubscription.provider_id.in_({p.provider.id for p in pushes}))
        .order_by(PushSubscription.id)
    ):
        devices.setdefault(provider_id, []).append(device_id)
    if not devices:
        return []
    prefs = {
        p.provider_id: p for p in session.scalars(select(PushPreference).where(PushPreference.provider_id.in_(devices)))
    }
    wanted = [
        p
        for p in pushes
        if p.provider.id in devices
        and allowed(prefs.get(p.provider.id) or default_preference(p.provider.id), p.provider, p.kind, p.text.urgent)
    ]
    rows = [
        {
            "provider_id": p.provider.id,
            "subscription_id": device_id,
            "kind": p.kind,
            "title": p.text.title[:200],
            "body": p.text.body[:300],
            "url": p.url,
            "lead_id": p.lead_id,
            "expires_at": p.text.expires_at,
            "dedupe_key": f"{p.dedupe_key}:{device_id}"[:200] if p.dedupe_key else None,
            "status": "pending",
            "attempts": 0,
        }
        for p in wanted
        for device_id in devices.get(p.provider.id, ())
    ]
    queued = insert_new(session, OutboxPush, rows, unique=["dedupe_key"])
    for push_id in queued:
        enqueue_after_commit(session, JOB, push_id)
    return queued


# ---------------------------------------------------------------- sending
def payload(row: OutboxPush, now: datetime | None = None) -> dict:
    """The JSON the service worker shows: title, body, the URL to open, a tag per lead."""
    body = row.body
    if row.expires_at is not None:
        left = max(0, int((row.expires_at - (now or clock.now())).total_seconds()))
        countdown = f"{left // 60}:{left % 60:02d} to accept"
        body = f"{countdown} · {body}" if body else countdown
    return {
        "title": row.title,
        "body": body,
        "url": row.url,
        "tag": f"lead-{row.lead_id}" if row.lead_id else f"push-{row.id}",
        "kind": row.kind,
    }


def claim(session: Session, push_id: int) -> OutboxPush | None:
    """Take the push for sending; None if another job has it or it is already done."""
    return claim_row(session, OutboxPush, push_id)


_http = threading.local()


def _requests_session():
    """One keep-alive HTTP session per worker thread (a push is one POST to a known host)."""
    import requests

    if getattr(_http, "session", None) is None:
        _http.session = requests.Session()
    return _http.session


class Expired(Exception):
    """The push service says the subscription is gone (404/410)."""


def deliver(row: OutboxPush) -> str:
    """POST the encrypted message to the device's push service. Returns `sent` or `stale`;
    raises Expired for a dead subscription, anything else for a retry."""
    from pywebpush import WebPushException, webpush

    device = row.subscription
    if device is None:
        raise Expired("subscription removed")
    now = clock.now()
    if row.expires_at is not None and row.expires_at <= now:
        return "stale"
    config = current_app.config
    try:
        webpush(
            {"endpoint": device.endpoint, "keys": {"p256dh": device.p256dh, "auth": device.auth}},
            data=json.dumps(payload(row, now), separators=(",", ":")),
            vapid_private_key=vapid(),
            vapid_claims={"sub": config["VAPID_SUBJECT"]},
            ttl=config["PUSH_TTL_SECONDS"],
            timeout=config["PUSH_TIMEOUT_SECONDS"],
            headers={"Urgency": "high", "Topic": payload(row, now)["tag"][:32]},
            requests_session=_requests_session(),
        )
    except WebPushException as exc:
        if exc.response is not None and exc.response.status_code in (404, 410):
            raise Expired(str(exc)) from exc
        raise
    return "sent"


def finish(session: Session, row: OutboxPush, status: str) -> None:
    """Record the outcome; an expired subscription is deleted (its rows keep their history)."""
    now = clock.now()
    row.status, row.locked_at, row.last_error = status, None, None
    if status == "sent":
        row.sent_at = now
        if row.subscription is not None:
            row.subscription.last_success_at = now
    elif status == "gone" and row.subscription_id is not None:
        device = session.get(PushSubscription, row.subscription_id)
        row.subscription_id = None
        if device is not None:
            session.delete(device)
    session.flush()


def mark_failed(row: OutboxPush, error: BaseException) -> None:
    """Back to pending for a retry, or `failed` once attempts run out."""
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    row.locked_at = None
    row.status = "failed" if row.attempts >= current_app.config["PUSH_MAX_ATTEMPTS"] else "pending"


def overdue_ids(session: Session, older_than: timedelta) -> list[int]:
    """Rows the sweep should re-enqueue: pending too long, or stuck in `sending`."""
    now = clock.now()
    return list(
        session.scalars(
            select(OutboxPush.id)
            .where(
                or_(
                    and_(OutboxPush.status == "pending", OutboxPush.updated_at < now - older_than),
                    and_(OutboxPush.status == "sending", OutboxPush.locked_at < now - claim_lease()),
                )
            )
            .order_by(OutboxPush.id)
            .limit(500)
        )
    )


@sweep.step("pushes", order=1)
def requeue_pushes(session: Session) -> int:
    """Unsent pushes whose job was lost go back on the push queue."""
    older = timedelta(seconds=current_app.config["PUSH_RETRY_AFTER_SECONDS"])
    return sum(enqueue(JOB, push_id) for push_id in overdue_ids(session, older))
