"""Provider response time, kept up to date as offers are answered (issue 10).

"Response time" is the time from telling a provider about a lead (an offer, a quote lead
notification) to the provider taking it (accept, unlock): what the "Responds within 5 min"
badge, the metro page and the routing order read. Instead of reading a provider's whole
history on every page view, each provider row keeps `answered_count`, its last
RECENT_RESPONSES times (`recent_response_seconds`) and their median.

They are written in the same transaction as the answer, wherever the assignment comes from:
an ORM flush listener sees every new Assignment of a kind that answers (broadcast accept, quote
unlock) with a `notified_at`, and updates the provider's row under its row lock (PostgreSQL;
SQLite's BEGIN IMMEDIATE already serialises writers), so two answers at once never lose one.
The figure is the median of the last RECENT_RESPONSES answers: exact for a new provider, and
it follows a provider that got faster or slower instead of averaging over years.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.models import Assignment, Provider

RECENT_RESPONSES = 50
ANSWERING_KINDS = ("quote", "broadcast")  # direct deliveries need no response


def next_figures(recent: list | None, seconds: float) -> tuple[list[float], float]:
    """Pure: the kept times after one more answer, and their median."""
    kept = [*(recent or []), round(max(seconds, 0.0), 1)][-RECENT_RESPONSES:]
    return kept, float(statistics.median(kept))


def record(session: Session, provider_id: int, seconds: float) -> None:
    """Count one answer by `provider_id` that took `seconds` (flushes nothing; one locked
    read and one UPDATE on the provider's row)."""
    conn = session.connection()
    recent = conn.execute(
        select(Provider.recent_response_seconds).where(Provider.id == provider_id).with_for_update()
    ).scalar_one_or_none()
    kept, median = next_figures(recent, seconds)
    conn.execute(
        update(Provider)
        .where(Provider.id == provider_id)
        .values(
            answered_count=Provider.answered_count + 1, recent_response_seconds=kept, median_response_seconds=median
        )
    )


def waited(told: datetime | None, got: datetime | None) -> float | None:
    if told is None or got is None:
        return None
    seconds = (clock.as_utc(got) - clock.as_utc(told)).total_seconds()
    return seconds if seconds >= 0 else None


_PENDING = "fogforge_response_stats_touched"


@event.listens_for(Session, "after_flush")
def _count_answers(session: Session, _context) -> None:
    touched = session.info.setdefault(_PENDING, set())
    for obj in session.new:
        if isinstance(obj, Assignment) and obj.kind in ANSWERING_KINDS:
            seconds = waited(obj.notified_at, obj.created_at or clock.now())
            if seconds is not None:
                record(session, obj.provider_id, seconds)
                touched.add(obj.provider_id)


@event.listens_for(Session, "after_flush_postexec")
def _expire_figures(session: Session, _context) -> None:
    """Providers loaded in this session see their new figures on next access."""
    for pid in session.info.pop(_PENDING, ()):
        provider = session.identity_map.get(session.identity_key(Provider, pid))
        if provider is not None:
            session.expire(provider, ["answered_count", "recent_response_seconds", "median_response_seconds"])


def figures(session: Session, provider_ids: Iterable[int]) -> dict[int, tuple[int, float | None]]:
    """{provider id: (answered count, median seconds or None)} in one statement."""
    ids = sorted(set(provider_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Provider.id, Provider.answered_count, Provider.median_response_seconds).where(Provider.id.in_(ids))
    )
    return {pid: (count or 0, median) for pid, count, median in rows}
