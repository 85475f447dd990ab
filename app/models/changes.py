"""Per-provider change counters (issue 11): the database half of the "has anything changed?"
version that live pages poll with. Redis holds the same value for cheap reads
(app/platform/changes.py); this row is the truth when Redis has lost it."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model


class ProviderChange(Model):
    __tablename__ = "provider_changes"

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
