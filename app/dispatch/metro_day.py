"""A scenario shaped like a real metro, read (only read) from the real database and anonymised:
how many providers of each tier it has, and for a replay the times, modes and urgencies of its
last N days of leads. No name, contact, text or id of a real lead or provider is carried over:
a replayed direct request goes to a synthetic provider of the same tier as the real one."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.core import clock
from app.dispatch.scenario import DEFAULT_PROVIDERS, MAX_LEADS, Arrival, Scenario
from app.models import Lead, Metro, Provider
from app.models.provider import provider_metros

MAX_REPLAY_DAYS = 14


def provider_counts(session: Session, metro: Metro) -> dict[str, int]:
    """Verified, unsuspended providers serving the metro (home or extra), counted per tier (the
    tier that counts now: a trial counts as growth)."""
    serving = (
        select(Provider.id)
        .outerjoin(provider_metros, provider_metros.c.provider_id == Provider.id)
        .where(
            Provider.status == "verified",
            or_(Provider.home_metro_id == metro.id, provider_metros.c.metro_id == metro.id),
        )
    )
    providers = session.scalars(select(Provider).where(Provider.id.in_(serving))).all()
    counts = Counter(str(p.effective_tier) for p in providers)
    return {tier: counts.get(tier, 0) for tier in DEFAULT_PROVIDERS}


def scenario_for(
    session: Session,
    metro: Metro,
    *,
    seed: int = 1,
    leads: int = 2000,
    replay_days: int | None = None,
    synthetic_providers: bool = False,
) -> Scenario:
    """The metro's day: its provider mix (or the default 300 when `synthetic_providers` or it has
    none), and either `leads` drawn from the day curve or its last `replay_days` days replayed."""
    counts = provider_counts(session, metro)
    if synthetic_providers or not any(counts.values()):
        counts = dict(DEFAULT_PROVIDERS)
    scenario = Scenario(seed=seed, leads=min(leads, MAX_LEADS), providers=counts)
    if replay_days:
        scenario.arrivals = replay(session, metro, min(replay_days, MAX_REPLAY_DAYS), scenario, seed)
        scenario.leads = len(scenario.arrivals)
    return scenario


def replay(session: Session, metro: Metro, days: int, scenario: Scenario, seed: int) -> list[Arrival]:
    """The metro's leads of the last `days` full days (until today's midnight UTC), moved onto the
    simulated days: same time of day, mode and urgency; nothing else."""
    today = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days)
    rows = session.execute(
        select(Lead.created_at, Lead.mode, Lead.urgency, Lead.requested_provider_id)
        .where(Lead.metro_id == metro.id, Lead.created_at >= start, Lead.created_at < today)
        .order_by(Lead.created_at, Lead.id)
        .limit(MAX_LEADS)
    ).all()
    tiers = scenario.provider_tiers()
    requested = {
        p.id: str(p.effective_tier)
        for p in session.scalars(select(Provider).where(Provider.id.in_({r[3] for r in rows if r[3]})))
    }
    rng = random.Random(f"replay:{seed}")
    arrivals = []
    for created, mode, urgency, provider_id in rows:
        at = clock.as_utc(created) - start
        target = None
        if mode == "direct" and tiers:
            same = [i for i, t in enumerate(tiers) if t == requested.get(provider_id or 0)]
            target = rng.choice(same) if same else rng.randrange(len(tiers))
        arrivals.append(Arrival(at, mode, urgency, target))
    return arrivals
