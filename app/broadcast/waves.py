"""Timed offer waves: start, expand at each deadline, fall back to the escrow inbox after the last.

`start` snapshots the metro's wave plan onto the lead and opens the first wave that has
anyone eligible (empty waves are skipped at once). `expand` moves a lead from wave N to the
next; the RQ job scheduled at the deadline and the sweep both call it with the wave they
expect, and one conditional UPDATE (`WHERE current_wave = :expected AND delivery_status =
'offering'`) lets only the first do it. After the last wave the lead falls back to the admin
escrow inbox ("unaccepted_broadcast")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from app.broadcast import sla
from app.broadcast.pool import Candidate, choose
from app.broadcast.wave_plan import plan_of
from app.core import clock
from app.core.db import affected, claim, insert_returning, loaded
from app.core.urls import app_path, external_url
from app.leads import masking, routing, timeline
from app.leads.intake import URGENCY_LABELS
from app.models import EscrowReason, Lead, Offer, Provider, User
from app.models.metro import default_wave_plan
from app.models.provider import TIER_RANK
from app.platform import changes, notify, outbox, sweep
from app.platform.push import PushText

ESCROW_REASON = EscrowReason.unaccepted_broadcast


EARLY_TOLERANCE = timedelta(seconds=1)


# ---------------------------------------------------------------------------- waves
@routing.router("broadcast")
def start(session: Session, lead: Lead, *, user: User | None = None) -> bool:
    """Start (or, for an admin, restart) the waves: snapshot the plan and open the first
    wave that has anyone eligible. From "ready" (routing), or "pending" (a consented direct
    escrow lead, or an unaccepted broadcast being restarted). Returns False if it was not in
    a startable state."""
    now = clock.now()
    if not claim(
        session,
        lead,
        [
            Lead.status == "verified",
            Lead.mode == "broadcast",
            or_(
                Lead.delivery_status == "ready",
                and_(Lead.delivery_status == "pending", Lead.escrow_reason == ESCROW_REASON),
            ),
        ],
        {
            "mode": "broadcast",
            "delivery_status": "offering",
            "escrow_reason": None,
            "current_wave": 0,
            "wave_deadline": None,
            "wave_plan": list(lead.metro.wave_plan or default_wave_plan()),
            "updated_at": now,
        },
    ):
        return False
    if user is not None:
        timeline.record(
            session,
            lead,
            "waves_restarted",
            "Offer waves restarted by admin",
            user=user,
            public_text="We're offering your request to providers again.",
        )
    expand(session, lead.id, 0, lead=lead)  # the lead as the claim above just wrote it
    return True


def expand(
    session: Session, lead_id: int, expected_wave: int, *, now_ok: bool = False, lead: Lead | None = None
) -> str:
    """Open the next wave after `expected_wave` that has anyone eligible, or fall back after
    the last. Returns "expanded", "fallback", "early" (before the deadline: nothing done) or
    "skipped" (the lead was not at that wave: a duplicate or late job, or already accepted).
    `lead` is passed only by a caller that has just written it (`start`); everyone else's
    lead is read again, never trusted from a stale identity map."""
    if lead is None:
        lead = session.get(Lead, lead_id, populate_existing=True)
    if lead is None or lead.delivery_status != "offering" or lead.current_wave != expected_wave:
        return "skipped"
    if not now_ok and lead.wave_deadline is not None and clock.now() < lead.wave_deadline - EARLY_TOLERANCE:
        return "early"  # a job run before its time; the sweep (or the next job) does it at the deadline
    plan = plan_of(lead)
    already = {o.provider_id for o in lead.offers if o.state != "expired"}
    priority = lead.urgency == "emergency"
    wave_no = expected_wave
    chosen: list[Candidate] = []
    skipped: list[int] = []  # waves with no one eligible
    while not chosen:
        wave_no += 1
        if wave_no > len(plan):
            return "fallback" if fallback(session, lead, expected_wave, skipped) else "skipped"
        chosen = choose(session, lead, plan[wave_no - 1], already, priority=priority)
        if not chosen:
            skipped.append(wave_no)
    now = clock.now()
    deadline = now + timedelta(minutes=int(plan[wave_no - 1]["minutes"]))
    if not claim(
        session,
        lead,
        [Lead.status == "verified", Lead.delivery_status == "offering", Lead.current_wave == expected_wave],
        {"current_wave": wave_no, "wave_deadline": deadline, "updated_at": now},
    ):
        return "skipped"
    if expected_wave:  # wave N's window closed unanswered by those still open in it (issue 13)
        sla.mark_missed(session, lead, expected_wave)
    for n in skipped:
        timeline.record(session, lead, "wave_skipped", f"Wave {n} skipped: nobody eligible", data={"wave": n})
    if expected_wave:  # (before the first wave no offer is open: a restart expired them all)
        _extend_open_offers(session, lead, deadline, now)
    total = _offer_to(session, lead, chosen, wave_no, now, deadline)
    first = expected_wave == 0
    timeline.record(
        session,
        lead,
        "wave_opened",
        f"Wave {wave_no} of {len(plan)}: offered to {len(chosen)} more "
        f"({', '.join(sorted({c.tier for c in chosen}, key=TIER_RANK.__getitem__))}), "
        f"{total} in all; window closes {deadline:%H:%M:%S} UTC",
        public_text=(
            f"Offered to {total} provider{'s' if total != 1 else ''} near you."
            if first
            else f"Expanded to {total} providers."
        ),
        data={"wave": wave_no, "provider_ids": [c.provider_id for c in chosen], "deadline": deadline.isoformat()},
    )
    # No job is scheduled for the deadline: the sweep owns deadlines (it wakes for `next_deadline`).
    return "expanded"


def _extend_open_offers(session: Session, lead: Lead, deadline: datetime, now: datetime) -> None:
    """Earlier offers stay open (waves are cumulative): their window now ends with this wave."""
    extended = dict(
        session.execute(
            update(Offer)
            .where(Offer.lead_id == lead.id, Offer.state == "offered")
            .values(expires_at=deadline, updated_at=now)
            .returning(Offer.id, Offer.provider_id)
            .execution_options(synchronize_session=False)
        ).all()
    )
    for offer in lead.offers:  # the loaded offers as the UPDATE left them
        if offer.id in extended:
            loaded(offer, {"expires_at": deadline, "updated_at": now})
    changes.touch(session, *extended.values())  # their countdowns move


@dataclass(frozen=True)
class Made:
    """An offer just made, as its notification needs it."""

    id: int
    provider: Provider
    restricted: bool
    offered_at: datetime
    expires_at: datetime


def _offer_to(session: Session, lead: Lead, chosen: list[Candidate], wave_no: int, now, deadline) -> int:
    """Offer the lead to `chosen` and tell them; returns how many offers are now open or
    declined (what the timeline says). New offers are one INSERT, not ORM objects: a wave
    writes several, and the lead's offers are read again when next needed."""
    existing = {o.provider_id: o for o in lead.offers}
    offer_ids: dict[int, int] = {}  # provider id -> offer id
    for c in chosen:
        offer = existing.get(c.provider_id)
        if offer is not None:  # offered before a restart and expired: offer again
            offer.state, offer.wave, offer.offered_at, offer.expires_at = "offered", wave_no, now, deadline
            offer.responded_at, offer.decline_reason, offer.restricted = None, None, c.restricted
            offer_ids[c.provider_id] = offer.id
    fresh = [c for c in chosen if c.provider_id not in existing]
    total = sum(o.state in ("offered", "declined") for o in existing.values()) + len(fresh)
    row = {"lead_id": lead.id, "wave": wave_no, "offered_at": now, "expires_at": deadline, "state": "offered"}
    new_rows = [{**row, "provider_id": c.provider_id, "restricted": c.restricted} for c in fresh]
    # (the offers offered again are flushed by this INSERT, or with none new by the UPDATE below)
    for written in insert_returning(session, Offer, new_rows, Offer.provider_id, Offer.id):
        offer_ids[written.provider_id] = written.id
    session.expire(lead, ["offers"])
    ids = [c.provider_id for c in chosen]
    # fair rotation: they go to the back of their tier's queue, and the UPDATE returns the
    # providers the notifications need (their owners in one more statement). Providers this
    # session already holds are kept as loaded (what they have loaded stays), with the new time.
    providers = {
        p.id: p
        for p in session.scalars(
            update(Provider)
            .where(Provider.id.in_(ids))
            .values(last_offered_at=now)
            .returning(Provider)
            .options(selectinload(Provider.owner)),
            execution_options={"synchronize_session": False},
        )
    }
    for provider in providers.values():
        loaded(provider, {"last_offered_at": now})
    changes.touch(session, *ids)
    made = [Made(offer_ids[c.provider_id], providers[c.provider_id], c.restricted, now, deadline) for c in chosen]
    shown = {r: masking.restricted_preview(lead) if r else masking.preview(lead) for r in {m.restricted for m in made}}
    notify.notify_all(session, [_new_offer(lead, offer, shown[offer.restricted]) for offer in made])
    return total


def _new_offer(lead: Lead, offer: Made, shown: dict) -> notify.Note:
    """The "new offer" notification; `shown` is the lead's (restricted) preview."""
    title = f"New lead: {shown['category']} in {shown['city']}"
    tz = offer.provider.home_metro.timezone
    return notify.Note(
        offer.provider,
        "new_offer",
        title,
        # what became of the offer is added when the notification is shown (open, taken, closed)
        body=f"{shown['customer_name']} · {URGENCY_LABELS.get(lead.urgency, lead.urgency)}.",
        url=app_path("provider.offers"),
        lead_id=lead.id,
        email_template="offer_new",
        email_context={
            "lead": email_lead(shown),
            "restricted": offer.restricted,
            "offers_url": external_url("provider.offers"),
            "closes": _local(offer.expires_at, tz, "%-I:%M %p %Z") if offer.expires_at else "",
            "received": _local(clock.now(), tz, "%b %-d, %-I:%M %p %Z"),
        },
        dedupe_key=f"offer:{offer.id}:{offer.offered_at.isoformat()}:new",
        push_text=_offer_push(lead, offer),
    )


def _offer_push(lead: Lead, offer: Made) -> PushText:
    """The lock-screen text: "New offer: grease trap pumping in Houston", "5:00 to accept · …"."""
    urgency, emergency = masking.push_urgency(lead)
    return PushText(
        title=f"New offer: {masking.push_subject(lead)}",
        body="Verify your listing to accept" if offer.restricted else urgency,
        expires_at=offer.expires_at,
        urgent=emergency,
        url=app_path("provider.offers") + f"#offer-{offer.id}",
    )


def _local(value: datetime, tz: str, fmt: str) -> str:
    return clock.local(value, tz).strftime(fmt)


def email_lead(shown: dict) -> dict:
    """The part of the preview an offer email shows (labels and formats: the templates)."""
    keys = (
        "customer_name",
        "customer_email",
        "customer_phone",
        "city",
        "postal_code",
        "metro",
        "category",
        "description",
        "urgency",
        "budget",
    )
    return {k: shown.get(k) for k in keys}


def fallback(session: Session, lead: Lead, expected_wave: int, skipped: list[int] | None = None) -> bool:
    """No one accepted in any wave: hand the lead to admins and tell the customer."""
    now = clock.now()
    result = session.execute(
        update(Lead)
        .where(
            Lead.id == lead.id,
            Lead.status == "verified",
            Lead.delivery_status == "offering",
            Lead.current_wave == expected_wave,
        )
        .values(delivery_status="pending", escrow_reason=ESCROW_REASON, wave_deadline=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected(result) != 1:
        return False
    if expected_wave:  # the last window closed: its open offers went unanswered (issue 13)
        sla.mark_missed(session, lead, expected_wave)
    expired = session.scalars(
        update(Offer)
        .where(Offer.lead_id == lead.id, Offer.state == "offered")
        .values(state="expired", updated_at=now)
        .returning(Offer.provider_id)
        .execution_options(synchronize_session=False)
    ).all()
    changes.touch(session, *expired)
    session.refresh(lead)
    session.expire(lead, ["offers"])
    offered = len(lead.offers)
    timeline.record(
        session,
        lead,
        "broadcast_unaccepted",
        f"No provider accepted after {offered} offer(s); waiting in the admin escrow inbox (unaccepted broadcast)"
        + (f"; skipped empty wave(s) {', '.join(map(str, skipped))}" if skipped else ""),
        public_text="We're still looking for a provider. Our team is on it and will email you.",
        data={"offers": offered},
    )
    if lead.customer_email:
        outbox.queue_email(
            session,
            kind="still_looking",
            to=lead.customer_email,
            template="customer_still_looking",
            lead_id=lead.id,
            dedupe_key=f"lead:{lead.id}:still_looking:{lead.updated_at.isoformat()}",
            context={
                "customer_name": lead.customer_name,
                "category_name": lead.category.name,
                "metro_name": lead.metro.name,
                "tracking_url": external_url("public.tracking", token=lead.public_token),
            },
        )
    return True


def overdue(session: Session, now: datetime | None = None, limit: int = 500) -> list[tuple[int, int]]:
    """(lead id, current wave) of every offering lead whose wave deadline has passed."""
    now = now or clock.now()
    return [
        (lead_id, wave)
        for lead_id, wave in session.execute(
            select(Lead.id, Lead.current_wave)
            .where(Lead.delivery_status == "offering", Lead.wave_deadline <= now)
            .order_by(Lead.wave_deadline)
            .limit(limit)
        ).all()
    ]


def overdue_backlog(session: Session) -> tuple[int, datetime | None]:
    """(how many, since when) offering leads are past their wave deadline: for /healthz."""
    count, oldest = session.execute(
        select(func.count(Lead.id), func.min(Lead.wave_deadline)).where(
            Lead.delivery_status == "offering", Lead.wave_deadline <= clock.now()
        )
    ).one()
    return count, clock.as_utc(oldest)


def next_deadline(session: Session) -> datetime | None:
    """The next wave deadline still to come (the sweep loop wakes for it)."""
    return clock.as_utc(
        session.scalar(
            select(func.min(Lead.wave_deadline)).where(
                Lead.delivery_status == "offering", Lead.wave_deadline > clock.now()
            )
        )
    )


def first_deadline(session: Session) -> datetime | None:
    """The earliest wave deadline of any offering lead, passed or still to come (the policy
    simulator's loop: one statement says both whether a wave is overdue and when the next is)."""
    return clock.as_utc(session.scalar(select(func.min(Lead.wave_deadline)).where(Lead.delivery_status == "offering")))


@sweep.step("waves", order=20, backlog=overdue_backlog, next_due=next_deadline)
def expand_overdue(session: Session) -> int:
    """The sweep's part: expand every overdue lead (each in a savepoint); returns how many moved."""
    moved = 0
    for lead_id, wave in overdue(session):
        try:
            with session.begin_nested():
                moved += expand(session, lead_id, wave) in ("expanded", "fallback")
        except Exception:  # noqa: BLE001 - one bad lead must not strand the others
            current_app.logger.exception("sweep could not expand lead %s", lead_id)
    return moved
