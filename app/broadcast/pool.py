"""Who may receive a broadcast offer (the metro's pool policy) and in which order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.core import clock
from app.leads import pool_query as pq
from app.models import Category, Lead, Metro, Provider
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
    median_accept_seconds: float | None = None  # median response (accept or unlock) seconds
    miles: float | None = None  # from the lead's ZIP to the provider's base ZIP

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
    first), then the nearest, then the faster median response time, then the older listing."""
    last = c.last_offered_at.timestamp() if c.last_offered_at else float("-inf")
    miles = c.miles if c.miles is not None else float("inf")
    median = c.median_accept_seconds if c.median_accept_seconds is not None else float("inf")
    return (c.restricted, TIER_RANK[c.tier], last, miles, median, c.provider_id)


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
def choose(session: Session, lead: Lead, wave: dict, already: set[int], *, priority: bool = False) -> list[Candidate]:
    """`choose_wave` in one SQL statement: the wave's providers with their tier, rotation
    order, distance and response time, LIMIT the wave's size (app/leads/pool_query.py). The
    pure rules above are the reference it is tested against (tests/broadcast/test_routing_sql.py)."""
    policy = lead.metro.pool_policy
    members = "paid" if policy == "strict" or priority else "paid_or_teaser"
    if policy == "aggressive":
        members += "+claimed"
    rows = pq.pick(session, lead, tiers=list(wave["tiers"]), members=members, limit=int(wave["size"]), exclude=already)
    return [
        Candidate(
            provider_id=row.id,
            status=row.status,
            tier=row.tier,
            home=bool(row.home),
            last_offered_at=clock.as_utc(row.last_offered_at),
            median_accept_seconds=row.median,
            miles=pq.miles_from(row.dist2),
        )
        for row in rows
    ]


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
