"""Routing: what happens to a lead once it is `verified`, however it got there.

This module is the single entry point (the `route_lead` job calls `route`). Each mode's
capability registers its router with `@routing.router(mode)`: this module knows none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import claim
from app.leads import timeline
from app.models import Lead
from app.platform import sweep
from app.platform.queue import enqueue_after_commit, requeue

Router = Callable[..., object]  # router(session, lead): sends a "ready" lead on its way
_ROUTERS: dict[str, Router] = {}
_R = TypeVar("_R", bound=Router)


def router(mode: str) -> Callable[[_R], _R]:
    """Register `fn(session, lead)` as the router for leads of `mode` (and return it unchanged)."""

    def register(fn: _R) -> _R:
        _ROUTERS[mode] = fn
        return fn

    return register


def request_routing(session: Session, lead: Lead) -> None:
    """Route `lead` after the current transaction commits."""
    enqueue_after_commit(session, "app.jobs.route_lead", lead.id)


def route(session: Session, lead_id: int) -> bool:
    """Route a verified, not-yet-routed lead. Idempotent: a second call does nothing.

    The claim is one conditional UPDATE (new -> ready), so two jobs for the same lead
    cannot both route it; then the lead's mode decides where it goes.
    """
    now = clock.now()
    lead = session.get(Lead, lead_id)
    if lead is None or not claim(
        session,
        lead,
        [Lead.status == "verified", Lead.delivery_status == "new"],
        {"delivery_status": "ready", "routed_at": now, "updated_at": now},
    ):
        return False
    timeline.record(session, lead, "ready", "Verified and ready for routing")
    _ROUTERS[lead.mode](session, lead)
    return True


def _unrouted(session: Session, *where) -> list[int]:
    query = select(Lead.id).where(Lead.status == "verified", Lead.delivery_status == "new", *where)
    return list(session.scalars(query.order_by(Lead.id).limit(500)))


def overdue_ids(session: Session, older_than: timedelta) -> list[int]:
    """Verified leads still unrouted after `older_than` (their job was lost or failed)."""
    return _unrouted(session, Lead.updated_at < clock.now() - older_than)


def fresh_ids(session: Session, older_than: timedelta) -> list[int]:
    """Verified leads waiting to be routed for less than `older_than` (their job should be queued)."""
    return _unrouted(session, Lead.updated_at >= clock.now() - older_than)


def oldest_unrouted(session: Session) -> tuple[int, datetime | None]:
    """(how many, since when) verified leads wait to be routed: for /healthz."""
    count, oldest = session.execute(
        select(func.count(Lead.id), func.min(Lead.updated_at)).where(
            Lead.status == "verified", Lead.delivery_status == "new"
        )
    ).one()
    return count, clock.as_utc(oldest)


@sweep.step("leads", order=10, backlog=oldest_unrouted)
def requeue_unrouted(session: Session) -> int:
    """Verified leads whose routing job is not in Redis (wiped, or the enqueue failed) go on the
    queue at once; after ROUTE_RETRY_AFTER_SECONDS, any unrouted lead whose job is not waiting."""
    older = timedelta(seconds=current_app.config["ROUTE_RETRY_AFTER_SECONDS"])
    return requeue("app.jobs.route_lead", due=overdue_ids(session, older), fresh=fresh_ids(session, older))
