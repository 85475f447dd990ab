"""Verification: a provider submits evidence; an admin approves (listing -> verified) or
rejects it with a note. Every decision is audited and told to the provider."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import clock
from app.core.db import affected
from app.core.refusal import Refusal
from app.core.urls import external_url
from app.direct import release
from app.models import Provider, User, VerificationRequest
from app.platform import audit, notify


def latest_for(session: Session, provider_id: int) -> VerificationRequest | None:
    return session.scalar(
        select(VerificationRequest)
        .where(VerificationRequest.provider_id == provider_id)
        .order_by(VerificationRequest.id.desc())
        .limit(1)
    )


def submit(
    session: Session, provider: Provider, user: User, *, licence_number: str, service_phone: str, note: str | None
) -> VerificationRequest:
    if provider.status == "verified":
        raise Refusal("Your listing is already verified.")
    if provider.status != "claimed":
        raise Refusal("This listing can't be verified right now. Contact us.")
    if user.email_confirmed_at is None:
        raise Refusal("Confirm your email address first: we send the decision there.")
    request = VerificationRequest(
        provider_id=provider.id,
        submitted_by_id=user.id,
        licence_number=licence_number.strip(),
        service_phone=service_phone,
        note=(note or "").strip() or None,
        status="pending",
    )
    try:
        with session.begin_nested():  # one pending request per provider (partial unique index)
            session.add(request)
            session.flush()
    except IntegrityError:
        raise Refusal("You already have a request waiting for review.") from None
    return request


def queue(session: Session, status: str = "pending", limit: int = 200) -> list[VerificationRequest]:
    query = select(VerificationRequest).where(VerificationRequest.status == status)
    query = query.order_by(VerificationRequest.id if status == "pending" else VerificationRequest.id.desc())
    return list(session.scalars(query.limit(limit)))


def decide(
    session: Session, request_id: int, admin: User, *, approve: bool, note: str | None, ip: str | None = None
) -> VerificationRequest:
    """Approve or reject a pending request; Refusal if it was already decided (by anyone)."""
    now = clock.now()
    note = (note or "").strip() or None
    result = session.execute(
        update(VerificationRequest)
        .where(VerificationRequest.id == request_id, VerificationRequest.status == "pending")
        .values(
            status="approved" if approve else "rejected",
            admin_note=note,
            decided_by_id=admin.id,
            decided_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        raise Refusal("Someone already decided this request.")
    request = session.get_one(VerificationRequest, request_id)  # the UPDATE above just moved it
    session.refresh(request)
    provider = request.provider
    if approve:
        session.execute(
            update(Provider)
            .where(Provider.id == provider.id, Provider.status == "claimed")
            .values(status="verified", verified_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.refresh(provider)
    verb = "Approved" if approve else "Rejected"
    audit.log(
        session,
        admin,
        "verification.approve" if approve else "verification.reject",
        request,
        f"{verb} verification of {provider.name}" + (f": {note}" if note else ""),
        data={"provider_id": provider.id, "note": note},
        ip=ip,
    )
    title = "Your listing is verified" if approve else "Your verification request needs another look"
    notify.notify(
        session,
        provider,
        "verification",
        title,
        body=note,
        url="/provider/",
        email_template="verification_decision",
        email_context={
            "approved": approve,
            "note": note or "",
            "provider_name": provider.name,
            "dashboard_url": external_url("provider.dashboard"),
        },
    )
    if approve:
        release.release_for_provider(session, provider)
    return request
