"""Partners and their API keys.

A key is "ffk_<prefix>_<secret>": the prefix (8 hex characters) finds the row, the whole key
is compared by its sha256 hash; the key itself is shown once, at creation, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.models import ApiKey, Partner, User
from app.platform import audit

KEY_RE = re.compile(r"^ffk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    api_key: ApiKey
    plaintext: str  # show once; only its hash is stored


def create_partner(session: Session, name: str, actor: User | None, ip: str | None = None) -> Partner:
    partner = Partner(name=name.strip(), active=True, created_at=clock.now())
    session.add(partner)
    session.flush()
    audit.log(session, actor, "partner.create", partner, f"Created API partner {partner.name}", ip=ip)
    return partner


def create_key(
    session: Session, partner: Partner, actor: User | None, label: str | None = None, ip: str | None = None
) -> NewKey:
    prefix = secrets.token_hex(4)
    plaintext = f"ffk_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        partner_id=partner.id,
        prefix=prefix,
        key_hash=hash_key(plaintext),
        label=(label or "").strip() or None,
        created_at=clock.now(),
        created_by=actor.id if actor is not None else None,
    )
    session.add(api_key)
    session.flush()
    audit.log(
        session,
        actor,
        "partner.key_create",
        partner,
        f"Created API key ffk_{prefix}_… for {partner.name}",
        data={"key_id": api_key.id, "prefix": prefix, "label": api_key.label},
        ip=ip,
    )
    return NewKey(api_key, plaintext)


def revoke_key(session: Session, api_key: ApiKey, actor: User | None, ip: str | None = None) -> bool:
    """Revoke once (one conditional UPDATE); False when it was already revoked."""
    result = session.execute(
        update(ApiKey)
        .where(ApiKey.id == api_key.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return False
    session.refresh(api_key)
    audit.log(
        session,
        actor,
        "partner.key_revoke",
        api_key.partner,
        f"Revoked API key {api_key.display} of {api_key.partner.name}",
        data={"key_id": api_key.id, "prefix": api_key.prefix},
        ip=ip,
    )
    return True


def set_active(session: Session, partner: Partner, active: bool, actor: User | None, ip: str | None = None) -> None:
    partner.active = active
    session.flush()
    audit.log(
        session,
        actor,
        "partner.activate" if active else "partner.deactivate",
        partner,
        f"{'Reactivated' if active else 'Deactivated'} API partner {partner.name}",
        ip=ip,
    )


def authenticate(session: Session, authorization: str | None) -> ApiKey | None:
    """The live key named by an "Authorization: Bearer ffk_..." header, else None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    match = KEY_RE.match(token.strip()) if scheme.lower() == "bearer" else None
    if match is None:
        return None
    api_key = session.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1)))
    if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_key(token.strip())):
        return None
    if api_key.revoked_at is not None or not api_key.partner.active:
        return None
    return api_key


def touch(session: Session, api_key_id: int) -> None:
    """Record the key's use (call right before the commit: it takes the key's row lock)."""
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == api_key_id)
        .values(last_used_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def key_prefix(authorization: str | None) -> str | None:
    """The public prefix of a well-formed bearer key (for rate limiting), without a lookup."""
    _, _, token = (authorization or "").strip().partition(" ")
    match = KEY_RE.match(token.strip())
    return match.group(1) if match else None
