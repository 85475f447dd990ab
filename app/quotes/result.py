"""The answer of a quote operation (kept until every operation raises the one refusal type)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models import Assignment


@dataclass(frozen=True)
class Result:
    ok: bool
    message: str
    assignment: Assignment | None = None
    errors: dict = field(default_factory=dict)  # field name -> why


def _refuse(message: str, **errors) -> Result:
    return Result(False, message, errors=errors)
