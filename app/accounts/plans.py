"""Plans: what each tier gets, the one self-serve Growth trial, and admin plan/suspension
changes. Billing is out of scope: tiers change only by an admin (or the trial)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.accounts import users
from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.direct import release
from app.models import Provider, User
from app.models.provider import TIERS
from app.platform import audit

TRIAL_DAYS = 14

# What each tier gets, shown on the plan page (highest first).
TIER_FEATURES = {
    "pro": [
        "Direct requests delivered at once",
        "First wave of broadcast offers",
        "Quote leads unlock free (no credits)",
    ],
    "growth": ["Direct requests delivered at once", "First wave of broadcast offers", "Quote leads for credits"],
    "starter": ["Direct requests delivered at once", "Second wave of broadcast offers", "Quote leads for credits"],
    "free": [
        "Listed in the directory",
        "One teaser lead a week once verified",
        "Direct requests wait in escrow until you upgrade",
    ],
}


def trial_available(provider: Provider) -> bool:
    return (
        provider.trial_started_at is None
        and provider.tier in ("free", "starter")
        and provider.status in ("claimed", "verified")
    )


TRIAL_UNAVAILABLE = "The Growth trial isn't available for this listing (it can be used once)."


def start_trial(session: Session, provider: Provider) -> str:
    """Start the 14-day Growth trial, once per provider ever; Refusal if not available."""
    now = clock.now()
    result = session.execute(
        update(Provider)
        .where(
            Provider.id == provider.id,
            Provider.trial_started_at.is_(None),
            Provider.tier.in_(("free", "starter")),
            Provider.status.in_(("claimed", "verified")),
        )
        .values(trial_started_at=now, trial_ends_at=now + timedelta(days=TRIAL_DAYS), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        raise Refusal(TRIAL_UNAVAILABLE)
    session.refresh(provider)
    release.release_for_provider(session, provider)
    return f"Your {TRIAL_DAYS}-day Growth trial has started."


def set_tier(session: Session, provider: Provider, tier: str, admin: User, ip: str | None = None) -> bool:
    if tier not in TIERS:
        raise ValueError(tier)
    if provider.tier == tier:
        return False
    old = provider.tier
    provider.tier = tier
    session.flush()
    audit.log(
        session,
        admin,
        "provider.tier",
        provider,
        f"Changed {provider.name}'s plan from {old} to {tier}",
        data={"from": old, "to": tier},
        ip=ip,
    )
    release.release_for_provider(session, provider)
    return True


def suspend(session: Session, provider: Provider, admin: User, reason: str, ip: str | None = None) -> bool:
    now = clock.now()
    result = session.execute(
        update(Provider)
        .where(Provider.id == provider.id, Provider.status != "suspended")
        .values(status="suspended", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return False
    session.refresh(provider)
    if provider.owner_id is not None:  # its owner is signed out everywhere
        users.end_sessions(session, provider.owner_id)
    audit.log(
        session,
        admin,
        "provider.suspend",
        provider,
        f"Suspended {provider.name}: {reason}",
        data={"reason": reason},
        ip=ip,
    )
    return True


def status_after_reinstating(provider: Provider) -> str:
    if provider.verified_at is not None:
        return "verified"
    return "claimed" if provider.owner_id is not None else "unclaimed"


def reinstate(session: Session, provider: Provider, admin: User, ip: str | None = None) -> bool:
    """Back to what it was: verified if it had been verified, else claimed/unclaimed."""
    status = status_after_reinstating(provider)
    result = session.execute(
        update(Provider)
        .where(Provider.id == provider.id, Provider.status == "suspended")
        .values(status=status, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return False
    session.refresh(provider)
    audit.log(
        session,
        admin,
        "provider.reinstate",
        provider,
        f"Reinstated {provider.name} as {status}",
        data={"status": status},
        ip=ip,
    )
    release.release_for_provider(session, provider)
    return True
