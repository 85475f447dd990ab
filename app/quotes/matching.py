"""Quote leads go to matching providers (best tier first, fair rotation); the top ones are told."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import claim, keyset
from app.core.urls import app_path, external_url
from app.leads import eligibility, masking, routing, timeline
from app.leads import pool_query as pq
from app.models import Lead, Provider
from app.pipeline import spend
from app.platform import notify, sweep
from app.platform.push import PushText
from app.quotes import credits, pricing

NOTIFY_TOP = 10


# ---------------------------------------------------------------- matching and routing
def serves(provider: Provider, lead: Lead) -> bool:
    """Category, metro (home or extra) and service area (radius or listed ZIPs) match."""
    in_area = provider.home_metro_id == lead.metro_id or any(m.id == lead.metro_id for m in provider.extra_metros)
    return in_area and any(c.id == lead.category_id for c in provider.categories) and pq.lead_covered_by(provider, lead)


def check(session: Session, provider: Provider, lead: Lead, *, lock: bool = False) -> eligibility.Eligibility:
    """May `provider` receive/unlock quote lead `lead`? Same rule as direct delivery plus match.
    `lock=True` when deciding an unlock (the weekly cap is counted under the provider's lock)."""
    decision = eligibility.check_direct(session, provider, lock=lock)
    if not decision.ok:
        return decision
    if not serves(provider, lead):
        return eligibility.Eligibility(False, "no_match")
    return decision


def candidates(session: Session, lead: Lead, limit: int = NOTIFY_TOP) -> list[Provider]:
    """The top `limit` eligible providers in one statement: verified, paid (or in trial), not
    paused, under the weekly cap, in the lead's metro, category and service area; pro -> growth
    -> starter, then least recently offered, nearest, fastest (app/leads/pool_query.py)."""
    rows = pq.pick(session, lead, tiers=["pro", "growth", "starter"], members="paid", limit=limit)
    ids = [row.id for row in rows]
    if not ids:
        return []
    by_id = {p.id: p for p in session.scalars(select(Provider).where(Provider.id.in_(ids)))}
    return [by_id[i] for i in ids]


@routing.router("quotes")
def route(session: Session, lead: Lead) -> None:
    """The quotes router (routing.route calls it with the lead claimed as "ready")."""
    chosen = candidates(session, lead)[:NOTIFY_TOP]
    now = clock.now()
    if not chosen:
        _move_on(session, lead, dict(delivery_status="pending", escrow_reason="no_matching_provider", updated_at=now))
        timeline.record(
            session,
            lead,
            "escrow",
            "No matching provider for quotes: held for admin",
            public_text="We're finding providers for your request; our team is on it.",
            data={"reason": "no_matching_provider"},
        )
        return
    _move_on(session, lead, dict(delivery_status="quoting", updated_at=now))
    shown = masking.preview(lead)
    for provider in chosen:
        provider.last_offered_at = now
    held = credits.balances(session, [provider.id for provider in chosen])
    notify.notify_all(session, [available(session, lead, provider, shown, held[provider.id]) for provider in chosen])
    timeline.record(
        session,
        lead,
        "quotes_requested",
        f"Quote lead sent to {len(chosen)} providers: " + ", ".join(p.name for p in chosen),
        public_text=f"We asked {len(chosen)} matching provider{'s' if len(chosen) != 1 else ''} "
        f"to quote. Up to {lead.max_providers} can respond.",
        data={"provider_ids": [p.id for p in chosen]},
    )


def _move_on(session: Session, lead: Lead, values: dict) -> None:
    """Move the lead on from "ready" (routing.route claimed it so): the UPDATE returns what it wrote
    into `lead`, no refresh SELECT. Had another writer moved it first, `lead` is read again, as
    it always was."""
    if not claim(session, lead, [Lead.delivery_status == "ready"], values):
        session.refresh(lead)


def available(session: Session, lead: Lead, provider: Provider, shown: dict, balance: int) -> notify.Note:
    """The "quote request" notification for one provider, with its own price and `balance`
    (read for all the chosen providers at once)."""
    cost = pricing.lead_price(lead, provider)
    short = balance < cost
    title = f"Quote request: {shown['category']} in {shown['city']}"
    body = f"Unlock for {cost} credit{'s' if cost != 1 else ''}" if cost else "Unlock free on Pro"
    if short:
        body += f" — you have {balance}: top up to unlock"
    over = spend.over_budget(session, provider, cost)
    if over:
        body += " — over your weekly budget"
    return notify.Note(
        provider,
        "quote_available",
        title,
        body=body,
        url=app_path("provider.quote_lead", lead_id=lead.id),
        lead_id=lead.id,
        email_template="quote_available",
        email_context={
            "lead": {k: shown[k] for k in ("customer_name", "city", "metro", "category", "description")},
            "urgency": lead.urgency,
            "budget": lead.budget,
            "cost": cost,
            "balance": balance,
            "short": short,
            "over_budget": over,
            "max_providers": lead.max_providers,
            "lead_url": external_url("provider.quote_lead", lead_id=lead.id),
            "credits_url": external_url("provider.credits"),
        },
        dedupe_key=f"quote_available:{lead.id}:{provider.id}",
        push_text=PushText(
            title=f"Quote request: {masking.push_subject(lead)}",
            body=body,
            urgent=masking.push_urgency(lead)[1],
        ),
    )


@sweep.step("quotes_rerouted", order=50)
def reroute_unmatched(session: Session, limit: int = 100) -> int:
    """The sweep's part: quote leads held for lack of providers are sent out once some match
    (a provider verified, upgraded or unpaused). Each lead is claimed by a conditional UPDATE."""
    routed = 0
    for lead in keyset(
        session,
        select(Lead).where(
            Lead.mode == "quotes",
            Lead.status == "verified",
            Lead.delivery_status == "pending",
            Lead.escrow_reason == "no_matching_provider",
        ),
        Lead.id,
        limit,
    ):
        if not candidates(session, lead, limit=1):
            continue
        if claim(
            session,
            lead,
            [Lead.delivery_status == "pending", Lead.escrow_reason == "no_matching_provider"],
            dict(delivery_status="ready", escrow_reason=None, updated_at=clock.now()),
        ):
            route(session, lead)
            routed += 1
    return routed
