"""The periodic sweep: finds whatever is due in the database and does it (or enqueues it again).

Redis jobs only make things happen sooner; this makes sure they happen. Idempotent: every
step checks its rows' state before acting. Each capability registers its own step with
`@sweep.step(name, order=..., backlog=..., next_due=...)`; `run` calls them in order and
returns a count per step. The sweep owns every deadline (wave deadlines, email backoff): no
RQ scheduler runs. `flask sweep --loop` runs every SWEEP_INTERVAL_SECONDS and wakes early for
the next deadline a step announces (`next_due`). `backlog` says how much waits and since when
(for /healthz).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from app.core import clock
from app.platform import outbox
from app.platform.queue import requeue

Step = Callable[[Session], int]
Backlog = Callable[[Session], tuple[int, datetime | None]]  # (how many wait, since when the oldest is due)
NextDue = Callable[[Session], datetime | None]  # the next future deadline


@dataclass(frozen=True)
class _Registered:
    name: str
    order: int
    fn: Step
    backlog: Backlog | None = None
    next_due: NextDue | None = None


_STEPS: dict[str, _Registered] = {}


def step(
    name: str, *, order: int, backlog: Backlog | None = None, next_due: NextDue | None = None
) -> Callable[[Step], Step]:
    """Register `fn(session) -> count` as the sweep step `name` (lower `order` runs first);
    `backlog(session)` reports what waits (for /healthz), `next_due(session)` the next deadline
    the loop should wake for."""

    def register(fn: Step) -> Step:
        _STEPS[name] = _Registered(name, order, fn, backlog, next_due)
        return fn

    return register


def steps() -> list[str]:
    return [s.name for s in sorted(_STEPS.values(), key=lambda s: s.order)]


@step("emails", order=0, backlog=outbox.backlog, next_due=outbox.next_due)
def requeue_emails(session: Session) -> int:
    """Emails due again (backoff over, a dead worker's claim expired) go on the queue, and so,
    at once, does any pending email whose job Redis no longer has (wiped, enqueue failed)."""
    older = timedelta(seconds=current_app.config["OUTBOX_RETRY_AFTER_SECONDS"])
    return requeue(
        "app.jobs.send_email", due=outbox.overdue_ids(session, older), fresh=outbox.fresh_ids(session, older)
    )


def _ordered() -> list[_Registered]:
    return sorted(_STEPS.values(), key=lambda s: s.order)


def run(session: Session) -> dict[str, int]:
    """Run every registered step, in order; returns counts by step name."""
    return {s.name: s.fn(session) for s in _ordered()}


def next_due(session: Session) -> datetime | None:
    """The earliest future deadline any step announced (None: nothing scheduled)."""
    now = clock.now()
    times = [t for s in _ordered() if s.next_due and (t := s.next_due(session)) is not None and t > now]
    return min(times, default=None)


def backlog(session: Session) -> dict[str, dict]:
    """{step: {"count": n, "oldest_seconds": s}} for every step that reports a backlog."""
    now = clock.now()
    report = {}
    for s in _ordered():
        if s.backlog is None:
            continue
        count, since = s.backlog(session)
        age = max(0.0, (now - since).total_seconds()) if count and since is not None else None
        report[s.name] = {"count": count, "oldest_seconds": None if age is None else round(age, 1)}
    return report
