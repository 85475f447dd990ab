"""Assignments: a provider legitimately has a lead (direct delivery, broadcast accept, quote
unlock, teaser). Having one is what entitles a provider to the lead's contact details."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, State, TimestampMixin, UTCDateTime, check_in, check_state

ASSIGNMENT_KINDS = ("direct", "broadcast", "quote")


class AssignmentStatus(State):
    """The provider's pipeline (issue 14), one for every lead it holds. Direct and broadcast
    deliveries start `delivered`, quote unlocks `purchased` (both are the stage "new"), then
    contacted -> visit scheduled -> quoted -> won / lost -> job done (app/pipeline/stages.py)."""

    delivered = "delivered", "Delivered", "good"
    purchased = "purchased", "Unlocked", "info"
    contacted = "contacted", "Contacted", "info"
    visit = "visit", "Visit scheduled", "info"
    quoted = "quoted", "Quoted", "warn"
    won = "won", "Won", "good"
    lost = "lost", "Lost", "muted"
    done = "done", "Job done", "strong"


ASSIGNMENT_STATUSES = AssignmentStatus.values()
NEW_STATUSES = ("delivered", "purchased")  # the stage "new"
CUSTOMER_VERDICTS = ("confirmed", "disputed")


class Assignment(TimestampMixin, Model):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("lead_id", "provider_id", name="uq_assignments_lead_provider"),
        CheckConstraint(check_in("kind", ASSIGNMENT_KINDS), name="kind"),
        check_state("status", AssignmentStatus),
        CheckConstraint("credits_spent >= 0", name="credits_spent"),
        CheckConstraint(
            "customer_verdict IS NULL OR customer_verdict IN ('confirmed', 'disputed')", name="customer_verdict"
        ),
        # the provider's inbox, newest first, paged by (created_at, id) (issue 10); also the weekly
        # cap and teaser counts (one provider's leads since the week began)
        Index("ix_assignments_provider_id_created_at", "provider_id", "created_at", "id"),
        # paid unlocks by date: the sweep's automatic refunds look at the last few days only (issue 14)
        Index(
            "ix_assignments_paid_created_at",
            "created_at",
            postgresql_where=text("credits_spent > 0"),
            sqlite_where=text("credits_spent > 0"),
        ),
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
    # The pipeline (issue 14): when each step happened, the visit, why it was lost, and the
    # customer's answer to a provider's "won" on a direct or broadcast lead.
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    won_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lost_reason: Mapped[str | None] = mapped_column(String(24))
    customer_verdict: Mapped[str | None] = mapped_column(String(12))

    lead = relationship("Lead", back_populates="assignments")
    provider = relationship("Provider")
