"""What a lead operation answers when it did its thing (a refused one raises Refusal)."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Assignment


@dataclass(frozen=True)
class Done:
    message: str  # for the person who acted
    assignment: Assignment | None = None
