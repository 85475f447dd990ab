"""The provider's results page: what its leads cost and what they brought, for 30/90/365 days.

- leads received by mode (direct, broadcast, quote, teaser);
- response time: from when it was first told of the lead (offer, notification, delivery) to its
  first pipeline step (contacted, visit or quote), p50/p90 (nearest rank), against the median of
  every provider's leads in its home metro over the same period;
- win rate: won (or job done) over decided (won, job done, lost);
- revenue quoted (every quote) and won (quote or job value of the won leads);
- credits spent (unlocks) less refunds, plan cost (the admin's monthly price of its stored plan,
  pro rata; a trial costs nothing), and cost per won job (dollars and credits);
- missed offers and why: broadcast offers it let run out or lost to a faster provider (too slow),
  declined, and direct requests held by its weekly cap or a pause.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import clock
from app.economics import prices
from app.models import Assignment, CreditEntry, Lead, Offer, Provider

PERIODS = (30, 90, 365)
MODES = ("direct", "broadcast", "quote", "teaser")
MISSED_LABELS = {
    "too_slow": "Too slow",
    "declined": "Declined",
    "capped": "Held by your weekly lead cap",
    "paused": "Held while you were paused",
}


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (the admin dashboard's rule)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Report:
    days: int
    since: datetime
    by_mode: dict[str, int]
    response_p50: float | None
    response_p90: float | None
    metro_median: float | None
    won: int
    lost: int
    win_rate: float | None
    revenue_quoted: Decimal
    revenue_won: Decimal
    credits_spent: int
    credits_refunded: int
    plan_cost: Decimal
    cost_per_won: Decimal | None
    credits_per_won: float | None
    missed: dict[str, int]
    weekly: list[tuple[date, int, int]] = field(default_factory=list)  # week, leads, won

    @property
    def received(self) -> int:
        return sum(self.by_mode.values())

    @property
    def net_credits(self) -> int:
        return self.credits_spent - self.credits_refunded


def _response_seconds(session: Session, since: datetime, **where) -> list[float]:
    told = func.coalesce(Assignment.notified_at, Assignment.created_at)
    query = select(told, Assignment.contacted_at).where(
        Assignment.created_at >= since, Assignment.contacted_at.is_not(None)
    )
    if "provider_id" in where:
        query = query.where(Assignment.provider_id == where["provider_id"])
    if "metro_id" in where:
        query = query.join(Lead, Lead.id == Assignment.lead_id).where(Lead.metro_id == where["metro_id"])
    out = []
    for start, contacted in session.execute(query):
        if start is None or contacted is None:
            continue
        seconds = (clock.as_utc(contacted) - clock.as_utc(start)).total_seconds()
        out.append(max(0.0, seconds))
    return out


def report(session: Session, provider: Provider, days: int) -> Report:
    now = clock.now()
    since = now - timedelta(days=days)
    mine = list(
        session.scalars(select(Assignment).where(Assignment.provider_id == provider.id, Assignment.created_at >= since))
    )
    by_mode = dict.fromkeys(MODES, 0)
    for a in mine:
        by_mode["teaser" if a.teaser else a.kind] += 1
    mine_seconds = _response_seconds(session, since, provider_id=provider.id)
    metro_seconds = _response_seconds(session, since, metro_id=provider.home_metro_id)
    won = [a for a in mine if a.status in ("won", "done")]
    lost = sum(1 for a in mine if a.status == "lost")
    decided = len(won) + lost
    quoted = sum((Decimal(a.quote_amount) for a in mine if a.quote_amount is not None), Decimal("0"))
    revenue_won = sum((Decimal(a.quote_amount) for a in won if a.quote_amount is not None), Decimal("0"))
    spent, refunded = _credits(session, provider.id, since)
    price = prices.monthly_price(session, provider.tier) if provider.tier != "free" else Decimal("0")
    plan_cost = (price * Decimal(days) / Decimal(30)).quantize(Decimal("0.01"))
    net = spent - refunded
    return Report(
        days=days,
        since=since,
        by_mode=by_mode,
        response_p50=percentile(mine_seconds, 50),
        response_p90=percentile(mine_seconds, 90),
        metro_median=percentile(metro_seconds, 50),
        won=len(won),
        lost=lost,
        win_rate=len(won) / decided if decided else None,
        revenue_quoted=quoted,
        revenue_won=revenue_won,
        credits_spent=spent,
        credits_refunded=refunded,
        plan_cost=plan_cost,
        cost_per_won=(plan_cost / len(won)).quantize(Decimal("0.01")) if won else None,
        credits_per_won=round(net / len(won), 2) if won else None,
        missed=_missed(session, provider.id, since),
        weekly=_weekly(mine, since, now),
    )


def _credits(session: Session, provider_id: int, since: datetime) -> tuple[int, int]:
    rows = dict(
        session.execute(
            select(CreditEntry.kind, func.coalesce(func.sum(CreditEntry.amount), 0))
            .where(
                CreditEntry.provider_id == provider_id,
                CreditEntry.created_at >= since,
                CreditEntry.kind.in_(("spend", "refund")),
            )
            .group_by(CreditEntry.kind)
        ).all()
    )
    return -int(rows.get("spend", 0)), int(rows.get("refund", 0))


def _missed(session: Session, provider_id: int, since: datetime) -> dict[str, int]:
    offers = dict(
        session.execute(
            select(Offer.state, func.count(Offer.id))
            .where(
                Offer.provider_id == provider_id,
                Offer.offered_at >= since,
                Offer.state.in_(("taken", "expired", "declined")),
            )
            .group_by(Offer.state)
        ).all()
    )
    held = dict(
        session.execute(
            select(Lead.escrow_reason, func.count(Lead.id))
            .where(
                Lead.mode == "direct",
                Lead.requested_provider_id == provider_id,
                Lead.created_at >= since,
                Lead.escrow_reason.in_(("weekly_cap", "paused")),
            )
            .group_by(Lead.escrow_reason)
        ).all()
    )
    return {
        "too_slow": int(offers.get("taken", 0)) + int(offers.get("expired", 0)),
        "declined": int(offers.get("declined", 0)),
        "capped": int(held.get("weekly_cap", 0)),
        "paused": int(held.get("paused", 0)),
    }


def _weekly(mine: list[Assignment], since: datetime, now: datetime) -> list[tuple[date, int, int]]:
    """(week start, leads received, leads won) for the chart, oldest first."""
    start = clock.iso_week_start(since).date()
    weeks: dict[date, list[int]] = {}
    day = start
    while day <= now.date():
        weeks[day] = [0, 0]
        day += timedelta(days=7)
    for a in mine:
        week = clock.iso_week_start(clock.as_utc(a.created_at)).date()
        if week in weeks:
            weeks[week][0] += 1
            if a.status in ("won", "done"):
                weeks[week][1] += 1
    return [(w, n, k) for w, (n, k) in weeks.items()]
