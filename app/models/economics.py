"""Provider economics (issue 14): the pipeline's own notes per lead, and plan prices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.models.base import Model, UTCDateTime, check_state
from app.models.provider import Tier


class PipelineNote(Model):
    """One entry of a provider's own timeline of a lead: a stage change or a note. Only that
    provider sees it (the customer and other providers never do)."""

    __tablename__ = "pipeline_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    status: Mapped[str | None] = mapped_column(String(16))  # the stage moved to; None: a plain note
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    assignment = relationship("Assignment")


class PlanPrice(Model):
    """The monthly price of a tier, set by an admin (no billing: a figure for the results page)."""

    __tablename__ = "plan_prices"
    __table_args__ = (
        check_state("tier", Tier),
        CheckConstraint("monthly_price >= 0", name="monthly_price"),
    )

    tier: Mapped[str] = mapped_column(String(16), primary_key=True)
    monthly_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


LOST_REASONS = {
    "price": "Price too high",
    "competitor": "Went with another provider",
    "no_response": "Customer stopped answering",
    "not_needed": "Job no longer needed",
    "out_of_scope": "Not a job we do",
    "other": "Other",
}
