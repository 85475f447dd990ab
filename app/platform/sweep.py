"""The periodic sweep: finds whatever is overdue in the database and does it (or enqueues it again).

Redis jobs only make things happen sooner; this makes sure they happen. Idempotent: every
step checks its rows' state before acting. Each capability registers its own step with
`@sweep.step(name, order=...)`; `run` calls them in order and returns a count per step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from app.platform import outbox
from app.platform.queue import enqueue

Step = Callable[[Session], int]


@dataclass(frozen=True)
class _Registered:
    name: str
    order: int
    fn: Step


_STEPS: dict[str, _Registered] = {}


def step(name: str, *, order: int) -> Callable[[Step], Step]:
    """Register `fn(session) -> count` as the sweep step `name` (lower `order` runs first)."""

    def register(fn: Step) -> Step:
        _STEPS[name] = _Registered(name, order, fn)
        return fn

    return register


def steps() -> list[str]:
    return [s.name for s in sorted(_STEPS.values(), key=lambda s: s.order)]


@step("emails", order=0)
def requeue_emails(session: Session) -> int:
    """Unsent emails whose job was lost go back on the queue."""
    older = timedelta(seconds=current_app.config["OUTBOX_RETRY_AFTER_SECONDS"])
    return sum(enqueue("app.jobs.send_email", outbox_id) for outbox_id in outbox.overdue_ids(session, older))


def run(session: Session) -> dict[str, int]:
    """Run every registered step, in order; returns counts by step name."""
    return {s.name: s.fn(session) for s in sorted(_STEPS.values(), key=lambda s: s.order)}
