"""Provider listings: a business in a home metro (plus extra metros) offering categories."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, Float, ForeignKey, Index, Integer, String, Table, Text, text
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.extensions import db
from app.models.base import Model, State, TimestampMixin, UTCDateTime, check_state
from app.models.metro import Category, Metro


class ProviderStatus(State):
    unclaimed = "unclaimed", "Unclaimed listing", "muted"
    claimed = "claimed", "Claimed", "warn"
    verified = "verified", "Verified", "good"
    suspended = "suspended", "Suspended", "bad"


class Tier(State):
    """The provider's plan, highest first."""

    pro = "pro", "Pro", "strong"
    growth = "growth", "Growth", "info"
    starter = "starter", "Starter", "warn"
    free = "free", "Free", "muted"

    @property
    def rank(self) -> int:
        """0 for the highest plan."""
        return TIER_RANK[self]

    @property
    def is_paid(self) -> bool:
        return self is not Tier.free


PROVIDER_STATUSES = ProviderStatus.values()
TIERS = Tier.values()  # highest first
PAID_TIERS = tuple(t.value for t in Tier if t.is_paid)
TIER_RANK = {tier: rank for rank, tier in enumerate(TIERS)}

provider_metros = Table(
    "provider_metros",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("metro_id", ForeignKey("metros.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_provider_metros_metro", "metro_id", "provider_id"),  # routing: a metro's extra providers
)

provider_categories = Table(
    "provider_categories",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)

# Service area (issue 13): the ZIP codes a provider listed, besides (or instead of) a radius.
provider_zips = Table(
    "provider_zips",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("zip", String(5), primary_key=True),
    Index("ix_provider_zips_zip", "zip", "provider_id"),
)


class Provider(TimestampMixin, Model):
    __tablename__ = "providers"
    __table_args__ = (
        check_state("status", ProviderStatus),
        check_state("tier", Tier),
        CheckConstraint("weekly_cap IS NULL OR weekly_cap >= 0", name="weekly_cap"),
        CheckConstraint("weekly_budget IS NULL OR weekly_budget >= 0", name="weekly_budget"),
        CheckConstraint(
            "service_radius_miles IS NULL OR (service_radius_miles BETWEEN 1 AND 200 AND base_lat IS NOT NULL)",
            name="service_radius",
        ),
        CheckConstraint("area_zip_count >= 0 AND answered_count >= 0", name="area_counts"),
        Index("ix_providers_area_lat", "area_min_lat", "area_max_lat"),
        # Routing walks a metro's providers of one state and tier least recently offered first
        # (app/leads/pool_query.py: pick). PostgreSQL needs NULLS FIRST in the index for that
        # order; SQLite puts NULLs first anyway and has no such index syntax.
        Index(
            "ix_providers_rotation", "home_metro_id", "status", "tier", text("last_offered_at ASC NULLS FIRST")
        ).ddl_if(dialect="postgresql"),
        Index("ix_providers_rotation_lite", "home_metro_id", "status", "tier", "last_offered_at").ddl_if(
            dialect="sqlite"
        ),
        Index("ix_providers_trial_ends_at", "trial_ends_at"),  # the few in a Growth trial
        CheckConstraint("missed_in_row >= 0", name="missed_in_row"),
        # the admin providers list, paged by (name, id) (issue 10)
        Index("ix_providers_name_id", "name", "id"),
        # the admin providers search (issue 10): trigrams on PostgreSQL (pg_trgm, migration 0013)
        Index("ix_providers_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}).ddl_if(
            dialect="postgresql"
        ),
        # the few paused until a date: the sweep ends their pause (issue 14)
        Index(
            "ix_providers_paused_until",
            "paused_until",
            postgresql_where=text("paused_until IS NOT NULL"),
            sqlite_where=text("paused_until IS NOT NULL"),
        ),
        # the few paused for unanswered offers: the dashboard's count and the admin filter (issue 13)
        Index(
            "ix_providers_sla_paused",
            "sla_paused_at",
            postgresql_where=text("sla_paused_at IS NOT NULL"),
            sqlite_where=text("sla_paused_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    home_metro_id: Mapped[int] = mapped_column(ForeignKey("metros.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(254))
    about: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default=ProviderStatus.unclaimed, index=True)
    tier: Mapped[str] = mapped_column(String(16), default=Tier.free)
    trial_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trial_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the one trial was used
    paused: Mapped[bool] = mapped_column(default=False)
    weekly_cap: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Email on/off per notification kind; a kind not listed is on.
    email_prefs: Mapped[dict] = mapped_column(JSON, default=dict)
    # A short sound on the open offers page when a new offer arrives (issue 11).
    offer_sound: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    # Spend control and premium tools (issue 14): credits it may spend per ISO week (None: no
    # limit), "pause until" (separate from the vacation flag `paused`; ends by itself), and the
    # auto-reply sent to the customer when it gets a lead (not for teaser deliveries).
    weekly_budget: Mapped[int | None] = mapped_column(Integer)
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auto_reply: Mapped[str | None] = mapped_column(Text)

    # Service area (issue 13). Without a radius and without listed ZIPs a provider covers its
    # metros (home and extra) everywhere, as before. `base_zip` (with its centre's lat/lon) is
    # where distances are measured from; `service_radius_miles` covers every lead whose ZIP
    # centre is that close; `area_*` is the radius circle's bounding box (the cheap prefilter);
    # `area_zip_count` is how many ZIPs are listed in provider_zips (0: none).
    base_zip: Mapped[str | None] = mapped_column(String(5))
    base_lat: Mapped[float | None] = mapped_column(Float)
    base_lon: Mapped[float | None] = mapped_column(Float)
    service_radius_miles: Mapped[int | None] = mapped_column(Integer)
    area_min_lat: Mapped[float | None] = mapped_column(Float)
    area_max_lat: Mapped[float | None] = mapped_column(Float)
    area_min_lon: Mapped[float | None] = mapped_column(Float)
    area_max_lon: Mapped[float | None] = mapped_column(Float)
    area_zip_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Response time (issue 10), kept up to date as the provider answers (app/leads/response_stats.py):
    # how many offers/quote leads it took, the last RECENT_RESPONSES seconds-to-answer, their median.
    answered_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    recent_response_seconds: Mapped[list | None] = mapped_column(JSON)
    median_response_seconds: Mapped[float | None] = mapped_column(Float)
    # SLA escalation (issue 13): offers in a row whose window closed unanswered (an accept or a
    # decline resets it), and when the provider was paused automatically for it. The automatic
    # pause is the ordinary `paused` flag; `sla_paused_at` says why (cleared on resume).
    missed_in_row: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    home_metro: Mapped[Metro] = relationship(lazy="joined")
    extra_metros: Mapped[list[Metro]] = relationship(secondary=provider_metros, order_by=Metro.name)
    categories: Mapped[list[Category]] = relationship(secondary=provider_categories, order_by=Category.position)
    owner = relationship("User", back_populates="provider", foreign_keys=[owner_id])

    @property
    def limits_area(self) -> bool:
        """Whether the provider set a radius or listed ZIPs (else it covers its metros)."""
        return self.service_radius_miles is not None or self.area_zip_count > 0

    @property
    def in_trial(self) -> bool:
        return self.trial_ends_at is not None and clock.now() < self.trial_ends_at

    @property
    def effective_tier(self) -> Tier:
        """The tier that counts now: an active Growth trial counts as growth (never lowers)."""
        tier = Tier(self.tier)
        if self.in_trial and tier.rank > Tier.growth.rank:
            return Tier.growth
        return tier

    @property
    def is_paid(self) -> bool:
        return self.effective_tier.is_paid

    @property
    def is_verified(self) -> bool:
        return self.status == ProviderStatus.verified

    @property
    def paused_now(self) -> bool:
        """Paused for vacation, or until a date that has not come yet."""
        return self.paused or (self.paused_until is not None and clock.now() < clock.as_utc(self.paused_until))

    @property
    def sla_paused(self) -> bool:
        """Paused automatically for unanswered offers (and not resumed since)."""
        return bool(self.paused and self.sla_paused_at is not None)

    def wants_email(self, kind: str) -> bool:
        return bool((self.email_prefs or {}).get(kind, True))

    @property
    def contact_email(self) -> str | None:
        """Where the business's emails go: its account's address once claimed, else the listing's."""
        if self.owner is not None:
            return self.owner.email
        return self.email

    def __repr__(self) -> str:
        return f"<Provider {self.slug} {self.status}/{self.tier}>"
