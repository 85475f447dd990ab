"""The conversion pitch a verified-free provider sees after a teaser lead (SPEC "Teaser leads").

"You could have received N more leads this month on Growth": N counts the broadcast and
quote leads in its metros and categories this month that reached a Growth provider but not
it. With it: its response time and the offers it missed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import CompoundSelect, and_, func, or_, select, union
from sqlalchemy.orm import Session

from app.core import clock
from app.models import Assignment, Lead, Notification, Offer, Provider
from app.quotes import reviews


@dataclass(frozen=True)
class TeaserPitch:
    more_leads: int
    missed_offers: int
    response_time: str | None


def month_start():
    return clock.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def pitch(session: Session, provider: Provider) -> TeaserPitch | None:
    """The pitch, or None when it does not apply (not verified-free, or no teaser yet)."""
    if provider.status != "verified" or provider.effective_tier != "free":
        return None
    had_teaser = session.scalar(
        select(Assignment.id).where(Assignment.provider_id == provider.id, Assignment.teaser.is_(True)).limit(1)
    )
    if had_teaser is None:
        return None
    since = month_start()
    growth = select(Provider.id).where(
        or_(  # on Growth, or counting as Growth in a trial
            Provider.tier == "growth",
            and_(Provider.tier.in_(("starter", "free")), Provider.trial_ends_at > clock.now()),
        )
    )
    reached_growth: CompoundSelect[tuple[int | None]] = union(
        select(Offer.lead_id).where(Offer.provider_id.in_(growth)),
        select(Notification.lead_id).where(
            Notification.kind == "quote_available", Notification.provider_id.in_(growth)
        ),
    )
    reached_me = union(
        select(Offer.lead_id).where(Offer.provider_id == provider.id),
        select(Assignment.lead_id).where(Assignment.provider_id == provider.id),
    )
    metro_ids = [provider.home_metro_id, *(m.id for m in provider.extra_metros)]
    category_ids = [c.id for c in provider.categories]
    more = (
        session.scalar(
            select(func.count(Lead.id)).where(
                Lead.created_at >= since,
                Lead.mode.in_(("broadcast", "quotes")),
                Lead.metro_id.in_(metro_ids),
                Lead.category_id.in_(category_ids),
                Lead.id.in_(select(reached_growth.subquery().c[0])),
                Lead.id.not_in(select(reached_me.subquery().c[0])),
            )
        )
        or 0
    )
    missed = (
        session.scalar(
            select(func.count(Offer.id)).where(
                Offer.provider_id == provider.id,
                Offer.offered_at >= since,
                Offer.state.in_(("taken", "expired")),
                Offer.responded_at.is_(None),
            )
        )
        or 0
    )
    return TeaserPitch(
        more_leads=more, missed_offers=missed, response_time=reviews.reputation(session, provider.id).median_label
    )
