"""Who may receive a broadcast offer (the metro's pool policy) and in which order."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.leads import eligibility
from app.models import Category, Lead, Metro, Offer, Provider
from app.models.metro import POOL_POLICIES
from app.models.provider import PAID_TIERS, TIER_RANK


# ---------------------------------------------------------------------------- pure rules
@dataclass(frozen=True)
class Candidate:
    """What the pool rules need to know about one provider (looked up by `candidates`)."""

    provider_id: int
    status: str  # verified / claimed / ...
    tier: str  # effective tier (a Growth trial counts as growth)
    home: bool  # the lead's metro is the provider's home metro
    paused: bool = False
    under_cap: bool = True
    teaser_left: bool = True
    last_offered_at: datetime | None = None
    median_accept_seconds: float | None = None

    @property
    def restricted(self) -> bool:
        """Claimed-unverified (aggressive policy): restricted preview, cannot accept."""
        return self.status != "verified"


def pool_member(c: Candidate, policy: str, *, priority: bool = False) -> bool:
    """Whether the metro's pool policy lets `c` receive a broadcast offer at all.

    strict: verified + paid. balanced: verified paid, plus verified free providers with a
    teaser left this week in their home metro. aggressive: balanced plus claimed-unverified
    (restricted: they cannot accept). Teasers are never priority (emergency) leads."""
    if c.paused or not c.under_cap or c.status in ("suspended", "unclaimed"):
        return False
    paid = c.tier in PAID_TIERS
    if c.status == "claimed":
        return policy == "aggressive" and (paid or c.home)
    if c.status != "verified":
        return False
    if paid:
        return True
    return policy != "strict" and c.home and c.teaser_left and not priority


def order_key(c: Candidate):
    """Within a wave: able-to-accept first, higher tier, least recently offered (never offered
    first), then the faster median accept time, then the older listing."""
    last = c.last_offered_at.timestamp() if c.last_offered_at else float("-inf")
    median = c.median_accept_seconds if c.median_accept_seconds is not None else float("inf")
    return (c.restricted, TIER_RANK[c.tier], last, median, c.provider_id)


def choose_wave(
    candidates: list[Candidate], wave: dict, policy: str, already: set[int], *, priority: bool = False
) -> list[Candidate]:
    """Who a wave adds: up to `size` pool members of its tiers not offered the lead yet."""
    tiers = set(wave["tiers"])
    fitting = [
        c
        for c in candidates
        if c.provider_id not in already and c.tier in tiers and pool_member(c, policy, priority=priority)
    ]
    return sorted(fitting, key=order_key)[: int(wave["size"])]


# ---------------------------------------------------------------------------- pool lookup
def candidates(session: Session, lead: Lead) -> list[Candidate]:
    """Providers of the lead's metro (home or extra) and category, with what the rules need."""
    providers = list(
        session.scalars(
            select(Provider).where(
                Provider.categories.any(Category.id == lead.category_id),
                or_(Provider.home_metro_id == lead.metro_id, Provider.extra_metros.any(Metro.id == lead.metro_id)),
                Provider.status.in_(("verified", "claimed")),
                Provider.paused.is_(False),
            )
        )
    )
    medians = median_accept_seconds(session, [p.id for p in providers])
    result = []
    for p in providers:
        tier = p.effective_tier
        result.append(
            Candidate(
                provider_id=p.id,
                status=p.status,
                tier=tier,
                home=p.home_metro_id == lead.metro_id,
                paused=p.paused_now,
                under_cap=eligibility.under_cap(p, eligibility.deliveries_this_week(session, p.id)),
                teaser_left=tier in PAID_TIERS or eligibility.teaser_available(session, p),
                last_offered_at=p.last_offered_at,
                median_accept_seconds=medians.get(p.id),
            )
        )
    return result


def median_accept_seconds(session: Session, provider_ids: list[int]) -> dict[int, float]:
    """Median seconds from offer to accept, per provider (providers with no accepts absent)."""
    if not provider_ids:
        return {}
    rows = session.execute(
        select(Offer.provider_id, Offer.offered_at, Offer.responded_at).where(
            Offer.provider_id.in_(provider_ids), Offer.state == "accepted", Offer.responded_at.is_not(None)
        )
    ).all()
    times: dict[int, list[float]] = {}
    for pid, offered, responded in rows:
        assert responded is not None  # the query keeps only answered offers
        times.setdefault(pid, []).append((responded - offered).total_seconds())
    return {pid: statistics.median(ts) for pid, ts in times.items()}


def hand_assign_choices(session: Session, lead: Lead) -> list[Provider]:
    """Verified providers of the lead's metro (home or extra) and category, best tier first."""
    providers = session.scalars(
        select(Provider).where(
            Provider.categories.any(Category.id == lead.category_id),
            or_(Provider.home_metro_id == lead.metro_id, Provider.extra_metros.any(Metro.id == lead.metro_id)),
            Provider.status == "verified",
        )
    )
    return sorted(providers, key=lambda p: (TIER_RANK[p.effective_tier], p.name))


def policy_choices() -> tuple[str, ...]:
    return POOL_POLICIES
