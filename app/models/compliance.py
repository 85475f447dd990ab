"""Recurring FOG compliance (issue 12): metro rules, restaurant sites and their traps, service
records (waste manifests, with revisions), reminders sent per due cycle and magic sign-in links.

A site belongs to the customer's email (no account); a trap belongs to a site. A service
record is the manifest of one pump-out; once the customer confirms it, it never changes: a
correction is a new revision (`supersedes_id`) and the old one stays visible, marked superseded.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.models.base import Model, State, TimestampMixin, UTCDateTime, check_state
from app.models.metro import Metro
from app.models.provider import Provider

MIN_CAPACITY, MAX_CAPACITY = 10, 10_000  # gallons a trap may hold (form and API refuse others)


class TrapType(State):
    """What kind of trap a kitchen has."""

    indoor = "indoor", "Indoor grease trap", "info"
    interceptor = "interceptor", "Outdoor interceptor", "info"
    grit = "grit", "Grit trap", "info"
    other = "other", "Other", "muted"


class TrapStatus(State):
    """Where a trap stands against its next due date (computed, never stored)."""

    current = "current", "Current", "good"
    due_soon = "due_soon", "Due soon", "warn"
    overdue = "overdue", "Overdue", "bad"
    unscheduled = "unscheduled", "No due date", "muted"


class ReminderKind(State):
    """What the sweep sent for one due cycle of one trap (each at most once per cycle)."""

    due_soon = "due_soon", "Due soon reminder", "warn"
    overdue = "overdue", "Overdue reminder", "bad"
    auto_rebook = "auto_rebook", "Automatic booking", "info"


def new_share_token() -> str:
    return secrets.token_urlsafe(32)


def new_manifest_number() -> str:
    """A manifest id people can read out ("FM-7K3Q9D2M"), 40 random bits."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "FM-" + "".join(secrets.choice(alphabet) for _ in range(8))


class ComplianceRule(TimestampMixin, Model):
    """A metro's pump-out rule, edited by admins. No row: no maximum interval, 14 days' notice."""

    __tablename__ = "compliance_rules"
    __table_args__ = (
        CheckConstraint("interval_days IS NULL OR interval_days BETWEEN 1 AND 3650", name="interval_days"),
        CheckConstraint("lead_days BETWEEN 0 AND 120", name="lead_days"),
    )

    metro_id: Mapped[int] = mapped_column(ForeignKey("metros.id", ondelete="CASCADE"), primary_key=True)
    interval_days: Mapped[int | None] = mapped_column(Integer)
    lead_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    authority: Mapped[str] = mapped_column(String(200), default="", server_default="")
    rule_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    metro: Mapped[Metro] = relationship()


class Site(TimestampMixin, Model):
    """A restaurant location. `owner_email` is who may sign in to it (the requests' email);
    `address_key` is the normalised street + city a new request is matched on."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("owner_email", "metro_id", "address_key", name="uq_sites_owner_address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_email: Mapped[str] = mapped_column(String(254), index=True)
    metro_id: Mapped[int] = mapped_column(ForeignKey("metros.id"), index=True)
    address_key: Mapped[str] = mapped_column(String(300))
    business_name: Mapped[str | None] = mapped_column(String(160))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(80))
    postal_code: Mapped[str | None] = mapped_column(String(12))
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    auto_rebook: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # the inspector link: an unguessable read-only token; revoking clears it
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    metro: Mapped[Metro] = relationship(lazy="joined")
    traps: Mapped[list[Trap]] = relationship(back_populates="site", order_by="Trap.id", lazy="selectin")


class Trap(TimestampMixin, Model):
    __tablename__ = "traps"
    __table_args__ = (
        check_state("trap_type", TrapType),
        CheckConstraint(f"capacity_gallons BETWEEN {MIN_CAPACITY} AND {MAX_CAPACITY}", name="capacity_gallons"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    trap_type: Mapped[str] = mapped_column(String(16))  # a TrapType
    capacity_gallons: Mapped[int] = mapped_column(Integer)
    access_notes: Mapped[str | None] = mapped_column(Text)
    last_pumped_reported: Mapped[date | None] = mapped_column(Date)  # what the customer said
    # denormalised from the records and the metro rule (app/compliance/schedule.py); the sweep reads it
    next_due: Mapped[date | None] = mapped_column(Date, index=True)

    site: Mapped[Site] = relationship(back_populates="traps")

    @property
    def label(self) -> str:
        return f"{TrapType(self.trap_type).title}, {self.capacity_gallons:,} gal"


class ServiceRecord(Model):
    """The manifest of one service. Immutable once `confirmed_at` is set (the customer
    confirmed it); a correction is a new row with `supersedes_id` and the next revision."""

    __tablename__ = "service_records"
    __table_args__ = (
        CheckConstraint("gallons_removed BETWEEN 1 AND 20000", name="gallons_removed"),
        CheckConstraint("percent_full BETWEEN 0 AND 100", name="percent_full"),
        CheckConstraint("revision >= 1", name="revision"),
        UniqueConstraint("supersedes_id", name="uq_service_records_supersedes_id"),
        # one record in force per job: two saves at once make one (the other is refused)
        Index(
            "uq_service_records_lead_current",
            "lead_id",
            unique=True,
            postgresql_where=text("superseded_at IS NULL"),
            sqlite_where=text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True, default=new_manifest_number)
    trap_id: Mapped[int] = mapped_column(ForeignKey("traps.id", ondelete="CASCADE"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("service_records.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    service_date: Mapped[date] = mapped_column(Date, index=True)
    gallons_removed: Mapped[int] = mapped_column(Integer)
    percent_full: Mapped[int] = mapped_column(Integer)
    transporter_registration: Mapped[str] = mapped_column(String(60))
    vehicle: Mapped[str] = mapped_column(String(80))
    driver: Mapped[str] = mapped_column(String(120))
    disposal_facility: Mapped[str] = mapped_column(String(200))
    generator_signer: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    trap: Mapped[Trap] = relationship(lazy="joined")
    provider: Mapped[Provider] = relationship(lazy="joined")

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class Reminder(Model):
    """One thing the sweep did for one trap's due cycle (`due_on`): unique, so a restarted or
    concurrent sweep never sends it twice. `token` makes the email's links (book again, cancel,
    .ics); `lead_id` is the request it filed (auto-rebook) or the customer booked from it."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("trap_id", "kind", "due_on", name="uq_reminders_cycle"),
        check_state("kind", ReminderKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trap_id: Mapped[int] = mapped_column(ForeignKey("traps.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # a ReminderKind
    due_on: Mapped[date] = mapped_column(Date)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_share_token)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)  # the last provider
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    trap: Mapped[Trap] = relationship(lazy="joined")
    provider: Mapped[Provider | None] = relationship()


class MagicLink(Model):
    """A sign-in link for "My sites": only the sha256 of its token is kept; single use."""

    __tablename__ = "magic_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
