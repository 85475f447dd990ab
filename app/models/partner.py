"""Partner API: partners, their API keys (hashed at rest), which leads each partner created,
and the stored first answer to each Idempotency-Key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core import clock
from app.models.base import Model, UTCDateTime


class Partner(Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    keys: Mapped[list[ApiKey]] = relationship(back_populates="partner", order_by="ApiKey.id")

    def __repr__(self) -> str:
        return f"<Partner {self.name}>"


class ApiKey(Model):
    """A key is "ffk_<prefix>_<secret>"; only the prefix (for lookup) and sha256(key) are kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship(back_populates="keys", lazy="joined")

    @property
    def display(self) -> str:
        return f"ffk_{self.prefix}_…"


class PartnerLead(Model):
    """Which partner created a lead: only that partner may read its status."""

    __tablename__ = "partner_leads"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class ApiIdempotency(Model):
    """The first answer to a create with this Idempotency-Key, replayed to retries.

    The unique (partner_id, key) constraint decides between simultaneous retries: the first
    insert wins, the others wait for its commit, fail the insert and replay its answer.
    """

    __tablename__ = "api_idempotency"
    __table_args__ = (UniqueConstraint("partner_id", "key", name="uq_api_idempotency_partner_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    status_code: Mapped[int] = mapped_column(Integer, default=201)
    response: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
