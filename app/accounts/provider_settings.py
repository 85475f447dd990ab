"""Provider controls: categories, extra metros, pause, weekly cap, email preferences."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.direct import release
from app.models import Category, Metro, Provider

# Notification kinds a provider can switch email off for (in-app notifications always arrive).
EMAIL_KINDS = {
    "new_offer": "New broadcast offers",
    "direct_lead": "Direct requests delivered to you",
    "escrow_outreach": "Requests waiting for you to claim/verify/upgrade",
    "lead_taken": "An offer you had was taken by another provider",
    "quote_available": "New quote leads you can unlock",
    "quote_picked": "A customer picked or declined your quote",
    "review_received": "New reviews",
}
MAX_WEEKLY_CAP = 1000


def choices(session: Session, provider: Provider) -> tuple[list[Category], list[Metro]]:
    """(all categories, metros other than the home metro) to offer on the settings form."""
    categories = list(session.scalars(select(Category).order_by(Category.position, Category.name)))
    metros = list(session.scalars(select(Metro).where(Metro.id != provider.home_metro_id).order_by(Metro.name)))
    return categories, metros


def update_settings(
    session: Session,
    provider: Provider,
    *,
    category_ids: list[int],
    extra_metro_ids: list[int],
    paused: bool,
    weekly_cap: int | None,
    email_on: set[str],
    offer_sound: bool = True,
) -> None:
    """Apply validated settings (the form checks the ids against choices())."""
    provider.categories = list(session.scalars(select(Category).where(Category.id.in_(category_ids))))
    provider.extra_metros = list(
        session.scalars(select(Metro).where(Metro.id.in_(extra_metro_ids), Metro.id != provider.home_metro_id))
    )
    if provider.paused and not paused:  # resuming by hand also ends an automatic (SLA) pause
        provider.sla_paused_at, provider.missed_in_row = None, 0
    provider.paused = paused
    provider.weekly_cap = weekly_cap
    provider.email_prefs = {kind: kind in email_on for kind in EMAIL_KINDS}
    provider.offer_sound = offer_sound
    session.flush()
    release.release_for_provider(session, provider)  # un-pausing (or a higher cap) can make it eligible
