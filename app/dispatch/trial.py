""" "Try a plan" (admin): the metro's current plan and a candidate wave plan, each run on the same
simulated day (same seed), side by side, before anyone saves the candidate.

`parse` turns the admin form into values plus per-field errors (pure); `compare` reads what it
needs from the real database, ends that read (so a long simulation holds no lock on it), then
runs both plans on throwaway databases."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.broadcast import metro_policy, wave_plan
from app.core.refusal import Refusal
from app.dispatch import metro_day, simulate
from app.dispatch.report import Report
from app.dispatch.scenario import Scenario
from app.models import Metro

MAX_WEB_LEADS = 2000
DEFAULT_WEB_LEADS = 200


@dataclass
class TrialInput:
    seed: int | None = 1
    leads: int | None = DEFAULT_WEB_LEADS
    replay_days: int | None = None
    synthetic: bool = False
    plan: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # the wave rows as typed
    errors: dict[str, str] = field(default_factory=dict)


def _whole(raw: str | None, low: int, high: int) -> int | None:
    raw = (raw or "").strip()
    if not raw.isdigit() or len(raw) > 7:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def parse(form) -> TrialInput:
    rows = metro_policy.form_rows(form)
    used = [r for r in rows if r["tiers"] or r["size"] or r["minutes"]]
    plan, errors = wave_plan.validate_plan(used)
    if not used:
        errors["waves"] = "Waves: describe at least one wave of the candidate plan."
    seed = _whole(form.get("seed"), 1, 999_999)
    if seed is None:
        errors["seed"] = "Seed: a whole number from 1 to 999999 (the same seed replays the same day)."
    leads = _whole(form.get("leads"), 1, MAX_WEB_LEADS)
    replay = (form.get("source") or "curve") == "replay"
    days = _whole(form.get("replay_days"), 1, metro_day.MAX_REPLAY_DAYS) if replay else None
    if replay and days is None:
        errors["replay_days"] = f"Days to replay: a whole number from 1 to {metro_day.MAX_REPLAY_DAYS}."
    if not replay and leads is None:
        errors["leads"] = f"Leads in the day: a whole number from 1 to {MAX_WEB_LEADS}."
    return TrialInput(
        seed=seed,
        leads=leads,
        replay_days=days,
        synthetic=form.get("synthetic") in ("1", "on", "y"),
        plan=plan,
        rows=rows,
        errors=errors,
    )


def initial(metro: Metro) -> TrialInput:
    """The form as first shown: the candidate starts as a copy of the current plan."""
    return TrialInput(plan=list(metro.wave_plan or []), rows=metro_policy.rows_for(metro))


@dataclass
class Comparison:
    scenario: Scenario
    current: Report
    candidate: Report


def compare(session: Session, metro: Metro, data: TrialInput) -> Comparison:
    """Both plans on the same simulated day; Refusal naming the fields when the input is wrong."""
    if data.errors:
        raise Refusal("Please fix the trial settings.", data.errors)
    assert data.seed is not None
    scenario = metro_day.scenario_for(
        session,
        metro,
        seed=data.seed,
        leads=data.leads or DEFAULT_WEB_LEADS,
        replay_days=data.replay_days,
        synthetic_providers=data.synthetic,
    )
    current = simulate.Plan.of(metro)
    candidate = simulate.Plan(**{**current.__dict__, "wave_plan": data.plan})
    session.rollback()  # the real database was only read; release it before the long part
    return Comparison(scenario, simulate.run(scenario, current), simulate.run(scenario, candidate))
