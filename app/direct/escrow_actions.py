"""One-click admin actions on a lead in the escrow inbox.

Actions are decided by conditional UPDATEs, so a double click or two admins at once do
the thing once. Each returns what it did (a message for the admin) or raises Refusal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.core.urls import app_path, external_url
from app.direct import direct
from app.direct.escrow_inbox import (
    OUTREACH_COOLDOWN,
    age,
    in_inbox_clause,
    is_waiting,
    label_of,
    reason_of,
    requested_providers,
)
from app.leads import eligibility, masking, routing, timeline
from app.models import Lead, Offer, User
from app.platform import audit, notify


def _log(session: Session, user: User | None, action: str, lead: Lead, summary: str, ip: str | None, **data) -> None:
    audit.log(session, user, action, lead, summary, data=data, ip=ip)


def _refuse_unless_escrowed(lead: Lead) -> None:
    problem = _escrowed_direct(lead)
    if problem:
        raise Refusal(problem)


def _escrowed_direct(lead: Lead) -> str | None:
    """Why a lead is not a direct lead in escrow (None when it is)."""
    if lead.mode != "direct" or lead.requested_provider is None:
        return "This is not a direct request."
    if lead.status != "verified" or lead.delivery_status != "pending":
        return "This request is no longer waiting in escrow."
    return None


def send_outreach(session: Session, lead: Lead, user: User | None, ip: str | None = None) -> str:
    """Email the requested provider "You were requested — claim and verify to unlock"."""
    _refuse_unless_escrowed(lead)
    provider = lead.requested_provider
    assert provider is not None  # _escrowed_direct refuses a lead without one
    if provider.status == "suspended":
        raise Refusal(f"{provider.name} is suspended; no outreach.")
    if not provider.contact_email:
        raise Refusal(f"{provider.name} has no email address on file.")
    now = clock.now()
    if lead.outreach_sent_at and now - clock.as_utc(lead.outreach_sent_at) < OUTREACH_COOLDOWN:
        raise Refusal("Outreach was already sent in the last 24 hours.")
    result = session.execute(
        update(Lead)
        .where(
            Lead.id == lead.id, or_(Lead.outreach_sent_at.is_(None), Lead.outreach_sent_at < now - OUTREACH_COOLDOWN)
        )
        .values(outreach_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        raise Refusal("Outreach was already sent in the last 24 hours.")
    session.refresh(lead)
    shown = masking.preview(lead)  # the provider is not entitled yet: masked only
    title = f"You were requested: {shown['category']} in {shown['city']}"
    notify.notify(
        session,
        provider,
        "escrow_outreach",
        title,
        body="A customer asked for you by name. Claim and verify your listing to unlock it.",
        url=app_path("provider.inbox"),
        lead_id=lead.id,
        email_template="escrow_outreach",
        email_context={
            "lead": {k: shown[k] for k in ("customer_name", "city", "metro", "category", "description", "urgency")},
            "reason": lead.escrow_reason,
            "claim_url": external_url("public.claim_listing", slug=provider.slug),
        },
        dedupe_key=f"lead:{lead.id}:outreach:{int(now.timestamp())}",
    )
    timeline.record(
        session,
        lead,
        "outreach_sent",
        f"Outreach email sent to {provider.name} ({provider.contact_email})",
        user=user,
        data={"provider_id": provider.id},
    )
    _log(
        session,
        user,
        "escrow.outreach",
        lead,
        f"Sent outreach for lead #{lead.id} to {provider.name}",
        ip,
        provider_id=provider.id,
    )
    if not provider.wants_email("escrow_outreach"):
        return f"Outreach sent to {provider.name} in-app only (it turned these emails off)."
    return f"Outreach sent to {provider.name}."


def release(session: Session, lead: Lead, user: User | None, ip: str | None = None) -> str:
    """Deliver to the requested provider if it is eligible now; refused with the reason if not."""
    _refuse_unless_escrowed(lead)
    provider = lead.requested_provider
    assert provider is not None  # _escrowed_direct refuses a lead without one
    decision = eligibility.check_direct(session, provider, lock=True)
    if not decision.ok:
        raise Refusal(f"Not released: {provider.name} is not eligible ({decision.label.lower()}).")
    if direct.deliver(session, lead, provider, user=user, how="release") is None:
        raise Refusal("This request is no longer waiting in escrow.")
    _log(
        session,
        user,
        "escrow.release",
        lead,
        f"Released lead #{lead.id} to {provider.name}",
        ip,
        provider_id=provider.id,
    )
    return f"Released to {provider.name}."


def use_teaser(session: Session, lead: Lead, user: User | None, ip: str | None = None) -> str:
    """A verified-free provider's weekly teaser: unlock this one direct lead for it."""
    _refuse_unless_escrowed(lead)
    provider = lead.requested_provider
    assert provider is not None  # _escrowed_direct refuses a lead without one
    if not eligibility.teaser_eligible(provider):
        raise Refusal(
            f"Teasers are for verified free-plan providers; {provider.name} is not one "
            f"({eligibility.check_direct(session, provider).label.lower()})."
        )
    eligibility.lock_provider(session, provider.id)  # the teaser count is decided under the lock
    if not eligibility.teaser_available(session, provider):
        raise Refusal(f"{provider.name} already used this week's teaser.")
    if direct.deliver(session, lead, provider, teaser=True, user=user, how="teaser") is None:
        raise Refusal("This request is no longer waiting in escrow.")
    _log(
        session,
        user,
        "escrow.teaser",
        lead,
        f"Unlocked lead #{lead.id} for {provider.name} as a teaser",
        ip,
        provider_id=provider.id,
    )
    return f"Unlocked for {provider.name} as this week's teaser."


def convert_to_broadcast(
    session: Session, lead: Lead, user: User | None, ip: str | None = None, actor: str = "system"
) -> str:
    """Offer the request to other providers: only once the customer said yes."""
    if lead.mode != "direct":
        raise Refusal("Only direct requests can be converted.")
    if lead.consent != "yes":
        raise Refusal("The customer has not agreed to other providers yet.")
    now = clock.now()
    result = session.execute(
        update(Lead)
        .where(
            Lead.id == lead.id,
            Lead.mode == "direct",
            Lead.status == "verified",
            Lead.delivery_status == "pending",
            Lead.consent == "yes",
        )
        .values(mode="broadcast", delivery_status="new", escrow_reason=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        raise Refusal("This request is no longer waiting in escrow.")
    session.refresh(lead)
    timeline.record(
        session,
        lead,
        "converted_to_broadcast",
        "Converted to broadcast with the customer's consent (requested provider kept on record)",
        public_text="As you agreed, we're now offering your request to other providers nearby.",
        user=user,
        actor=actor,
    )
    if user is not None:
        _log(session, user, "escrow.convert", lead, f"Converted lead #{lead.id} to broadcast", ip)
    routing.request_routing(session, lead)
    return "Converted to broadcast; offers go out now."


CLOSE_TEXT = {
    "spam": ("Closed as spam", "This request was closed by our team."),
    "cancelled": ("Closed as cancelled", "This request was cancelled."),
}


def close(session: Session, lead: Lead, user: User | None, as_status: str, ip: str | None = None) -> str:
    """Close as spam or cancelled (anything not yet delivered)."""
    if as_status not in CLOSE_TEXT:
        raise Refusal("Close as spam or cancelled.")
    now = clock.now()
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, in_inbox_clause())  # only what waits on staff
        .values(status=as_status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        raise Refusal("This request is no longer waiting in escrow (already closed, delivered or out with providers).")
    session.execute(
        update(Offer)
        .where(Offer.lead_id == lead.id, Offer.state == "offered")
        .values(state="expired", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(lead)
    text, public = CLOSE_TEXT[as_status]
    timeline.record(session, lead, f"closed_{as_status}", text, public_text=public, user=user)
    _log(session, user, f"escrow.close_{as_status}", lead, f"{text}: lead #{lead.id}", ip)
    return f"{text}."


def available(lead: Lead, *, teaser_available: bool = False, now: datetime | None = None) -> set[str]:
    """The inbox actions that apply to the lead now, by the rules the actions check (pure: the
    caller passes `eligibility.teasers_available` for the requested provider). Release is always
    offered on an escrowed direct lead: its refusal names what keeps the provider ineligible."""
    if lead.status == "pending":
        return {"verify", "spam", "cancel"}
    if lead.status != "verified" or lead.delivery_status != "pending":
        return set()
    actions = {"spam", "cancel"}
    if _escrowed_direct(lead) is None:
        provider = lead.requested_provider
        assert provider is not None  # _escrowed_direct said it has one
        sent = lead.outreach_sent_at
        cooling = sent is not None and (now or clock.now()) - clock.as_utc(sent) < OUTREACH_COOLDOWN
        if provider.status != "suspended" and provider.contact_email and not cooling:
            actions.add("outreach")
        actions.add("release")
        if teaser_available and eligibility.teaser_eligible(provider):
            actions.add("teaser")
        if lead.consent == "yes":
            actions.add("convert")
    return actions


def available_for(session: Session, leads: list[Lead], now: datetime | None = None) -> dict[int, set[str]]:
    """`available` for every row of the inbox: one statement for the teaser counts, whatever the rows."""
    return {lead_id: row.actions for lead_id, row in rows(session, leads, now).items()}


@dataclass(frozen=True)
class Row:
    """What an inbox row says about a lead, decided by the same rules as the next click."""

    reason: str  # an InboxFilter while waiting, a RowOutcome once not
    label: str
    age: str
    actions: set[str]
    outreach_sent_at: datetime | None  # shown instead of "Send outreach" while it cools down


def rows(session: Session, leads: list[Lead], now: datetime | None = None) -> dict[int, Row]:
    """Each lead's row (reason, its words, age, the actions that apply): one statement for the
    teaser counts whatever the number of rows."""
    teasers = eligibility.teasers_available(session, requested_providers(leads))
    now = now or clock.now()
    result = {}
    for lead in leads:
        teaser = teasers.get(lead.requested_provider_id or 0, False)
        reason = reason_of(lead)
        actions = available(lead, teaser_available=teaser, now=now)
        sent = lead.outreach_sent_at
        cooling = sent is not None and now - clock.as_utc(sent) < OUTREACH_COOLDOWN
        result[lead.id] = Row(
            reason=reason,
            label=label_of(reason, teaser),
            age=age(lead, now),
            actions=actions,
            outreach_sent_at=sent if cooling and is_waiting(lead) else None,
        )
    return result
