"""Routing: what happens to a lead once it is `verified`, however it got there.

This module is the single entry point (the `route_lead` job calls `route`). The mode-specific
routers (direct, broadcast, quotes) plug in here as they are built.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Lead
from app.queue import enqueue_after_commit
from app.services import clock, timeline


def request_routing(session: Session, lead: Lead) -> None:
    """Route `lead` after the current transaction commits."""
    enqueue_after_commit(session, "app.jobs.route_lead", lead.id)


def route(session: Session, lead_id: int) -> bool:
    """Route a verified, not-yet-routed lead. Idempotent: a second call does nothing.

    The claim is one conditional UPDATE (new -> ready), so two jobs for the same lead
    cannot both route it; then the lead's mode decides where it goes.
    """
    now = clock.now()
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.status == "verified", Lead.delivery_status == "new")
        .values(delivery_status="ready", routed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    lead = session.get(Lead, lead_id)
    session.refresh(lead)
    timeline.record(session, lead, "ready", "Verified and ready for routing")
    from app.services import direct, quotes, waves

    router = {"direct": direct.route, "broadcast": waves.start, "quotes": quotes.route}[lead.mode]
    router(session, lead)
    return True


def overdue_ids(session: Session, older_than: timedelta) -> list[int]:
    """Verified leads still unrouted after `older_than` (their job was lost): the sweep's list."""
    cutoff = clock.now() - older_than
    return list(
        session.scalars(
            select(Lead.id)
            .where(Lead.status == "verified", Lead.delivery_status == "new", Lead.updated_at < cutoff)
            .order_by(Lead.id)
            .limit(500)
        )
    )
