"""What a provider may see of leads: its own deliveries in full, and (claimed-unverified
providers in metros with `unverified_preview` on) masked previews of direct requests waiting
for it in escrow. Entitlement to contact data = an Assignment row for (lead, provider)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.leads import eligibility, masking
from app.models import Assignment, Lead, Provider


@dataclass
class InboxItem:
    lead_id: int
    shown: dict  # masking.for_viewer(...) output: the only lead data templates receive
    assignment: Assignment | None
    mode: str

    @property
    def locked(self) -> bool:
        return self.assignment is None


def entitled(session: Session, lead_id: int, provider_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment).where(Assignment.lead_id == lead_id, Assignment.provider_id == provider_id)
    )


def may_preview(lead: Lead, provider: Provider) -> bool:
    """A claimed (unverified) provider sees its escrowed direct requests masked, if the metro allows."""
    return (
        provider.status == "claimed"
        and lead.mode == "direct"
        and lead.status == "verified"
        and lead.delivery_status == "pending"
        and lead.requested_provider_id == provider.id
        and bool(lead.metro.unverified_preview)
    )


PAGE = 200


def items(session: Session, provider: Provider | None) -> list[InboxItem]:
    """The provider's latest 200 deliveries, then its masked escrow previews (the pipeline inbox,
    app/pipeline/inbox.py, pages the deliveries without a cap; it takes `previews` from here)."""
    if provider is None:
        return []
    result = [
        InboxItem(a.lead_id, masking.for_viewer(a.lead, entitled=True), a, a.lead.mode)
        for a in session.scalars(
            select(Assignment)
            .options(joinedload(Assignment.lead))  # the leads: in the same statement
            .where(Assignment.provider_id == provider.id)
            .order_by(Assignment.created_at.desc(), Assignment.id.desc())
            .limit(200)
        )
    ]
    return result + previews(session, provider)


def previews(session: Session, provider: Provider | None) -> list[InboxItem]:
    """Masked previews of direct requests waiting in escrow for a claimed provider (if the metro allows)."""
    if provider is None or provider.status != "claimed":
        return []
    waiting = session.scalars(
        select(Lead)
        .where(
            Lead.mode == "direct",
            Lead.status == "verified",
            Lead.delivery_status == "pending",
            Lead.requested_provider_id == provider.id,
        )
        .order_by(Lead.created_at.desc())
    )
    return [
        InboxItem(lead.id, masking.preview(lead), None, lead.mode) for lead in waiting if may_preview(lead, provider)
    ]


@dataclass(frozen=True)
class Held:
    """Direct requests for this provider that wait in escrow and are not shown in its inbox."""

    count: int
    reason: str | None  # eligibility reason key: what releases them ("unverified", "free_plan", ...)


def held(session: Session, provider: Provider | None, shown: list[InboxItem]) -> Held:
    """So an inbox never says "No requests yet" while a request waits for this provider."""
    if provider is None:
        return Held(0, None)
    previewed = {i.lead_id for i in shown if i.locked}
    ids = session.scalars(
        select(Lead.id).where(
            Lead.mode == "direct",
            Lead.status == "verified",
            Lead.delivery_status == "pending",
            Lead.requested_provider_id == provider.id,
        )
    ).all()
    count = len([i for i in ids if i not in previewed])
    reason = eligibility.direct(provider, 0).reason
    return Held(count, reason or "weekly_cap")


def item(session: Session, provider: Provider | None, lead_id: int) -> InboxItem | None:
    """One lead for this provider: full if entitled, masked if it may preview, else None."""
    if provider is None:
        return None
    assignment = entitled(session, lead_id, provider.id)
    if assignment is not None:
        return InboxItem(lead_id, masking.for_viewer(assignment.lead, entitled=True), assignment, assignment.lead.mode)
    lead = session.get(Lead, lead_id)
    if lead is not None and may_preview(lead, provider):
        return InboxItem(lead_id, masking.preview(lead), None, lead.mode)
    return None
