"""Verification requests: the evidence a provider submits and the admin's decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, TimestampMixin, UTCDateTime, check_in

VERIFICATION_STATUSES = ("pending", "approved", "rejected")


class VerificationRequest(TimestampMixin, Model):
    __tablename__ = "verification_requests"
    __table_args__ = (
        CheckConstraint(check_in("status", VERIFICATION_STATUSES), name="status"),
        # At most one open request per provider (the last line of defence behind the service).
        Index(
            "uq_verification_requests_one_pending",
            "provider_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    licence_number: Mapped[str] = mapped_column(String(60))
    service_phone: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    admin_note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider = relationship("Provider")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<VerificationRequest {self.id} provider={self.provider_id} {self.status}>"
