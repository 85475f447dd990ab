"""The admin escrow inbox: every lead that waits on a person, with the reason it waits.

Direct leads in escrow (delivery_status "pending", escrow_reason from eligibility), other
modes' fallbacks ("unaccepted_broadcast", "no_matching_provider"), leads held for review
(status "pending", shown as "low quality") and converted leads the customer consented to
broadcast that the broadcast router has not picked up yet."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, case, or_, select
from sqlalchemy.orm import Session, load_only, selectinload

from app.core import clock, paging
from app.leads import eligibility
from app.models import Lead, Metro, Provider
from app.models.base import State
from app.models.lead import EscrowReason, Waiting

OUTREACH_COOLDOWN = timedelta(hours=24)


def _stored(reason: EscrowReason, title: str | None = None) -> tuple[str, str, str]:
    return reason.value, title or reason.title, reason.tone


class InboxFilter(State):
    """The inbox's filters, in the order the page lists them: the stored escrow reasons plus
    the groups staff work by (all direct, eligible now, held for review, teasers, consented)."""

    emergency = "emergency", "Emergencies", "bad"
    direct = "direct", "Direct pending (all reasons)", "muted"
    eligible_now = "eligible_now", "Provider eligible now: release", "good"
    low_quality = "low_quality", "Low quality (held for review)", "warn"
    teaser = "teaser", "Teaser requests (weekly teaser unused)", "info"
    unclaimed = _stored(EscrowReason.unclaimed)
    unverified = _stored(EscrowReason.unverified)
    free_plan = _stored(EscrowReason.free_plan, "Free plan (teaser possible)")
    paused = _stored(EscrowReason.paused)
    suspended = _stored(EscrowReason.suspended)
    weekly_cap = _stored(EscrowReason.weekly_cap)
    out_of_area = _stored(EscrowReason.out_of_area)
    consented = "consented", "Customer consented to broadcast", "info"
    unaccepted_broadcast = _stored(EscrowReason.unaccepted_broadcast)
    no_matching_provider = _stored(EscrowReason.no_matching_provider)


class RowOutcome(State):
    """What a lead that no longer waits shows instead of a reason (after a release, teaser,
    verify, close...): never the stale reason it was escrowed for."""

    delivered = "delivered", "Delivered", "good"
    closed_spam = "closed_spam", "Closed as spam", "bad"
    closed_cancelled = "closed_cancelled", "Cancelled", "muted"
    completed = "completed", "Job done", "good"
    with_providers = "with_providers", "With providers", "info"


# a free-plan provider's teaser is only "possible" while this week's is unused
FREE_PLAN_TEASER_USED = "Free plan (teaser used this week)"


DIRECT_REASONS = (
    InboxFilter.unclaimed,
    InboxFilter.unverified,
    InboxFilter.free_plan,
    InboxFilter.paused,
    InboxFilter.suspended,
    InboxFilter.weekly_cap,
    InboxFilter.out_of_area,
)


DIRECT_GROUP = {*DIRECT_REASONS, InboxFilter.eligible_now}


FILTER_ORDER: tuple[str, ...] = tuple(InboxFilter)


@dataclass
class Inbox:
    rows: list[Lead]  # this page's rows
    counts: dict[str, int] = field(default_factory=dict)
    total: int = 0
    page: paging.Page[Lead] | None = None  # the rows with their "next page" cursor


def reason_of(lead: Lead) -> str:
    """The inbox filter a lead belongs to; for a lead no longer waiting, what happened to it
    (a RowOutcome), so no page keeps showing the reason it was once held for."""
    if not is_waiting(lead):
        return outcome_of(lead)
    if lead.status == "pending":
        return "low_quality"
    if lead.consent == "yes" and lead.delivery_status in ("new", "ready"):
        return "consented"
    provider = lead.requested_provider
    if lead.mode == "direct" and lead.delivery_status == "pending" and provider is not None:
        # The provider may have changed since the lead was escrowed (claimed, verified...): say
        # what holds it now. The weekly cap needs a count, so it is kept as stored; so is a site
        # outside the provider's service area (a place, not a state of the provider).
        live = eligibility.direct(provider, 0)
        if not live.ok:
            assert live.reason is not None  # a refusal always names its reason
            return live.reason
        kept = (EscrowReason.weekly_cap, EscrowReason.out_of_area)
        return lead.escrow_reason if lead.escrow_reason in kept else "eligible_now"
    return lead.escrow_reason or "unclaimed"


def outcome_of(lead: Lead) -> str:
    if lead.status in ("spam", "cancelled"):
        return f"closed_{lead.status}"
    if lead.status == "completed":
        return "completed"
    if lead.delivery_status == "delivered":
        return "delivered"
    return "with_providers"


def label_of(reason: str, teaser_available: bool) -> str:
    """The words for a reason; a free-plan provider's teaser is only "possible" if unused."""
    if reason == InboxFilter.free_plan and not teaser_available:
        return FREE_PLAN_TEASER_USED
    for states in (InboxFilter, RowOutcome):
        if reason in states.values():
            return states(reason).title
    return reason


def in_inbox_clause() -> ColumnElement[bool]:
    """The leads waiting on staff: exactly the predicate of the partial index ix_leads_waiting
    (app/models/lead.Waiting), so the inbox reads only waiting rows however many leads the
    table holds."""
    return Waiting()


def waiting_leads() -> Select[Lead]:
    """SELECT the leads waiting on staff (through ix_leads_waiting), with what their reason
    reads (the requested provider and its owner): one statement each for all the rows."""
    return (
        select(Lead)
        .where(in_inbox_clause())
        .options(selectinload(Lead.requested_provider).selectinload(Provider.owner))
    )


def metros_waiting(session: Session, also: int | None = None) -> list[Metro]:
    """The metros with a lead waiting on staff (the inbox's metro filter offers these, not every
    metro FogForge serves), and `also` (the one filtered on) even when nothing waits there."""
    waiting_in = select(Lead.metro_id).where(in_inbox_clause())
    return list(
        session.scalars(
            select(Metro)
            .options(load_only(Metro.id, Metro.name))
            .where(or_(Metro.id.in_(waiting_in), Metro.id == also))
            .order_by(Metro.name)
        )
    )


def is_waiting(lead: Lead) -> bool:
    """Is this lead in the escrow inbox (the same rule as in_inbox_clause, for one lead)?"""
    return (
        lead.status == "pending"
        or (lead.status == "verified" and lead.delivery_status == "pending")
        or (lead.status == "verified" and lead.consent == "yes" and lead.delivery_status in ("new", "ready"))
    )


PAGE = 500
PAGE_KEY = (int, datetime, int)  # the rows' order and paging cursor: (emergency first, created_at, id)


def inbox(
    session: Session,
    reason: str | None = None,
    metro_id: int | None = None,
    after: str | None = None,
    size: int = PAGE,
) -> Inbox:
    """Leads waiting on staff, emergencies first, then oldest first, one page of `size` after the cursor `after`, with
    counts per reason over all of them (within the metro filter). Every waiting lead is read
    (through the partial index ix_leads_waiting: only waiting rows, however long the history)
    because a reason is decided in Python from the provider's live eligibility."""
    query = waiting_leads().order_by(case((Lead.urgency == "emergency", 0), else_=1), Lead.created_at, Lead.id)
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
        if lead.urgency == "emergency":
            counts["emergency"] = counts.get("emergency", 0) + 1
    wanted = DIRECT_GROUP if reason == "direct" else {reason}
    if reason == "teaser":
        rows = [lead for lead in leads if lead.id in teasers]
    elif reason == "emergency":
        rows = [lead for lead in leads if lead.urgency == "emergency"]
    else:
        rows = [lead for lead in leads if reason is None or reasons[lead.id] in wanted]
    page = paging.page_of(rows, _order, PAGE_KEY, after=after, size=size)
    return Inbox(rows=page.rows, counts=counts, total=len(leads), page=page)


def _order(lead: Lead) -> tuple[int, datetime, int]:
    """The inbox's order (and its paging cursor): emergencies first, then oldest first."""
    return (0 if lead.urgency == "emergency" else 1, lead.created_at, lead.id)


def teaser_requests(session: Session, leads: list[Lead]) -> set[int]:
    """The "teaser requests" filter: escrowed direct leads whose requested provider is verified,
    on the free plan, not paused, and has not used this ISO week's teaser (so an admin can
    unlock one for it now). One statement for all the providers."""
    available = eligibility.teasers_available(session, requested_providers(leads))
    return {lead.id for lead in leads if lead.requested_provider_id and available.get(lead.requested_provider_id)}


def requested_providers(leads: list[Lead]) -> list:
    """The requested providers of these leads, each once (already loaded with the leads)."""
    return list(
        {lead.requested_provider.id: lead.requested_provider for lead in leads if lead.requested_provider}.values()
    )


def age(lead: Lead, now: datetime | None = None) -> str:
    """ "3 min", "5 h", "2 d": how long the customer has been waiting."""
    seconds = max(0, int(((now or clock.now()) - clock.as_utc(lead.created_at)).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
