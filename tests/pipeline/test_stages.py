"""The one pipeline: every lead a provider holds moves new -> contacted -> visit -> quoted ->
won / lost -> job done, with field messages for bad input and nothing changed on a refusal."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from app.leads import masking
from app.models import Assignment, PipelineNote
from app.pipeline import notes, stages
from app.quotes import customer
from tests.conftest import refusal_of


def _held(db, factory, kind="broadcast", **kw):
    provider = factory.provider()
    lead = factory.lead(mode={"quote": "quotes"}.get(kind, kind), status="verified")
    assignment = factory.assignment(lead, provider, kind=kind, **kw)
    db.session.flush()
    return provider, lead, assignment


def _status(db, assignment) -> str:
    db.session.refresh(assignment)
    return assignment.status


@pytest.mark.parametrize("kind", ["direct", "broadcast"])
def test_a_direct_or_broadcast_lead_goes_from_new_to_job_done(db, factory, clock, kind):
    provider, lead, a = _held(db, factory, kind)
    tz = ZoneInfo(provider.home_metro.timezone)
    tomorrow = (clock.now().astimezone(tz) + timedelta(days=1)).date()
    assert stages.transition(db.session, lead.id, provider, "contacted", notes="Called, left voicemail")
    assert stages.transition(
        db.session, lead.id, provider, "visit", visit_date=tomorrow.isoformat(), visit_time="09:30"
    )
    db.session.refresh(a)
    assert a.visit_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") == f"{tomorrow.isoformat()} 09:30", a.visit_at
    assert stages.transition(db.session, lead.id, provider, "quoted", amount="$1,200", message="All in")
    assert stages.transition(db.session, lead.id, provider, "won")
    assert stages.transition(db.session, lead.id, provider, "done")
    db.session.refresh(a)
    assert (a.status, str(a.quote_amount)) == ("done", "1200.00")
    assert a.contacted_at and a.won_at and a.done_at
    timeline = [(n.status, n.body) for n in notes.timeline_of(db.session, a.id)]
    assert timeline[0] == ("contacted", "Called, left voicemail"), timeline
    assert [s for s, _ in timeline] == ["contacted", "visit", "quoted", "won", "done"], timeline


def test_won_without_contact_is_refused_and_changes_nothing(db, factory):
    provider, lead, a = _held(db, factory, "direct")
    refusal = refusal_of(stages.transition, db.session, lead.id, provider, "won")
    assert "Contact the customer first" in refusal.message, refusal.message
    assert _status(db, a) == "delivered"
    assert db.session.query(PipelineNote).count() == 0


def test_job_done_needs_won_first(db, factory):
    provider, lead, a = _held(db, factory, "broadcast")
    stages.transition(db.session, lead.id, provider, "contacted")
    refusal = refusal_of(stages.transition, db.session, lead.id, provider, "done")
    assert "won before" in refusal.message, refusal.message
    assert _status(db, a) == "contacted"


@pytest.mark.parametrize(
    ("date", "time", "field", "words"),
    [
        ("", "09:00", "visit_date", "Enter the visit date"),
        ("2027-02-30", "09:00", "visit_date", "Enter the visit date"),
        ("tomorrow", "09:00", "visit_date", "Enter the visit date"),
        ("2030-01-01", "25:99", "visit_time", "Enter the visit time"),
        ("2020-01-01", "09:00", "visit_date", "in the future"),
        ("2099-01-01", "09:00", "visit_date", "within the next 12 months"),
        ("2027-01-01\x00", "09:00", "visit_date", "Enter the visit date"),
    ],
)
def test_a_bad_visit_date_gets_a_field_message(db, factory, clock, date, time, field, words):
    provider, lead, a = _held(db, factory, "direct")
    stages.transition(db.session, lead.id, provider, "contacted")
    refusal = refusal_of(stages.transition, db.session, lead.id, provider, "visit", visit_date=date, visit_time=time)
    assert words in refusal.fields.get(field, ""), refusal.fields
    assert _status(db, a) == "contacted" and a.visit_at is None


def test_a_visit_earlier_today_is_in_the_past(db, factory, clock):
    provider, lead, a = _held(db, factory, "direct")
    local = (clock.now() - timedelta(minutes=5)).astimezone(ZoneInfo(provider.home_metro.timezone))
    refusal = refusal_of(
        stages.transition,
        db.session,
        lead.id,
        provider,
        "visit",
        visit_date=local.date().isoformat(),
        visit_time=local.strftime("%H:%M"),
    )
    assert "in the future" in refusal.fields["visit_date"], refusal.fields


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("", "Enter the price"),
        ("abc", "Enter the price"),
        ("-5", "between"),
        ("NaN", "Enter the price"),
        ("9e9", "between"),
    ],
)
def test_a_bad_quote_amount_gets_a_field_message(db, factory, amount, words):
    provider, lead, a = _held(db, factory, "broadcast")
    refusal = refusal_of(stages.transition, db.session, lead.id, provider, "quoted", amount=amount)
    assert words in refusal.fields["quote_amount"], refusal.fields
    assert _status(db, a) == "delivered"


def test_lost_needs_a_reason(db, factory):
    provider, lead, a = _held(db, factory, "direct")
    refusal = refusal_of(stages.transition, db.session, lead.id, provider, "lost", reason="bogus")
    assert refusal.fields == {"reason": "Choose why the lead was lost."}
    assert stages.transition(db.session, lead.id, provider, "lost", reason="price")
    db.session.refresh(a)
    assert (a.status, a.lost_reason) == ("lost", "price")
    again = refusal_of(stages.transition, db.session, lead.id, provider, "contacted")
    assert "already lost" in again.message, again.message


def test_too_long_notes_are_refused(db, factory):
    provider, lead, a = _held(db, factory, "direct")
    refusal = refusal_of(stages.transition, db.session, lead.id, provider, "contacted", notes="x" * 2001)
    assert "2,000" in refusal.fields["notes"]
    assert _status(db, a) == "delivered"


def test_a_quote_lead_is_won_only_by_the_customer(db, factory):
    provider, lead, a = _held(db, factory, "quote")
    stages.transition(db.session, lead.id, provider, "quoted", amount="300")
    refusal = refusal_of(stages.transition, db.session, lead.id, provider, "won")
    assert "customer picks" in refusal.message, refusal.message
    customer.choose(db.session, lead, a.id)
    assert _status(db, a) == "won"
    customer.mark_done(db.session, lead)
    assert _status(db, a) == "done", "the customer's 'job done' moves the provider's pipeline"


def test_another_providers_lead_cannot_be_moved(db, factory):
    provider, lead, a = _held(db, factory, "direct")
    other = factory.provider()
    refusal = refusal_of(stages.transition, db.session, lead.id, other, "contacted")
    assert "isn't yours" in refusal.message
    assert refusal_of(stages.add_note, db.session, lead.id, other, "hi")
    assert _status(db, a) == "delivered"


def test_notes_are_the_providers_own_timeline(db, factory):
    provider, lead, a = _held(db, factory, "direct")
    assert refusal_of(stages.add_note, db.session, lead.id, provider, "   ").fields == {"note": "Write the note first."}
    stages.add_note(db.session, lead.id, provider, "Gate code 1234 — ask for Sam 🙂")
    assert [n.body for n in notes.timeline_of(db.session, a.id)] == ["Gate code 1234 — ask for Sam 🙂"]


def test_the_customer_confirms_or_disputes_a_won(db, factory):
    provider, lead, a = _held(db, factory, "broadcast")
    stages.transition(db.session, lead.id, provider, "contacted")
    stages.transition(db.session, lead.id, provider, "won", amount="800")
    db.session.refresh(lead)
    assert stages.won_claim(lead).id == a.id
    assert stages.customer_verdict(db.session, lead, a.id, "confirmed")
    assert refusal_of(stages.customer_verdict, db.session, lead, a.id, "disputed")
    db.session.refresh(a)
    assert a.customer_verdict == "confirmed"


def test_the_visit_ics_holds_the_visit_in_utc(db, factory, clock):
    provider, lead, a = _held(db, factory, "direct")
    day = (clock.now() + timedelta(days=3)).astimezone(ZoneInfo(provider.home_metro.timezone)).date()
    stages.transition(db.session, lead.id, provider, "visit", visit_date=day.isoformat(), visit_time="14:00")
    db.session.refresh(a)
    cal = Calendar.from_ical(notes.visit_ics(a, masking.for_viewer(lead, entitled=True), "fogforge.test"))
    event = next(iter(cal.walk("VEVENT")))
    assert event.decoded("dtstart") == a.visit_at, (event.decoded("dtstart"), a.visit_at)
    assert "Maria Garcia" in str(event["summary"]) and "12 Main St" in str(event["location"])
    assert db.session.get(Assignment, a.id).status == "visit"
