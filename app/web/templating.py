"""Jinja filters and globals shared by every template (and emails)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, has_request_context, request, url_for
from flask_login import current_user

from app.broadcast.offer_cards import without_old_call
from app.core import clock
from app.direct.escrow_inbox import InboxFilter
from app.leads.intake import BUDGET_LABELS, URGENCY_LABELS
from app.leads.masking import mask_text
from app.leads.validation import format_phone
from app.models import (
    AssignmentStatus,
    DeliveryStatus,
    EscrowReason,
    LeadMode,
    LeadStatus,
    OfferState,
    ProviderStatus,
    ReminderKind,
    Tier,
    TrapStatus,
    TrapType,
)


def default_timezone() -> str:
    """Times without a metro show in the signed-in provider's home metro, else DISPLAY_TIMEZONE."""
    if has_request_context() and current_user and current_user.is_authenticated:
        provider = getattr(current_user, "provider", None)
        if provider is not None:
            return provider.home_metro.timezone
    return current_app.config["DISPLAY_TIMEZONE"]


def local_time(value, tz_name: str | None = None, fmt: str = "%b %-d, %-I:%M %p %Z") -> str:
    """A stored UTC time in a metro's local time (the one clock stores UTC)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):  # an email's context is JSON: times are stored as ISO strings
        value = datetime.fromisoformat(value)
    return clock.local(value, tz_name or default_timezone()).strftime(fmt)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """The word for `count` things: `{{ n }} {{ n|plural("credit") }}` -> "1 credit", "2 credits"."""
    return singular if count == 1 else (plural_form or singular + "s")


def in_metro(city: str | None, metro: str | None) -> str:
    """ "Katy (Houston)", but "Houston" once when the city is the metro."""
    city, metro = (city or "").strip(), (metro or "").strip()
    if not metro or city.casefold() == metro.casefold():
        return city or metro
    return f"{city} ({metro})" if city else metro


def money(value) -> str:
    """ "$1,250" or "$450.50": a price as people write it."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    return f"${amount:,.0f}" if amount == amount.to_integral_value() else f"${amount:,.2f}"


def label(value, labels: dict) -> str:
    """A stored key in words (urgency, budget...), the key itself if unknown."""
    return labels.get(value, value or "")


def tz_abbrev(tz_name: str | None = None) -> str:
    """The zone times on a page are shown in, as its abbreviation now ("CST", "CDT")."""
    return clock.local(clock.now(), tz_name or default_timezone()).strftime("%Z")


def page_url(after: str | None) -> str:
    """This page's URL with the same filters and the paging cursor `after` (None: first page)."""
    args = request.args.to_dict()
    args.pop("after", None)
    if after:
        args["after"] = after
    values: dict[str, Any] = {**(request.view_args or {}), **args}
    return url_for(request.endpoint or "public.home", **values)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["in_metro"] = in_metro
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["label"] = label
    app.jinja_env.globals["tz_abbrev"] = tz_abbrev
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["without_old_call"] = without_old_call
    app.jinja_env.filters["mask_text"] = mask_text  # public text (reviews) never shows contact data
    app.jinja_env.globals.update(
        URGENCY_LABELS=URGENCY_LABELS,
        BUDGET_LABELS=BUDGET_LABELS,
    )
    # The named states, for their titles and badges: `{{ Tier(p.effective_tier).title }}`.
    app.jinja_env.globals.update(
        {
            state.__name__: state
            for state in (
                AssignmentStatus,
                DeliveryStatus,
                EscrowReason,
                InboxFilter,
                LeadMode,
                LeadStatus,
                OfferState,
                ProviderStatus,
                Tier,
                TrapType,
                TrapStatus,
                ReminderKind,
            )
        }
    )

    def has_endpoint(name: str) -> bool:
        """Templates link to areas that may not exist in every build (nav)."""
        return name in app.view_functions

    app.jinja_env.globals["has_endpoint"] = has_endpoint

    # The form macros every template may call without importing them (an import at the top of a
    # template is not run when only one of its blocks is rendered for htmx).
    macros = app.jinja_env.get_template("_forms.html").module
    app.jinja_env.globals.update({name: getattr(macros, name) for name in ("csrf_field", "plain_field")})
    app.jinja_env.globals["page_url"] = page_url  # before the pager's module is loaded: it calls it
    app.jinja_env.globals["pager"] = app.jinja_env.get_template("_pager.html").module.pager  # type: ignore[attr-defined]
    app.jinja_env.filters["plural"] = plural

    @app.context_processor
    def inject_config():
        return {"dev_mailbox": app.config.get("DEV_MAILBOX")}
