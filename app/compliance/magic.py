"""Magic sign-in links for "My sites": no password. A link is a random token (256 bits) whose
sha256 is stored with an expiry (MAGIC_LINK_MINUTES, 30) and used at most once (a conditional
UPDATE decides). Asking for a link never says whether the address has requests (no account
enumeration): the email is sent only when it does."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.compliance import sites
from app.core import clock
from app.core.db import transition
from app.core.refusal import Refusal
from app.core.urls import external_url
from app.models import Lead, MagicLink
from app.platform import outbox


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_link(session: Session, email: str) -> str | None:
    """Queue a sign-in email when this address made requests; returns the token (tests) or None."""
    owner = sites.owner_key(email)
    if not owner:
        return None
    known = session.scalar(select(Lead.id).where(func.lower(Lead.customer_email) == owner).limit(1))
    if known is None:
        return None
    token = secrets.token_urlsafe(32)
    minutes = current_app.config.get("MAGIC_LINK_MINUTES", 30)
    link = MagicLink(email=owner, token_hash=_hash(token), expires_at=clock.now() + timedelta(minutes=minutes))
    session.add(link)
    session.flush()
    outbox.queue_email(
        session,
        kind="magic_link",
        to=owner,
        template="magic_link",
        context={"url": external_url("public.my_sites_auth", token=token), "minutes": minutes},
    )
    return token


def peek(session: Session, token: str) -> MagicLink | None:
    """The link if it is still usable (for the "Sign in" confirmation page)."""
    link = session.scalar(select(MagicLink).where(MagicLink.token_hash == _hash(token or "")))
    if link is None or link.used_at is not None or link.expires_at <= clock.now():
        return None
    return link


def consume(session: Session, token: str) -> str:
    """Use the link once; returns the email it signs in. Refused when unknown, used or expired."""
    now = clock.now()
    digest = _hash(token or "")
    link = session.scalar(select(MagicLink).where(MagicLink.token_hash == digest))
    if link is None:
        raise Refusal("This sign-in link is not valid. Ask for a new one.", code="invalid_link")
    transition(
        session,
        MagicLink,
        [MagicLink.id == link.id, MagicLink.used_at.is_(None), MagicLink.expires_at > now],
        {"used_at": now},
        refuse="This sign-in link was already used or has expired. Ask for a new one.",
    )
    return link.email
