"""Lead intake: one function every source (web form, admin form, partner API) goes through.

The lead, its first timeline event and the confirmation email are written in the caller's
transaction; routing is enqueued after commit when the lead is verified.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session, aliased

from app.core import clock
from app.core.db import insert_once
from app.core.urls import external_url
from app.leads import eligibility, quality, routing, timeline, validation
from app.models import Lead, LeadMode
from app.platform import outbox

DUPLICATE_WINDOW = timedelta(hours=24)

URGENCY_LABELS = {
    "emergency": "Emergency (today)",
    "this_week": "This week",
    "flexible": "Flexible",
}
BUDGET_LABELS = {
    "under_300": "Under $300",
    "300_600": "$300 – $600",
    "600_1200": "$600 – $1,200",
    "over_1200": "Over $1,200",
    "unsure": "Not sure yet",
}


@dataclass
class LeadInput:
    """What a source hands in, already validated for shape (the form or API did that)."""

    mode: str
    metro_id: int
    category_id: int
    description: str
    customer_name: str
    city: str
    customer_email: str | None = None
    customer_phone: str | None = None  # E.164
    phone_valid: bool = True
    street: str | None = None
    postal_code: str | None = None
    business_name: str | None = None
    urgency: str = "this_week"
    preferred_time: str | None = None
    budget: str | None = None
    requested_provider_id: int | None = None
    honeypot_filled: bool = False
    submission_key: str | None = None  # the web form's one-time key (see new_submission_key)
    # trap fields (issue 12), validated by the form or API (validation.check_capacity, ...)
    trap_type: str | None = None
    trap_capacity_gallons: int | None = None
    trap_last_pumped: date | None = None
    trap_access_notes: str | None = None


# Hooks run after a lead is created (in the same transaction), e.g. compliance attaching it to
# the customer's site. Registered by the capability packages (the lower layer lists none).
_AFTER_SUBMIT: list[Callable[[Session, Lead], None]] = []


def after_submit(fn: Callable[[Session, Lead], None]) -> Callable[[Session, Lead], None]:
    _AFTER_SUBMIT.append(fn)
    return fn


SUBMISSION_KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_submission_key() -> str:
    """A fresh key for each rendering of the request form (kept across re-renders with errors)."""
    return secrets.token_urlsafe(24)


def _by_submission_key(session: Session, key: str | None) -> Lead | None:
    if not key:
        return None
    return session.scalar(select(Lead).where(Lead.submission_key == key))


def is_near_duplicate(session: Session, data: LeadInput) -> bool:
    """Same contact and category in the metro within 24 h, or the same text from anyone.

    One statement: the metro's last 200 leads of the 24 h (their texts), each row carrying
    whether a lead with the same contact exists. Such a lead is itself one of the metro's leads
    of the 24 h, so when there is one, at least one row comes back to say so."""
    since = clock.now() - DUPLICATE_WINDOW
    rows = session.execute(
        select(Lead.description, _same_contact(data, since))
        .where(Lead.created_at >= since, Lead.metro_id == data.metro_id)
        .order_by(Lead.created_at.desc())  # newest first, straight from the (metro, created_at) index
        .limit(200)
    )
    normalized = " ".join(data.description.lower().split())
    return any(same or " ".join(text.lower().split()) == normalized for text, same in rows)


_OTHER_LEAD = aliased(Lead)  # its own rows, not the outer query's (made once: an alias costs a proxy per column)


def _same_contact(data: LeadInput, since: datetime) -> ColumnElement[bool]:
    """EXISTS a lead with this email or phone and category in the metro since `since`."""
    other = _OTHER_LEAD
    contact = []
    if data.customer_email:
        contact.append(other.customer_email == data.customer_email)
    if data.customer_phone:
        contact.append(other.customer_phone == data.customer_phone)
    if not contact:
        return false().label("same_contact")
    return (
        exists()
        .where(
            other.created_at >= since,
            other.metro_id == data.metro_id,
            other.category_id == data.category_id,
            or_(*contact),
        )
        .label("same_contact")
    )


def submit_lead(
    session: Session,
    data: LeadInput,
    *,
    source: str = "web",
    client_ip: str | None = None,
    force_status: str | None = None,
) -> Lead:
    """Create a lead with its score, first event and confirmation email (flushes only).

    A `submission_key` already used returns that lead instead: a double-clicked or re-sent
    form makes one lead and one email (the unique column decides when both arrive together)."""
    key = data.submission_key if data.submission_key and SUBMISSION_KEY_RE.fullmatch(data.submission_key) else None
    earlier = _by_submission_key(session, key)
    if earlier is not None:
        return earlier
    signals = quality.QualitySignals(
        source=source,
        honeypot_filled=data.honeypot_filled,
        phone_given=bool(data.customer_phone),
        phone_valid=data.phone_valid,
        email_given=bool(data.customer_email),
        email_valid=True,
        disposable_email=validation.is_disposable(data.customer_email),
        duplicate=is_near_duplicate(session, data),
    )
    score, notes = quality.score(signals)
    held = quality.needs_review(score, current_app.config["LEAD_REVIEW_THRESHOLD"])
    status = force_status or ("pending" if held else "verified")
    lead = Lead(
        mode=data.mode,
        source=source,
        metro_id=data.metro_id,
        category_id=data.category_id,
        requested_provider_id=data.requested_provider_id,
        description=data.description.strip(),
        urgency=data.urgency,
        preferred_time=data.preferred_time or None,
        budget=data.budget or None,
        customer_name=data.customer_name.strip(),
        customer_email=data.customer_email or None,
        customer_phone=data.customer_phone or None,
        business_name=data.business_name or None,
        street=data.street or None,
        city=data.city.strip(),
        postal_code=data.postal_code or None,
        quality_score=score,
        quality_notes=notes,
        client_ip=client_ip,
        submission_key=key,
        status=status,
        delivery_status="new",
        trap_type=data.trap_type or None,
        trap_capacity_gallons=data.trap_capacity_gallons,
        trap_last_pumped=data.trap_last_pumped,
        trap_access_notes=(data.trap_access_notes or "").strip() or None,
    )
    if key is None:
        session.add(lead)
        session.flush()
    elif not insert_once(session, lead):  # the same form, submitted at the same moment, won
        winner = _by_submission_key(session, key)
        if winner is None:
            raise RuntimeError("submission key conflict without a lead")  # pragma: no cover
        return winner
    timeline.record(
        session,
        lead,
        "submitted",
        f"Submitted via {source} ({data.mode}); quality score {score}" + (f": {'; '.join(notes)}" if notes else ""),
        public_text="We received your request.",
        actor="customer" if source == "web" else source,
        data={"score": score, "notes": notes},
    )
    if status == "pending":
        timeline.record(
            session,
            lead,
            "held_for_review",
            f"Held for review (score {score} below {current_app.config['LEAD_REVIEW_THRESHOLD']})",
            public_text="We're double-checking your request before sending it out. "
            "This usually takes less than an hour during business hours.",
        )
    for hook in _AFTER_SUBMIT:
        hook(session, lead)
    if not data.honeypot_filled:  # a bot must not make us email an address it typed
        queue_confirmation(session, lead)
    if status == "verified":
        routing.request_routing(session, lead)
    return lead


def queue_confirmation(session: Session, lead: Lead) -> None:
    """The customer's confirmation with the private tracking link (email when we have one).

    A held lead's address is not checked yet (it may be spam sent to a stranger): its
    confirmation repeats nothing the sender typed (no name, no description) and promises
    nothing; the tracking link says the rest. Sent once per lead (a lead verified later by an
    admin after a honeypot hit gets its first one then)."""
    if not lead.customer_email:
        return
    provider = lead.requested_provider
    held = lead.status == "pending"
    context = {
        "held": held,
        "mode": lead.mode,
        "metro_name": lead.metro.name,
        "category_name": lead.category.name,
        "tracking_url": external_url("public.tracking", token=lead.public_token),
    }
    if not held:
        context |= {
            "mode_label": LeadMode(lead.mode).description,
            "customer_name": lead.customer_name,
            "provider_name": provider.name if provider else None,
            "description": lead.description,
        }
        if lead.mode == "direct" and provider is not None:
            # Issue 13: a request the provider cannot receive says why at once (in words, not its
            # plan); an emergency asks at once whether others may have it (the metro's wait).
            decision = eligibility.check_direct(session, provider)
            context["why"] = eligibility.customer_reason(decision.reason, provider.name)
            context["emergency"] = lead.urgency == "emergency"
            context["ask_consent"] = (
                not decision.ok and eligibility.consent_wait(lead.metro, lead.urgency).total_seconds() <= 0
            )
            # otherwise it waits, but the customer may open it to others at once from the tracking
            # page ("don't want to wait?"); the email only links there (a GET changes nothing)
            context["offer_now"] = not decision.ok and not context["ask_consent"]
    outbox.queue_email(
        session,
        kind="lead_confirmation",
        to=lead.customer_email,
        template="lead_confirmation",
        lead_id=lead.id,
        dedupe_key=f"lead:{lead.id}:confirmation",
        context=context,
    )
