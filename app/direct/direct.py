"""Direct leads (issue 4): deliver to the requested provider when it is eligible, else escrow.

Delivery is decided by one conditional UPDATE on the lead (from "ready" or "pending" to
"delivered"), so routing, an admin release and an automatic release can never deliver the
same lead twice; the unique (lead, provider) assignment is the last line of defence.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.core.urls import app_path, external_url
from app.leads import eligibility, masking, pool_query, routing, timeline
from app.models import Assignment, Lead, Provider, User
from app.models.lead import EscrowReason
from app.pipeline import autoreply
from app.platform import notify
from app.platform.push import PushText


@routing.router("direct")
def route(session: Session, lead: Lead) -> None:
    """The direct router (called by routing.route with the lead claimed as "ready")."""
    provider = lead.requested_provider
    if provider is None:
        escrow(session, lead, "unclaimed")
        return
    decision = eligibility.check_direct(session, provider, lock=True)
    if decision.ok and not pool_query.lead_covered_by(provider, lead):
        escrow(session, lead, EscrowReason.out_of_area)  # the site is outside its service area
    elif decision.ok:
        deliver(session, lead, provider)
    else:
        assert decision.reason is not None  # a refusal always names its reason
        escrow(session, lead, decision.reason)


def escrow(session: Session, lead: Lead, reason: str) -> bool:
    """Hold the lead for the requested provider (delivery_status "pending") with the reason."""
    now = clock.now()
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.delivery_status == "ready")
        .values(delivery_status="pending", escrow_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return False
    session.refresh(lead)
    name = lead.requested_provider.name if lead.requested_provider else "the provider"
    words = eligibility.customer_reason(reason, name)  # in words, never the provider's plan
    ask_now = eligibility.consent_wait(lead.metro, lead.urgency).total_seconds() <= 0
    timeline.record(
        session,
        lead,
        "escrowed",
        f"Held in escrow for {name}: {EscrowReason(reason).title}"
        + (" (emergency)" if lead.urgency == "emergency" else ""),
        public_text=(
            f"{words} "
            + (
                "Because it's an emergency, we're asking you now whether we may offer it to other providers."
                if ask_now
                else "We won't send your request to anyone else without asking you first."
            )
        ).strip(),
        data={"reason": reason},
    )
    return True


def deliver(
    session: Session,
    lead: Lead,
    provider: Provider,
    *,
    teaser: bool = False,
    user: User | None = None,
    how: str = "routing",
) -> Assignment | None:
    """Give `lead` to `provider`: assignment, full contact in its inbox, in-app + email.

    Returns None (and changes nothing) if the lead was already delivered or closed."""
    now = clock.now()
    result = session.execute(
        update(Lead)
        .where(
            Lead.id == lead.id,
            Lead.mode == "direct",
            Lead.status == "verified",
            Lead.delivery_status.in_(("ready", "pending")),
        )
        .values(delivery_status="delivered", assigned_provider_id=provider.id, escrow_reason=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return None
    session.refresh(lead)
    assignment = Assignment(
        lead_id=lead.id, provider_id=provider.id, kind="direct", status="delivered", teaser=teaser, notified_at=now
    )
    session.add(assignment)
    session.flush()
    autoreply.send(session, assignment)
    label = {
        "routing": "Delivered",
        "release": "Released by admin",
        "auto": "Released automatically",
        "teaser": "Unlocked by admin as this week's teaser",
    }[how]
    timeline.record(
        session,
        lead,
        "delivered",
        f"{label} to {provider.name}" + (" (teaser)" if teaser else ""),
        public_text=f"Sent to {provider.name}. They have your details and should contact you shortly.",
        user=user,
        data={"provider_id": provider.id, "teaser": teaser, "how": how},
    )
    notify_delivered(session, lead, provider)
    return assignment


def notify_delivered(session: Session, lead: Lead, provider: Provider) -> None:
    """In-app + email "New direct request". The provider is entitled: the email carries the contact."""
    shown = masking.for_viewer(lead, entitled=True)
    title = f"New direct request: {shown['category']} in {shown['city']}"
    notify.notify(
        session,
        provider,
        "direct_lead",
        title,
        body=f"{shown['customer_name']} asked for you by name. Urgency: {lead.urgency.replace('_', ' ')}.",
        url=app_path("provider.inbox_lead", lead_id=lead.id),
        lead_id=lead.id,
        email_template="direct_lead",
        email_context={
            "lead": {
                k: shown[k]
                for k in (
                    "customer_name",
                    "customer_email",
                    "customer_phone",
                    "business_name",
                    "street",
                    "city",
                    "postal_code",
                    "metro",
                    "category",
                    "description",
                    "urgency",
                    "preferred_time",
                )
            },
            "lead_url": external_url("provider.inbox_lead", lead_id=lead.id),
            "received": clock.local(clock.now(), provider.home_metro.timezone).strftime("%b %-d, %-I:%M %p %Z"),
        },
        dedupe_key=f"lead:{lead.id}:direct:{provider.id}",
        push_text=PushText(
            title=f"New direct request: {masking.push_subject(lead)}",
            body=f"{masking.push_urgency(lead)[0]} · asked for you by name",
            urgent=masking.push_urgency(lead)[1],
        ),
    )
