"""The admin escrow inbox and automatic release (issue 4).

The inbox holds every lead that is waiting on a person: direct leads in escrow
(delivery_status "pending", escrow_reason from eligibility), other modes' fallbacks
("unaccepted_broadcast", "no_matching_provider"), leads held for review (status "pending",
shown as "low quality") and converted leads the customer consented to broadcast that the
broadcast router has not picked up yet.

Every admin action returns an ActionResult (ok + a message a person can read); the caller
writes nothing else. Actions are decided by conditional UPDATEs, so a double click or two
admins at once do the thing once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from app.models import Lead, Offer, Provider, User
from app.services import audit, clock, direct, eligibility, masking, notify, routing, timeline
from app.services.urls import app_path, external_url

OUTREACH_COOLDOWN = timedelta(hours=24)

REASON_LABELS = {
    **eligibility.REASON_LABELS,
    "unaccepted_broadcast": "Unaccepted broadcast",
    "no_matching_provider": "No matching provider",
    "low_quality": "Low quality (held for review)",
    "consented": "Customer consented to broadcast",
    "eligible_now": "Provider eligible now: release",
    "free_plan": "Free plan (teaser possible)",
    "direct": "Direct pending (all reasons)",
    "teaser": "Teaser requests (weekly teaser unused)",
}
DIRECT_REASONS = ("unclaimed", "unverified", "free_plan", "paused", "suspended", "weekly_cap")
DIRECT_GROUP = {*DIRECT_REASONS, "eligible_now"}
FILTER_ORDER = ("direct", "eligible_now", "low_quality", "teaser", *DIRECT_REASONS, "consented", "unaccepted_broadcast", "no_matching_provider")


@dataclass(frozen=True)
class ActionResult:
    ok: bool
    message: str


@dataclass
class Inbox:
    rows: list[Lead]
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0


def reason_of(lead: Lead) -> str:
    """The inbox filter a lead belongs to."""
    if lead.status == "pending":
        return "low_quality"
    if lead.consent == "yes" and lead.delivery_status in ("new", "ready"):
        return "consented"
    provider = lead.requested_provider
    if lead.mode == "direct" and lead.delivery_status == "pending" and provider is not None:
        # The provider may have changed since the lead was escrowed (claimed, verified...): say
        # what holds it now. The weekly cap needs a count, so it is kept as stored.
        live = eligibility.direct(provider, 0)
        if not live.ok:
            return live.reason
        return "weekly_cap" if lead.escrow_reason == "weekly_cap" else "eligible_now"
    return lead.escrow_reason or "unclaimed"


def in_inbox_clause():
    return or_(
        Lead.status == "pending",
        and_(Lead.status == "verified", Lead.delivery_status == "pending"),
        and_(Lead.status == "verified", Lead.consent == "yes", Lead.delivery_status.in_(("new", "ready"))),
    )


def is_waiting(lead: Lead) -> bool:
    """Is this lead in the escrow inbox (the same rule as in_inbox_clause, for one lead)?"""
    return (lead.status == "pending"
            or (lead.status == "verified" and lead.delivery_status == "pending")
            or (lead.status == "verified" and lead.consent == "yes" and lead.delivery_status in ("new", "ready")))


def inbox(session: Session, reason: str | None = None, metro_id: int | None = None,
          limit: int = 500) -> Inbox:
    """Leads waiting on staff, oldest first, with counts per reason (within the metro filter)."""
    query = select(Lead).where(in_inbox_clause()).order_by(Lead.created_at, Lead.id).limit(limit)
    if metro_id:
        query = query.where(Lead.metro_id == metro_id)
    leads = list(session.scalars(query))
    reasons = {lead.id: reason_of(lead) for lead in leads}
    teasers = teaser_requests(session, [lead for lead in leads if reasons[lead.id] == "free_plan"])
    counts: dict[str, int] = {}
    for lead in leads:
        key = reasons[lead.id]
        counts[key] = counts.get(key, 0) + 1
        if key in DIRECT_GROUP:
            counts["direct"] = counts.get("direct", 0) + 1
        if lead.id in teasers:
            counts["teaser"] = counts.get("teaser", 0) + 1
    wanted = DIRECT_GROUP if reason == "direct" else {reason}
    if reason == "teaser":
        rows = [lead for lead in leads if lead.id in teasers]
    else:
        rows = [lead for lead in leads if reason is None or reasons[lead.id] in wanted]
    return Inbox(rows=rows, counts=counts, total=len(leads))


def teaser_requests(session: Session, leads: list[Lead]) -> set[int]:
    """The "teaser requests" filter: escrowed direct leads whose requested provider is verified,
    on the free plan, not paused, and has not used this ISO week's teaser (so an admin can
    unlock one for it now). One teaser count per provider."""
    available: dict[int, bool] = {}
    for lead in leads:
        provider = lead.requested_provider
        if provider is not None and provider.id not in available:
            available[provider.id] = eligibility.teaser_available(session, provider)
    return {lead.id for lead in leads if lead.requested_provider_id and available.get(lead.requested_provider_id)}


def age(lead: Lead, now: datetime | None = None) -> str:
    """"3 min", "5 h", "2 d": how long the customer has been waiting."""
    seconds = max(0, int(((now or clock.now()) - clock.as_utc(lead.created_at)).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def _log(session: Session, user: User | None, action: str, lead: Lead, summary: str, ip: str | None,
         **data) -> None:
    audit.log(session, user, action, lead, summary, data=data, ip=ip)


def _refuse(message: str) -> ActionResult:
    return ActionResult(False, message)


def _escrowed_direct(lead: Lead) -> str | None:
    """Why a lead is not a direct lead in escrow (None when it is)."""
    if lead.mode != "direct" or lead.requested_provider is None:
        return "This is not a direct request."
    if lead.status != "verified" or lead.delivery_status != "pending":
        return "This request is no longer waiting in escrow."
    return None


def send_outreach(session: Session, lead: Lead, user: User | None, ip: str | None = None) -> ActionResult:
    """Email the requested provider "You were requested — claim and verify to unlock"."""
    problem = _escrowed_direct(lead)
    if problem:
        return _refuse(problem)
    provider = lead.requested_provider
    if provider.status == "suspended":
        return _refuse(f"{provider.name} is suspended; no outreach.")
    if not provider.contact_email:
        return _refuse(f"{provider.name} has no email address on file.")
    now = clock.now()
    if lead.outreach_sent_at and now - clock.as_utc(lead.outreach_sent_at) < OUTREACH_COOLDOWN:
        return _refuse("Outreach was already sent in the last 24 hours.")
    result = session.execute(
        update(Lead).where(Lead.id == lead.id, or_(Lead.outreach_sent_at.is_(None),
                                                   Lead.outreach_sent_at < now - OUTREACH_COOLDOWN))
        .values(outreach_sent_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return _refuse("Outreach was already sent in the last 24 hours.")
    session.refresh(lead)
    shown = masking.preview(lead)  # the provider is not entitled yet: masked only
    title = f"You were requested: {shown['category']} in {shown['city']}"
    notify.notify(
        session, provider, "escrow_outreach", title,
        body="A customer asked for you by name. Claim and verify your listing to unlock it.",
        url=app_path("provider.inbox"), lead_id=lead.id,
        email_template="escrow_outreach",
        email_context={
            "lead": {k: shown[k] for k in ("customer_name", "city", "metro", "category", "description", "urgency")},
            "reason": lead.escrow_reason,
            "claim_url": external_url("public.claim_listing", slug=provider.slug),
        },
        dedupe_key=f"lead:{lead.id}:outreach:{int(now.timestamp())}",
    )
    timeline.record(session, lead, "outreach_sent", f"Outreach email sent to {provider.name} ({provider.contact_email})",
                    user=user, data={"provider_id": provider.id})
    _log(session, user, "escrow.outreach", lead, f"Sent outreach for lead #{lead.id} to {provider.name}", ip,
         provider_id=provider.id)
    if not provider.wants_email("escrow_outreach"):
        return ActionResult(True, f"Outreach sent to {provider.name} in-app only (it turned these emails off).")
    return ActionResult(True, f"Outreach sent to {provider.name}.")


def release(session: Session, lead: Lead, user: User | None, ip: str | None = None) -> ActionResult:
    """Deliver to the requested provider if it is eligible now; refused with the reason if not."""
    problem = _escrowed_direct(lead)
    if problem:
        return _refuse(problem)
    provider = lead.requested_provider
    decision = eligibility.check_direct(session, provider, lock=True)
    if not decision.ok:
        return _refuse(f"Not released: {provider.name} is not eligible ({decision.label.lower()}).")
    if direct.deliver(session, lead, provider, user=user, how="release") is None:
        return _refuse("This request is no longer waiting in escrow.")
    _log(session, user, "escrow.release", lead, f"Released lead #{lead.id} to {provider.name}", ip,
         provider_id=provider.id)
    return ActionResult(True, f"Released to {provider.name}.")


def use_teaser(session: Session, lead: Lead, user: User | None, ip: str | None = None) -> ActionResult:
    """A verified-free provider's weekly teaser: unlock this one direct lead for it."""
    problem = _escrowed_direct(lead)
    if problem:
        return _refuse(problem)
    provider = lead.requested_provider
    if not eligibility.teaser_eligible(provider):
        return _refuse(f"Teasers are for verified free-plan providers; {provider.name} is not one "
                       f"({eligibility.check_direct(session, provider).label.lower()}).")
    eligibility.lock_provider(session, provider.id)  # the teaser count is decided under the lock
    if not eligibility.teaser_available(session, provider):
        return _refuse(f"{provider.name} already used this week's teaser.")
    if direct.deliver(session, lead, provider, teaser=True, user=user, how="teaser") is None:
        return _refuse("This request is no longer waiting in escrow.")
    _log(session, user, "escrow.teaser", lead, f"Unlocked lead #{lead.id} for {provider.name} as a teaser", ip,
         provider_id=provider.id)
    return ActionResult(True, f"Unlocked for {provider.name} as this week's teaser.")


def convert_to_broadcast(session: Session, lead: Lead, user: User | None, ip: str | None = None,
                         actor: str = "system") -> ActionResult:
    """Offer the request to other providers: only once the customer said yes."""
    if lead.mode != "direct":
        return _refuse("Only direct requests can be converted.")
    if lead.consent != "yes":
        return _refuse("The customer has not agreed to other providers yet.")
    now = clock.now()
    result = session.execute(
        update(Lead).where(Lead.id == lead.id, Lead.mode == "direct", Lead.status == "verified",
                           Lead.delivery_status == "pending", Lead.consent == "yes")
        .values(mode="broadcast", delivery_status="new", escrow_reason=None, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return _refuse("This request is no longer waiting in escrow.")
    session.refresh(lead)
    timeline.record(session, lead, "converted_to_broadcast",
                    "Converted to broadcast with the customer's consent (requested provider kept on record)",
                    public_text="As you agreed, we're now offering your request to other providers nearby.",
                    user=user, actor=actor)
    if user is not None:
        _log(session, user, "escrow.convert", lead, f"Converted lead #{lead.id} to broadcast", ip)
    routing.request_routing(session, lead)
    return ActionResult(True, "Converted to broadcast; offers go out now.")


CLOSE_TEXT = {
    "spam": ("Closed as spam", "This request was closed by our team."),
    "cancelled": ("Closed as cancelled", "This request was cancelled."),
}


def close(session: Session, lead: Lead, user: User | None, as_status: str, ip: str | None = None) -> ActionResult:
    """Close as spam or cancelled (anything not yet delivered)."""
    if as_status not in CLOSE_TEXT:
        return _refuse("Close as spam or cancelled.")
    now = clock.now()
    result = session.execute(
        update(Lead).where(Lead.id == lead.id, in_inbox_clause())  # only what waits on staff
        .values(status=as_status, updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return _refuse("This request is no longer waiting in escrow (already closed, delivered or out with providers).")
    session.execute(update(Offer).where(Offer.lead_id == lead.id, Offer.state == "offered")
                    .values(state="expired", updated_at=now).execution_options(synchronize_session=False))
    session.refresh(lead)
    text, public = CLOSE_TEXT[as_status]
    timeline.record(session, lead, f"closed_{as_status}", text, public_text=public, user=user)
    _log(session, user, f"escrow.close_{as_status}", lead, f"{text}: lead #{lead.id}", ip)
    return ActionResult(True, f"{text}.")


def release_capped(session: Session) -> int:
    """Sweep: leads held only by a provider's weekly cap go out once a new week starts."""
    provider_ids = session.scalars(select(Lead.requested_provider_id).distinct().where(
        Lead.mode == "direct", Lead.status == "verified", Lead.delivery_status == "pending",
        Lead.escrow_reason == "weekly_cap")).all()
    released = 0
    for provider_id in provider_ids:
        provider = session.get(Provider, provider_id)
        if provider is not None:
            released += len(release_for_provider(session, provider))
    return released


def release_for_provider(session: Session, provider: Provider) -> list[int]:
    """Deliver the provider's escrowed direct leads if it is now eligible; returns lead ids.

    Called by every change that can make a provider eligible (verification, plan change,
    trial start, un-pause). Oldest first; stops at the weekly cap."""
    delivered: list[int] = []
    decision = eligibility.check_direct(session, provider, lock=True)
    if not decision.ok:  # keep the stored reason current for the inbox filters
        session.execute(
            update(Lead).where(Lead.mode == "direct", Lead.status == "verified", Lead.delivery_status == "pending",
                               Lead.requested_provider_id == provider.id, Lead.escrow_reason != decision.reason)
            .values(escrow_reason=decision.reason))
        return delivered
    leads = session.scalars(
        select(Lead).where(Lead.mode == "direct", Lead.status == "verified", Lead.delivery_status == "pending",
                           Lead.requested_provider_id == provider.id)
        .order_by(Lead.created_at, Lead.id))
    for lead in list(leads):
        if not eligibility.check_direct(session, provider).ok:
            session.execute(update(Lead).where(Lead.id == lead.id, Lead.delivery_status == "pending")
                            .values(escrow_reason="weekly_cap"))
            continue
        if direct.deliver(session, lead, provider, how="auto") is not None:
            delivered.append(lead.id)
    return delivered
