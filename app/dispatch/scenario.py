"""What a simulated day is made of (pure, seeded): the leads that arrive and how the synthetic
providers behave. Everything random comes from one `random.Random(seed)`, so the same scenario
and seed give the same day, and two plans replay exactly the same day.

Leads arrive by a day curve (restaurant hours: busy mornings and mid-afternoons) or, for a
replay, at the times of a metro's real leads (their mode and urgency only: no contact data
leaves the real database). Providers answer by tier: whether they answer at all, how fast
(log-normal around a tier median) and how often they decline."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Share of the day's leads in each hour (local time); restaurant hours peak before lunch service
# and mid-afternoon. Normalised when used.
DAY_CURVE = (
    0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 2.5, 4.5, 6.5, 7.5, 8.0, 7.0,
    5.5, 6.0, 7.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.2, 1.6, 1.2, 0.8,
)  # fmt: skip


@dataclass(frozen=True)
class TierBehaviour:
    answers: float  # chance the provider answers an offer at all (the rest run out its window)
    median_seconds: float  # median time to answer, when it does
    declines: float  # chance an answer is a decline
    unlocks: float  # chance it unlocks a quote lead it was told about
    spread: float = 0.8  # sigma of the log-normal response time


DEFAULT_BEHAVIOUR = {
    "pro": TierBehaviour(answers=0.92, median_seconds=90, declines=0.15, unlocks=0.6),
    "growth": TierBehaviour(answers=0.88, median_seconds=150, declines=0.2, unlocks=0.5),
    "starter": TierBehaviour(answers=0.8, median_seconds=240, declines=0.25, unlocks=0.4),
    "free": TierBehaviour(answers=0.65, median_seconds=420, declines=0.3, unlocks=0.0),
}
DEFAULT_PROVIDERS = {"pro": 30, "growth": 60, "starter": 90, "free": 120}
DEFAULT_MIX = {"broadcast": 0.75, "quotes": 0.15, "direct": 0.10}
DEFAULT_URGENCY = {"emergency": 0.25, "this_week": 0.55, "flexible": 0.20}
MAX_LEADS = 5000
MAX_PROVIDERS = 2000


@dataclass(frozen=True)
class Arrival:
    at: timedelta  # after the day's start
    mode: str
    urgency: str
    direct_to: int | None = None  # index of the requested synthetic provider (direct mode)


@dataclass
class Scenario:
    seed: int = 1
    leads: int = 2000
    providers: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PROVIDERS))
    behaviour: dict[str, TierBehaviour] = field(default_factory=lambda: dict(DEFAULT_BEHAVIOUR))
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    urgency: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_URGENCY))
    consent_yes: float = 0.8  # an emergency direct customer who is asked says yes
    # A non-urgent direct customer whose provider cannot receive the request, told so at once
    # (confirmation and tracking page), chooses "offer it to other providers now" before the
    # consent wait (an assumption, no measured figure yet: half of them, a few minutes after
    # asking, log-normal around `offer_now_minutes`); the others wait for the provider.
    offer_now: float = 0.5
    offer_now_minutes: float = 5.0
    resume_after_minutes: float = 120  # a provider paused for unanswered offers comes back (median)
    arrivals: list[Arrival] | None = None  # a replay; None: drawn from the day curve
    day: datetime = datetime(2026, 6, 2, 5, 0)  # the simulated day's start (UTC; ~midnight Houston)

    def provider_tiers(self) -> list[str]:
        """One tier per synthetic provider, highest first (the same list for every plan)."""
        return [tier for tier in ("pro", "growth", "starter", "free") for _ in range(self.providers.get(tier, 0))]

    def day_arrivals(self, rng: random.Random) -> list[Arrival]:
        if self.arrivals is not None:
            return sorted(self.arrivals, key=lambda a: a.at)
        weights = list(DAY_CURVE)
        providers = len(self.provider_tiers())
        arrivals = []
        for _ in range(self.leads):
            hour = rng.choices(range(24), weights)[0]
            at = timedelta(hours=hour, seconds=rng.uniform(0, 3600))
            mode = rng.choices(list(self.mix), list(self.mix.values()))[0]
            urgency = rng.choices(list(self.urgency), list(self.urgency.values()))[0]
            target = rng.randrange(providers) if mode == "direct" and providers else None
            arrivals.append(
                Arrival(at, mode if target is not None or mode != "direct" else "broadcast", urgency, target)
            )
        return sorted(arrivals, key=lambda a: a.at)


def response(rng: random.Random, behaviour: TierBehaviour) -> tuple[float, bool] | None:
    """How a provider of this behaviour answers one offer: (seconds, declines) or None (never)."""
    if rng.random() >= behaviour.answers:
        return None
    seconds = rng.lognormvariate(math.log(behaviour.median_seconds), behaviour.spread)
    return max(5.0, seconds), rng.random() < behaviour.declines


def offer_now_delay(rng: random.Random, median_minutes: float) -> float:
    """Seconds a customer takes to choose "offer it now" on the page (log-normal, sigma 0.8)."""
    return max(30.0, rng.lognormvariate(math.log(median_minutes * 60), 0.8))


def fairest_gini(offers: int, providers: int) -> float:
    """The lowest Gini `offers` offers can have among `providers` providers: each gets
    floor(k/n) or ceil(k/n). With fewer offers than providers it is 1 - k/n, however fair the
    rotation: a sparse tier's Gini says how few offers it got, not how they were shared."""
    if providers <= 0 or offers <= 0:
        return 0.0
    share, extra = divmod(offers, providers)
    return gini([share] * (providers - extra) + [share + 1] * extra)


def gini(values: list[int]) -> float:
    """Gini coefficient of non-negative counts (0: all equal; 1: one has everything)."""
    n = len(values)
    total = sum(values)
    if n == 0 or total == 0:
        return 0.0
    ordered = sorted(values)
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n
