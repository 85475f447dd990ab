"""Leads (a customer's request) and their timeline events."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import NullType

from app.core import clock
from app.models.base import Model, State, TimestampMixin, UTCDateTime, check_in, check_state
from app.models.compliance import MAX_CAPACITY, MIN_CAPACITY, TrapType
from app.models.metro import Category, Metro
from app.models.provider import Provider

if TYPE_CHECKING:
    from app.models.assignment import Assignment
    from app.models.offer import Offer


class LeadMode(State):
    """How the customer asked: one provider, anyone in the metro, or up to 3 quotes."""

    direct = "direct", "Direct", "info", "Request to one provider"
    broadcast = "broadcast", "Broadcast", "info", "Anyone in the metro, fastest response"
    quotes = "quotes", "Quotes", "info", "Up to 3 quotes"


class LeadStatus(State):
    """Where the lead is in review and life. Routed once `verified`."""

    pending = "pending", "Held for review", "warn"
    verified = "verified", "Verified", "good"
    spam = "spam", "Spam", "bad"
    cancelled = "cancelled", "Cancelled", "muted"
    completed = "completed", "Completed", "good"


class DeliveryStatus(State):
    """How far delivery got: `new` (not routed yet), `ready` (routing recorded), then each
    mode's own: direct `delivered` or `pending` (escrow, with an EscrowReason); broadcast
    `offering` then `accepted` (or `pending` when no one accepted); quotes `quoting` then
    `chosen` (or `pending` when no provider matched)."""

    new = "new", "Not routed yet", "muted"
    ready = "ready", "Ready to deliver", "muted"
    pending = "pending", "In escrow", "warn"
    delivered = "delivered", "Delivered", "good"
    offering = "offering", "Being offered", "info"
    accepted = "accepted", "Accepted", "good"
    quoting = "quoting", "Open for quotes", "info"
    chosen = "chosen", "Provider chosen", "good"


class EscrowReason(State):
    """Why a lead waits in escrow (delivery_status `pending`). The first six are the direct
    eligibility rules (app/leads/eligibility.py); `out_of_area` a direct request whose ZIP the
    provider's service area does not cover (issue 13); the last two are the other modes' fallbacks."""

    unclaimed = "unclaimed", "Listing not claimed", "warn"
    unverified = "unverified", "Claimed but not verified", "warn"
    free_plan = "free_plan", "Free plan", "warn"
    paused = "paused", "Paused", "muted"
    suspended = "suspended", "Suspended", "bad"
    weekly_cap = "weekly_cap", "Weekly lead cap reached", "muted"
    out_of_area = "out_of_area", "Outside the provider's service area", "warn"
    unaccepted_broadcast = "unaccepted_broadcast", "Unaccepted broadcast", "warn"
    no_matching_provider = "no_matching_provider", "No matching provider", "warn"


LEAD_MODES = LeadMode.values()
LEAD_SOURCES = ("web", "admin", "api")
LEAD_STATUSES = LeadStatus.values()
URGENCIES = ("emergency", "this_week", "flexible")
BUDGETS = ("under_300", "300_600", "600_1200", "over_1200", "unsure")


def new_token() -> str:
    """A tracking token: 32 random bytes (256 bits), URL-safe."""
    return secrets.token_urlsafe(32)


# The escrow inbox's rule (app/direct/escrow_inbox.in_inbox_clause renders exactly this SQL,
# constants inline, so both PostgreSQL and SQLite can use the partial index ix_leads_waiting).
def waiting_sql(table: str = "") -> str:
    """The rule as SQL, its columns prefixed with `table` ("leads." in a query)."""
    t = table
    return (
        f"{t}status = 'pending' OR ({t}status = 'verified' AND {t}delivery_status = 'pending')"
        f" OR ({t}status = 'verified' AND {t}consent = 'yes' AND {t}delivery_status IN ('new', 'ready'))"
    )


WAITING_SQL = waiting_sql()
UNROUTED_SQL = "status = 'verified' AND delivery_status = 'new'"
# SQLite's planner (no statistics) would OR three single-column indexes, one of them
# `status = 'verified'` (nearly every lead); a unary + keeps a column out of index choice, so
# the partial index, whose predicate is written the same way, is the one plan left.
WAITING_SQL_SQLITE = waiting_sql("+")


class Waiting(ColumnElement[bool]):
    """`leads` rows waiting on staff: WAITING_SQL, in the spelling of the partial index
    ix_leads_waiting on each database (compiled below)."""

    inherit_cache = True
    type = NullType()  # type: ignore[assignment]  # not Boolean: SQLite would compare the clause "= 1", hiding it from the index


@compiles(Waiting)
def _waiting(element, compiler, **kw) -> str:
    return f"({waiting_sql('leads.')})"


@compiles(Waiting, "sqlite")
def _waiting_sqlite(element, compiler, **kw) -> str:
    return f"({waiting_sql('+leads.')})"


TRIGRAM_COLUMNS = ("customer_name", "business_name", "city", "customer_email")


class Lead(TimestampMixin, Model):
    __tablename__ = "leads"
    __table_args__ = (
        check_state("mode", LeadMode),
        CheckConstraint(check_in("source", LEAD_SOURCES), name="source"),
        check_state("status", LeadStatus),
        check_state("delivery_status", DeliveryStatus),
        check_state("escrow_reason", EscrowReason, nullable=True),
        CheckConstraint("quality_score BETWEEN 0 AND 100", name="quality_score"),
        CheckConstraint("customer_email IS NOT NULL OR customer_phone IS NOT NULL", name="contact"),
        # quote leads (issue 6): at most max_providers unlocks, enforced by the database
        CheckConstraint("unlock_count >= 0 AND unlock_count <= max_providers", name="unlock_count"),
        CheckConstraint("max_providers BETWEEN 1 AND 10", name="max_providers"),
        # trap fields (issue 12)
        check_state("trap_type", TrapType, nullable=True),
        CheckConstraint(
            f"trap_capacity_gallons IS NULL OR trap_capacity_gallons BETWEEN {MIN_CAPACITY} AND {MAX_CAPACITY}",
            name="trap_capacity_gallons",
        ),
        # Period-first reads (issue 10): the dashboard's windows, the near-duplicate check.
        Index("ix_leads_created_at", "created_at"),
        Index("ix_leads_metro_id_created_at", "metro_id", "created_at"),
        # The escrow inbox and the dashboard's backlog: only the leads waiting on staff.
        Index(
            "ix_leads_waiting",
            "created_at",
            "id",
            postgresql_where=text(WAITING_SQL),
            sqlite_where=text(WAITING_SQL_SQLITE),
        ),
        # Every walk by state (the sweep's steps, escrow counts) names both: with both columns
        # SQLite's planner (no statistics) picks this one instead of `status` alone, which
        # holds about half the table (replaces the single-column ix_leads_delivery_status).
        Index("ix_leads_delivery_status_status", "delivery_status", "status"),
        # a provider's jobs done (reputation on the metro page): by provider and status, so
        # SQLite does not read every completed lead (replaces ix_leads_assigned_provider_id)
        Index("ix_leads_assigned_provider_id_status", "assigned_provider_id", "status"),
        # The sweep's walk of unrouted leads (and /healthz's count): leads closed before they
        # were routed (spam, cancelled) keep delivery_status "new" and pile up with history.
        Index(
            "ix_leads_unrouted",
            "id",
            postgresql_where=text(UNROUTED_SQL),
            sqlite_where=text(UNROUTED_SQL),
        ),
        # Admin search (app/leads/search.py): an e-mail address is found by its lower-case form.
        Index("ix_leads_customer_email_lower", func.lower(text("customer_email"))),
        # ... and names by trigrams on PostgreSQL (pg_trgm, migration 0013); SQLite scans.
        *(
            Index(
                f"ix_leads_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in TRIGRAM_COLUMNS
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    mode: Mapped[str] = mapped_column(String(16))  # a LeadMode
    source: Mapped[str] = mapped_column(String(16), default="web")
    metro_id: Mapped[int] = mapped_column(ForeignKey("metros.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    requested_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    assigned_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))

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

    status: Mapped[str] = mapped_column(String(16), default=LeadStatus.pending, index=True)
    delivery_status: Mapped[str] = mapped_column(String(24), default=DeliveryStatus.new)
    escrow_reason: Mapped[str | None] = mapped_column(String(40))  # an EscrowReason while pending
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
    # Money back without asking (issue 14): the customer last opened the tracking page, and an
    # email to the customer's address was refused for good (5xx at RCPT).
    customer_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Trap fields (issue 12): not contact data, shown in the masked preview; the site and trap
    # the request was attached to (app/compliance/sites.py)
    trap_type: Mapped[str | None] = mapped_column(String(16))  # a TrapType
    trap_capacity_gallons: Mapped[int | None] = mapped_column(Integer)
    trap_last_pumped: Mapped[date | None] = mapped_column(Date)
    trap_access_notes: Mapped[str | None] = mapped_column(Text)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"), index=True)
    trap_id: Mapped[int | None] = mapped_column(ForeignKey("traps.id", ondelete="SET NULL"), index=True)

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
    __table_args__ = (Index("ix_lead_events_kind_created_at", "kind", "created_at"),)

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
