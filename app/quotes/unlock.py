"""Unlocking a quote lead with credits.

Races are decided in the database: the unique (lead, provider) assignment makes a double
click unlock once, the conditional UPDATE `unlock_count < max_providers` (plus the CHECK on
leads) caps the unlocks, the wallet's CHECK balance >= 0 and conditional debit refuse an
overdraft, and the whole unlock runs in a SAVEPOINT so a failure writes nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import claim
from app.core.refusal import Refusal
from app.leads import timeline
from app.models import Assignment, Lead, Notification, Provider
from app.pipeline import autoreply, spend
from app.quotes import credits, pricing
from app.quotes.matching import check
from app.quotes.preview import assignment_of
from app.quotes.result import Done

# ---------------------------------------------------------------- unlock
FULL = "Fully unlocked: this lead already has all the providers it asked for. Nothing was charged."


def unlock_key(lead_id: int, provider_id: int) -> str:
    return f"unlock:{lead_id}:{provider_id}"


def unlock(session: Session, lead_id: int, provider: Provider, quoted_price: int | None) -> Done:
    """Unlock the contact for `provider`, charging the price it was shown. One transaction:
    the assignment, the capacity claim, the ledger entry and the wallet debit all happen or
    none does. Unlocking again returns the first unlock and charges nothing."""
    lead = session.get(Lead, lead_id)
    if lead is None or lead.mode != "quotes":
        raise Refusal("There is no such quote lead.")
    existing = unlocked_by(lead, provider.id)
    if existing is not None:
        return Done("You already unlocked this lead.", existing)
    decision = check(session, provider, lead, lock=True)
    if not decision.ok:
        if decision.reason == "no_match":
            raise Refusal("This lead is outside your services or area.")
        raise Refusal(f"You can't unlock quote leads right now: {decision.label.lower()}.")
    if lead.status != "verified" or lead.delivery_status != "quoting":
        raise Refusal("This lead is no longer open for quotes.")
    cost = pricing.lead_price(lead, provider)
    if quoted_price is None or quoted_price != cost:
        raise Refusal(
            f"The price changed to {cost} credit{'s' if cost != 1 else ''}; nothing was charged. "
            "Check it and unlock again.",
            {"price": "The price changed."},
        )
    if spend.over_budget(session, provider, cost):  # decided under the provider's lock (check above)
        raise spend.budget_refusal(session, provider, cost)
    if lead.unlock_count >= lead.max_providers:
        raise full_refusal(session, provider.id, cost)
    notified_at = session.scalar(
        select(func.min(Notification.created_at)).where(
            Notification.lead_id == lead.id,
            Notification.provider_id == provider.id,
            Notification.kind == "quote_available",
        )
    )
    now = clock.now()
    savepoint = session.begin_nested()
    try:
        assignment = Assignment(
            lead=lead,  # joins lead.assignments as loaded (the next unlocked_by sees it)
            provider_id=provider.id,
            kind="quote",
            status="purchased",
            credits_spent=cost,
            notified_at=notified_at,
            created_at=now,
            updated_at=now,
        )
        session.add(assignment)
        session.flush()  # unique (lead, provider): a second click stops here
        credits.post(
            session,
            provider.id,
            "spend",
            -cost,
            unlock_key(lead.id, provider.id),
            reference=f"lead:{lead.id}",
            note=f"Unlocked quote lead #{lead.id}",
        )
        claimed = claim(  # the UPDATE returns what it wrote into `lead`: no refresh SELECT
            session,
            lead,
            [Lead.status == "verified", Lead.delivery_status == "quoting", Lead.unlock_count < Lead.max_providers],
            dict(unlock_count=Lead.unlock_count + 1, updated_at=now),
        )
        if not claimed:
            savepoint.rollback()
            raise Refusal(FULL)
    except IntegrityError:
        savepoint.rollback()
        existing = assignment_of(session, lead.id, provider.id)
        if existing is not None:
            return Done("You already unlocked this lead.", existing)
        raise Refusal(FULL) from None
    except credits.InsufficientCredits:
        savepoint.rollback()
        raise short_of_credits(cost, credits.balance(session, provider.id)) from None
    savepoint.commit()
    autoreply.send(session, assignment)
    timeline.record(
        session,
        lead,
        "quote_unlocked",
        f"{provider.name} unlocked the lead for {cost} credit{'s' if cost != 1 else ''} "
        f"({lead.unlock_count}/{lead.max_providers})",
        public_text=f"{provider.name} is looking at your request and may contact you.",
        data={"provider_id": provider.id, "credits": cost},
    )
    return Done(
        f"Unlocked for {cost} credit{'s' if cost != 1 else ''}. The customer's contact is below."
        if cost
        else "Unlocked (free on Pro). The customer's contact is below.",
        assignment,
    )


def unlocked_by(lead: Lead, provider_id: int) -> Assignment | None:
    """The provider's unlock among the lead's assignments, loaded with the lead: no SELECT of
    its own. One committed after they were read is still caught, by the unique (lead,
    provider) the INSERT below meets."""
    return next((a for a in lead.assignments if a.provider_id == provider_id), None)


def full_refusal(session: Session, provider_id: int, cost: int) -> Refusal:
    """The refusal for a lead already full when read (unlocks only ever grow, so it still is):
    the one the writes would end in, without making them. They debit before they claim a
    place, so a provider short of credits hears that first (a free unlock never is)."""
    have = credits.balance(session, provider_id) if cost > 0 else 0
    return short_of_credits(cost, have) if have < cost else Refusal(FULL)


def short_of_credits(cost: int, have: int) -> Refusal:
    return Refusal(
        f"Not enough credits: this lead costs {cost} and you have {have}. Top up to unlock; nothing was charged.",
        {"credits": "Not enough credits."},
    )
