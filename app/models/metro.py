"""Metros (the marketplace's unit) and service categories."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import TimestampMixin, check_in

POOL_POLICIES = ("strict", "balanced", "aggressive")


class Metro(TimestampMixin, db.Model):
    __tablename__ = "metros"
    __table_args__ = (CheckConstraint(check_in("pool_policy", POOL_POLICIES), name="pool_policy"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    state: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    pool_policy: Mapped[str] = mapped_column(String(16), default="balanced")
    unverified_preview: Mapped[bool] = mapped_column(default=False)
    consent_wait_hours: Mapped[int] = mapped_column(Integer, default=24)

    def __repr__(self) -> str:
        return f"<Metro {self.slug}>"


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"
