"""Who may receive what. Pure rules (no database): callers pass the counts they looked up.

Used everywhere a delivery decision is made (direct routing, escrow release, broadcast
pools, quote routing), so a provider is never eligible in one place and not in another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import clock
from app.models import Assignment, Provider

REASON_LABELS = {
    "suspended": "Suspended",
    "unclaimed": "Listing not claimed",
    "unverified": "Claimed but not verified",
    "free_plan": "Free plan",
    "paused": "Paused",
    "weekly_cap": "Weekly lead cap reached",
}


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    reason: str | None = None  # a key of REASON_LABELS when not ok

    @property
    def label(self) -> str:
        if self.ok:
            return "Eligible"
        assert self.reason is not None  # a refusal always names its reason
        return REASON_LABELS[self.reason]


def under_cap(provider: Provider, deliveries_this_week: int) -> bool:
    return provider.weekly_cap is None or deliveries_this_week < provider.weekly_cap


def direct(provider: Provider, deliveries_this_week: int) -> Eligibility:
    """Direct delivery: verified + paid (or in trial) + not paused + under the weekly cap."""
    if provider.status == "suspended":
        return Eligibility(False, "suspended")
    if provider.status == "unclaimed":
        return Eligibility(False, "unclaimed")
    if provider.status != "verified":
        return Eligibility(False, "unverified")
    if not provider.is_paid:
        return Eligibility(False, "free_plan")
    if provider.paused:
        return Eligibility(False, "paused")
    if not under_cap(provider, deliveries_this_week):
        return Eligibility(False, "weekly_cap")
    return Eligibility(True)


def deliveries_this_week(session: Session, provider_id: int) -> int:
    """Leads the provider got this ISO week (what the weekly cap counts)."""
    return (
        session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.provider_id == provider_id,
                Assignment.created_at >= clock.iso_week_start(),
            )
        )
        or 0
    )


def lock_provider(session: Session, provider_id: int) -> None:
    """Serialise decisions that count a provider's leads (weekly cap, teaser) until commit:
    a row lock on PostgreSQL; on SQLite, BEGIN IMMEDIATE already serialises writers."""
    session.execute(select(Provider.id).where(Provider.id == provider_id).with_for_update())


def check_direct(session: Session, provider: Provider, *, lock: bool = False) -> Eligibility:
    """Direct eligibility with this week's count. `lock=True` when the answer decides a
    delivery, so two deliveries to one provider are counted one after the other."""
    if lock:
        lock_provider(session, provider.id)
    return direct(provider, deliveries_this_week(session, provider.id))


def teaser_eligible(provider: Provider) -> bool:
    """Teasers are for verified providers on the free plan (not paused, not suspended)."""
    return provider.status == "verified" and not provider.is_paid and not provider.paused


def teasers_this_week(session: Session, provider_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Assignment.id)).where(
                Assignment.provider_id == provider_id,
                Assignment.teaser.is_(True),
                Assignment.created_at >= clock.iso_week_start(),
            )
        )
        or 0
    )


def teaser_available(session: Session, provider: Provider) -> bool:
    """At most one teaser (broadcast accept or admin direct unlock) per provider per ISO week."""
    return teaser_eligible(provider) and teasers_this_week(session, provider.id) == 0


def teasers_available(session: Session, providers: Iterable[Provider]) -> dict[int, bool]:
    """`teaser_available` for many providers in one statement (lists, not decisions: a delivery
    decides with `teaser_available` under the provider's lock)."""
    providers = list(providers)
    eligible = {p.id for p in providers if teaser_eligible(p)}
    used = (
        set(
            session.scalars(
                select(Assignment.provider_id)
                .where(
                    Assignment.provider_id.in_(eligible),
                    Assignment.teaser.is_(True),
                    Assignment.created_at >= clock.iso_week_start(),
                )
                .distinct()
            )
        )
        if eligible
        else set()
    )
    return {p.id: p.id in eligible and p.id not in used for p in providers}
