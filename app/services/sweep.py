"""The periodic sweep: finds whatever is overdue in the database and enqueues it again.

Redis jobs only make things happen sooner; this makes sure they happen. Idempotent: every
job it enqueues checks its row's state before acting.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from app.queue import enqueue
from app.services import outbox, routing


def run(session: Session) -> dict[str, int]:
    """Re-enqueue overdue emails and unrouted leads; returns counts by kind."""
    cfg = current_app.config
    counts = {"emails": 0, "leads": 0}
    for outbox_id in outbox.overdue_ids(session, timedelta(seconds=cfg["OUTBOX_RETRY_AFTER_SECONDS"])):
        counts["emails"] += enqueue("app.jobs.send_email", outbox_id)
    for lead_id in routing.overdue_ids(session, timedelta(seconds=cfg["ROUTE_RETRY_AFTER_SECONDS"])):
        counts["leads"] += enqueue("app.jobs.route_lead", lead_id)
    # Broadcast waves past their deadline are expanded here directly (not via Redis), so a
    # lost expand_wave job, or Redis being down, never strands a lead.
    from app.services import waves

    counts["waves"] = waves.expand_overdue(session)
    from app.services import consent  # issue 4: ask for consent once the metro's wait has passed

    counts["consent_asked"] = consent.ask_due(session)
    from app.services import escrow  # a new ISO week lifts the weekly cap

    counts["cap_released"] = escrow.release_capped(session)
    from app.services import quotes  # issue 6: quote leads held for lack of providers, once some match

    counts["quotes_rerouted"] = quotes.reroute_unmatched(session)
    return counts
