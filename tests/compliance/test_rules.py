"""Due-date rules (pure): the metro interval, the 25 % rule, no rule; status; trap pricing."""

from datetime import date, timedelta

import pytest

from app.compliance import rules
from app.leads import validation
from app.models import TrapStatus
from app.quotes import pricing

D = date(2026, 3, 1)


def test_metro_interval_sets_the_next_due_date():
    assert rules.next_due(D, 90) == D + timedelta(days=90)


def test_no_rule_and_no_observation_means_no_due_date():
    assert rules.next_due(D, None) is None
    assert rules.next_due(D, None, percent_full=10, days_since_previous=60) is None
    assert rules.next_due(None, 90) is None


def test_25_percent_rule_shortens_the_interval_to_when_the_trap_reached_25_percent():
    # 50 % full after 60 days: it reached 25 % after 30 days, sooner than Houston's 90
    assert rules.next_due(D, 90, percent_full=50, days_since_previous=60) == D + timedelta(days=30)
    # exactly 25 % after 60 days: 60 days
    assert rules.next_due(D, 90, percent_full=25, days_since_previous=60) == D + timedelta(days=60)


def test_25_percent_rule_never_lengthens_the_metro_interval():
    # 30 % after 200 days would give 166 days: the metro's 90 still applies
    assert rules.next_due(D, 90, percent_full=30, days_since_previous=200) == D + timedelta(days=90)


def test_below_25_percent_the_metro_interval_applies():
    assert rules.next_due(D, 90, percent_full=20, days_since_previous=30) == D + timedelta(days=90)


def test_25_percent_rule_applies_without_a_metro_rule():
    assert rules.next_due(D, None, percent_full=100, days_since_previous=40) == D + timedelta(days=10)


def test_observed_interval_is_never_under_a_week():
    assert rules.next_due(D, 90, percent_full=100, days_since_previous=8) == D + timedelta(days=rules.MIN_INTERVAL)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (D + timedelta(days=75), TrapStatus.current),
        (D + timedelta(days=76), TrapStatus.due_soon),
        (D + timedelta(days=90), TrapStatus.due_soon),
        (D + timedelta(days=91), TrapStatus.overdue),
    ],
)
def test_status_current_due_soon_overdue(today, expected):
    assert rules.status(D + timedelta(days=90), today, 14) == expected


def test_status_without_a_due_date():
    assert rules.status(None, D, 14) == TrapStatus.unscheduled


@pytest.mark.parametrize(
    ("raw", "value", "error"),
    [
        ("1000", 1000, None),
        ("1,500", 1500, None),
        (750, 750, None),
        ("0", None, "between 10 and 10,000"),
        ("1e9", None, "whole number"),
        (1_000_000_000, None, "between 10 and 10,000"),
        ("-5", None, "whole number"),
        ("lots", None, "whole number"),
        ("１０００", None, "whole number"),
        ("", None, None),
    ],
)
def test_capacity_validation(raw, value, error):
    check = validation.check_capacity(raw)
    assert check.value == value
    assert (error is None and check.error is None) or (error and error in (check.error or "")), check.error


def test_last_pumped_cannot_be_in_the_future():
    assert validation.check_past_date("2026-03-02", D).error == "The last pumping date cannot be in the future."
    assert validation.check_past_date("2026-03-01", D).value == D
    assert "like 2026-03-01" in (validation.check_past_date("03/01/2026", D).error or "")


def test_bigger_traps_cost_more_credits():
    small = pricing.price("this_week", "600_1200", 75, "growth", 80)  # 1.3 x 0.9 = 1.17 -> 1
    big = pricing.price("this_week", "600_1200", 75, "growth", 4000)  # 1.3 x 1.5 = 1.95 -> 2
    unknown = pricing.price("this_week", "600_1200", 75, "growth", None)  # 1.3 -> 1
    assert (small, unknown, big) == (1, 1, 2)
    assert pricing.price("emergency", "over_1200", 75, "growth", 5000) == 3  # clamped
