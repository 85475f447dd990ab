"""Assignments: a provider legitimately has a lead (direct delivery, broadcast accept, quote
unlock, teaser). Having one is what entitles a provider to the lead's contact details."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, State, TimestampMixin, UTCDateTime, check_in, check_state

ASSIGNMENT_KINDS = ("direct", "broadcast", "quote")


class AssignmentStatus(State):
    """Direct and broadcast deliveries start `delivered`; quote unlocks start `purchased` and
    move purchased -> contacted -> quoted -> won / lost."""

    delivered = "delivered", "Delivered", "good"
    purchased = "purchased", "Unlocked", "info"
    contacted = "contacted", "Contacted", "info"
    quoted = "quoted", "Quoted", "warn"
    won = "won", "Won", "good"
    lost = "lost", "Lost", "muted"


ASSIGNMENT_STATUSES = AssignmentStatus.values()


class Assignment(TimestampMixin, Model):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("lead_id", "provider_id", name="uq_assignments_lead_provider"),
        CheckConstraint(check_in("kind", ASSIGNMENT_KINDS), name="kind"),
        check_state("status", AssignmentStatus),
        CheckConstraint("credits_spent >= 0", name="credits_spent"),
        # the provider's inbox, newest first, paged by (created_at, id) (issue 10)
        Index("ix_assignments_provider_id_created_at", "provider_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=AssignmentStatus.delivered)
    teaser: Mapped[bool] = mapped_column(default=False)
    credits_spent: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(Text)
    quote_amount: Mapped[float | None] = mapped_column(Numeric(10, 2))
    quote_message: Mapped[str | None] = mapped_column(Text)
    # For "time to respond" stats: when the provider was first told, and when it got the lead.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lead = relationship("Lead", back_populates="assignments")
    provider = relationship("Provider")
