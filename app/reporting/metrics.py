"""Numbers for the admin dashboard charts (issue 8), computed from existing tables.

Every function takes a session and a Period (the last N UTC calendar days up to now, by the
clock). Rows are selected with plain SQL (counts grouped in SQL where that is simple) and
bucketed per UTC day in Python, so the same code runs on SQLite and PostgreSQL.

Percentiles use the nearest-rank method (p50 of [1, 2, 3, 4] is 2): every figure is a time
that really happened. Durations are in seconds.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

from app.core import clock
from app.direct import escrow_inbox
from app.models import Assignment, Lead, LeadEvent, LeadMode, Metro, Offer, OutboxEmail

PERIODS = (7, 30, 90)
# Per-metro charts show the busiest metros and fold the others into one "Other metros (n)" row:
# a chart of 300 bars is unreadable, and rendering it would grow with the marketplace.
TOP_METROS = 12
T = TypeVar("T")
DEFAULT_DAYS = 30
# Lead modes in display order, with the words the dashboard uses.
MODES = LeadMode.values()
# Timeline events that put a lead in front of staff (direct escrow, unaccepted broadcast,
# quotes without a match, held for review).
ESCROW_EVENT_KINDS = ("escrowed", "broadcast_unaccepted", "escrow", "held_for_review")
AGE_BUCKETS = ("<1h", "1-24h", ">24h")
# Leads that were verified (routed): pending/spam/cancelled are left out of the fill rate.
VERIFIED_STATUSES = ("verified", "completed")


@dataclass(frozen=True)
class Period:
    start: datetime  # midnight UTC of the first day, inclusive
    end: datetime  # now
    days: int

    @classmethod
    def last(cls, days: int = DEFAULT_DAYS, now: datetime | None = None) -> Period:
        now = clock.as_utc(now or clock.now())
        first = (now - timedelta(days=days - 1)).date()
        start = datetime(first.year, first.month, first.day, tzinfo=clock.UTC)
        return cls(start=start, end=now, days=days)

    def dates(self) -> list[date]:
        first = self.start.date()
        return [first + timedelta(days=i) for i in range(self.days)]


def parse_days(value: str | None) -> int:
    """The period selector: 7, 30 or 90 days; anything else means the default."""
    try:
        days = int(value or DEFAULT_DAYS)
    except ValueError:
        return DEFAULT_DAYS
    return days if days in PERIODS else DEFAULT_DAYS


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Spread:
    """How long something took: count, median and 90th percentile (seconds)."""

    count: int
    p50: float | None
    p90: float | None

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(len(values), percentile(values, 50), percentile(values, 90))


@dataclass
class Durations:
    overall: Spread
    daily: list[tuple[date, Spread]]


def _day(value: datetime) -> date:
    return clock.as_utc(value).date()


def _durations(period: Period, pairs: list[tuple[datetime, datetime]]) -> Durations:
    """(start, end) pairs -> spreads overall and per day of the start."""
    by_day: dict[date, list[float]] = defaultdict(list)
    for start, end in pairs:
        seconds = max(0.0, (clock.as_utc(end) - clock.as_utc(start)).total_seconds())
        by_day[_day(start)].append(seconds)
    every = [s for values in by_day.values() for s in values]
    return Durations(Spread.of(every), [(d, Spread.of(by_day.get(d, []))) for d in period.dates()])


def _in_period(column, period: Period):
    return column.between(period.start, period.end)


def speed_to_lead(session: Session, period: Period) -> Durations:
    """Lead created -> the first provider got it (its first assignment), for leads created in
    the period that reached a provider (every mode). Period first: the leads of the period
    (ix_leads_created_at), then their assignments (by lead id), never the whole table."""
    rows = session.execute(
        select(Lead.created_at, func.min(Assignment.created_at))
        .join(Assignment, Assignment.lead_id == Lead.id)
        .where(_in_period(Lead.created_at, period))
        .group_by(Lead.id, Lead.created_at)
    ).all()
    return _durations(period, [(created, clock.as_utc(got)) for created, got in rows])


def time_to_accept(session: Session, period: Period) -> Durations:
    """Broadcast: the first wave's offers went out -> a provider accepted, for leads created in
    the period with an accepted offer (period first, like speed_to_lead)."""
    in_period = select(Lead.id).where(_in_period(Lead.created_at, period)).scalar_subquery()
    wave_one = (
        select(Offer.lead_id, func.min(Offer.offered_at).label("offered_at"))
        .where(Offer.wave == 1, Offer.lead_id.in_(in_period))
        .group_by(Offer.lead_id)
        .subquery()
    )
    rows = session.execute(
        select(wave_one.c.offered_at, Offer.responded_at)
        .join(wave_one, wave_one.c.lead_id == Offer.lead_id)
        .where(Offer.state == "accepted", Offer.responded_at.is_not(None))
    ).all()
    return _durations(period, [(clock.as_utc(offered), accepted) for offered, accepted in rows])


@dataclass(frozen=True)
class Fill:
    label: str
    total: int
    filled: int

    @property
    def rate(self) -> float | None:
        return self.filled / self.total if self.total else None


@dataclass
class FillRate:
    overall: Fill
    by_mode: list[Fill]
    by_metro: list[Fill]


def fill_rate(session: Session, period: Period) -> FillRate:
    """Share of verified leads created in the period that reached a provider (an assignment):
    each lead of the period probes its assignments by lead id (no scan of all assignments)."""
    reached = case((exists().where(Assignment.lead_id == Lead.id), 1), else_=0)
    rows = session.execute(
        select(Lead.mode, Metro.name, func.count(Lead.id), func.coalesce(func.sum(reached), 0))
        .join(Metro, Metro.id == Lead.metro_id)
        .where(Lead.status.in_(VERIFIED_STATUSES), _in_period(Lead.created_at, period))
        .group_by(Lead.mode, Metro.name)
    ).all()
    modes: dict[str, list[int]] = {mode: [0, 0] for mode in MODES}
    metros: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for mode, metro, total, filled in rows:
        for bucket in (modes.setdefault(mode, [0, 0]), metros[metro]):
            bucket[0] += total
            bucket[1] += filled
    total = sum(v[0] for v in modes.values())
    filled = sum(v[1] for v in modes.values())
    return FillRate(
        overall=Fill("All leads", total, filled),
        by_mode=[Fill(mode, t, f) for mode, (t, f) in modes.items()],
        by_metro=busiest(
            [Fill(name, t, f) for name, (t, f) in sorted(metros.items())],
            lambda fill: fill.total,
            lambda label, rest: Fill(label, sum(r.total for r in rest), sum(r.filled for r in rest)),
        ),
    )


# Issue 13: how fast requests are filled, per metro. "Filled within 20 minutes" and "answered
# within 5 minutes" both time a verified lead from its creation to the first provider who got it
# (its first assignment: direct delivery, broadcast accept, quote unlock, teaser), like speed to
# lead; a lead still unfilled counts in the total, not in the share.
FILL_WITHIN = timedelta(minutes=20)
ANSWER_WITHIN = timedelta(minutes=5)


@dataclass(frozen=True)
class MetroSpeed:
    metro: str
    total: int
    filled_in_20: int
    answered_in_5: int

    @property
    def fill_rate_20(self) -> float | None:
        return self.filled_in_20 / self.total if self.total else None

    @property
    def answered_rate_5(self) -> float | None:
        return self.answered_in_5 / self.total if self.total else None


def speed_per_metro(session: Session, period: Period) -> list[MetroSpeed]:
    """Per metro: verified leads of the period, those filled within 20 minutes and those
    answered within 5 minutes of coming in."""
    # each lead of the period probes its own assignments by lead id (no pass over all of them)
    first_at = select(func.min(Assignment.created_at)).where(Assignment.lead_id == Lead.id).scalar_subquery()
    rows = session.execute(
        select(Metro.name, Lead.created_at, first_at)
        .join(Metro, Metro.id == Lead.metro_id)
        .where(Lead.status.in_(VERIFIED_STATUSES), _in_period(Lead.created_at, period))
    ).all()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for name, created, got in rows:
        bucket = counts[name]
        bucket[0] += 1
        if got is not None:
            waited = clock.as_utc(got) - clock.as_utc(created)
            bucket[1] += waited <= FILL_WITHIN
            bucket[2] += waited <= ANSWER_WITHIN
    return busiest(
        [MetroSpeed(name, *values) for name, values in sorted(counts.items())],
        lambda m: m.total,
        lambda label, rest: MetroSpeed(
            label,
            sum(m.total for m in rest),
            sum(m.filled_in_20 for m in rest),
            sum(m.answered_in_5 for m in rest),
        ),
    )


@dataclass
class MetroLeads:
    metro: str
    by_mode: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_mode.values())


def leads_per_metro(session: Session, period: Period) -> list[MetroLeads]:
    """Leads created in the period per metro and mode (every status), busiest metro first."""
    rows = session.execute(
        select(Metro.name, Lead.mode, func.count(Lead.id))
        .join(Metro, Metro.id == Lead.metro_id)
        .where(_in_period(Lead.created_at, period))
        .group_by(Metro.name, Lead.mode)
    ).all()
    metros: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MODES, 0))
    for name, mode, count in rows:
        metros[name][mode] = count
    result = sorted((MetroLeads(name, by_mode) for name, by_mode in metros.items()), key=lambda m: (-m.total, m.metro))
    return busiest(result, lambda m: m.total, lambda label, rest: MetroLeads(label, _sum_modes(rest)))


def _sum_modes(rows: list[MetroLeads]) -> dict[str, int]:
    summed = dict.fromkeys(MODES, 0)
    for m in rows:
        for mode, count in m.by_mode.items():
            summed[mode] = summed.get(mode, 0) + count
    return summed


def busiest(rows: list[T], total: Callable[[T], int], other: Callable[[str, list[T]], T]) -> list[T]:
    """A per-metro list as charts show it: every metro when there are at most TOP_METROS;
    otherwise the TOP_METROS busiest (by `total`, in the list's own order) and one row
    `other("Other metros (n)", the rest)`, so a chart costs the same with 3 or 300 metros."""
    if len(rows) <= TOP_METROS:
        return list(rows)
    keep = set(sorted(range(len(rows)), key=lambda i: (-total(rows[i]), i))[:TOP_METROS])
    rest = [row for i, row in enumerate(rows) if i not in keep]
    return [row for i, row in enumerate(rows) if i in keep] + [other(f"Other metros ({len(rest)})", rest)]


def age_bucket(seconds: float) -> str:
    if seconds < 3600:
        return AGE_BUCKETS[0]
    if seconds <= 86400:
        return AGE_BUCKETS[1]
    return AGE_BUCKETS[2]


@dataclass
class Backlog:
    # reason -> {age bucket -> count}, for leads waiting now
    waiting: dict[str, dict[str, int]] = field(default_factory=dict)
    entered_daily: list[tuple[date, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(sum(ages.values()) for ages in self.waiting.values())


def escrow_backlog(session: Session, period: Period) -> Backlog:
    """Leads waiting in the escrow inbox now (the inbox's own rule and reasons) by how long the
    customer has waited; and per day of the period, how many leads entered it."""
    now = period.end
    waiting: dict[str, dict[str, int]] = {}
    query = escrow_inbox.waiting_leads()
    for lead in session.scalars(query):
        ages = waiting.setdefault(escrow_inbox.reason_of(lead), dict.fromkeys(AGE_BUCKETS, 0))
        ages[age_bucket((now - clock.as_utc(lead.created_at)).total_seconds())] += 1
    order = {reason: i for i, reason in enumerate(escrow_inbox.FILTER_ORDER)}
    waiting = dict(sorted(waiting.items(), key=lambda item: (order.get(item[0], 99), item[0])))
    events = session.execute(
        select(LeadEvent.lead_id, LeadEvent.created_at).where(
            LeadEvent.kind.in_(ESCROW_EVENT_KINDS), _in_period(LeadEvent.created_at, period)
        )
    ).all()
    entered = Counter(day for _lead, day in {(lead_id, _day(at)) for lead_id, at in events})
    return Backlog(waiting=waiting, entered_daily=[(d, entered.get(d, 0)) for d in period.dates()])


@dataclass
class Dashboard:
    period: Period
    speed: Durations
    fill: FillRate
    accept: Durations
    metros: list[MetroLeads]
    backlog: Backlog
    speed_by_metro: list[MetroSpeed] = field(default_factory=list)  # issue 13
    emails: dict[str, int] = field(default_factory=dict)  # the Emails card (email_counts)


_CACHE: dict[int, Dashboard] = {}


def cached_dashboard(session: Session, days: int, max_age_seconds: int) -> Dashboard:
    """The dashboard for `days`, computed at most once every `max_age_seconds` per period in
    this process (the page shows its `period.end` as "as of"): a dashboard view costs the same
    however many leads the period holds. 0 computes it every time."""
    now = clock.now()
    hit = _CACHE.get(days)
    if (
        max_age_seconds > 0
        and hit is not None
        and timedelta(0) <= now - hit.period.end < timedelta(seconds=max_age_seconds)
    ):
        return hit
    fresh = dashboard(session, days)
    _CACHE[days] = fresh
    return fresh


EMAIL_WAITING = ("pending", "sending", "failed")  # few at any time: counted by ix_outbox_emails_status
EMAIL_DONE = ("sent", "stored")  # grows forever: counted for the period only (ix_outbox_emails_sent_at)


def email_counts(session: Session, days: int = DEFAULT_DAYS) -> dict[str, int]:
    """The Emails card: emails waiting or failed now, and emails sent in the last `days` days."""
    period = Period.last(days)
    waiting = dict(
        session.execute(
            select(OutboxEmail.status, func.count(OutboxEmail.id))
            .where(OutboxEmail.status.in_(EMAIL_WAITING))
            .group_by(OutboxEmail.status)
        ).all()
    )
    counts = {status: waiting[status] for status in EMAIL_WAITING if status in waiting}
    for status, n in session.execute(
        select(OutboxEmail.status, func.count(OutboxEmail.id))
        .where(OutboxEmail.sent_at >= period.start, OutboxEmail.status.in_(EMAIL_DONE))
        .group_by(OutboxEmail.status)
    ):
        counts[f"{status} in {days} days"] = n
    return counts


def dashboard(session: Session, days: int = DEFAULT_DAYS) -> Dashboard:
    """Everything the admin dashboard charts, for the last `days` days."""
    period = Period.last(days)
    return Dashboard(
        period,
        speed_to_lead(session, period),
        fill_rate(session, period),
        time_to_accept(session, period),
        leads_per_metro(session, period),
        escrow_backlog(session, period),
        speed_per_metro(session, period),
        email_counts(session, days),
    )
