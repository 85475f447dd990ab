"""Metros (the marketplace's unit) and service categories."""

from __future__ import annotations

import copy

from sqlalchemy import JSON, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model, TimestampMixin, check_in

POOL_POLICIES = ("strict", "balanced", "aggressive")
# Broadcast offer waves (issue 5): cumulative; each wave adds up to `size` providers of its
# tiers and stays open `minutes` before the next wave (or the admin fallback after the last).
DEFAULT_WAVE_PLAN = [
    {"tiers": ["pro", "growth"], "size": 3, "minutes": 5},
    {"tiers": ["starter"], "size": 5, "minutes": 5},
    {"tiers": ["free"], "size": 5, "minutes": 10},
]


def default_wave_plan() -> list[dict]:
    return copy.deepcopy(DEFAULT_WAVE_PLAN)


class Metro(TimestampMixin, Model):
    __tablename__ = "metros"
    __table_args__ = (
        CheckConstraint(check_in("pool_policy", POOL_POLICIES), name="pool_policy"),
        CheckConstraint("consent_wait_emergency_minutes >= 0", name="consent_wait_emergency_minutes"),
        CheckConstraint("sla_miss_limit >= 0", name="sla_miss_limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    state: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    pool_policy: Mapped[str] = mapped_column(String(16), default="balanced")
    unverified_preview: Mapped[bool] = mapped_column(default=False)
    consent_wait_hours: Mapped[int] = mapped_column(Integer, default=24)
    wave_plan: Mapped[list] = mapped_column(JSON, default=default_wave_plan)  # issue 5
    # Dispatch (issue 13): an escrowed emergency direct request asks the customer after this many
    # minutes (0 = at once; consent_wait_hours stays for this-week and flexible requests), and a
    # provider is paused automatically after this many offers in a row expire unanswered (0 = never).
    consent_wait_emergency_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sla_miss_limit: Mapped[int] = mapped_column(Integer, default=3, server_default="3")

    def __repr__(self) -> str:
        return f"<Metro {self.slug}>"


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"
