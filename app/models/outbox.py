"""The email outbox: every email is a row, written in the same transaction as its cause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model, TimestampMixin, UTCDateTime, check_in

# pending: waiting to be sent (or retried); sending: claimed by one job; sent: accepted by
# the SMTP server; stored: rendered and kept here because no MAIL_SERVER is configured;
# failed: still failing EMAIL_RETRY_HOURS after it was queued (visible to admins, can be retried).
OUTBOX_STATUSES = ("pending", "sending", "sent", "stored", "failed")


class OutboxEmail(TimestampMixin, Model):
    __tablename__ = "outbox_emails"
    __table_args__ = (
        CheckConstraint(check_in("status", OUTBOX_STATUSES), name="status"),
        # the dashboard counts what was sent in its period, not every email ever sent
        Index("ix_outbox_emails_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    to_email: Mapped[str] = mapped_column(String(254), index=True)
    template: Mapped[str] = mapped_column(String(120))
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), index=True)

    subject: Mapped[str | None] = mapped_column(String(255))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)

    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # claim, renewed by the sender's heartbeat
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # backoff; NULL: now
    give_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set at the first failure (time budget)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
