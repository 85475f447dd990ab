"""Magic-link sign-in (single use, expiry, no enumeration) and "My sites"; inspector links."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.compliance import magic
from app.models import MagicLink, OutboxEmail
from tests.compliance.conftest import file_request, record
from tests.conftest import refusal_of


def sign_in(client, db, rq, smtp, email="maria.garcia@gmail.com"):
    """Ask for a link through the page, read it from the real SMTP catcher, use it."""
    answer = client.post("/my-sites/sign-in", data={"email": email})
    assert answer.status_code == 200 and "Check your inbox" in answer.get_data(as_text=True)
    rq.run()
    message = smtp.wait_for(1, match=lambda m: "sign-in link" in str(m["Subject"]))[-1]
    url = re.search(r"http://localhost(/my-sites/auth/[\w-]+)", smtp.text_of(message)).group(1)
    assert "Sign in" in client.get(url).get_data(as_text=True)
    used = client.post(url)
    assert used.status_code == 303 and used.location.endswith("/my-sites"), used.status_code
    return url


def test_magic_link_signs_in_once_and_shows_sites_traps_history_and_requests(db, job, anon, rq, smtp):
    record(db, job)
    url = sign_in(anon, db, rq, smtp)
    page = anon.get("/my-sites").get_data(as_text=True)
    assert anon.get("/my-sites").headers["Cache-Control"] == "no-store"
    for expected in (
        "Taqueria Maria",
        "12 Main St",
        "Outdoor interceptor, 1,500 gal",
        "2026-05-31",
        "TX-GT-20931",
        "Awaiting your confirmation",
        "City of Houston",
    ):
        assert expected in page, expected
    assert f"/t/{job.lead.public_token}" in page  # every request the email made
    # single use: the same link again is refused, in words
    again = anon.post(url)
    assert again.status_code == 303 and "/my-sites/sign-in" in again.location
    assert "already used or has expired" in anon.get(again.location).get_data(as_text=True)


def test_magic_link_expires(db, job, clock):
    token = magic.request_link(db.session, "maria.garcia@gmail.com")
    db.session.commit()
    clock.advance(timedelta(minutes=31))
    assert "expired" in refusal_of(magic.consume, db.session, token).message


def test_unknown_email_gets_the_same_answer_and_no_email(db, job, anon):
    answer = anon.post("/my-sites/sign-in", data={"email": "nobody@example.com"})
    assert answer.status_code == 200 and "Check your inbox" in answer.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(MagicLink)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail).where(OutboxEmail.kind == "magic_link")) == 0
    bad = anon.post("/my-sites/sign-in", data={"email": "not an email\x00"})
    assert bad.status_code == 422


def test_my_sites_needs_a_sign_in_and_shows_only_that_emails_sites(db, houston, job, anon, rq, smtp):
    metro, cat = houston
    file_request(
        db, metro, cat, email="someone.else@gmail.com", street="99 Secret Rd", description="Another restaurant's trap."
    )
    db.session.commit()
    assert anon.get("/my-sites").status_code == 303
    sign_in(anon, db, rq, smtp)
    page = anon.get("/my-sites").get_data(as_text=True)
    assert "12 Main St" in page and "99 Secret Rd" not in page and "someone.else" not in page


def test_customer_confirms_a_record_and_shares_then_revokes_an_inspector_link(db, job, anon, rq, smtp):
    saved = record(db, job)
    sign_in(anon, db, rq, smtp)
    assert anon.post(f"/my-sites/records/{saved.id}/confirm").status_code == 303
    db.session.expire_all()
    assert saved.confirmed
    site_id = job.lead.site_id
    anon.post(f"/my-sites/sites/{site_id}/share")
    page = anon.get("/my-sites").get_data(as_text=True)
    link = re.search(r'href="(/compliance/[\w-]+)"', page).group(1)
    shared = anon.get(link)
    text = shared.get_data(as_text=True)
    assert shared.status_code == 200 and saved.number in text and "TX-GT-20931" in text
    assert "maria.garcia@gmail.com" not in text and "555-0142" not in text
    assert anon.get(link + ".pdf").data.startswith(b"%PDF-")
    anon.post(f"/my-sites/sites/{site_id}/share/revoke")
    assert anon.get(link).status_code == 404 and anon.get(link + ".pdf").status_code == 404


def test_another_customer_cannot_act_on_my_site(db, houston, job, anon, rq, smtp):
    metro, cat = houston
    saved = record(db, job)
    file_request(db, metro, cat, email="eve@gmail.com", street="1 Evil St", description="Eve's own request here.")
    db.session.commit()
    sign_in(anon, db, rq, smtp, email="eve@gmail.com")
    site_id = job.lead.site_id
    for url in (
        f"/my-sites/records/{saved.id}/confirm",
        f"/my-sites/sites/{site_id}/share",
        f"/my-sites/sites/{site_id}/auto-rebook",
    ):
        anon.post(url, data={"on": "1"})
    assert anon.get(f"/my-sites/records/{saved.id}.pdf").status_code == 404
    db.session.expire_all()
    assert not saved.confirmed and saved.trap.site.share_token is None and not saved.trap.site.auto_rebook


def test_auto_rebook_switch_and_the_trap_calendar_file(db, job, anon, rq, smtp):
    from icalendar import Calendar

    from app.models import Site

    record(db, job)
    sign_in(anon, db, rq, smtp)
    site_id, trap_id = job.lead.site_id, job.lead.trap_id
    assert anon.post(f"/my-sites/sites/{site_id}/auto-rebook", data={"on": "1"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Site, site_id).auto_rebook
    assert "Turn auto-rebook off" in anon.get("/my-sites").get_data(as_text=True)
    ics = anon.get(f"/my-sites/traps/{trap_id}/due.ics")
    assert ics.mimetype == "text/calendar"
    event = next(iter(Calendar.from_ical(ics.data).walk("VEVENT")))
    assert str(event.decoded("dtstart")) == "2026-05-31"
    assert anon.post(f"/my-sites/sites/{site_id}/auto-rebook", data={"on": "0"}).status_code == 303
    db.session.expire_all()
    assert not db.session.get(Site, site_id).auto_rebook
    anon.post("/my-sites/sign-out")
    assert anon.get(f"/my-sites/traps/{trap_id}/due.ics").status_code == 303
