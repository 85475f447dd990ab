"""The unlock price: base 1 credit x urgency x budget x quality, rounded half up, clamped 1-3;
pro unlocks free."""

import pytest

from app.quotes.pricing import price


@pytest.mark.parametrize(
    ("urgency", "budget", "quality", "tier", "expected"),
    [
        ("this_week", "300_600", 75, "growth", 1),  # 1.0 x 1.0 x 1.0
        ("this_week", None, 75, "starter", 1),  # no budget counts as 1.0
        ("flexible", "under_300", 60, "growth", 1),  # 0.8 x 0.8 x 0.8 = 0.512 -> 1 (clamped up)
        ("emergency", "300_600", 75, "growth", 2),  # 1.5 -> 2 (half up, not to even)
        ("this_week", "over_1200", 75, "growth", 2),  # 1.6 -> 2
        ("this_week", "600_1200", 75, "growth", 1),  # 1.3 -> 1
        ("emergency", "600_1200", 75, "starter", 2),  # 1.95 -> 2
        ("emergency", "over_1200", 75, "growth", 2),  # 2.4 -> 2
        ("emergency", "over_1200", 95, "growth", 3),  # 2.88 -> 3
        ("emergency", "600_1200", 95, "growth", 2),  # 2.34 -> 2
        ("emergency", "over_1200", 100, "starter", 3),  # never above 3
        ("this_week", "unsure", 90, "growth", 1),  # 1.2 -> 1
        ("emergency", "over_1200", 95, "pro", 0),  # pro unlocks free
        ("flexible", "under_300", 60, "pro", 0),
    ],
)
def test_price_table(urgency, budget, quality, tier, expected):
    assert price(urgency, budget, quality, tier) == expected


def test_price_is_always_between_one_and_three_for_paying_tiers():
    for urgency in ("emergency", "this_week", "flexible"):
        for budget in ("under_300", "300_600", "600_1200", "over_1200", "unsure", None):
            for quality in (0, 49, 50, 69, 70, 89, 90, 100):
                assert 1 <= price(urgency, budget, quality, "starter") <= 3
