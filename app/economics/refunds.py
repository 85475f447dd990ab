"""Money back without asking: ledger refund entries for unlocks that could never pay off.

- the customer's e-mail hard-bounced (5xx at RCPT; `Lead.email_bounced_at`, set by the outbox)
  and no valid phone was given;
- the customer never opened the tracking page (where every quote is) in the 48 hours after the
  unlock (`Lead.customer_seen_at`, written when the customer opens it);
- an admin closed the lead as spam or duplicate after it was unlocked.

Every refund uses the unlock's own idempotency key (the one disputes use too), so an unlock is
refunded at most once whatever the reason, whichever sweep or admin gets there first: two
concurrent sweeps both try, the unique key lets one entry in. A lead the customer opened after
the unlock is never refunded automatically (the provider can still report it)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import String, and_, cast, exists, func, literal, literal_column, or_, select, update
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.core.urls import app_path
from app.leads import timeline
from app.models import Assignment, CreditEntry, Lead, Offer, User
from app.platform import audit, notify, sweep
from app.quotes import credits, disputes

UNOPENED_AFTER = timedelta(hours=48)
LOOK_BACK = timedelta(days=7)  # unlocks older than 48 h + this are not looked at again
SEEN_REFRESH = timedelta(minutes=5)
REASONS = {
    "bounce": "The customer's email bounced and no valid phone was given",
    "unopened": "The customer didn't open the request or any quote within 48 hours",
    "spam": "FogForge closed the lead as spam",
    "duplicate": "FogForge closed the lead as a duplicate",
}
REFERENCE = "auto_refund:"  # + reason: how the dashboard and the credits pages find them


def reason_of(entry: CreditEntry) -> str | None:
    """The automatic reason of a refund entry (None for other entries)."""
    ref = entry.reference or ""
    return ref.removeprefix(REFERENCE) if ref.startswith(REFERENCE) else None


def refund(session: Session, assignment: Assignment, reason: str, user: User | None = None) -> bool:
    """Refund this unlock (once; any reason); True if this call wrote the entry."""
    if assignment.credits_spent <= 0:
        return False
    posted = credits.post(
        session,
        assignment.provider_id,
        "refund",
        assignment.credits_spent,
        disputes.refund_key(assignment),
        reference=f"{REFERENCE}{reason}",
        note=f"{REASONS[reason]} (lead #{assignment.lead_id}).",
        created_by=user.id if user else None,
    )
    if not posted.created:
        return False
    lead = assignment.lead
    n = assignment.credits_spent
    timeline.record(
        session,
        lead,
        "auto_refund",
        f"Refunded {n} credit{'s' if n != 1 else ''} to {assignment.provider.name}: {REASONS[reason]}",
        data={"provider_id": assignment.provider_id, "reason": reason, "credits": n},
    )
    notify.notify(
        session,
        assignment.provider,
        "credits_refunded",
        f"{n} credit{'s' if n != 1 else ''} back for lead #{lead.id}",
        body=f"{REASONS[reason]}. We refunded the unlock automatically.",
        url=app_path("provider.credits"),
        lead_id=lead.id,
    )
    return True


def _not_refunded():
    key = (
        literal("refund:unlock:")
        + cast(Assignment.lead_id, String)
        + literal(":")
        + cast(Assignment.provider_id, String)
    )
    return ~exists().where(CreditEntry.idempotency_key == key)


def _not_seen_since_unlock():
    return or_(Lead.customer_seen_at.is_(None), Lead.customer_seen_at < Assignment.created_at)


def valid_phone(lead: Lead) -> bool:
    return bool(lead.customer_phone) and "invalid_phone" not in (lead.quality_notes or [])


def due(session: Session, limit: int = 200) -> list[tuple[Assignment, str]]:
    """Unlocks owed an automatic refund now, with the reason."""
    now = clock.now()
    base = (
        select(Assignment)
        .join(Lead, Lead.id == Assignment.lead_id)
        .where(
            # a literal 0, as in the partial index ix_assignments_paid_created_at: SQLite uses a
            # partial index only when the query repeats its condition word for word
            Assignment.credits_spent > literal_column("0"),
            # both ends of the range: SQLite then walks that index instead of every assignment by id
            Assignment.created_at.between(now - UNOPENED_AFTER - LOOK_BACK, now),
            _not_seen_since_unlock(),
            _not_refunded(),
        )
    )
    found: dict[int, tuple[Assignment, str]] = {}
    for a in session.scalars(base.where(Lead.email_bounced_at.is_not(None)).order_by(Assignment.id).limit(limit)):
        if not valid_phone(a.lead):
            found[a.id] = (a, "bounce")
    for a in session.scalars(
        base.where(Assignment.created_at <= now - UNOPENED_AFTER).order_by(Assignment.id).limit(limit)
    ):
        found.setdefault(a.id, (a, "unopened"))
    return list(found.values())


@sweep.step("auto_refunds", order=70)
def sweep_refunds(session: Session) -> int:
    """The sweep's part: refund every unlock owed one (idempotent; concurrent sweeps refund once)."""
    return sum(1 for assignment, reason in due(session) if refund(session, assignment, reason))


def record_seen(session: Session, lead_id: int) -> None:
    """The customer opened the tracking page (where its quotes are). One conditional UPDATE,
    that writes only when the stored time is older than a few minutes or than an unlock since."""
    now = clock.now()
    newer_unlock = exists().where(Assignment.lead_id == Lead.id, Assignment.created_at > Lead.customer_seen_at)
    session.execute(
        update(Lead)
        .where(
            Lead.id == lead_id,
            or_(Lead.customer_seen_at.is_(None), Lead.customer_seen_at < now - SEEN_REFRESH, newer_unlock),
        )
        .values(customer_seen_at=now)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------- admin: close after unlock
CLOSE_AS = {"spam": "spam", "duplicate": "cancelled"}  # reason -> the lead status it gets


def close_unlocked(session: Session, lead: Lead, user: User, reason: str, ip: str | None = None) -> str:
    """An admin closes a lead providers already hold as spam or duplicate: the lead is closed,
    open offers end, and every paid unlock is refunded at once (each at most once)."""
    if reason not in CLOSE_AS:
        raise Refusal("Choose spam or duplicate.", {"reason": "Choose spam or duplicate."})
    now = clock.now()
    closed = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.status.in_(("verified", "pending")))
        .values(status=CLOSE_AS[reason], updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(closed) != 1:
        raise Refusal("This lead is already closed.")
    session.execute(
        update(Offer)
        .where(and_(Offer.lead_id == lead.id, Offer.state == "offered"))
        .values(state="expired", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(lead)
    refunded = [a for a in lead.assignments if refund(session, a, reason, user)]
    total = sum(a.credits_spent for a in refunded)
    text = f"Closed as {reason}; refunded {total} credit{'s' if total != 1 else ''} to {len(refunded)} provider(s)"
    timeline.record(
        session, lead, f"closed_{reason}", text, public_text="This request was closed by our team.", user=user
    )
    audit.log(session, user, f"lead.close_{reason}", lead, f"{text}: lead #{lead.id}", ip=ip)
    return text + "."


def per_day(session: Session, since) -> list[tuple[str, int, int]]:
    """(day, refunds, credits) of automatic refunds since `since` (the admin dashboard)."""
    day = func.date(CreditEntry.created_at)
    rows = session.execute(
        select(day, func.count(CreditEntry.id), func.coalesce(func.sum(CreditEntry.amount), 0))
        .where(
            CreditEntry.kind == "refund", CreditEntry.reference.like(f"{REFERENCE}%"), CreditEntry.created_at >= since
        )
        .group_by(day)
        .order_by(day)
    )
    return [(str(d), int(n), int(c)) for d, n, c in rows]


def reason_label(entry: CreditEntry) -> str:
    """Why a refund entry was written, in words (automatic reasons, else a dispute's note)."""
    reason = reason_of(entry)
    if reason is not None:
        return f"Automatic: {REASONS.get(reason, reason)}"
    return f"Dispute: {entry.note}" if entry.note else "Dispute refund"


def recent(session: Session, limit: int = 50) -> list[tuple[CreditEntry, str]]:
    """The latest refund entries with their reason (the admin credits page)."""
    rows = session.scalars(
        select(CreditEntry).where(CreditEntry.kind == "refund").order_by(CreditEntry.id.desc()).limit(limit)
    )
    return [(e, reason_label(e)) for e in rows]
