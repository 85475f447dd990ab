"""Service records = manifests: validation, who may record, immutability with revisions, PDFs."""

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.compliance import records
from app.models import ServiceRecord, Trap
from tests.compliance.conftest import GOOD, record
from tests.conftest import refusal_of


def count(db):
    return db.session.scalar(select(func.count()).select_from(ServiceRecord))


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-"), data[:20]
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("gallons_removed", "0", "between 1 and 20,000"),
        ("gallons_removed", "1e9", "whole number"),
        ("gallons_removed", "1000000000", "whole number"),
        ("percent_full", "101", "between 0 and 100"),
        ("service_date", "2026-03-03", "cannot be in the future"),
        ("service_date", "yesterday", "like 2026-03-01"),
        ("transporter_registration", "", "transporter registration"),
        ("disposal_facility", " ", "disposal facility"),
        ("driver", "a\x00b", "control characters"),
    ],
)
def test_validation_names_the_field(field, value, words):
    data, errors = records.validate({**GOOD, field: value}, date(2026, 3, 2))
    assert data is None and words in errors.get(field, ""), errors


def test_recording_updates_the_due_date_from_the_metro_interval(db, job):
    saved = record(db, job)
    trap = db.session.get(Trap, saved.trap_id)
    assert trap.next_due == date(2026, 3, 2) + timedelta(days=90)
    # 25 % rule: 60 % full after 51 days (last pumped 2026-01-10) -> due after 21 days
    fixed = records.correct(
        db.session, saved.id, job.provider, records.validate({**GOOD, "percent_full": "60"}, date(2026, 3, 2))[0]
    )
    assert fixed.id == saved.id  # not confirmed yet: changed in place
    assert trap.next_due == date(2026, 3, 2) + timedelta(days=51 * 25 // 60)


def test_only_the_provider_holding_the_job_may_record(db, job):
    data, _ = records.validate(GOOD, date(2026, 3, 2))
    refusal = refusal_of(records.record_service, db.session, job.lead.id, job.other, data)
    assert refusal.code == "not_holder" and count(db) == 0


def test_confirmed_record_is_immutable_and_a_correction_is_a_new_revision(db, job):
    saved = record(db, job)
    records.confirm(db.session, saved.id, "Maria.Garcia@gmail.com")
    db.session.commit()
    data, _ = records.validate({**GOOD, "gallons_removed": "1,500"}, date(2026, 3, 2))
    revision = records.correct(db.session, saved.id, job.provider, data)
    db.session.commit()
    db.session.expire_all()
    old = db.session.get(ServiceRecord, saved.id)
    assert (old.gallons_removed, old.superseded_at is not None) == (1450, True)
    assert (revision.revision, revision.supersedes_id, revision.gallons_removed) == (2, saved.id, 1500)
    assert revision.number != old.number and not revision.confirmed
    assert "already corrected" in refusal_of(records.correct, db.session, saved.id, job.provider, data).message
    assert "already confirmed" in refusal_of(records.confirm, db.session, saved.id, "maria.garcia@gmail.com").message


def test_only_the_sites_email_may_confirm(db, job):
    saved = record(db, job)
    assert refusal_of(records.confirm, db.session, saved.id, "someone@else.com").code == "not_found"


def test_provider_web_records_service_only_on_its_job_and_refuses_bad_input(db, job, as_provider):
    other = as_provider(job.other)
    url = f"/provider/jobs/{job.lead.id}/service"
    assert other.get(url).status_code == 404
    assert other.post(url, data=GOOD).status_code == 404
    holder = as_provider(job.provider)
    page = holder.get(f"/provider/inbox/{job.lead.id}").get_data(as_text=True)
    assert url in page and "Record the service" in page
    for field, value, words in (
        ("gallons_removed", "0", "between 1 and 20,000"),
        ("gallons_removed", "1e9", "whole number"),
        ("service_date", "2027-01-01", "cannot be in the future"),
        ("transporter_registration", "", "transporter registration"),
    ):
        answer = holder.post(url, data={**GOOD, field: value})
        body = answer.get_data(as_text=True)
        assert answer.status_code == 422 and words in body.split(f'id="{field}-error"')[1][:300], body[:1500]
    assert count(db) == 0
    done = holder.post(url, data=GOOD)
    assert done.status_code == 303, done.get_data(as_text=True)[:800]
    assert count(db) == 1
    assert holder.post(url, data=GOOD).status_code == 422  # one record per job: correct it instead
    assert count(db) == 1


def test_record_without_csrf_is_refused(db, job, as_provider):
    holder = as_provider(job.provider)
    answer = holder.post(f"/provider/jobs/{job.lead.id}/service", data=GOOD, csrf=False)
    assert answer.status_code in (400, 403) and count(db) == 0


def test_manifest_pdf_is_a_pdf_with_every_field(db, job, as_provider):
    saved = record(db, job, notes="Emoji 🚛 and ünïcode survive")
    response = as_provider(job.provider).get(f"/provider/records/{saved.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for expected in (
        saved.number,
        "2026-03-02",
        "1,450",
        "20 %",
        "TX-GT-20931",
        "Vac truck 7",
        "Luis Ortega",
        "Houston Grease Recycling",
        "Maria Garcia",
        "Bayou Pumping",
        "Taqueria Maria",
        "Outdoor interceptor, 1,500 gal",
        f"/manifests/{saved.number}",
        "ünïcode",
    ):
        assert expected in text, f"{expected!r} not in the PDF text: {text}"
    assert as_provider(job.other).get(f"/provider/records/{saved.id}.pdf").status_code == 404


def test_manifest_verification_page_shows_the_facts_but_no_contact(db, job, anon):
    saved = record(db, job)
    page = anon.get(f"/manifests/{saved.number}").get_data(as_text=True)
    assert saved.number in page and "TX-GT-20931" in page and "1,450" in page
    for secret in ("maria.garcia@gmail.com", "555-0142", "12 Main St", "Lid behind"):
        assert secret not in page
    assert anon.get("/manifests/FM-NOTREAL1").status_code == 404


def test_a_chosen_quote_is_a_job_its_provider_holds(db, houston, factory, as_provider):
    from tests.compliance.conftest import file_request

    metro, cat = houston
    provider = factory.provider(metro=metro, categories=[cat], tier="growth")
    lead = file_request(db, metro, cat, mode="quotes", description="Two quotes please for the interceptor.")
    factory.assignment(lead, provider, kind="quote", status="won")
    lead.assigned_provider_id, lead.delivery_status = provider.id, "chosen"
    db.session.commit()
    client = as_provider(provider)
    card = client.get(f"/provider/quotes/{lead.id}").get_data(as_text=True)
    assert "Service record (manifest) for this job" in card
    assert client.post(f"/provider/jobs/{lead.id}/service", data=GOOD).status_code == 303
    assert count(db) == 1


def test_the_database_refuses_to_change_a_confirmed_record(db, job):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    saved = record(db, job)
    db.session.execute(text("UPDATE service_records SET gallons_removed = 10 WHERE id = :id"), {"id": saved.id})
    db.session.commit()  # not confirmed yet: the provider may still fix it
    records.confirm(db.session, saved.id, "maria.garcia@gmail.com")
    db.session.commit()
    with pytest.raises(DBAPIError) as refused:
        db.session.execute(text("UPDATE service_records SET gallons_removed = 99 WHERE id = :id"), {"id": saved.id})
    assert "confirmed" in str(refused.value)
    db.session.rollback()
    db.session.execute(text("UPDATE service_records SET superseded_at = created_at WHERE id = :id"), {"id": saved.id})
    db.session.commit()  # marking it superseded by a correction is allowed
    db.session.expire_all()
    assert db.session.get(ServiceRecord, saved.id).gallons_removed == 10


def test_two_saves_at_once_make_one_record(db, job, race):
    from app.models import Provider

    data, _ = records.validate(GOOD, date(2026, 3, 2))
    provider_id, lead_id = job.provider.id, job.lead.id
    db.session.commit()

    def save(i):
        return records.record_service(db.session, lead_id, db.session.get(Provider, provider_id), data).number

    results = race(3, save)
    refused = [r for r in results.errors if getattr(r, "code", None) == "already_recorded"]
    assert len(results.values) == 1 and len(refused) == 2, results
    assert count(db) == 1
