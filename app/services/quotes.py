"""Quote leads (issue 6, seed 000): route to matching providers, masked previews that count
views, credit-priced unlocks for up to `max_providers`, assignment transitions, the
customer's choice.

Races are decided in the database: the unique (lead, provider) assignment makes a double
click unlock once, the conditional UPDATE `unlock_count < max_providers` (plus the CHECK on
leads) caps the unlocks, the wallet's CHECK balance >= 0 and conditional debit refuse an
overdraft, and the whole unlock runs in a SAVEPOINT so a failure writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Assignment, Lead, Notification, Provider, QuoteView
from app.models.provider import TIER_RANK, provider_categories, provider_metros
from app.services import clock, credits, eligibility, masking, notify, outbox, pricing, timeline
from app.services.batches import keyset
from app.services.urls import app_path, external_url

NOTIFY_TOP = 10
OPEN_STATUSES = ("purchased", "contacted", "quoted")
# provider actions on an unlocked lead: action -> statuses it may come from
TRANSITIONS = {
    "contacted": ("purchased",),
    "quoted": ("purchased", "contacted"),
    "lost": ("purchased", "contacted", "quoted"),
}
STATUS_LABELS = {"purchased": "Unlocked", "contacted": "Contacted", "quoted": "Quoted", "won": "Won",
                 "lost": "Lost"}


@dataclass(frozen=True)
class Result:
    ok: bool
    message: str
    assignment: Assignment | None = None
    errors: dict = field(default_factory=dict)  # field name -> why


def _refuse(message: str, **errors) -> Result:
    return Result(False, message, errors=errors)


# ---------------------------------------------------------------- matching and routing
def serves(provider: Provider, lead: Lead) -> bool:
    """Category and service area (home or extra metro) match."""
    in_area = provider.home_metro_id == lead.metro_id or any(m.id == lead.metro_id for m in provider.extra_metros)
    return in_area and any(c.id == lead.category_id for c in provider.categories)


def check(session: Session, provider: Provider, lead: Lead, *, lock: bool = False) -> eligibility.Eligibility:
    """May `provider` receive/unlock quote lead `lead`? Same rule as direct delivery plus match.
    `lock=True` when deciding an unlock (the weekly cap is counted under the provider's lock)."""
    decision = eligibility.check_direct(session, provider, lock=lock)
    if not decision.ok:
        return decision
    if not serves(provider, lead):
        return eligibility.Eligibility(False, "no_match")
    return decision


def candidates(session: Session, lead: Lead) -> list[Provider]:
    """Eligible providers, pro -> growth -> starter, then least recently offered first."""
    in_metro = or_(
        Provider.home_metro_id == lead.metro_id,
        exists().where(provider_metros.c.provider_id == Provider.id, provider_metros.c.metro_id == lead.metro_id),
    )
    offers_category = exists().where(provider_categories.c.provider_id == Provider.id,
                                     provider_categories.c.category_id == lead.category_id)
    pool = session.scalars(select(Provider).where(
        Provider.status == "verified", Provider.paused.is_(False), in_metro, offers_category))
    eligible = [p for p in pool if eligibility.check_direct(session, p).ok]
    epoch = clock.as_utc(clock.now()).replace(year=1970, month=1, day=1)
    eligible.sort(key=lambda p: (TIER_RANK[p.effective_tier],
                                 clock.as_utc(p.last_offered_at) if p.last_offered_at else epoch, p.id))
    return eligible


def route(session: Session, lead: Lead) -> None:
    """The quotes router (routing.route calls it with the lead claimed as "ready")."""
    chosen = candidates(session, lead)[:NOTIFY_TOP]
    now = clock.now()
    if not chosen:
        session.execute(update(Lead).where(Lead.id == lead.id, Lead.delivery_status == "ready")
                        .values(delivery_status="pending", escrow_reason="no_matching_provider", updated_at=now)
                        .execution_options(synchronize_session=False))
        session.refresh(lead)
        timeline.record(session, lead, "escrow", "No matching provider for quotes: held for admin",
                        public_text="We're finding providers for your request; our team is on it.",
                        data={"reason": "no_matching_provider"})
        return
    session.execute(update(Lead).where(Lead.id == lead.id, Lead.delivery_status == "ready")
                    .values(delivery_status="quoting", updated_at=now)
                    .execution_options(synchronize_session=False))
    session.refresh(lead)
    shown = masking.preview(lead)
    for provider in chosen:
        provider.last_offered_at = now
        notify_available(session, lead, provider, shown)
    timeline.record(session, lead, "quotes_requested",
                    f"Quote lead sent to {len(chosen)} providers: " + ", ".join(p.name for p in chosen),
                    public_text=f"We asked {len(chosen)} matching provider{'s' if len(chosen) != 1 else ''} "
                                f"to quote. Up to {lead.max_providers} can respond.",
                    data={"provider_ids": [p.id for p in chosen]})


def notify_available(session: Session, lead: Lead, provider: Provider, shown: dict) -> None:
    cost = pricing.lead_price(lead, provider)
    balance = credits.balance(session, provider.id)
    short = balance < cost
    title = f"Quote request: {shown['category']} in {shown['city']}"
    body = (f"Unlock for {cost} credit{'s' if cost != 1 else ''}" if cost else "Unlock free on Pro")
    if short:
        body += f" — you have {balance}: top up to unlock"
    notify.notify(
        session, provider, "quote_available", title, body=body,
        url=app_path("provider.quote_lead", lead_id=lead.id), lead_id=lead.id,
        email_template="quote_available",
        email_context={
            "lead": {k: shown[k] for k in ("customer_name", "city", "metro", "category", "description")},
            "urgency": lead.urgency, "budget": lead.budget, "cost": cost, "balance": balance, "short": short,
            "max_providers": lead.max_providers,
            "lead_url": external_url("provider.quote_lead", lead_id=lead.id),
            "credits_url": external_url("provider.credits"),
        },
        dedupe_key=f"quote_available:{lead.id}:{provider.id}",
    )


# ---------------------------------------------------------------- what a provider sees
def assignment_of(session: Session, lead_id: int, provider_id: int) -> Assignment | None:
    return session.scalar(select(Assignment).where(Assignment.lead_id == lead_id,
                                                   Assignment.provider_id == provider_id))


def view_count(session: Session, lead_id: int) -> int:
    return session.scalar(select(func.count(QuoteView.id)).where(QuoteView.lead_id == lead_id)) or 0


def may_preview(provider: Provider, lead: Lead) -> bool:
    """Verified listings serving the lead's category and area see the masked preview."""
    return provider.status == "verified" and lead.mode == "quotes" and serves(provider, lead)


def record_view(session: Session, lead: Lead, provider: Provider) -> bool:
    """Count this provider's first look at the preview; later looks change nothing."""
    return credits.insert_ignore(session, QuoteView, {
        "lead_id": lead.id, "provider_id": provider.id, "created_at": clock.now()}) == 1


def visible_leads(session: Session, provider: Provider, limit: int = 100) -> list[Lead]:
    """Quote leads this provider may look at: open ones it serves, and every one it unlocked."""
    mine = select(Assignment.lead_id).where(Assignment.provider_id == provider.id)
    if provider.status != "verified":  # unverified and suspended listings see only their own unlocks
        return list(session.scalars(select(Lead).where(Lead.mode == "quotes", Lead.id.in_(mine))
                                    .order_by(Lead.id.desc()).limit(limit)))
    in_area = [provider.home_metro_id] + [m.id for m in provider.extra_metros]
    cats = [c.id for c in provider.categories]
    query = select(Lead).where(Lead.mode == "quotes", or_(
        Lead.id.in_(mine),
        (Lead.status == "verified") & (Lead.delivery_status == "quoting")
        & Lead.metro_id.in_(in_area) & Lead.category_id.in_(cats),
    )).order_by(Lead.id.desc()).limit(limit)
    return list(session.scalars(query))


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
            blocked = "This lead is outside your services or area." if decision.reason == "no_match" \
                else f"You can't unlock quote leads right now: {decision.label.lower()}."
        elif lead.status != "verified" or lead.delivery_status != "quoting":
            blocked = "This lead is no longer open."
        elif lead.unlock_count >= lead.max_providers:
            blocked = "Fully unlocked: this lead has all the providers it asked for."
    return Card(
        lead=lead, data=masking.for_viewer(lead, assignment is not None),
        cost=assignment.credits_spent if assignment else pricing.lead_price(lead, provider),
        views=view_count(session, lead.id), unlocks=lead.unlock_count, max_providers=lead.max_providers,
        assignment=assignment, balance=credits.balance(session, provider.id), blocked=blocked,
    )


# ---------------------------------------------------------------- unlock
def unlock_key(lead_id: int, provider_id: int) -> str:
    return f"unlock:{lead_id}:{provider_id}"


def unlock(session: Session, lead_id: int, provider: Provider, quoted_price: int | None) -> Result:
    """Unlock the contact for `provider`, charging the price it was shown. One transaction:
    the assignment, the capacity claim, the ledger entry and the wallet debit all happen or
    none does. Unlocking again returns the first unlock and charges nothing."""
    lead = session.get(Lead, lead_id)
    if lead is None or lead.mode != "quotes":
        return _refuse("There is no such quote lead.")
    existing = assignment_of(session, lead.id, provider.id)
    if existing is not None:
        return Result(True, "You already unlocked this lead.", existing)
    decision = check(session, provider, lead, lock=True)
    if not decision.ok:
        if decision.reason == "no_match":
            return _refuse("This lead is outside your services or area.")
        return _refuse(f"You can't unlock quote leads right now: {decision.label.lower()}.")
    if lead.status != "verified" or lead.delivery_status != "quoting":
        return _refuse("This lead is no longer open for quotes.")
    cost = pricing.lead_price(lead, provider)
    if quoted_price is None or quoted_price != cost:
        return _refuse(f"The price changed to {cost} credit{'s' if cost != 1 else ''}; nothing was charged. "
                       "Check it and unlock again.", price="The price changed.")
    notified_at = session.scalar(select(func.min(Notification.created_at)).where(
        Notification.lead_id == lead.id, Notification.provider_id == provider.id,
        Notification.kind == "quote_available"))
    now = clock.now()
    savepoint = session.begin_nested()
    try:
        assignment = Assignment(lead_id=lead.id, provider_id=provider.id, kind="quote", status="purchased",
                                credits_spent=cost, notified_at=notified_at, created_at=now, updated_at=now)
        session.add(assignment)
        session.flush()  # unique (lead, provider): a second click stops here
        credits.post(session, provider.id, "spend", -cost, unlock_key(lead.id, provider.id),
                     reference=f"lead:{lead.id}", note=f"Unlocked quote lead #{lead.id}")
        claimed = session.execute(
            update(Lead).where(Lead.id == lead.id, Lead.status == "verified", Lead.delivery_status == "quoting",
                               Lead.unlock_count < Lead.max_providers)
            .values(unlock_count=Lead.unlock_count + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            savepoint.rollback()
            return _refuse("Fully unlocked: this lead already has all the providers it asked for. "
                           "Nothing was charged.")
    except IntegrityError:
        savepoint.rollback()
        existing = assignment_of(session, lead.id, provider.id)
        if existing is not None:
            return Result(True, "You already unlocked this lead.", existing)
        return _refuse("Fully unlocked: this lead already has all the providers it asked for. Nothing was charged.")
    except credits.InsufficientCredits:
        savepoint.rollback()
        have = credits.balance(session, provider.id)
        return _refuse(f"Not enough credits: this lead costs {cost} and you have {have}. Top up to unlock; "
                       "nothing was charged.", credits="Not enough credits.")
    savepoint.commit()
    session.refresh(lead)
    timeline.record(session, lead, "quote_unlocked",
                    f"{provider.name} unlocked the lead for {cost} credit{'s' if cost != 1 else ''} "
                    f"({lead.unlock_count}/{lead.max_providers})",
                    public_text=f"{provider.name} is looking at your request and may contact you.",
                    data={"provider_id": provider.id, "credits": cost})
    return Result(True, f"Unlocked for {cost} credit{'s' if cost != 1 else ''}. The customer's contact is below."
                  if cost else "Unlocked (free on Pro). The customer's contact is below.", assignment)


# ---------------------------------------------------------------- provider transitions
def parse_amount(raw: str | None) -> Decimal | None:
    try:
        value = Decimal((raw or "").replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value.quantize(Decimal("0.01"))


def transition(session: Session, lead_id: int, provider: Provider, action: str, *, notes: str | None = None,
               amount: str | None = None, message: str | None = None) -> Result:
    """Move this provider's assignment on (contacted, quoted, lost); invalid moves are refused."""
    assignment = assignment_of(session, lead_id, provider.id)
    if assignment is None or assignment.kind != "quote":
        return _refuse("Unlock this lead first.")
    if action not in TRANSITIONS:
        return _refuse("Unknown action.")
    allowed = TRANSITIONS[action]
    if assignment.status not in allowed:
        return _refuse(f"This lead is already {STATUS_LABELS[assignment.status].lower()}; "
                       f"it can't be marked {STATUS_LABELS[action].lower()}.")
    values: dict = {"status": action, "updated_at": clock.now()}
    notes = (notes or "").strip() or None
    if notes and len(notes) > 2000:
        return _refuse("Notes are too long.", notes="Keep notes under 2,000 characters.")
    if action == "contacted":
        values["notes"] = notes
    if action == "quoted":
        value = parse_amount(amount)
        message = (message or "").strip() or None
        errors = {}
        if value is None:
            errors["quote_amount"] = "Enter the price as a number, e.g. 450 or 450.00."
        elif value <= 0 or value > Decimal("1000000"):
            errors["quote_amount"] = "Enter a price between $0.01 and $1,000,000."
        if message and len(message) > 2000:
            errors["quote_message"] = "Keep the message under 2,000 characters."
        if errors:
            return Result(False, "Please fix the quote.", errors=errors)
        values.update(quote_amount=value, quote_message=message)
        if notes:
            values["notes"] = notes
    moved = session.execute(
        update(Assignment).where(Assignment.id == assignment.id, Assignment.status.in_(allowed))
        .values(**values).execution_options(synchronize_session=False)).rowcount
    if moved != 1:
        session.refresh(assignment)
        return _refuse(f"This lead is already {STATUS_LABELS[assignment.status].lower()}.")
    session.refresh(assignment)
    lead = assignment.lead
    if action == "quoted":
        timeline.record(session, lead, "quote_sent", f"{provider.name} quoted ${assignment.quote_amount}",
                        public_text=f"{provider.name} sent you a quote: ${assignment.quote_amount:,.2f}.",
                        data={"provider_id": provider.id})
        _email_customer(session, lead, "quote_received", provider=provider.name,
                        amount=f"{assignment.quote_amount:,.2f}", message=assignment.quote_message or "",
                        dedupe_key=f"quote_received:{assignment.id}")
    else:
        timeline.record(session, lead, f"quote_{action}", f"{provider.name} marked the lead {action}",
                        data={"provider_id": provider.id})
    return Result(True, {"contacted": "Marked as contacted.", "quoted": "Quote sent to the customer.",
                         "lost": "Marked as lost."}[action], assignment)


def _email_customer(session: Session, lead: Lead, template: str, dedupe_key: str, **context) -> None:
    if not lead.customer_email:
        return
    outbox.queue_email(session, kind=template, to=lead.customer_email, template=template, lead_id=lead.id,
                       context={"customer_name": lead.customer_name, "category_name": lead.category.name,
                                "tracking_url": external_url("public.tracking", token=lead.public_token),
                                **context},
                       dedupe_key=dedupe_key)


# ---------------------------------------------------------------- the customer's side
def quotes_for(session: Session, lead: Lead) -> list[Assignment]:
    """Quotes the customer can see: every assignment with a quote, oldest first."""
    return list(session.scalars(select(Assignment).where(
        Assignment.lead_id == lead.id, Assignment.kind == "quote", Assignment.quote_amount.is_not(None))
        .order_by(Assignment.updated_at, Assignment.id)))


def choose(session: Session, lead: Lead, assignment_id: int) -> Result:
    """The customer picks a quote: it is won, every other unlock lost, everyone emailed."""
    if lead.assigned_provider_id is not None:
        return _refuse("You already chose a provider for this request.")
    if lead.status != "verified":
        return _refuse("This request is closed.")
    chosen = session.get(Assignment, assignment_id)
    if chosen is None or chosen.lead_id != lead.id or chosen.kind != "quote" or chosen.status != "quoted":
        return _refuse("Choose one of the quotes on this page.")
    now = clock.now()
    claimed = session.execute(
        update(Lead).where(Lead.id == lead.id, Lead.mode == "quotes", Lead.status == "verified",
                           Lead.assigned_provider_id.is_(None))
        .values(assigned_provider_id=chosen.provider_id, delivery_status="chosen", updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return _refuse("You already chose a provider for this request.")
    won = session.execute(update(Assignment).where(Assignment.id == chosen.id, Assignment.status == "quoted")
                          .values(status="won", updated_at=now).execution_options(synchronize_session=False))
    if won.rowcount != 1:
        raise RuntimeError("chosen quote changed under us")  # rolls the whole choice back
    others = list(session.scalars(select(Assignment).where(
        Assignment.lead_id == lead.id, Assignment.kind == "quote", Assignment.id != chosen.id,
        Assignment.status.in_(OPEN_STATUSES))))
    session.execute(update(Assignment).where(Assignment.id.in_([a.id for a in others]))
                    .values(status="lost", updated_at=now).execution_options(synchronize_session=False))
    session.refresh(lead)
    session.refresh(chosen)
    winner = chosen.provider
    timeline.record(session, lead, "quote_chosen", f"Customer chose {winner.name}",
                    public_text=f"You chose {winner.name}. They'll be in touch to schedule the job.",
                    data={"provider_id": winner.id, "assignment_id": chosen.id})
    lead_url = external_url("provider.quote_lead", lead_id=lead.id)
    notify.notify(session, winner, "quote_picked", f"You won the job: {lead.category.name} in {lead.city}",
                  body=f"{lead.customer_name} chose your quote of ${chosen.quote_amount:,.2f}.",
                  url=app_path("provider.quote_lead", lead_id=lead.id), lead_id=lead.id,
                  email_template="quote_picked", email_context={"lead_url": lead_url, "won": True,
                                                                "customer_name": lead.customer_name},
                  dedupe_key=f"quote_picked:{chosen.id}")
    for other in others:
        session.refresh(other)
        notify.notify(session, other.provider, "quote_declined",
                      f"The customer chose another provider: {lead.category.name} in {lead.city}",
                      body="Thanks for quoting. The customer picked someone else this time.",
                      url=app_path("provider.quote_lead", lead_id=lead.id), lead_id=lead.id,
                      email_template="quote_picked", email_context={"lead_url": lead_url, "won": False},
                      dedupe_key=f"quote_declined:{other.id}")
    return Result(True, f"You chose {winner.name}. We let them know.", chosen)


def mark_done(session: Session, lead: Lead) -> Result:
    """The customer says the chosen provider did the job."""
    if lead.assigned_provider_id is None:
        return _refuse("Choose a provider before marking the job done.")
    done = session.execute(update(Lead).where(Lead.id == lead.id, Lead.status == "verified",
                                              Lead.assigned_provider_id.is_not(None))
                           .values(status="completed", updated_at=clock.now())
                           .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        return _refuse("This job is already marked done.")
    session.refresh(lead)
    timeline.record(session, lead, "completed", f"Customer marked the job done by {lead.assigned_provider.name}",
                    public_text="You marked the job done. Thanks! You can leave a review below.")
    return Result(True, "Marked done. How did it go? Leave a review below.")


def tracking_view(lead: Lead, view_class):
    """What the tracking page's headline says for a quote lead (after the spam/pending checks)."""
    if lead.assigned_provider is not None:
        return view_class(f"You chose {lead.assigned_provider.name}",
                          "They have your details and will contact you to schedule the job. "
                          "Mark the job done below once it's finished.", "good", False)
    quoted = sum(1 for a in lead.assignments if a.kind == "quote" and a.quote_amount is not None)
    if quoted:
        return view_class(f"{quoted} quote{'s' if quoted != 1 else ''} received",
                          "Compare them below and choose the provider you want. More may arrive.", "good", False)
    if lead.delivery_status == "pending":
        return view_class("Finding providers to quote",
                          "We're still matching your request with providers; our team is on it.", "waiting", False)
    return view_class("Finding providers to quote",
                      f"We're asking {lead.category.name.lower()} providers in {lead.metro.name} to quote. "
                      f"Up to {lead.max_providers} can respond; quotes will appear here.", "waiting", False)


def reroute_unmatched(session: Session, limit: int = 100) -> int:
    """The sweep's part: quote leads held for lack of providers are sent out once some match
    (a provider verified, upgraded or unpaused). Each lead is claimed by a conditional UPDATE."""
    routed = 0
    for lead in keyset(session, select(Lead).where(
            Lead.mode == "quotes", Lead.status == "verified", Lead.delivery_status == "pending",
            Lead.escrow_reason == "no_matching_provider"), Lead.id, limit):
        if not candidates(session, lead):
            continue
        claimed = session.execute(
            update(Lead).where(Lead.id == lead.id, Lead.delivery_status == "pending",
                               Lead.escrow_reason == "no_matching_provider")
            .values(delivery_status="ready", escrow_reason=None, updated_at=clock.now())
            .execution_options(synchronize_session=False)).rowcount
        if claimed == 1:
            session.refresh(lead)
            route(session, lead)
            routed += 1
    return routed
