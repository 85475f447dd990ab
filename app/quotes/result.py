"""What a quote operation answers: the pipeline's `Done` (one type for every lead operation)."""

from __future__ import annotations

from app.pipeline.result import Done

__all__ = ["Done"]
