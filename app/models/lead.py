"""Leads (a customer's request) and their timeline events."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.models.base import Model, TimestampMixin, UTCDateTime, check_in
from app.models.metro import Category, Metro
from app.models.provider import Provider

if TYPE_CHECKING:
    from app.models.assignment import Assignment
    from app.models.offer import Offer

LEAD_MODES = ("direct", "broadcast", "quotes")
LEAD_SOURCES = ("web", "admin", "api")
# status: where the lead is in review and life. Routed once `verified`.
LEAD_STATUSES = ("pending", "verified", "spam", "cancelled", "completed")
URGENCIES = ("emergency", "this_week", "flexible")
BUDGETS = ("under_300", "300_600", "600_1200", "over_1200", "unsure")
# delivery_status values: "new" (not routed yet), "ready" (routing recorded), then each
# mode's own (direct: "delivered" / "pending" = escrow; broadcast and quotes add theirs).


def new_token() -> str:
    """A tracking token: 32 random bytes (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


class Lead(TimestampMixin, Model):
    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(check_in("mode", LEAD_MODES), name="mode"),
        CheckConstraint(check_in("source", LEAD_SOURCES), name="source"),
        CheckConstraint(check_in("status", LEAD_STATUSES), name="status"),
        CheckConstraint("quality_score BETWEEN 0 AND 100", name="quality_score"),
        CheckConstraint("customer_email IS NOT NULL OR customer_phone IS NOT NULL", name="contact"),
        # quote leads (issue 6): at most max_providers unlocks, enforced by the database
        CheckConstraint("unlock_count >= 0 AND unlock_count <= max_providers", name="unlock_count"),
        CheckConstraint("max_providers BETWEEN 1 AND 10", name="max_providers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    mode: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default="web")
    metro_id: Mapped[int] = mapped_column(ForeignKey("metros.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    requested_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    assigned_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)

    description: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(16), default="this_week")
    preferred_time: Mapped[str | None] = mapped_column(String(120))
    budget: Mapped[str | None] = mapped_column(String(16))

    customer_name: Mapped[str] = mapped_column(String(120))
    customer_email: Mapped[str | None] = mapped_column(String(254), index=True)
    customer_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    business_name: Mapped[str | None] = mapped_column(String(160))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(80))
    postal_code: Mapped[str | None] = mapped_column(String(12))

    quality_score: Mapped[int] = mapped_column(Integer, default=75)
    quality_notes: Mapped[list] = mapped_column(JSON, default=list)
    client_ip: Mapped[str | None] = mapped_column(String(45))
    # the public form's one-time key (a double submit finds the lead it created)
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    delivery_status: Mapped[str] = mapped_column(String(24), default="new", index=True)
    escrow_reason: Mapped[str | None] = mapped_column(String(40))
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Broadcast waves (issue 5): the plan snapshot taken when the waves started, the wave now
    # open (0 = not started) and when it closes; the expansion job and the sweep advance
    # with WHERE current_wave = :expected.
    wave_plan: Mapped[list | None] = mapped_column(JSON)
    current_wave: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    wave_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # quote leads (issue 6): how many providers may unlock, and how many did
    max_providers: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    unlock_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Direct escrow (issue 4): outreach to the requested provider, and the customer's answer to
    # "offer it to other providers?" (asked after the metro's consent wait): "yes" / "no".
    outreach_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent: Mapped[str | None] = mapped_column(String(8))
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    metro: Mapped[Metro] = relationship(lazy="joined")
    category: Mapped[Category] = relationship(lazy="joined")
    requested_provider: Mapped[Provider | None] = relationship(foreign_keys=[requested_provider_id])
    assigned_provider: Mapped[Provider | None] = relationship(foreign_keys=[assigned_provider_id])
    events: Mapped[list[LeadEvent]] = relationship(
        back_populates="lead", order_by="LeadEvent.id", cascade="all, delete-orphan"
    )
    # The other ends of Offer.lead and Assignment.lead (declared here so both sides are typed).
    offers: Mapped[list[Offer]] = relationship(
        back_populates="lead", lazy="selectin", order_by="Offer.id", cascade="all, delete-orphan", passive_deletes=True
    )
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="lead", lazy="selectin", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Lead {self.id} {self.mode} {self.status}/{self.delivery_status}>"


class LeadEvent(Model):
    """One entry in a lead's timeline: what happened, when, by whom.

    `text` is the full wording for staff; `public_text` is what the customer sees on the
    tracking page (None hides the event from the customer).
    """

    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80), default="system")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    public_text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    lead: Mapped[Lead] = relationship(back_populates="events")
