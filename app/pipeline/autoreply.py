"""The auto-reply (a premium tool): a message the provider writes once, e-mailed to the customer
from FogForge, through the outbox, when the provider gets a lead (direct delivery, broadcast
accept, quote unlock). It names that provider only: never another provider of the lead. Teaser
deliveries do not get it (SPEC: teasers exclude the premium tools)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.core.urls import external_url
from app.models import Assignment
from app.platform import outbox


def premium(assignment: Assignment) -> bool:
    """May this delivery use the premium tools (auto-reply, CSV export)? Not a teaser."""
    return not assignment.teaser


def send(session: Session, assignment: Assignment) -> bool:
    """Queue the provider's auto-reply to the customer for this new lead (once per delivery).
    True if queued."""
    provider = assignment.provider
    lead = assignment.lead
    text = (provider.auto_reply or "").strip()
    if not text or not premium(assignment) or not lead.customer_email:
        return False
    row = outbox.queue_email(
        session,
        kind="auto_reply",
        to=lead.customer_email,
        template="auto_reply",
        lead_id=lead.id,
        context={
            "customer_name": lead.customer_name,
            "category_name": lead.category.name,
            "provider_name": provider.name,
            "message": text,
            "tracking_url": external_url("public.tracking", token=lead.public_token),
        },
        dedupe_key=f"auto_reply:{assignment.id}",
    )
    return row is not None
