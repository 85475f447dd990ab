"""Claiming a listing, or creating a new one. One listing per account.

The claim race is decided by one conditional UPDATE (owner still empty, status still
`unclaimed`); the unique owner_id column stops one account from holding two listings.
"""

from __future__ import annotations

from slugify import slugify
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.models import Category, Metro, Provider, User

TAKEN = "taken"  # someone else owns it (or it is suspended)
HAS_LISTING = "has_listing"  # this account already manages a listing


def _taken() -> Refusal:
    return Refusal("This listing is already claimed.", code=TAKEN)


def _has_listing() -> Refusal:
    return Refusal("Your account already manages a listing.", code=HAS_LISTING)


def listing_of(session: Session, user: User) -> Provider | None:
    return session.scalar(select(Provider).where(Provider.owner_id == user.id))


def claim(session: Session, user: User, provider_id: int) -> Provider:
    """Link the listing to the user if nobody has claimed it yet (Refusal with code TAKEN or
    HAS_LISTING otherwise); claiming one's own listing again is no error."""
    own = listing_of(session, user)
    if own is not None:
        if own.id != provider_id:
            raise _has_listing()
        return own
    now = clock.now()
    try:
        with session.begin_nested():
            result = session.execute(
                update(Provider)
                .where(Provider.id == provider_id, Provider.owner_id.is_(None), Provider.status == "unclaimed")
                .values(owner_id=user.id, status="claimed", updated_at=now)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:  # the same account claimed another listing at the same moment
        raise _has_listing() from None
    if affected(result) != 1:
        raise _taken()
    provider = session.get_one(Provider, provider_id)
    session.refresh(provider)
    return provider


def unique_slug(session: Session, name: str, metro: Metro) -> str:
    base = slugify(name)[:120] or "listing"
    candidates = [base, f"{base}-{metro.slug}"] + [f"{base}-{metro.slug}-{n}" for n in range(2, 50)]
    taken = set(session.scalars(select(Provider.slug).where(Provider.slug.in_(candidates))))
    return next(c for c in candidates if c not in taken)


def create_listing(
    session: Session,
    user: User,
    *,
    name: str,
    metro: Metro,
    categories: list[Category],
    phone: str | None,
    city: str | None,
    website: str | None = None,
    about: str | None = None,
) -> Provider:
    """A new listing owned by the user (status `claimed`, free plan); Refusal (HAS_LISTING) if
    the account already manages one."""
    if listing_of(session, user) is not None:
        raise _has_listing()
    provider = Provider(
        name=name.strip(),
        slug=unique_slug(session, name, metro),
        home_metro=metro,
        status="claimed",
        tier="free",
        phone=phone,
        city=city or metro.name,
        email=user.email,
        website=website,
        about=about,
        owner_id=user.id,
    )
    provider.categories = list(categories)
    try:
        with session.begin_nested():
            session.add(provider)
            session.flush()
    except IntegrityError:
        raise _has_listing() from None
    return provider
