"""Jinja filters and globals shared by every template (and emails)."""

from __future__ import annotations

from flask import Flask

from app.services import clock
from app.services.intake import BUDGET_LABELS, MODE_LABELS, URGENCY_LABELS
from app.services.validation import format_phone


def local_time(value, tz_name: str | None = None, fmt: str = "%b %-d, %-I:%M %p %Z") -> str:
    if value is None:
        return ""
    if tz_name:
        return clock.local(value, tz_name).strftime(fmt)
    return clock.as_utc(value).strftime(fmt)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.globals.update(
        URGENCY_LABELS=URGENCY_LABELS,
        BUDGET_LABELS=BUDGET_LABELS,
        MODE_LABELS=MODE_LABELS,
        TIER_LABELS={"pro": "Pro", "growth": "Growth", "starter": "Starter", "free": "Free"},
    )

    def has_endpoint(name: str) -> bool:
        """Templates link to areas that may not exist in every build (nav)."""
        return name in app.view_functions

    app.jinja_env.globals["has_endpoint"] = has_endpoint

    @app.context_processor
    def inject_config():
        return {"dev_mailbox": app.config.get("DEV_MAILBOX")}
