"""Retry helpers shared by every outbox (emails here; any other channel may use them too).

- `delay(attempt)`: exponential backoff with jitter, capped, so a long outage is retried
  every few minutes rather than hammered or abandoned.
- `next_attempt(...)`: when to try again, or None once the time budget is spent. The budget
  is time since the item was created, not a count of attempts: an outage of any length up to
  the budget is survived, however many attempts it took.
- `Heartbeat`: keeps a claim alive from a background thread while slow work runs, so a claim
  can be short (seconds) yet never taken from a live worker.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

log = logging.getLogger(__name__)

BASE = timedelta(seconds=30)
CAP = timedelta(minutes=10)


def delay(attempt: int, *, base: timedelta = BASE, cap: timedelta = CAP, rng: random.Random | None = None) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1-based): base·2^(attempt-1),
    capped at `cap`, then jittered down to between half and all of it (so retries of many
    items after one outage spread out instead of arriving together)."""
    ceiling = min(cap.total_seconds(), base.total_seconds() * 2 ** min(max(attempt, 1) - 1, 30))
    return timedelta(seconds=ceiling * (rng or random).uniform(0.5, 1.0))


def next_attempt(attempt: int, *, now: datetime, give_up_at: datetime, **kw) -> datetime | None:
    """When to retry after failed attempt `attempt`, or None once `give_up_at` (e.g. the row's
    creation + the time budget) has passed. Only a failure past the budget gives up, so
    anything that failed inside the budget gets another try after the outage ends."""
    if now >= give_up_at:
        return None
    return now + delay(attempt, **kw)


class Heartbeat:
    """`with Heartbeat(renew, every=3):` calls `renew()` every `every` seconds in a daemon
    thread until the block ends. `renew` returns False when the claim was lost (it stops)."""

    def __init__(self, renew: Callable[[], bool], every: float):
        self.renew = renew
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                if not self.renew():
                    return
            except Exception as exc:  # noqa: BLE001 - the claim just expires sooner
                log.warning("heartbeat could not renew a claim (%s: %s); it may be retried", type(exc).__name__, exc)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)
