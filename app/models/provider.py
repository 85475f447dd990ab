"""Provider listings: a business in a home metro (plus extra metros) offering categories."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text
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
)

provider_categories = Table(
    "provider_categories",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Provider(TimestampMixin, Model):
    __tablename__ = "providers"
    __table_args__ = (
        check_state("status", ProviderStatus),
        check_state("tier", Tier),
        CheckConstraint("weekly_cap IS NULL OR weekly_cap >= 0", name="weekly_cap"),
        # the admin providers list, paged by (name, id) (issue 10)
        Index("ix_providers_name_id", "name", "id"),
        # the admin providers search (issue 10): trigrams on PostgreSQL (pg_trgm, migration 0013)
        Index("ix_providers_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}).ddl_if(
            dialect="postgresql"
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

    home_metro: Mapped[Metro] = relationship(lazy="joined")
    extra_metros: Mapped[list[Metro]] = relationship(secondary=provider_metros, order_by=Metro.name)
    categories: Mapped[list[Category]] = relationship(secondary=provider_categories, order_by=Category.position)
    owner = relationship("User", back_populates="provider", foreign_keys=[owner_id])

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
