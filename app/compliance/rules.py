"""Due dates and status of a trap: pure functions (no database, no clock).

- The metro's interval: a trap serviced on day D is due by D + interval_days (Houston: 90).
- The 25 % rule: grease + solids at or above 25 % of the liquid depth means service is due.
  When the provider records the trap was `percent_full` ≥ 25 % after `days_since_previous`
  days, the trap reached 25 % after about days_since_previous × 25 / percent_full days; the
  next due date is the last service plus that observed interval (never under MIN_INTERVAL)
  whenever it is shorter than the metro's (or the metro has no rule).
- No metro rule and no 25 % observation: no due date (status "No due date").
- Status: Overdue after the due date, Due soon from `lead_days` before it, else Current.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.models.compliance import TrapStatus

TWENTY_FIVE_PERCENT = 25
MIN_INTERVAL = 7  # days: a trap is never scheduled sooner than a week after its last service


def observed_interval(days_since_previous: int | None, percent_full: int | None) -> int | None:
    """Days the trap took to reach 25 % full, from one observation; None below 25 % or unknown."""
    if days_since_previous is None or percent_full is None or days_since_previous <= 0:
        return None
    if percent_full < TWENTY_FIVE_PERCENT:
        return None
    return max(MIN_INTERVAL, days_since_previous * TWENTY_FIVE_PERCENT // percent_full)


def next_due(
    last_service: date | None,
    interval_days: int | None,
    *,
    percent_full: int | None = None,
    days_since_previous: int | None = None,
) -> date | None:
    """The date the next full evacuation is due (see the module docstring); None if none."""
    if last_service is None:
        return None
    candidates = [d for d in (interval_days, observed_interval(days_since_previous, percent_full)) if d]
    if not candidates:
        return None
    return last_service + timedelta(days=min(candidates))


def status(due: date | None, today: date, lead_days: int) -> TrapStatus:
    if due is None:
        return TrapStatus.unscheduled
    if today > due:
        return TrapStatus.overdue
    if today >= due - timedelta(days=lead_days):
        return TrapStatus.due_soon
    return TrapStatus.current


def remind_on(due: date, lead_days: int) -> date:
    """The day the "due soon" reminder (and an auto-rebook) goes out."""
    return due - timedelta(days=lead_days)
