"""'Pause until <date>' ends by itself: the sweep clears a pause whose date has come and
delivers the direct requests that waited in escrow for it (app/direct/release.py)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.direct import release
from app.models import Provider
from app.platform import sweep


@sweep.step("pauses_ended", order=35)
def end_pauses(session: Session, limit: int = 200) -> int:
    """Clear every pause whose date has passed (one conditional UPDATE each), then release."""
    now = clock.now()
    ended = 0
    ids = session.scalars(
        select(Provider.id).where(Provider.paused_until.is_not(None), Provider.paused_until <= now).limit(limit)
    ).all()
    for provider_id in ids:
        cleared = session.execute(
            update(Provider)
            .where(Provider.id == provider_id, Provider.paused_until.is_not(None), Provider.paused_until <= now)
            .values(paused_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if affected(cleared) == 1:
            ended += 1
            provider = session.get_one(Provider, provider_id)
            session.refresh(provider)
            release.release_for_provider(session, provider)
    return ended
