"""The admin escrow inbox and automatic release (issue 4)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Provider


def release_for_provider(session: Session, provider: Provider) -> list[int]:
    """Deliver the provider's escrowed direct leads if it is now eligible; returns lead ids.

    Called by every change that can make a provider eligible (verification, plan change,
    trial start, un-pause)."""
    return []
