"""Reminders once per due cycle (idempotent sweep, restarts, concurrent sweeps), one-click
rebooking from the real email, auto-rebook (exactly one request per cycle), .ics."""

import re
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import func, select

from app.compliance import reminders
from app.models import Lead, OutboxEmail, Reminder, Site
from app.platform import sweep
from tests.compliance.conftest import record


def reminder_emails(db):
    return db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "compliance_reminder")).all()


def leads(db):
    return db.session.scalar(select(func.count()).select_from(Lead))


def run_sweep(db):
    counts = sweep.run(db.session)
    db.session.commit()
    return counts["compliance"]


def test_due_soon_once_per_cycle_then_overdue_once(db, job, clock):
    record(db, job)  # 2026-03-02 -> due 2026-05-31, reminder from 2026-05-17
    assert run_sweep(db) == 0
    clock.advance(timedelta(days=75))  # 2026-05-16: one day before the lead time
    assert run_sweep(db) == 0
    clock.advance(timedelta(days=1))
    assert run_sweep(db) == 1
    assert run_sweep(db) == 0  # the same sweep again
    clock.advance(timedelta(days=3))
    assert run_sweep(db) == 0  # later in the same cycle
    clock.advance(timedelta(days=12))  # 2026-06-01: overdue
    assert run_sweep(db) == 1
    clock.advance(timedelta(days=10))
    assert run_sweep(db) == 0
    kinds = [r.kind for r in db.session.scalars(select(Reminder).order_by(Reminder.id))]
    assert kinds == ["due_soon", "overdue"]
    assert len(reminder_emails(db)) == 2


def test_a_restarted_sweep_process_never_sends_twice(db, job, clock, app):
    record(db, job)
    clock.advance(timedelta(days=80))
    assert run_sweep(db) == 1
    db.session.remove()  # a new process: nothing in memory, only the database
    with app.app_context():
        assert run_sweep(db) == 0
    assert len(reminder_emails(db)) == 1


def test_no_reminder_while_a_new_request_for_the_trap_is_open(db, houston, job, clock):
    from tests.compliance.conftest import file_request

    record(db, job)
    clock.advance(timedelta(days=80))
    metro, cat = houston
    file_request(db, metro, cat, description="Booking the next pump-out myself.")
    db.session.commit()
    assert run_sweep(db) == 0


def test_reminder_email_reaches_smtp_and_its_link_books_the_same_provider_in_one_click(db, job, clock, rq, smtp, anon):
    record(db, job)
    clock.advance(timedelta(days=76))
    assert run_sweep(db) == 1
    rq.run()
    message = smtp.wait_for(1, match=lambda m: "is due 2026-05-31" in str(m["Subject"]))[-1]
    text = smtp.text_of(message)
    assert message["To"] == "maria.garcia@gmail.com"
    assert "Book Bayou Pumping again" in text and "Ask anyone in Houston" in text and "City of Houston" in text
    book = re.search(r"http://localhost(/rebook/[\w-]+\?mode=direct)", text).group(1)
    page = anon.get(book)
    assert page.status_code == 200 and "Book Bayou Pumping" in page.get_data(as_text=True)
    before = leads(db)
    done = anon.post(book.split("?")[0], data={"mode": "direct"})
    assert done.status_code == 303 and done.location.startswith("/t/")
    again = anon.post(book.split("?")[0], data={"mode": "direct"})  # a double click
    assert again.location == done.location
    assert leads(db) == before + 1
    lead = db.session.scalar(select(Lead).order_by(Lead.id.desc()))
    assert (lead.mode, lead.requested_provider_id, lead.trap_id, lead.site_id) == (
        "direct",
        job.provider.id,
        job.lead.trap_id,
        job.lead.site_id,
    )
    assert (lead.trap_type, lead.trap_capacity_gallons, lead.street) == ("interceptor", 1500, "12 Main St")
    ics = re.search(r"http://localhost(/rebook/[\w-]+/due\.ics)", text).group(1)
    cal = Calendar.from_ical(anon.get(ics).data)
    event = next(iter(cal.walk("VEVENT")))
    assert str(event.decoded("dtstart")) == "2026-05-31" and "Taqueria Maria" in str(event["summary"])


def test_auto_rebook_files_one_direct_request_and_can_be_cancelled(db, job, clock, anon):
    record(db, job)
    site = db.session.get(Site, job.lead.site_id)
    site.auto_rebook = True
    db.session.commit()
    clock.advance(timedelta(days=76))
    before = leads(db)
    assert run_sweep(db) == 1
    assert run_sweep(db) == 0
    assert leads(db) == before + 1
    reminder = db.session.scalar(select(Reminder))
    assert reminder.kind == "auto_rebook" and reminder.lead_id is not None
    email = reminder_emails(db)[0]
    assert "We booked Bayou Pumping" in reminders_subject(email)
    cancel = f"/rebook/{reminder.token}/cancel"
    assert "Cancel this booking" in anon.get(cancel).get_data(as_text=True)
    assert anon.post(cancel).status_code == 303
    db.session.expire_all()
    assert db.session.get(Lead, reminder.lead_id).status == "cancelled"
    clock.advance(timedelta(days=15))  # overdue, nothing open any more: the overdue reminder goes
    assert run_sweep(db) == 1


def reminders_subject(row):
    from app.platform import outbox

    return outbox.render(row)[0]


def test_two_sweeps_at_once_file_exactly_one_request(db, job, clock, race):
    record(db, job)
    site = db.session.get(Site, job.lead.site_id)
    site.auto_rebook = True
    db.session.commit()
    clock.advance(timedelta(days=76))
    before = leads(db)
    db.session.commit()  # the test's own session holds no lock while the sweeps run
    results = race(4, lambda i: reminders.sweep_reminders(db.session))
    assert not results.errors, results.errors
    assert sorted(results.values) == [0, 0, 0, 1], results.values
    db.session.expire_all()
    assert leads(db) == before + 1
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 1
    assert len(reminder_emails(db)) == 1
