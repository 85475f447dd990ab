"""The price of unlocking a quote lead, in credits. Pure: no database, no clock.

base 1 credit x urgency x budget x quality x trap size, rounded half up, clamped to 1-3; pro
unlocks free. Trap size (issue 12): a bigger trap is a bigger job (more gallons to haul and pay
disposal for): under 100 gal x0.9, 100-999 x1.0, 1,000-2,999 x1.25, 3,000+ x1.5; unknown x1.0.
The price shown on the preview is computed by this function and the unlock request carries
it back: the unlock is refused if the price computed then differs (nobody pays a surprise).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

BASE_PRICE = Decimal(1)
MIN_PRICE, MAX_PRICE = 1, 3
URGENCY_MULTIPLIER = {"emergency": Decimal("1.5"), "this_week": Decimal("1.0"), "flexible": Decimal("0.8")}
BUDGET_MULTIPLIER = {
    "under_300": Decimal("0.8"),
    "300_600": Decimal("1.0"),
    "600_1200": Decimal("1.3"),
    "over_1200": Decimal("1.6"),
    "unsure": Decimal("1.0"),
    None: Decimal("1.0"),
}


def quality_multiplier(score: int) -> Decimal:
    if score >= 90:
        return Decimal("1.2")
    if score >= 70:
        return Decimal("1.0")
    return Decimal("0.8")


def capacity_multiplier(gallons: int | None) -> Decimal:
    """Trap size (issue 12): bigger traps cost more to serve."""
    if gallons is None:
        return Decimal("1.0")
    if gallons < 100:
        return Decimal("0.9")
    if gallons < 1000:
        return Decimal("1.0")
    if gallons < 3000:
        return Decimal("1.25")
    return Decimal("1.5")


def multiplier(urgency: str, budget: str | None, quality_score: int, capacity_gallons: int | None = None) -> Decimal:
    return (
        URGENCY_MULTIPLIER.get(urgency, Decimal(1))
        * BUDGET_MULTIPLIER.get(budget, Decimal(1))
        * quality_multiplier(quality_score)
        * capacity_multiplier(capacity_gallons)
    )


def price(urgency: str, budget: str | None, quality_score: int, tier: str, capacity_gallons: int | None = None) -> int:
    """Credits a provider of effective `tier` pays to unlock a lead like this."""
    if tier == "pro":
        return 0
    raw = (BASE_PRICE * multiplier(urgency, budget, quality_score, capacity_gallons)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return max(MIN_PRICE, min(MAX_PRICE, int(raw)))


def lead_price(lead, provider) -> int:
    return price(lead.urgency, lead.budget, lead.quality_score, provider.effective_tier, lead.trap_capacity_gallons)
