"""Web Push: a provider's devices (subscriptions), its push preferences, and the push outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.models.base import Model, TimestampMixin, UTCDateTime, check_in


class PushSubscription(Model):
    """One browser on one device that agreed to receive pushes for a provider."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(120), default="This device")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushPreference(Model):
    """Which kinds reach the provider's devices, and its quiet hours (local time of the home metro).

    No row means: every kind on, no quiet hours."""

    __tablename__ = "push_preferences"

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True)
    kinds: Mapped[dict] = mapped_column(JSON, default=dict)  # kind -> bool; a kind not listed is on
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", or None for no quiet hours
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    emergencies_break_through: Mapped[bool] = mapped_column(default=True)

    def wants(self, kind: str) -> bool:
        return bool((self.kinds or {}).get(kind, True))


# pending: waiting to be sent (or retried); sending: claimed by one job; sent: accepted by the
# push service; gone: the subscription expired (404/410) and was deleted; stale: the offer it
# announced closed before it could be sent; failed: gave up after PUSH_MAX_ATTEMPTS.
PUSH_STATUSES = ("pending", "sending", "sent", "gone", "stale", "failed")


class OutboxPush(TimestampMixin, Model):
    """One push message for one device, written in the same transaction as its cause."""

    __tablename__ = "outbox_pushes"
    __table_args__ = (CheckConstraint(check_in("status", PUSH_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(300))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), index=True)
    # An offer's deadline: the body's countdown is computed at send time, and a push that could
    # not go out before it is dropped as `stale`.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    subscription = relationship(PushSubscription)
