"""Reminders and rebooking: the sweep step `compliance` emails the customer once per due cycle
when the reminder lead time starts ("due soon") and once more after the due date ("overdue");
a site with auto-rebook gets, instead of the "due soon" email, a direct request filed to the
provider that did the last service (and an email saying so, with a cancel link).

Once per cycle, even with two sweeps at once or after a restart: each is a `reminders` row,
unique per (trap, kind, due date), inserted before anything is sent or filed (insert-once: the
loser of a race writes nothing). No reminder while a request for the trap made after its last
service is still open (the customer already booked).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.compliance import schedule, sites
from app.core import clock
from app.core.db import insert_once, keyset, transition
from app.core.refusal import Refusal
from app.core.urls import external_url
from app.leads import intake, timeline
from app.models import Category, Lead, Reminder, ReminderKind, Site, Trap, TrapType
from app.platform import outbox, sweep

OPEN_STATUSES = ("pending", "verified")
HORIZON_DAYS = 121  # the largest lead time a metro may set, plus a day


def last_service(session: Session, trap: Trap):
    records = schedule.current_records(session, trap.id)
    return records[0] if records else None


def open_request(session: Session, trap: Trap, since: datetime | None) -> Lead | None:
    """A request for this trap made after its last service was recorded, and still open (any
    open request when nothing was recorded yet)."""
    query = select(Lead).where(Lead.trap_id == trap.id, Lead.status.in_(OPEN_STATUSES))
    if since is not None:
        query = query.where(Lead.created_at > since)
    return session.scalar(query.order_by(Lead.id.desc()).limit(1))


def remind(session: Session, trap: Trap, today: date) -> int:
    """Do what this trap's cycle needs today (0 or 1 reminder)."""
    due = trap.next_due
    if due is None:
        return 0
    rule = schedule.rule_for(session, trap.site.metro_id)
    if today < due - timedelta(days=rule.lead_days):
        return 0
    last = last_service(session, trap)
    if open_request(session, trap, last.created_at if last else None):
        return 0
    provider_id = last.provider_id if last else None
    if today > due:
        kind = ReminderKind.overdue
    elif trap.site.auto_rebook and provider_id is not None:
        kind = ReminderKind.auto_rebook
    else:
        kind = ReminderKind.due_soon
    reminder = Reminder(trap_id=trap.id, kind=kind, due_on=due, provider_id=provider_id)
    if not insert_once(session, reminder):
        return 0  # this cycle's reminder exists (an earlier or concurrent sweep)
    if kind == ReminderKind.auto_rebook:
        lead = file_request(session, reminder, "direct", automatic=True)
        reminder.lead_id = lead.id
        session.flush()
    queue_email(session, reminder)
    return 1


@sweep.step("compliance", order=60)
def sweep_reminders(session: Session) -> int:
    horizon = clock.now().date() + timedelta(days=HORIZON_DAYS)
    query = select(Trap).where(Trap.next_due.is_not(None), Trap.next_due <= horizon)
    return sum(remind(session, trap, sites.today_in(trap.site)) for trap in keyset(session, query, Trap.id))


def queue_email(session: Session, reminder: Reminder) -> None:
    trap = reminder.trap
    site: Site = trap.site
    rule = schedule.rule_for(session, site.metro_id)
    provider = reminder.provider
    context = {
        "kind": reminder.kind,
        "contact_name": site.contact_name,
        "site_name": site.business_name or site.street or site.city,
        "trap_label": f"{trap.capacity_gallons:,}-gallon {TrapType(trap.trap_type).title.lower()}",
        "due_on": reminder.due_on.isoformat(),
        "provider_name": provider.name if provider else None,
        "metro_name": site.metro.name,
        "authority": rule.authority,
        "rule_text": rule.rule_text,
        "book_url": external_url("public.rebook", token=reminder.token, mode="direct") if provider else None,
        "anyone_url": external_url("public.rebook", token=reminder.token, mode="broadcast"),
        "ics_url": external_url("public.reminder_ics", token=reminder.token),
        "my_sites_url": external_url("public.my_sites_sign_in"),
    }
    if reminder.kind == ReminderKind.auto_rebook and reminder.lead_id is not None:
        lead = session.get(Lead, reminder.lead_id)
        assert lead is not None
        context |= {
            "tracking_url": external_url("public.tracking", token=lead.public_token),
            "cancel_url": external_url("public.rebook_cancel", token=reminder.token),
        }
    outbox.queue_email(
        session,
        kind=f"compliance_{reminder.kind}",
        to=site.owner_email,
        template="compliance_reminder",
        context=context,
        lead_id=reminder.lead_id,
        dedupe_key=f"reminder:{reminder.id}",
    )


def by_token(session: Session, token: str) -> Reminder | None:
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Reminder).where(Reminder.token == token))


def _template_lead(session: Session, trap: Trap) -> Lead | None:
    return session.scalar(select(Lead).where(Lead.trap_id == trap.id).order_by(Lead.id.desc()).limit(1))


def file_request(session: Session, reminder: Reminder, mode: str, *, automatic: bool = False) -> Lead:
    """The request the reminder's links make: the site and trap filled in; `direct` to the
    provider of the last service, `broadcast` to anyone in the metro. The same reminder and
    mode again (a double click) returns the first request (its submission key)."""
    if mode not in ("direct", "broadcast"):
        raise Refusal("Choose who to ask.")
    if mode == "direct" and reminder.provider_id is None:
        raise Refusal("No provider has serviced this trap on FogForge yet: ask anyone in the metro.")
    trap = reminder.trap
    site = trap.site
    earlier = _template_lead(session, trap)
    category_id = earlier.category_id if earlier else session.scalar(select(Category.id).order_by(Category.position))
    if category_id is None:
        raise Refusal("No service category exists yet.")
    why = "filed automatically (auto-rebook)" if automatic else "booked again from a FogForge reminder"
    data = intake.LeadInput(
        mode=mode,
        metro_id=site.metro_id,
        category_id=category_id,
        requested_provider_id=reminder.provider_id if mode == "direct" else None,
        description=f"Recurring full pump-out of the {trap.label} (due {reminder.due_on.isoformat()}), {why}.",
        customer_name=site.contact_name,
        customer_email=site.owner_email,
        customer_phone=site.contact_phone,
        street=site.street,
        city=site.city,
        postal_code=site.postal_code,
        business_name=site.business_name,
        urgency="this_week" if reminder.due_on <= clock.now().date() + timedelta(days=7) else "flexible",
        trap_type=trap.trap_type,
        trap_capacity_gallons=trap.capacity_gallons,
        trap_last_pumped=(last_service(session, trap).service_date if last_service(session, trap) else None),
        trap_access_notes=trap.access_notes,
        submission_key=f"{'ar' if automatic else 'rb' + mode[0]}-{reminder.token}"[:64],
    )
    lead = intake.submit_lead(session, data, source="web")
    return lead


def book_again(session: Session, token: str, mode: str) -> Lead:
    """The customer's one click from a reminder email."""
    reminder = by_token(session, token)
    if reminder is None:
        raise Refusal("This booking link is not valid.", code="not_found")
    lead = file_request(session, reminder, mode)
    if reminder.lead_id is None:
        reminder.lead_id = lead.id
        session.flush()
    return lead


def cancel_auto(session: Session, token: str) -> Lead:
    """Cancel the request auto-rebook filed (while it is still open)."""
    reminder = by_token(session, token)
    if reminder is None or reminder.kind != ReminderKind.auto_rebook or reminder.lead_id is None:
        raise Refusal("This cancel link is not valid.", code="not_found")
    lead = session.get(Lead, reminder.lead_id)
    assert lead is not None
    transition(
        session,
        Lead,
        [Lead.id == lead.id, Lead.status.in_(OPEN_STATUSES)],
        {"status": "cancelled", "updated_at": clock.now()},
        obj=lead,
        refuse="This request is already closed.",
    )
    timeline.record(
        session,
        lead,
        "cancelled",
        "Customer cancelled the automatic booking from the reminder email",
        public_text="You cancelled this automatic booking.",
        actor="customer",
    )
    return lead


def set_auto_rebook(session: Session, site_id: int, owner_email: str, on: bool) -> Site:
    site = session.get(Site, site_id)
    if site is None or site.owner_email != sites.owner_key(owner_email):
        raise Refusal("No such site.", code="not_found")
    site.auto_rebook = on
    session.flush()
    return site
