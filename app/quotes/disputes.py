"""Disputes: a provider reports a bad lead it holds (wrong contact, spam, duplicate) within 7
days, whatever the mode; an admin refunds it (a ledger entry keyed to the unlock, so never twice)
or rejects it. A direct or broadcast lead cost no credits: on a paid plan the remedy is one
replacement credit (a grant keyed to the lead, so never twice) to spend on the next quote lead;
a free plan's teaser gets no credit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected, insert_once
from app.core.refusal import Refusal
from app.leads import timeline
from app.models import Assignment, Dispute, Provider, User
from app.platform import audit
from app.quotes import credits
from app.quotes.preview import assignment_of
from app.quotes.result import Done

WINDOW = timedelta(days=7)
REASON_LABELS = {
    "wrong_contact": "Wrong contact details",
    "spam": "Spam / not a real request",
    "duplicate": "Duplicate of another lead",
}


def refund_key(assignment: Assignment) -> str:
    return f"refund:unlock:{assignment.lead_id}:{assignment.provider_id}"


def dispute_of(session: Session, assignment_id: int) -> Dispute | None:
    return session.scalar(select(Dispute).where(Dispute.assignment_id == assignment_id))


def report(session: Session, lead_id: int, provider: Provider, reason: str | None, details: str | None) -> Done:
    assignment = assignment_of(session, lead_id, provider.id)
    if assignment is None:
        raise Refusal("You can only report leads you unlocked or received.")
    if reason not in REASON_LABELS:
        raise Refusal("Please choose a reason.", {"reason": "Choose what was wrong with the lead."})
    details = (details or "").strip() or None
    if details and len(details) > 2000:
        raise Refusal("Please shorten the details.", {"details": "Keep it under 2,000 characters."})
    if clock.now() - clock.as_utc(assignment.created_at) > WINDOW:
        raise Refusal("Bad leads can be reported within 7 days of getting them; this one is older.")
    if dispute_of(session, assignment.id) is not None:
        raise Refusal("You already reported this lead.")
    dispute = Dispute(
        assignment_id=assignment.id,
        lead_id=lead_id,
        provider_id=provider.id,
        reason=reason,
        details=details,
        status="open",
        created_at=clock.now(),
    )
    if not insert_once(session, dispute):
        raise Refusal("You already reported this lead.")
    timeline.record(
        session,
        assignment.lead,
        "dispute_opened",
        f"{provider.name} reported the lead: {REASON_LABELS[reason]}",
        data={"dispute_id": dispute.id},
    )
    return Done("Reported. Our team will review it and refund the credits if the lead was bad.")


def queue(session: Session, status: str | None = "open") -> list[Dispute]:
    query = select(Dispute).order_by(Dispute.id.desc()).limit(200)
    if status:
        query = query.where(Dispute.status == status)
    return list(session.scalars(query))


def resolve(
    session: Session, dispute_id: int, action: str, user: User | None, note: str | None, ip: str | None = None
) -> Done:
    """Refund (ledger entry keyed to the unlock; at most once) or reject an open dispute."""
    dispute = session.get(Dispute, dispute_id)
    if dispute is None:
        raise Refusal("No such dispute.")
    if action not in ("refund", "reject"):
        raise Refusal("Choose refund or reject.")
    note = (note or "").strip() or None
    status = "refunded" if action == "refund" else "rejected"
    moved = session.execute(
        update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.status == "open")
        .values(status=status, resolution_note=note, resolved_by=user.id if user else None, resolved_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if affected(moved) != 1:
        session.refresh(dispute)
        raise Refusal(f"This dispute was already {dispute.status}.")
    session.refresh(dispute)
    assignment = dispute.assignment
    refunded = 0
    if action == "refund" and assignment.credits_spent > 0:
        posted = credits.post(
            session,
            assignment.provider_id,
            "refund",
            assignment.credits_spent,
            refund_key(assignment),
            reference=f"lead:{assignment.lead_id}",
            note=note or f"Refund for disputed lead #{assignment.lead_id}",
            created_by=user.id if user else None,
        )
        refunded = assignment.credits_spent if posted.created else 0
    elif action == "refund" and replacement_due(assignment):
        posted = credits.post(
            session,
            assignment.provider_id,
            "grant",
            1,
            f"replacement:{assignment.lead_id}:{assignment.provider_id}",
            reference=f"replacement:lead:{assignment.lead_id}",
            note=note or f"Replacement credit for bad lead #{assignment.lead_id}: use it on your next quote lead",
            created_by=user.id if user else None,
        )
        refunded = 1 if posted.created else 0
    summary = (
        f"Refunded {refunded} credits to {dispute.provider.name} for lead #{dispute.lead_id}"
        if action == "refund"
        else f"Rejected dispute #{dispute.id} from {dispute.provider.name}"
    )
    audit.log(
        session,
        user,
        f"dispute.{action}",
        dispute,
        summary,
        data={"lead_id": dispute.lead_id, "provider_id": dispute.provider_id, "credits": refunded},
        ip=ip,
    )
    timeline.record(session, dispute.lead, f"dispute_{status}", summary, user=user)
    return Done(summary + ".")


def replacement_due(assignment: Assignment) -> bool:
    """A bad direct or broadcast lead on a paid plan earns one replacement credit (not a teaser)."""
    return assignment.kind != "quote" and not assignment.teaser and assignment.provider.is_paid


def remedy(assignment: Assignment) -> str:
    """What the provider gets back if the report is upheld (said before it reports)."""
    if assignment.credits_spent > 0:
        return f"the {assignment.credits_spent} credit{'s' if assignment.credits_spent != 1 else ''} you paid come back"
    if replacement_due(assignment):
        return "you get 1 replacement credit for your next quote lead"
    return "we take note (teaser leads carry no credit)"


def refund_unlock(session: Session, assignment: Assignment, user: User | None, note: str | None = None) -> bool:
    """Refund an unlock directly (idempotent: the key is the unlock's); True if this call refunded."""
    if assignment.credits_spent <= 0:
        return False
    return credits.post(
        session,
        assignment.provider_id,
        "refund",
        assignment.credits_spent,
        refund_key(assignment),
        reference=f"lead:{assignment.lead_id}",
        note=note,
        created_by=user.id if user else None,
    ).created
