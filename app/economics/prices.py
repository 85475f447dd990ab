"""Per-tier monthly plan prices, set by an admin (no billing: the results page's plan cost)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.refusal import Refusal
from app.models import PlanPrice, User
from app.models.provider import PAID_TIERS, Tier
from app.pipeline.stages import parse_amount
from app.platform import audit


class _PlanPrices:
    """What the audit entry is about: the price list (no single row id)."""

    id = None


def all_prices(session: Session) -> dict[str, Decimal]:
    """{tier: monthly price} for every paid tier (0 where none is set; free is always 0)."""
    stored = {p.tier: Decimal(p.monthly_price) for p in session.scalars(select(PlanPrice))}
    return {tier: stored.get(tier, Decimal("0.00")) for tier in PAID_TIERS}


def monthly_price(session: Session, tier: str) -> Decimal:
    return all_prices(session).get(tier, Decimal("0.00"))


def save(session: Session, admin: User, form, ip: str | None = None) -> str:
    """Validate every paid tier's price (field messages), then store them all."""
    errors = {}
    values: dict[str, Decimal] = {}
    for tier in PAID_TIERS:
        raw = (form.get(f"price_{tier}") or "").strip()
        value = parse_amount(raw) if raw else Decimal("0.00")
        if value is None or value < 0 or value > Decimal("100000"):
            errors[f"price_{tier}"] = (
                f"{Tier(tier).title}: enter a monthly price from 0 to 100,000, e.g. 199 or 199.00."
            )
        else:
            values[tier] = value
    if errors:
        raise Refusal("Please fix the prices.", errors)
    for tier, value in values.items():
        row = session.get(PlanPrice, tier)
        if row is None:
            session.add(PlanPrice(tier=tier, monthly_price=value, updated_by=admin.id, updated_at=clock.now()))
        else:
            row.monthly_price = value
            row.updated_by = admin.id
    session.flush()
    summary = ", ".join(f"{Tier(t).title} ${v:,.2f}" for t, v in values.items())
    audit.log(session, admin, "plans.prices", _PlanPrices(), f"Monthly plan prices: {summary}", ip=ip)
    return f"Saved: {summary} a month."
