"""What a provider sees of a quote lead before unlocking: a masked preview that counts views."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.core import clock
from app.leads import masking
from app.leads import pool_query as pq
from app.models import Assignment, Lead, Provider, QuoteView
from app.pipeline import spend
from app.quotes import credits, pricing
from app.quotes.matching import check, serves


# ---------------------------------------------------------------- what a provider sees
def assignment_of(session: Session, lead_id: int, provider_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment).where(Assignment.lead_id == lead_id, Assignment.provider_id == provider_id)
    )


def view_count(session: Session, lead_id: int) -> int:
    return session.scalar(select(func.count(QuoteView.id)).where(QuoteView.lead_id == lead_id)) or 0


def may_preview(provider: Provider, lead: Lead) -> bool:
    """Verified listings serving the lead's category and area see the masked preview."""
    return provider.status == "verified" and lead.mode == "quotes" and serves(provider, lead)


def record_view(session: Session, lead: Lead, provider: Provider) -> bool:
    """Count this provider's first look at the preview; later looks change nothing."""
    return (
        credits.insert_ignore(
            session, QuoteView, {"lead_id": lead.id, "provider_id": provider.id, "created_at": clock.now()}
        )
        == 1
    )


def visible_leads(session: Session, provider: Provider, limit: int = 100) -> list[Lead]:
    """Quote leads this provider may look at: open ones it serves, and every one it unlocked."""
    mine = select(Assignment.lead_id).where(Assignment.provider_id == provider.id)
    if provider.status != "verified":  # unverified and suspended listings see only their own unlocks
        return list(
            session.scalars(
                select(Lead).where(Lead.mode == "quotes", Lead.id.in_(mine)).order_by(Lead.id.desc()).limit(limit)
            )
        )
    in_area = [provider.home_metro_id] + [m.id for m in provider.extra_metros]
    cats = [c.id for c in provider.categories]
    query = (
        select(Lead)
        .where(
            Lead.mode == "quotes",
            or_(
                Lead.id.in_(mine),
                (Lead.status == "verified")
                & (Lead.delivery_status == "quoting")
                & Lead.metro_id.in_(in_area)
                & Lead.category_id.in_(cats),
            ),
        )
        .order_by(Lead.id.desc())
        .limit(limit)
    )
    mine_ids = set(session.scalars(mine))
    covered = pq.coverage_of(session, provider)  # open leads outside its service area are not listed
    return [lead for lead in session.scalars(query) if lead.id in mine_ids or covered(lead)]


@dataclass
class Card:
    """One quote lead as a provider sees it (contact masked unless it unlocked)."""

    lead: Lead
    data: dict
    cost: int
    views: int
    unlocks: int
    max_providers: int
    assignment: Assignment | None
    balance: int
    blocked: str | None  # why this provider cannot unlock, if it cannot

    @property
    def full(self) -> bool:
        return self.unlocks >= self.max_providers

    @property
    def competition(self) -> str:
        return f"{self.unlocks}/{self.max_providers} unlocked"

    @property
    def can_afford(self) -> bool:
        return self.balance >= self.cost


def card(session: Session, lead: Lead, provider: Provider) -> Card:
    assignment = assignment_of(session, lead.id, provider.id)
    blocked = None
    if assignment is None:
        decision = check(session, provider, lead)
        if not decision.ok:
            blocked = (
                "This lead is outside your services or area."
                if decision.reason == "no_match"
                else f"You can't unlock quote leads right now: {decision.label.lower()}."
            )
        elif lead.status != "verified" or lead.delivery_status != "quoting":
            blocked = "This lead is no longer open."
        elif lead.unlock_count >= lead.max_providers:
            blocked = "Fully unlocked: this lead has all the providers it asked for."
        elif spend.over_budget(session, provider, pricing.lead_price(lead, provider)):
            blocked = "Over your weekly budget: raise it (Spend and tools) to unlock this lead."
    return Card(
        lead=lead,
        data=masking.for_viewer(lead, assignment is not None),
        cost=assignment.credits_spent if assignment else pricing.lead_price(lead, provider),
        views=view_count(session, lead.id),
        unlocks=lead.unlock_count,
        max_providers=lead.max_providers,
        assignment=assignment,
        balance=credits.balance(session, provider.id),
        blocked=blocked,
    )
