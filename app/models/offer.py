"""Broadcast offers: one row per (lead, provider) a broadcast lead was offered to.

State: offered -> accepted (the one winner) / taken (someone else won) / declined / expired
(the lead fell back to admins). A partial unique index allows at most one accepted offer per
lead, so a second winner is impossible even if a bug slipped past the conditional UPDATE.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, State, TimestampMixin, UTCDateTime, check_state


class OfferState(State):
    offered = "offered", "Open", "info"
    accepted = "accepted", "Accepted", "good"
    taken = "taken", "Taken", "muted"
    declined = "declined", "Declined", "muted"
    expired = "expired", "Closed", "muted"


OFFER_STATES = OfferState.values()
OPEN_STATES = (OfferState.offered,)


class Offer(TimestampMixin, Model):
    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("lead_id", "provider_id", name="uq_offers_lead_provider"),
        check_state("state", OfferState),
        CheckConstraint("wave >= 1", name="wave"),
        Index(
            "uq_offers_one_accepted_per_lead",
            "lead_id",
            unique=True,
            postgresql_where=text("state = 'accepted'"),
            sqlite_where=text("state = 'accepted'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    wave: Mapped[int] = mapped_column(Integer)
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # End of the window the offer is open in (moved on when the lead expands to a next wave;
    # the last wave's deadline is when an unaccepted offer expires).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=OfferState.offered, index=True)
    # Aggressive pool policy: claimed-unverified providers see a restricted preview and
    # cannot accept until verified.
    restricted: Mapped[bool] = mapped_column(default=False)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    # SLA (issue 13): when this offer's own wave window closed with no answer (counted once).
    missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lead = relationship("Lead", back_populates="offers")
    provider = relationship("Provider", lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def __repr__(self) -> str:
        return f"<Offer lead={self.lead_id} provider={self.provider_id} w{self.wave} {self.state}>"
