"""Metro broadcast policy (issue 5): pool policy, wave plan, consent wait, unverified preview.

`parse` turns the admin form into values plus per-field errors (pure); `update` writes them
and the audit entry. Bad input changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.broadcast import wave_plan
from app.core.refusal import Refusal
from app.models import Metro, User
from app.models.metro import POOL_POLICIES
from app.platform import audit

POLICY_LABELS = {
    "strict": "Strict: verified providers on a paid plan",
    "balanced": "Balanced: paid first, then verified free providers with a teaser left",
    "aggressive": "Aggressive: balanced, plus claimed-unverified (restricted preview, cannot accept)",
}
MAX_CONSENT_WAIT_HOURS = 24 * 14
MAX_EMERGENCY_WAIT_MINUTES = 24 * 60
MAX_SLA_MISS_LIMIT = 50


@dataclass
class PolicyInput:
    pool_policy: str
    unverified_preview: bool
    consent_wait_hours: int | None
    wave_plan: list[dict]
    errors: dict[str, str] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)  # what was typed, to re-render
    # issue 13: the emergency consent wait (minutes, 0 = ask at once) and the SLA pause threshold
    consent_wait_emergency_minutes: int | None = 0
    sla_miss_limit: int | None = 3


def form_rows(form, count: int = wave_plan.MAX_WAVES) -> list[dict]:
    """The wave rows as typed: {"tiers": [...], "size": "3", "minutes": "5"} for each slot."""
    return [
        {
            "tiers": form.getlist(f"wave-{n}-tiers"),
            "size": (form.get(f"wave-{n}-size") or "").strip(),
            "minutes": (form.get(f"wave-{n}-minutes") or "").strip(),
        }
        for n in range(1, count + 1)
    ]


def rows_for(metro: Metro, count: int = wave_plan.MAX_WAVES) -> list[dict]:
    rows = [
        {"tiers": list(w["tiers"]), "size": str(w["size"]), "minutes": str(w["minutes"])}
        for w in (metro.wave_plan or [])
    ]
    return rows + [{"tiers": [], "size": "", "minutes": ""} for _ in range(count - len(rows))]


def parse(form) -> PolicyInput:
    rows = form_rows(form)
    used = [r for r in rows if r["tiers"] or r["size"] or r["minutes"]]
    # Blank slots in the middle are ignored; waves keep their order.
    plan, errors = wave_plan.validate_plan(used)
    # Report row errors by the slot the admin typed in, not the compacted index.
    slots = [n for n, r in enumerate(rows, start=1) if r in used]
    errors = {
        _slot_key(k, slots): v.replace(f"Wave {n}:", f"Wave {slots[n - 1]}:") if (n := _num(k)) else v
        for k, v in errors.items()
    }
    policy = form.get("pool_policy") or ""
    if policy not in POOL_POLICIES:
        errors["pool_policy"] = "Pool policy: choose strict, balanced or aggressive."
    raw_wait = (form.get("consent_wait_hours") or "").strip()
    wait = int(raw_wait) if raw_wait.isdigit() else None
    if wait is None or not 1 <= wait <= MAX_CONSENT_WAIT_HOURS:
        errors["consent_wait_hours"] = f"Consent wait: a whole number of hours from 1 to {MAX_CONSENT_WAIT_HOURS}."
    emergency = _whole(
        form,
        "consent_wait_emergency_minutes",
        0,
        MAX_EMERGENCY_WAIT_MINUTES,
        errors,
        f"Emergency consent wait: a whole number of minutes from 0 (ask at once) to {MAX_EMERGENCY_WAIT_MINUTES}.",
    )
    misses = _whole(
        form,
        "sla_miss_limit",
        0,
        MAX_SLA_MISS_LIMIT,
        errors,
        f"Unanswered offers before a pause: a whole number from 0 (never pause) to {MAX_SLA_MISS_LIMIT}.",
    )
    return PolicyInput(
        consent_wait_emergency_minutes=emergency,
        sla_miss_limit=misses,
        pool_policy=policy,
        unverified_preview=form.get("unverified_preview") in ("1", "on", "y"),
        consent_wait_hours=wait,
        wave_plan=plan,
        errors=errors,
        rows=rows,
    )


def _whole(form, key: str, low: int, high: int, errors: dict[str, str], message: str) -> int | None:
    if key not in form:  # a form without the field (an older page) keeps the metro's value
        return None
    raw = (form.get(key) or "").strip()
    value = int(raw) if raw.isdigit() and len(raw) < 7 else None
    if value is None or not low <= value <= high:
        errors[key] = message
        return None
    return value


def _num(key: str) -> int | None:
    parts = key.split("-")
    return int(parts[1]) if len(parts) == 3 and parts[0] == "wave" else None


def _slot_key(key: str, slots: list[int]) -> str:
    n = _num(key)
    return key if n is None else f"wave-{slots[n - 1]}-{key.split('-')[2]}"


def update(session: Session, metro: Metro, data: PolicyInput, user: User, ip: str | None = None) -> None:
    """Apply valid input; Refusal naming the fields (and nothing changed) when there are errors."""
    if data.errors:
        raise Refusal("Please fix the broadcast policy.", data.errors)
    assert data.consent_wait_hours is not None  # parse reports a missing wait as an error
    fields = ("consent_wait_emergency_minutes", "sla_miss_limit")
    before_dispatch = {k: getattr(metro, k) for k in fields}
    for k in fields:
        if getattr(data, k) is not None:  # None: the form did not carry the field
            setattr(metro, k, getattr(data, k))
    before = {
        "pool_policy": metro.pool_policy,
        "wave_plan": metro.wave_plan,
        "unverified_preview": metro.unverified_preview,
        "consent_wait_hours": metro.consent_wait_hours,
    }
    metro.pool_policy = data.pool_policy
    metro.wave_plan = data.wave_plan
    metro.unverified_preview = data.unverified_preview
    metro.consent_wait_hours = data.consent_wait_hours
    session.flush()
    after = {
        "pool_policy": metro.pool_policy,
        "wave_plan": metro.wave_plan,
        "unverified_preview": metro.unverified_preview,
        "consent_wait_hours": metro.consent_wait_hours,
    }
    before |= before_dispatch
    after |= {k: getattr(metro, k) for k in fields}
    changed = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    audit.log(
        session,
        user,
        "metro.policy",
        metro,
        f"Updated {metro.name} broadcast policy" + (f" ({', '.join(changed)})" if changed else " (no change)"),
        data=changed,
        ip=ip,
    )


def plan_summary(plan: list[dict]) -> str:
    return " → ".join(f"{'+'.join(w['tiers'])} ×{w['size']} / {w['minutes']} min" for w in plan or [])
