"""Broadcast leads (issue 5): timed offer waves, exclusive first accept, no stranded lead.

- `start` snapshots the metro's wave plan onto the lead and opens the first wave that has
  anyone eligible (empty waves are skipped at once).
- `expand` moves a lead from wave N to the next; the RQ job scheduled at the deadline and the
  sweep both call it with the wave they expect, and one conditional UPDATE
  (`WHERE current_wave = :expected AND delivery_status = 'offering'`) lets only the first do it.
  After the last wave the lead falls back to the admin escrow inbox ("unaccepted_broadcast").
- `accept` is decided by one conditional UPDATE on the lead; the partial unique index on
  offers (one accepted per lead) is the last line of defence.

Pool and order rules are pure functions (`pool_member`, `order_key`, `choose_wave`) fed with
`Candidate` rows looked up by `candidates`.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from app.models import Assignment, Category, Lead, Metro, Offer, Provider, User
from app.models.metro import POOL_POLICIES, default_wave_plan
from app.models.provider import PAID_TIERS, TIER_RANK, TIERS
from app.queue import enqueue_after_commit
from app.services import audit, clock, eligibility, masking, notify, outbox, timeline
from app.services.urls import app_path, external_url

ESCROW_REASON = "unaccepted_broadcast"
EARLY_TOLERANCE = timedelta(seconds=1)
MAX_WAVES = 6
MAX_WAVE_SIZE = 50
MAX_WAVE_MINUTES = 24 * 60

DECLINE_REASONS = {
    "too_far": "Too far away",
    "too_busy": "Fully booked",
    "not_our_service": "Not a service we offer",
    "other": "Other",
}


# ---------------------------------------------------------------------------- pure rules
@dataclass(frozen=True)
class Candidate:
    """What the pool rules need to know about one provider (looked up by `candidates`)."""

    provider_id: int
    status: str  # verified / claimed / ...
    tier: str  # effective tier (a Growth trial counts as growth)
    home: bool  # the lead's metro is the provider's home metro
    paused: bool = False
    under_cap: bool = True
    teaser_left: bool = True
    last_offered_at: datetime | None = None
    median_accept_seconds: float | None = None

    @property
    def restricted(self) -> bool:
        """Claimed-unverified (aggressive policy): restricted preview, cannot accept."""
        return self.status != "verified"


def pool_member(c: Candidate, policy: str, *, priority: bool = False) -> bool:
    """Whether the metro's pool policy lets `c` receive a broadcast offer at all.

    strict: verified + paid. balanced: verified paid, plus verified free providers with a
    teaser left this week in their home metro. aggressive: balanced plus claimed-unverified
    (restricted: they cannot accept). Teasers are never priority (emergency) leads."""
    if c.paused or not c.under_cap or c.status in ("suspended", "unclaimed"):
        return False
    paid = c.tier in PAID_TIERS
    if c.status == "claimed":
        return policy == "aggressive" and (paid or c.home)
    if c.status != "verified":
        return False
    if paid:
        return True
    return policy != "strict" and c.home and c.teaser_left and not priority


def order_key(c: Candidate):
    """Within a wave: able-to-accept first, higher tier, least recently offered (never offered
    first), then the faster median accept time, then the older listing."""
    last = c.last_offered_at.timestamp() if c.last_offered_at else float("-inf")
    median = c.median_accept_seconds if c.median_accept_seconds is not None else float("inf")
    return (c.restricted, TIER_RANK[c.tier], last, median, c.provider_id)


def choose_wave(candidates: list[Candidate], wave: dict, policy: str, already: set[int],
                *, priority: bool = False) -> list[Candidate]:
    """Who a wave adds: up to `size` pool members of its tiers not offered the lead yet."""
    tiers = set(wave["tiers"])
    fitting = [c for c in candidates if c.provider_id not in already and c.tier in tiers
               and pool_member(c, policy, priority=priority)]
    return sorted(fitting, key=order_key)[: int(wave["size"])]


def validate_plan(rows: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Check an admin's wave plan. `rows` are {"tiers": [...], "size": str, "minutes": str}
    (blank rows already dropped). Returns (plan, errors by field name "wave-N-field")."""
    plan, errors, seen = [], {}, {}
    if not rows:
        errors["waves"] = "Add at least one wave: pick its tiers, how many providers and how many minutes."
    if len(rows) > MAX_WAVES:
        errors["waves"] = f"At most {MAX_WAVES} waves."
    for n, row in enumerate(rows, start=1):
        tiers = [t for t in TIERS if t in (row.get("tiers") or [])]
        bad = [t for t in row.get("tiers") or [] if t not in TIERS]
        if not tiers or bad:
            errors[f"wave-{n}-tiers"] = f"Wave {n}: pick at least one tier (pro, growth, starter or free)."
        for t in tiers:
            if t in seen:
                errors[f"wave-{n}-tiers"] = f"Wave {n}: {t} is already in wave {seen[t]}; a tier belongs to one wave."
            seen.setdefault(t, n)
        size = _whole(row.get("size"))
        if size is None or not 1 <= size <= MAX_WAVE_SIZE:
            errors[f"wave-{n}-size"] = f"Wave {n}: providers must be a whole number from 1 to {MAX_WAVE_SIZE}."
        minutes = _whole(row.get("minutes"))
        if minutes is None or not 1 <= minutes <= MAX_WAVE_MINUTES:
            errors[f"wave-{n}-minutes"] = (f"Wave {n}: the window must be a whole number of minutes "
                                           f"from 1 to {MAX_WAVE_MINUTES}.")
        plan.append({"tiers": tiers, "size": size, "minutes": minutes})
    if "free" in seen and seen["free"] != len(rows) and f"wave-{seen['free']}-tiers" not in errors:
        # Teaser leads are "never priority" (seed 004): free providers come in the last wave.
        errors[f"wave-{seen['free']}-tiers"] = (f"Wave {seen['free']}: verified-free providers (teasers) "
                                                "can only be in the last wave.")
    return plan, errors


def _whole(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------- pool lookup
def candidates(session: Session, lead: Lead) -> list[Candidate]:
    """Providers of the lead's metro (home or extra) and category, with what the rules need."""
    providers = list(session.scalars(
        select(Provider).where(
            Provider.categories.any(Category.id == lead.category_id),
            or_(Provider.home_metro_id == lead.metro_id, Provider.extra_metros.any(Metro.id == lead.metro_id)),
            Provider.status.in_(("verified", "claimed")),
            Provider.paused.is_(False),
        )
    ))
    medians = median_accept_seconds(session, [p.id for p in providers])
    result = []
    for p in providers:
        tier = p.effective_tier
        result.append(Candidate(
            provider_id=p.id, status=p.status, tier=tier, home=p.home_metro_id == lead.metro_id,
            paused=p.paused,
            under_cap=eligibility.under_cap(p, eligibility.deliveries_this_week(session, p.id)),
            teaser_left=tier in PAID_TIERS or eligibility.teaser_available(session, p),
            last_offered_at=p.last_offered_at, median_accept_seconds=medians.get(p.id),
        ))
    return result


def median_accept_seconds(session: Session, provider_ids: list[int]) -> dict[int, float]:
    """Median seconds from offer to accept, per provider (providers with no accepts absent)."""
    if not provider_ids:
        return {}
    rows = session.execute(
        select(Offer.provider_id, Offer.offered_at, Offer.responded_at)
        .where(Offer.provider_id.in_(provider_ids), Offer.state == "accepted", Offer.responded_at.is_not(None))
    ).all()
    times: dict[int, list[float]] = {}
    for pid, offered, responded in rows:
        times.setdefault(pid, []).append((responded - offered).total_seconds())
    return {pid: statistics.median(ts) for pid, ts in times.items()}


def plan_of(lead: Lead) -> list[dict]:
    return lead.wave_plan or lead.metro.wave_plan or default_wave_plan()


# ---------------------------------------------------------------------------- waves
def start(session: Session, lead: Lead, *, user: User | None = None) -> bool:
    """Start (or, for an admin, restart) the waves: snapshot the plan and open the first
    wave that has anyone eligible. From "ready" (routing), or "pending" (a consented direct
    escrow lead, or an unaccepted broadcast being restarted). Returns False if it was not in
    a startable state."""
    now = clock.now()
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.status == "verified", Lead.mode == "broadcast",
               or_(Lead.delivery_status == "ready",
                   and_(Lead.delivery_status == "pending", Lead.escrow_reason == ESCROW_REASON)))
        .values(mode="broadcast", delivery_status="offering", escrow_reason=None, current_wave=0,
                wave_deadline=None, wave_plan=list(lead.metro.wave_plan or default_wave_plan()),
                updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    session.refresh(lead)
    if user is not None:
        timeline.record(session, lead, "waves_restarted", "Offer waves restarted by admin", user=user,
                        public_text="We're offering your request to providers again.")
    expand(session, lead.id, 0)
    return True


def expand(session: Session, lead_id: int, expected_wave: int, *, now_ok: bool = False) -> str:
    """Open the next wave after `expected_wave` that has anyone eligible, or fall back after
    the last. Returns "expanded", "fallback", "early" (before the deadline: nothing done) or
    "skipped" (the lead was not at that wave: a duplicate or late job, or already accepted)."""
    lead = session.get(Lead, lead_id, populate_existing=True)  # never trust a stale identity map here
    if lead is None or lead.delivery_status != "offering" or lead.current_wave != expected_wave:
        return "skipped"
    if not now_ok and lead.wave_deadline is not None and clock.now() < lead.wave_deadline - EARLY_TOLERANCE:
        return "early"  # a job run before its time; the sweep (or the next job) does it at the deadline
    plan = plan_of(lead)
    already = {o.provider_id for o in lead.offers if o.state != "expired"}
    pool = candidates(session, lead)
    priority = lead.urgency == "emergency"
    wave_no, chosen, skipped = expected_wave, [], []
    while not chosen:
        wave_no += 1
        if wave_no > len(plan):
            return "fallback" if fallback(session, lead, expected_wave, skipped) else "skipped"
        chosen = choose_wave(pool, plan[wave_no - 1], lead.metro.pool_policy, already, priority=priority)
        if not chosen:
            skipped.append(wave_no)
    now = clock.now()
    deadline = now + timedelta(minutes=int(plan[wave_no - 1]["minutes"]))
    claimed = session.execute(
        update(Lead)
        .where(Lead.id == lead_id, Lead.status == "verified", Lead.delivery_status == "offering",
               Lead.current_wave == expected_wave)
        .values(current_wave=wave_no, wave_deadline=deadline, updated_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return "skipped"
    session.refresh(lead)
    for n in skipped:
        timeline.record(session, lead, "wave_skipped", f"Wave {n} skipped: nobody eligible", data={"wave": n})
    # Earlier offers stay open (waves are cumulative): their window now ends with this wave.
    session.execute(update(Offer).where(Offer.lead_id == lead_id, Offer.state == "offered")
                    .values(expires_at=deadline, updated_at=now).execution_options(synchronize_session=False))
    _offer_to(session, lead, chosen, wave_no, now, deadline)
    total = sum(o.state in ("offered", "declined") for o in lead.offers)
    first = expected_wave == 0
    timeline.record(
        session, lead, "wave_opened",
        f"Wave {wave_no} of {len(plan)}: offered to {len(chosen)} more "
        f"({', '.join(sorted({c.tier for c in chosen}, key=TIER_RANK.get))}), "
        f"{total} in all; window closes {deadline:%H:%M:%S} UTC",
        public_text=(f"Offered to {total} provider{'s' if total != 1 else ''} near you." if first
                     else f"Expanded to {total} providers."),
        data={"wave": wave_no, "provider_ids": [c.provider_id for c in chosen], "deadline": deadline.isoformat()})
    enqueue_after_commit(session, "app.jobs.expand_wave", lead_id, wave_no, at=deadline)
    return "expanded"


def _offer_to(session: Session, lead: Lead, chosen: list[Candidate], wave_no: int, now, deadline) -> None:
    existing = {o.provider_id: o for o in lead.offers}
    made = []
    for c in chosen:
        offer = existing.get(c.provider_id)
        if offer is not None:  # offered before a restart and expired: offer again
            offer.state, offer.wave, offer.offered_at, offer.expires_at = "offered", wave_no, now, deadline
            offer.responded_at, offer.decline_reason, offer.restricted = None, None, c.restricted
        else:
            offer = Offer(lead_id=lead.id, provider_id=c.provider_id, wave=wave_no, offered_at=now,
                          expires_at=deadline, state="offered", restricted=c.restricted)
            session.add(offer)
        made.append(offer)
    for c in chosen:  # fair rotation: they go to the back of their tier's queue
        session.get(Provider, c.provider_id).last_offered_at = now
    session.flush()
    for offer in made:
        _notify_new_offer(session, lead, offer)
    session.expire(lead, ["offers"])


def _notify_new_offer(session: Session, lead: Lead, offer: Offer) -> None:
    shown = masking.restricted_preview(lead) if offer.restricted else masking.preview(lead)
    title = f"New lead: {shown['category']} in {shown['city']}"
    cta = "Verify your listing to accept." if offer.restricted else "First to accept gets it."
    notify.notify(
        session, offer.provider, "new_offer", title,
        body=f"{shown['customer_name']} · {lead.urgency.replace('_', ' ')}. {cta}",
        url=app_path("provider.offers"), lead_id=lead.id, email_template="offer_new",
        email_context={"lead": _email_lead(shown), "restricted": offer.restricted,
                       "offers_url": external_url("provider.offers"),
                       "closes": offer.expires_at.strftime("%H:%M UTC") if offer.expires_at else ""},
        dedupe_key=f"offer:{offer.id}:{offer.offered_at.isoformat()}:new")


def _email_lead(shown: dict) -> dict:
    keys = ("customer_name", "customer_email", "customer_phone", "city", "metro", "category",
            "description", "urgency", "budget")
    return {k: shown.get(k) for k in keys}


def fallback(session: Session, lead: Lead, expected_wave: int, skipped: list[int] | None = None) -> bool:
    """No one accepted in any wave: hand the lead to admins and tell the customer."""
    now = clock.now()
    result = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.status == "verified", Lead.delivery_status == "offering",
               Lead.current_wave == expected_wave)
        .values(delivery_status="pending", escrow_reason=ESCROW_REASON, wave_deadline=None, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    session.execute(update(Offer).where(Offer.lead_id == lead.id, Offer.state == "offered")
                    .values(state="expired", updated_at=now).execution_options(synchronize_session=False))
    session.refresh(lead)
    session.expire(lead, ["offers"])
    offered = len(lead.offers)
    timeline.record(
        session, lead, "broadcast_unaccepted",
        f"No provider accepted after {offered} offer(s); waiting in the admin escrow inbox (unaccepted broadcast)"
        + (f"; skipped empty wave(s) {', '.join(map(str, skipped))}" if skipped else ""),
        public_text="We're still looking for a provider. Our team is on it and will email you.",
        data={"offers": offered})
    if lead.customer_email:
        outbox.queue_email(
            session, kind="still_looking", to=lead.customer_email, template="customer_still_looking",
            lead_id=lead.id, dedupe_key=f"lead:{lead.id}:still_looking:{lead.updated_at.isoformat()}",
            context={"customer_name": lead.customer_name, "category_name": lead.category.name,
                     "metro_name": lead.metro.name,
                     "tracking_url": external_url("public.tracking", token=lead.public_token)})
    return True


def overdue(session: Session, now: datetime | None = None, limit: int = 500) -> list[tuple[int, int]]:
    """(lead id, current wave) of every offering lead whose wave deadline has passed."""
    now = now or clock.now()
    return [tuple(r) for r in session.execute(
        select(Lead.id, Lead.current_wave)
        .where(Lead.delivery_status == "offering", Lead.wave_deadline <= now)
        .order_by(Lead.wave_deadline).limit(limit)).all()]


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


# ---------------------------------------------------------------------------- accept / decline
class Refused(Exception):
    """An accept or decline that cannot happen; `str(exc)` says why, for the provider."""


STATE_REASONS = {
    "taken": "Another provider accepted this lead first.",
    "expired": "This offer has closed.",
    "declined": "You declined this offer.",
}


def check_can_accept(session: Session, offer: Offer) -> None:
    """Raise Refused with the reason when this provider may not accept this offer now."""
    provider = offer.provider
    if offer.state != "offered":
        raise Refused(STATE_REASONS.get(offer.state, "This offer is no longer open."))
    if provider.status == "suspended":
        raise Refused("Your listing is suspended, so it cannot accept leads.")
    if provider.status != "verified":  # a restricted offer becomes acceptable once verified
        raise Refused("Verify your listing to accept leads.")
    if provider.paused:
        raise Refused("Your listing is paused. Resume it in your settings to accept leads.")
    if provider.weekly_cap is not None or not provider.is_paid:
        # The weekly cap and the teaser count this provider's other leads: take its row lock
        # so two accepts of different leads by the same provider are counted one after the other.
        eligibility.lock_provider(session, provider.id)
    if not eligibility.under_cap(provider, eligibility.deliveries_this_week(session, provider.id)):
        raise Refused("You have reached your weekly lead cap.")
    if not provider.is_paid and not eligibility.teaser_available(session, provider):
        raise Refused("You have used this week's free lead. Start a Growth trial to accept more.")


def accept(session: Session, offer_id: int, provider_id: int, *, user: User | None = None) -> Assignment:
    """The provider accepts its offer. Exactly one accept per lead wins: the conditional
    UPDATE on the lead decides; losers get Refused("Another provider accepted…")."""
    offer = session.get(Offer, offer_id)
    if offer is None or offer.provider_id != provider_id:
        raise Refused("This offer is not yours.")
    if offer.state == "accepted":
        return session.scalar(select(Assignment).where(Assignment.lead_id == offer.lead_id,
                                                       Assignment.provider_id == provider_id))
    check_can_accept(session, offer)
    now = clock.now()
    won = session.execute(
        update(Lead)
        .where(Lead.id == offer.lead_id, Lead.status == "verified", Lead.delivery_status == "offering",
               Lead.assigned_provider_id.is_(None))
        .values(assigned_provider_id=provider_id, delivery_status="accepted", wave_deadline=None, updated_at=now)
        .execution_options(synchronize_session=False))
    if won.rowcount != 1:
        session.refresh(offer.lead)
        taken = offer.lead.assigned_provider_id not in (None, provider_id)
        raise Refused(STATE_REASONS["taken" if taken else "expired"])
    mine = session.execute(
        update(Offer).where(Offer.id == offer_id, Offer.state == "offered")
        .values(state="accepted", responded_at=now, updated_at=now).execution_options(synchronize_session=False))
    if mine.rowcount != 1:  # cannot happen while the lead UPDATE above holds; never half-accept
        raise Refused(STATE_REASONS["expired"])
    taken_ids = set(session.scalars(
        update(Offer).where(Offer.lead_id == offer.lead_id, Offer.id != offer_id, Offer.state == "offered")
        .values(state="taken", updated_at=now).returning(Offer.id).execution_options(synchronize_session=False)))
    lead = offer.lead
    session.refresh(lead)
    session.expire(lead, ["offers"])
    provider = offer.provider
    teaser = not provider.is_paid
    assignment = Assignment(lead_id=lead.id, provider_id=provider_id, kind="broadcast", status="delivered",
                            teaser=teaser, notified_at=offer.offered_at)
    session.add(assignment)
    session.flush()
    waited = int((now - offer.offered_at).total_seconds())
    timeline.record(
        session, lead, "accepted",
        f"Accepted by {provider.name} in wave {offer.wave}, {waited}s after the offer"
        + (" (teaser)" if teaser else ""),
        public_text=f"Accepted by {provider.name}. They have your details and will contact you shortly.",
        user=user, actor=f"provider:{provider_id}",
        data={"provider_id": provider_id, "offer_id": offer_id, "wave": offer.wave, "teaser": teaser})
    audit.log(session, user, "offer.accept", lead, f"{provider.name} accepted broadcast lead #{lead.id}",
              data={"offer_id": offer_id, "provider_id": provider_id, "teaser": teaser})
    _tell_customer_accepted(session, lead, provider)
    for other in lead.offers:
        if other.id in taken_ids:
            _notify_taken(session, lead, other)
    return assignment


def _tell_customer_accepted(session: Session, lead: Lead, provider: Provider) -> None:
    if not lead.customer_email:
        return
    outbox.queue_email(
        session, kind="accepted_by", to=lead.customer_email, template="customer_accepted_by",
        lead_id=lead.id, dedupe_key=f"lead:{lead.id}:accepted_by",
        context={"customer_name": lead.customer_name, "category_name": lead.category.name,
                 "provider_name": provider.name, "provider_phone": provider.phone,
                 "profile_url": external_url("public.provider", slug=provider.slug),
                 "tracking_url": external_url("public.tracking", token=lead.public_token)})


def _notify_taken(session: Session, lead: Lead, offer: Offer) -> None:
    shown = masking.preview(lead)
    notify.notify(
        session, offer.provider, "lead_taken", f"Taken: {shown['category']} in {shown['city']}",
        body="Another provider accepted this lead first. Faster answers win more leads.",
        url=app_path("provider.offers"), lead_id=lead.id, email_template="lead_taken",
        email_context={"category": shown["category"], "city": shown["city"],
                       "offers_url": external_url("provider.offers")},
        dedupe_key=f"offer:{offer.id}:taken:{offer.offered_at.isoformat()}")


def decline(session: Session, offer_id: int, provider_id: int, reason: str | None = None) -> Offer:
    """Decline an open offer (a stat, not a penalty). `reason` is a DECLINE_REASONS key or None."""
    if reason and reason not in DECLINE_REASONS:
        raise Refused("Pick a reason from the list, or none.")
    offer = session.get(Offer, offer_id)
    if offer is None or offer.provider_id != provider_id:
        raise Refused("This offer is not yours.")
    now = clock.now()
    done = session.execute(
        update(Offer).where(Offer.id == offer_id, Offer.state == "offered")
        .values(state="declined", decline_reason=reason or None, responded_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    session.refresh(offer)
    if done.rowcount != 1:
        raise Refused(STATE_REASONS.get(offer.state, "This offer is no longer open."))
    lead = offer.lead
    timeline.record(session, lead, "offer_declined",
                    f"{offer.provider.name} declined" + (f": {DECLINE_REASONS[reason]}" if reason else ""),
                    data={"offer_id": offer_id, "provider_id": provider_id, "reason": reason})
    session.expire(lead, ["offers"])
    if lead.delivery_status == "offering" and not any(o.state == "offered" for o in lead.offers):
        # Everyone offered so far said no: don't make the customer wait for the deadline.
        expand(session, lead.id, lead.current_wave, now_ok=True)
    return offer


# ---------------------------------------------------------------------------- admin
def assign_by_hand(session: Session, lead: Lead, provider: Provider, user: User, ip: str | None = None) -> Assignment:
    """Admin: give an unaccepted broadcast lead to a provider (verified, matching category)."""
    if not provider.is_verified:
        raise Refused(f"{provider.name} is not verified.")
    if lead.category_id not in {c.id for c in provider.categories}:
        raise Refused(f"{provider.name} does not offer {lead.category.name.lower()}.")
    now = clock.now()
    won = session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.status == "verified", Lead.mode == "broadcast", Lead.delivery_status == "pending",
               Lead.escrow_reason == ESCROW_REASON, Lead.assigned_provider_id.is_(None))
        .values(assigned_provider_id=provider.id, delivery_status="accepted", escrow_reason=None,
                wave_deadline=None, updated_at=now)
        .execution_options(synchronize_session=False))
    if won.rowcount != 1:
        raise Refused("This lead is no longer waiting for a provider.")
    session.refresh(lead)
    assignment = session.scalar(select(Assignment).where(Assignment.lead_id == lead.id,
                                                         Assignment.provider_id == provider.id))
    if assignment is None:
        assignment = Assignment(lead_id=lead.id, provider_id=provider.id, kind="broadcast",
                                status="delivered", notified_at=now)
        session.add(assignment)
        session.flush()
    timeline.record(session, lead, "assigned_by_admin", f"Assigned by hand to {provider.name}", user=user,
                    public_text=f"Accepted by {provider.name}. They have your details and will contact you shortly.",
                    data={"provider_id": provider.id})
    audit.log(session, user, "broadcast.assign", lead, f"Assigned broadcast lead #{lead.id} to {provider.name}",
              data={"provider_id": provider.id}, ip=ip)
    shown = masking.full(lead)
    notify.notify(session, provider, "broadcast_assigned", f"New lead for you: {shown['category']} in {shown['city']}",
                  body=f"Assigned by FogForge: {shown['customer_name']}.", url=app_path("provider.offers"),
                  lead_id=lead.id, email_template="offer_assigned",
                  email_context={"lead": _email_lead(shown), "offers_url": external_url("provider.offers")},
                  dedupe_key=f"lead:{lead.id}:assigned:{provider.id}")
    _tell_customer_accepted(session, lead, provider)
    return assignment


def restart(session: Session, lead: Lead, user: User, ip: str | None = None) -> bool:
    """Admin: offer an unaccepted broadcast lead again from the first wave."""
    if not (lead.delivery_status == "pending" and lead.escrow_reason == ESCROW_REASON):
        raise Refused("Only unaccepted broadcast leads can be restarted.")
    audit.log(session, user, "broadcast.restart", lead, f"Restarted offer waves for lead #{lead.id}", ip=ip)
    return start(session, lead, user=user)


def hand_assign_choices(session: Session, lead: Lead) -> list[Provider]:
    """Verified providers of the lead's metro (home or extra) and category, best tier first."""
    providers = session.scalars(select(Provider).where(
        Provider.categories.any(Category.id == lead.category_id),
        or_(Provider.home_metro_id == lead.metro_id, Provider.extra_metros.any(Metro.id == lead.metro_id)),
        Provider.status == "verified"))
    return sorted(providers, key=lambda p: (TIER_RANK[p.effective_tier], p.name))


def unaccepted(session: Session) -> list[Lead]:
    return list(session.scalars(select(Lead).where(
        Lead.delivery_status == "pending", Lead.escrow_reason == ESCROW_REASON).order_by(Lead.updated_at)))


def live(session: Session) -> list[Lead]:
    return list(session.scalars(select(Lead).where(Lead.delivery_status == "offering").order_by(Lead.wave_deadline)))


# ---------------------------------------------------------------------------- views' helpers
def is_entitled(session: Session, lead_id: int, provider_id: int) -> bool:
    return session.scalar(select(Assignment.id).where(Assignment.lead_id == lead_id,
                                                      Assignment.provider_id == provider_id)) is not None


def offers_for(session: Session, provider_id: int, limit: int = 30) -> list[Offer]:
    """The provider's open offers first (soonest deadline), then the latest closed ones."""
    open_ = list(session.scalars(select(Offer).where(Offer.provider_id == provider_id, Offer.state == "offered")
                                 .order_by(Offer.expires_at, Offer.id)))
    closed = list(session.scalars(select(Offer).where(Offer.provider_id == provider_id, Offer.state != "offered")
                                  .order_by(Offer.updated_at.desc(), Offer.id.desc()).limit(limit)))
    return open_ + closed


def new_offers(session: Session, provider_id: int, after_id: int) -> list[Offer]:
    """Open offers newer than `after_id` (the live page's poller), newest first."""
    return list(session.scalars(select(Offer).where(Offer.provider_id == provider_id, Offer.id > after_id,
                                                    Offer.state == "offered").order_by(Offer.id.desc())))


@dataclass(frozen=True)
class Card:
    """What one offer card shows, masked according to the viewer's entitlement."""

    offer: Offer
    lead: dict
    state: str  # open / restricted / mine / taken / expired / declined
    seconds_left: int
    more_waves: bool
    final: bool


def card(session: Session, offer: Offer) -> Card:
    lead = offer.lead
    mine = offer.state == "accepted" and is_entitled(session, lead.id, offer.provider_id)
    restricted = offer.restricted and not offer.provider.is_verified
    if mine:
        shown = masking.full(lead)
    elif restricted:
        shown = masking.restricted_preview(lead)
    else:
        shown = masking.preview(lead)
    state = {"accepted": "mine", "offered": "restricted" if restricted else "open"}.get(offer.state, offer.state)
    left = 0
    if offer.state == "offered" and lead.wave_deadline is not None:
        left = max(0, int((lead.wave_deadline - clock.now()).total_seconds()))
    more = lead.delivery_status == "offering" and lead.current_wave < len(plan_of(lead))
    return Card(offer=offer, lead=shown, state=state, seconds_left=left, more_waves=more,
                final=offer.state != "offered")


def policy_choices() -> tuple[str, ...]:
    return POOL_POLICIES


def summary(lead: Lead) -> dict:
    """Counts for the tracking page and admin: offered so far, declined, wave."""
    offers = list(lead.offers)
    return {"offered": len(offers), "declined": sum(o.state == "declined" for o in offers),
            "wave": lead.current_wave, "waves": len(plan_of(lead))}


def tracking_view(lead: Lead):
    """The broadcast part of the customer's tracking page (None: not a broadcast state)."""
    from app.services.tracking import TrackingView

    if lead.mode != "broadcast":
        return None
    if lead.delivery_status == "accepted" and lead.assigned_provider is not None:
        p = lead.assigned_provider
        return TrackingView(f"Accepted by {p.name}",
                            f"{p.name} has your details and will contact you shortly.", "good", True)
    if lead.delivery_status == "offering":
        n = summary(lead)["offered"]
        return TrackingView(
            "Finding a provider",
            f"Offered to {n} {lead.category.name.lower()} provider{'s' if n != 1 else ''} in {lead.metro.name} "
            "so far. The first to accept will contact you.", "waiting", False)
    if lead.delivery_status == "pending" and lead.escrow_reason == ESCROW_REASON:
        return TrackingView(
            "Still looking",
            "No provider has accepted yet. Our team is finding one for you and will email you.",
            "waiting", False)
    return None

