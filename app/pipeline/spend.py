"""Spend control: a weekly credit budget and "pause until <date>" (which ends by itself).

The budget counts the credits a provider's unlocks took this ISO week, less what came back as
refunds this week; an unlock that would go over it is refused before anything is charged
(app/quotes/unlock.py), and quote notifications say "over your weekly budget". The pause is
separate from the vacation flag `Provider.paused`; `Provider.paused_now` reads both, and every
eligibility rule asks it."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.refusal import Refusal
from app.models import CreditEntry, Provider

MAX_BUDGET = 1000
MAX_PAUSE_DAYS = 366
MAX_AUTO_REPLY = 1000


def spent_this_week(session: Session, provider_id: int) -> int:
    """Credits spent on unlocks this ISO week, net of refunds posted this week (never below 0)."""
    net = session.scalar(
        select(func.coalesce(func.sum(CreditEntry.amount), 0)).where(
            CreditEntry.provider_id == provider_id,
            CreditEntry.kind.in_(("spend", "refund")),
            CreditEntry.created_at >= clock.iso_week_start(),
        )
    )
    return max(0, -int(net or 0))


def over_budget(session: Session, provider: Provider, cost: int) -> bool:
    """Would spending `cost` more credits go over this week's budget?"""
    if provider.weekly_budget is None or cost <= 0:
        return False
    return spent_this_week(session, provider.id) + cost > provider.weekly_budget


def budget_refusal(session: Session, provider: Provider, cost: int) -> Refusal:
    spent = spent_this_week(session, provider.id)
    return Refusal(
        f"Over your weekly budget: this lead costs {cost} and you've spent {spent} of your "
        f"{provider.weekly_budget} credits this week. Nothing was charged; raise the budget to unlock.",
        {"credits": "Over your weekly budget."},
        code="over_budget",
    )


def parse_pause_until(raw: str | None, tz_name: str, errors: dict) -> datetime | None:
    """A date typed by the provider: paused until the start of that day in its time zone."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors["paused_until"] = "Enter the date you're back, e.g. 2027-01-15."
        return None
    at = clock.as_utc(datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(tz_name)))
    now = clock.now()
    if at <= now:
        errors["paused_until"] = "Choose a date after today, or leave it empty to not pause."
    elif (at - now).days > MAX_PAUSE_DAYS:
        errors["paused_until"] = "Pause for at most a year."
    else:
        return at
    return None


def update(
    session: Session, provider: Provider, *, budget: str | None, paused_until: str | None, auto_reply: str | None
) -> str:
    """The spend and premium settings: validated all together (field messages), then saved."""
    errors: dict[str, str] = {}
    raw = (budget or "").strip()
    value: int | None = None
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_BUDGET:
            errors["weekly_budget"] = f"Enter a whole number of credits from 1 to {MAX_BUDGET}, or leave it empty."
        else:
            value = int(raw)
    until = parse_pause_until(paused_until, provider.home_metro.timezone, errors)
    reply = (auto_reply or "").strip() or None
    if reply and len(reply) > MAX_AUTO_REPLY:
        errors["auto_reply"] = f"Keep the auto-reply under {MAX_AUTO_REPLY:,} characters."
    if errors:
        raise Refusal("Please fix the highlighted fields.", errors)
    provider.weekly_budget = value
    provider.paused_until = until
    provider.auto_reply = reply
    session.flush()
    return "Saved."
