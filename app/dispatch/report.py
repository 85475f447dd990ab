"""What a simulated day comes to, read from the sandbox database the real engine wrote: fill rate
(overall, within 20 minutes, per mode), the requests not filled (and filled late) by reason,
time to accept p50/p90, the share that reached escrow, offers per provider and their Gini
within each tier beside the fairest Gini that many offers allow, teaser use, credits spent,
SLA pauses."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import clock
from app.dispatch.scenario import Scenario, fairest_gini, gini
from app.models import Assignment, AuditLog, CreditEntry, Lead, LeadEvent, Offer, Provider

FILL_WITHIN = timedelta(minutes=20)
ESCROW_EVENTS = ("escrowed", "broadcast_unaccepted", "escrow")
TIERS = ("pro", "growth", "starter", "free")


def _pct(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (as the dashboard computes it)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class TierOffers:
    tier: str
    providers: int
    offers: int
    mean: float
    most: int
    least: int
    gini: float
    fairest: float  # the lowest Gini its offers allow among its providers (floor or ceil of k/n each)
    at_fairest: bool  # the rotation reached it: no provider got 2 offers more than another

    @property
    def sparse(self) -> bool:
        """Fewer offers than providers: the Gini cannot be low whatever the rotation does."""
        return self.offers < self.providers


@dataclass
class Report:
    seed: int
    wave_plan: list[dict]
    leads: int
    by_mode: dict[str, int]
    filled: int
    filled_in_20: int
    broadcast: int
    broadcast_filled_in_20: int
    accept_p50: float | None  # seconds, broadcast: lead in -> accepted
    accept_p90: float | None
    reached_escrow: int
    tiers: list[TierOffers]
    unfilled: dict[str, int]  # requests no provider got by the end of the day, by reason
    late: dict[str, int]  # requests a provider got, but after 20 minutes, by how
    teasers: int
    credits_spent: int
    sla_pauses: int
    stats: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def fill_rate(self) -> float | None:
        return self._share(self.filled, self.leads)

    @property
    def fill_rate_20(self) -> float | None:
        return self._share(self.filled_in_20, self.leads)

    @property
    def broadcast_fill_rate_20(self) -> float | None:
        return self._share(self.broadcast_filled_in_20, self.broadcast)

    @property
    def escrow_share(self) -> float | None:
        return self._share(self.reached_escrow, self.leads)

    @property
    def max_gini(self) -> float:
        return max((t.gini for t in self.tiers if t.providers), default=0.0)

    def as_dict(self) -> dict:
        """Plain numbers, for `flask simulate --json`, tests and comparisons (wall time left out:
        the same seed must give the same report)."""
        return {
            "seed": self.seed,
            "wave_plan": self.wave_plan,
            "leads": self.leads,
            "by_mode": self.by_mode,
            "fill_rate": self.fill_rate,
            "fill_rate_20": self.fill_rate_20,
            "broadcast_fill_rate_20": self.broadcast_fill_rate_20,
            "accept_p50": self.accept_p50,
            "accept_p90": self.accept_p90,
            "escrow_share": self.escrow_share,
            "tiers": [t.__dict__ for t in self.tiers],
            "unfilled": self.unfilled,
            "late": self.late,
            "teasers": self.teasers,
            "credits_spent": self.credits_spent,
            "sla_pauses": self.sla_pauses,
            "stats": self.stats,
        }


def unfilled_reason(converted: bool, mode: str, status: str, delivery: str, consent: str | None) -> str:
    """Why no provider got a request, from where it ended (`converted`: a direct request the
    customer opened to others, now broadcast)."""
    if status != "verified":
        return f"not routed ({status})"  # held for review, closed as spam or cancelled
    if mode == "direct":
        if delivery == "pending":
            if consent == "no":
                return "direct, the customer chose to keep waiting"
            return "direct, waiting for the chosen provider"
        return f"direct, {delivery}"
    if mode == "broadcast":
        prefix = "direct opened to others" if converted else "broadcast"
        words = {"pending": "unaccepted (escrow inbox)", "offering": "still being offered"}
        return f"{prefix}, {words.get(delivery, delivery)}"
    if mode == "quotes":
        words = {"quoting": "nobody unlocked", "pending": "no matching provider"}
        return f"quotes, {words.get(delivery, delivery)}"
    return f"{mode}, {delivery}"


def late_reason(converted: bool, mode: str) -> str:
    """How a request filled after 20 minutes got there."""
    if converted:
        return "direct opened to others"
    return "direct, delivered" if mode == "direct" else mode


def build_report(session: Session, scenario: Scenario, wave_plan: list[dict], stats: dict[str, int]) -> Report:
    session.flush()
    leads = session.execute(
        select(
            Lead.id,
            Lead.mode,
            Lead.created_at,
            Lead.requested_provider_id,
            Lead.status,
            Lead.delivery_status,
            Lead.consent,
        )
    ).all()
    first = dict(
        session.execute(select(Assignment.lead_id, func.min(Assignment.created_at)).group_by(Assignment.lead_id)).all()
    )
    by_mode: dict[str, int] = defaultdict(int)
    unfilled: dict[str, int] = defaultdict(int)
    late: dict[str, int] = defaultdict(int)
    filled = in_20 = broadcast = broadcast_20 = 0
    for lead_id, mode, created, requested, status, delivery, answer in leads:
        # the mode the customer asked in: a consented direct lead is broadcast now (requested kept)
        converted = mode == "broadcast" and requested is not None
        by_mode["direct" if converted else mode] += 1
        got = first.get(lead_id)
        fast = got is not None and clock.as_utc(got) - clock.as_utc(created) <= FILL_WITHIN
        filled += got is not None
        in_20 += fast
        if got is None:
            unfilled[unfilled_reason(converted, mode, status, delivery, answer)] += 1
        elif not fast:
            late[late_reason(converted, mode)] += 1
        if mode == "broadcast" and not converted:
            broadcast += 1
            broadcast_20 += fast
    accepts = session.execute(
        select(Lead.created_at, Offer.responded_at)
        .join(Offer, Offer.lead_id == Lead.id)
        .where(Offer.state == "accepted", Offer.responded_at.is_not(None))
    ).all()
    waits = [(clock.as_utc(done) - clock.as_utc(created)).total_seconds() for created, done in accepts if done]
    escrowed = session.scalar(
        select(func.count(func.distinct(LeadEvent.lead_id))).where(LeadEvent.kind.in_(ESCROW_EVENTS))
    )
    offers = dict(session.execute(select(Offer.provider_id, func.count(Offer.id)).group_by(Offer.provider_id)).all())
    tiers = []
    for tier in TIERS:
        ids = list(session.scalars(select(Provider.id).where(Provider.tier == tier)))
        counts = [offers.get(i, 0) for i in ids]
        tiers.append(
            TierOffers(
                tier=tier,
                providers=len(ids),
                offers=sum(counts),
                mean=round(sum(counts) / len(ids), 2) if ids else 0.0,
                most=max(counts, default=0),
                least=min(counts, default=0),
                gini=round(gini(counts), 4),
                fairest=round(fairest_gini(sum(counts), len(ids)), 4),
                at_fairest=max(counts, default=0) - min(counts, default=0) <= 1,
            )
        )
    spent = session.scalar(select(func.coalesce(func.sum(CreditEntry.amount), 0)).where(CreditEntry.kind == "spend"))
    return Report(
        seed=scenario.seed,
        wave_plan=wave_plan,
        leads=len(leads),
        by_mode=dict(sorted(by_mode.items())),
        filled=filled,
        filled_in_20=in_20,
        broadcast=broadcast,
        broadcast_filled_in_20=broadcast_20,
        accept_p50=_pct(waits, 50),
        accept_p90=_pct(waits, 90),
        reached_escrow=escrowed or 0,
        tiers=tiers,
        unfilled=dict(sorted(unfilled.items())),
        late=dict(sorted(late.items())),
        teasers=session.scalar(select(func.count(Assignment.id)).where(Assignment.teaser.is_(True))) or 0,
        credits_spent=-(spent or 0),
        sla_pauses=session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "provider.sla_pause")) or 0,
        stats=dict(stats),
    )
