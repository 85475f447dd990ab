"""A metro's wave plan: how many waves, which tiers, how many providers, how long."""

from __future__ import annotations

from app.models import Lead
from app.models.metro import default_wave_plan
from app.models.provider import TIERS

MAX_WAVES = 6


MAX_WAVE_SIZE = 50


MAX_WAVE_MINUTES = 24 * 60


def validate_plan(rows: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Check an admin's wave plan. `rows` are {"tiers": [...], "size": str, "minutes": str}
    (blank rows already dropped). Returns (plan, errors by field name "wave-N-field")."""
    plan: list[dict] = []
    errors: dict[str, str] = {}
    seen: dict[str, int] = {}  # tier -> the wave it is in
    if not rows:
        errors["waves"] = "Add at least one wave: pick its tiers, how many providers and how many minutes."
    if len(rows) > MAX_WAVES:
        errors["waves"] = f"At most {MAX_WAVES} waves."
    for n, row in enumerate(rows, start=1):
        tiers = [t for t in TIERS if t in (row.get("tiers") or [])]
        bad = [t for t in row.get("tiers") or [] if t not in TIERS]
        if not tiers or bad:
            errors[f"wave-{n}-tiers"] = f"Wave {n}: pick at least one tier (pro, growth, starter or free)."
        for t in tiers:
            if t in seen:
                errors[f"wave-{n}-tiers"] = f"Wave {n}: {t} is already in wave {seen[t]}; a tier belongs to one wave."
            seen.setdefault(t, n)
        size = _whole(row.get("size"))
        if size is None or not 1 <= size <= MAX_WAVE_SIZE:
            errors[f"wave-{n}-size"] = f"Wave {n}: providers must be a whole number from 1 to {MAX_WAVE_SIZE}."
        minutes = _whole(row.get("minutes"))
        if minutes is None or not 1 <= minutes <= MAX_WAVE_MINUTES:
            errors[f"wave-{n}-minutes"] = (
                f"Wave {n}: the window must be a whole number of minutes from 1 to {MAX_WAVE_MINUTES}."
            )
        plan.append({"tiers": tiers, "size": size, "minutes": minutes})
    if "free" in seen and seen["free"] != len(rows) and f"wave-{seen['free']}-tiers" not in errors:
        # Teaser leads are "never priority" (seed 004): free providers come in the last wave.
        errors[f"wave-{seen['free']}-tiers"] = (
            f"Wave {seen['free']}: verified-free providers (teasers) can only be in the last wave."
        )
    return plan, errors


def _whole(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def plan_of(lead: Lead) -> list[dict]:
    return lead.wave_plan or lead.metro.wave_plan or default_wave_plan()
