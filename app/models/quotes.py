"""Quote leads: preview views (competition), reviews and disputes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.models.base import Model, UTCDateTime, check_in

DISPUTE_REASONS = ("wrong_contact", "spam", "duplicate")
DISPUTE_STATUSES = ("open", "refunded", "rejected")


class QuoteView(Model):
    """A provider looked at a quote lead's preview. The first view per provider counts."""

    __tablename__ = "quote_views"
    __table_args__ = (UniqueConstraint("lead_id", "provider_id", name="uq_quote_views_lead_provider"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class Review(Model):
    """The customer's one review of the provider that did the job."""

    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)

    provider = relationship("Provider")
    lead = relationship("Lead")


class Dispute(Model):
    """A provider reports a bad unlocked lead; an admin refunds or rejects it."""

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint(check_in("reason", DISPUTE_REASONS), name="reason"),
        CheckConstraint(check_in("status", DISPUTE_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(24))
    details: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    assignment = relationship("Assignment")
    lead = relationship("Lead")
    provider = relationship("Provider")
