"""Who may receive what. Pure rules (no database): callers pass the counts they looked up.

Used everywhere a delivery decision is made (direct routing, escrow release, broadcast
pools, quote routing), so a provider is never eligible in one place and not in another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import clock
from app.models import Assignment, Metro, Provider
from app.models.lead import EscrowReason
from app.models.provider import ProviderStatus


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    # why not, when not ok: an EscrowReason (what an escrowed lead stores); quote matching adds
    # "no_match", which callers word themselves
    reason: str | None = None

    @property
    def label(self) -> str:
        return "Eligible" if self.reason is None else EscrowReason(self.reason).title


def under_cap(provider: Provider, deliveries_this_week: int) -> bool:
    return provider.weekly_cap is None or deliveries_this_week < provider.weekly_cap


def direct(provider: Provider, deliveries_this_week: int) -> Eligibility:
    """Direct delivery: verified + paid (or in trial) + not paused + under the weekly cap."""
    if provider.status == ProviderStatus.suspended:
        return Eligibility(False, EscrowReason.suspended)
    if provider.status == ProviderStatus.unclaimed:
        return Eligibility(False, EscrowReason.unclaimed)
    if provider.status != ProviderStatus.verified:
        return Eligibility(False, EscrowReason.unverified)
    if not provider.is_paid:
        return Eligibility(False, EscrowReason.free_plan)
    if provider.paused_now:  # vacation, or "pause until <date>" (issue 14)
        return Eligibility(False, EscrowReason.paused)
    if not under_cap(provider, deliveries_this_week):
        return Eligibility(False, EscrowReason.weekly_cap)
    return Eligibility(True)


def week_count_for_cap(session: Session, provider: Provider) -> int:
    """What `under_cap` needs: this week's deliveries, counted only when there is a cap."""
    return deliveries_this_week(session, provider.id) if provider.weekly_cap is not None else 0


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
    if lock and provider.weekly_cap is not None:  # without a cap the count decides nothing
        lock_provider(session, provider.id)
    return direct(provider, week_count_for_cap(session, provider))


def teaser_eligible(provider: Provider) -> bool:
    """Teasers are for verified providers on the free plan (not paused, not suspended)."""
    return provider.status == "verified" and not provider.is_paid and not provider.paused_now


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


# --------------------------------------------------------------- what the customer is told
# Issue 13: a direct request that cannot be delivered says why at once, in words a customer can
# use, never the provider's plan ("free plan" reads "doesn't take requests through FogForge
# right now"). Shared by the confirmation email (leads.intake), the tracking page and the
# provider page and request form (web.public).
CUSTOMER_WORDS = {
    EscrowReason.unclaimed: "{name} hasn't set up their FogForge account yet, so we can't pass requests to them "
    "straight away. We're inviting them now.",
    EscrowReason.unverified: "{name} is still finishing FogForge's business checks, so they can't receive "
    "requests yet.",
    EscrowReason.free_plan: "{name} doesn't take requests instantly through FogForge right now. Our team "
    "lets them know you asked for them.",
    EscrowReason.paused: "{name} has paused new requests for now.",
    EscrowReason.suspended: "{name} can't receive requests through FogForge at the moment.",
    EscrowReason.weekly_cap: "{name} has all the requests they can take this week.",
    EscrowReason.out_of_area: "Your address is outside the area {name} serves, so we can't pass your "
    "request to them straight away.",
}


def customer_reason(reason: str | None, name: str) -> str:
    """Why a direct request waits, for the customer (empty when nothing holds it)."""
    if reason is None or reason not in CUSTOMER_WORDS:
        return ""
    return CUSTOMER_WORDS[EscrowReason(reason)].format(name=name)


def takes_direct_requests(provider: Provider) -> bool:
    """Would a direct request reach this provider at once (leaving the weekly cap aside)? Public
    pages show the response-time badge only then."""
    return direct(provider, 0).ok


def consent_wait(metro: Metro, urgency: str) -> timedelta:
    """How long an escrowed direct request waits before the customer is asked whether others may
    have it: per urgency (metro settings). Emergencies: `consent_wait_emergency_minutes` (0 = at
    once); this week and flexible: `consent_wait_hours` (default 24 h)."""
    if urgency == "emergency":
        return timedelta(minutes=metro.consent_wait_emergency_minutes or 0)
    return timedelta(hours=metro.consent_wait_hours)
