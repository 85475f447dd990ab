"""Direct leads (issue 4): deliver to an eligible requested provider, else escrow."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Lead
from app.services import timeline


def route(session: Session, lead: Lead) -> None:
    """Until this router is built the lead waits, marked ready, with a customer-facing note."""
    timeline.record(session, lead, "awaiting_router", "No direct router yet; lead waits",
                    public_text="Your request is verified and being matched with providers.")
