"""The pipeline inbox and lead page: filters, search, keyset paging past any cap, moves with
field messages (plain posts and htmx), notes, the .ics, and no other provider's leads."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from app.models import Assignment
from tests.dom import attr_of, has, text_of, texts_of


def _provider_with_leads(factory, as_provider, n=3, **lead_kw):
    client = as_provider()
    provider = client.provider
    leads = []
    for i in range(n):
        kind = ("direct", "broadcast", "quote")[i % 3]
        lead = factory.lead(
            mode={"quote": "quotes"}.get(kind, kind), status="verified", customer_name=f"Customer {i}", **lead_kw
        )
        factory.assignment(lead, provider, kind=kind)
        leads.append(lead)
    return client, provider, leads


def _names(html) -> list[str]:
    return texts_of(html, ".lead-card .card-title a")


def test_the_inbox_pages_by_keyset_with_no_cap(db, factory, as_provider):
    client, provider, leads = _provider_with_leads(factory, as_provider, n=30)
    db.session.commit()
    first = client.get("/provider/inbox")
    assert first.status_code == 200
    assert len(_names(first)) == 25, _names(first)
    older = attr_of(first, "a[rel=next]", "href")
    second = client.get(older)
    assert len(_names(second)) == 5, _names(second)
    assert not has(second, "a[rel=next]")
    assert "no-store" in first.headers["Cache-Control"]


def test_filters_by_stage_mode_and_search(db, factory, as_provider):
    client, provider, leads = _provider_with_leads(factory, as_provider, n=6)
    broadcast = db.session.query(Assignment).filter_by(provider_id=provider.id, kind="broadcast").first()
    broadcast.status = "contacted"
    db.session.commit()
    page = client.get("/provider/inbox?stage=contacted")
    assert len(_names(page)) == 1, _names(page)
    assert text_of(page, ".stage-badge") == "Contacted"
    assert len(_names(client.get("/provider/inbox?mode=quote"))) == 2
    found = client.get("/provider/inbox?q=customer%204")
    assert [t for t in texts_of(found, ".lead-card dd") if t.startswith("Customer")] == ["Customer 4"], texts_of(
        found, ".lead-card dd"
    )
    assert _names(client.get("/provider/inbox?q=%25")) == [], "a % in the search is a character, not a wildcard"
    odd = client.get("/provider/inbox?stage=bogus&mode=%00&metro=99999999999999&before=x&q=" + "é" * 500)
    assert odd.status_code == 200
    hx = client.get("/provider/inbox?stage=new", htmx=True)
    assert hx.status_code == 200 and "<html" not in hx.get_data(as_text=True) and has(hx, "#pipeline-results")


def test_the_inbox_shows_no_other_providers_leads(db, factory, as_provider):
    client, provider, _ = _provider_with_leads(factory, as_provider, n=2)
    other = factory.provider()
    theirs = factory.lead(mode="direct", status="verified", customer_name="Secret Sam")
    factory.assignment(theirs, other, kind="direct")
    db.session.commit()
    body = client.get("/provider/inbox?q=Sam").get_data(as_text=True)
    assert "Secret Sam" not in body
    assert client.get(f"/provider/inbox/{theirs.id}").status_code == 404
    moved = client.post(f"/provider/inbox/{theirs.id}/stage/contacted")
    assert moved.status_code == 404
    db.session.expire_all()
    assert db.session.get(Assignment, theirs.assignments[0].id).status == "delivered"


def test_moving_a_lead_with_a_bad_date_says_which_field_and_keeps_the_stage(db, factory, as_provider, clock):
    client, provider, leads = _provider_with_leads(factory, as_provider, n=1)
    lead = leads[0]
    db.session.commit()
    won = client.post(f"/provider/inbox/{lead.id}/stage/won", follow_redirects=True)
    assert "Contact the customer first" in won.get_data(as_text=True)
    assert client.post(f"/provider/inbox/{lead.id}/stage/contacted", data={"notes": "Called"}).status_code == 303
    past = client.post(
        f"/provider/inbox/{lead.id}/stage/visit", data={"visit_date": "2020-01-01", "visit_time": "10:00"}, htmx=True
    )
    assert past.status_code == 422
    assert "in the future" in text_of(past, "#visit_date-error"), text_of(past, "#visit_date-error")
    assert text_of(past, "#stage") == "Contacted"
    plain = client.post(f"/provider/inbox/{lead.id}/stage/visit", data={"visit_date": "nope", "visit_time": "10:00"})
    assert plain.status_code == 422 and "Enter the visit date" in text_of(plain, "#visit_date-error")
    day = (clock.now() + timedelta(days=2)).astimezone(ZoneInfo(provider.home_metro.timezone)).date().isoformat()
    ok = client.post(
        f"/provider/inbox/{lead.id}/stage/visit", data={"visit_date": day, "visit_time": "08:15"}, htmx=True
    )
    assert ok.status_code == 200 and text_of(ok, "#stage") == "Visit scheduled"
    ics = client.get(f"/provider/inbox/{lead.id}/visit.ics")
    assert ics.headers["Content-Type"].startswith("text/calendar")
    event = next(iter(Calendar.from_ical(ics.data).walk("VEVENT")))
    local = event.decoded("dtstart").astimezone(ZoneInfo(provider.home_metro.timezone))
    assert local.strftime("%Y-%m-%d %H:%M") == f"{day} 08:15", local
    note = client.post(f"/provider/inbox/{lead.id}/notes", data={"note": "Bring the long hose"}, htmx=True)
    assert "Bring the long hose" in texts_of(note, ".pipeline-timeline li")[-1]


def test_stage_moves_need_csrf(db, factory, as_provider):
    client, provider, leads = _provider_with_leads(factory, as_provider, n=1)
    db.session.commit()
    refused = client.post(f"/provider/inbox/{leads[0].id}/stage/contacted", csrf=False)
    assert refused.status_code in (400, 403), refused.status_code
    db.session.expire_all()
    assert leads[0].assignments[0].status == "delivered"


def test_the_customer_confirms_a_won_on_the_tracking_page(db, factory, as_provider, anon):
    client, provider, leads = _provider_with_leads(factory, as_provider, n=2)
    lead = leads[1]  # broadcast
    db.session.commit()
    client.post(f"/provider/inbox/{lead.id}/stage/contacted")
    client.post(f"/provider/inbox/{lead.id}/stage/won", data={"quote_amount": "650"})
    page = anon.get(f"/t/{lead.public_token}")
    assert "says you hired them" in text_of(page, "#won-claim"), text_of(page, "#won-claim")
    action = attr_of(page, "#won-claim form", "action")
    answer = anon.post(action, follow_redirects=True)
    assert "Thanks: we noted it." in answer.get_data(as_text=True)
    assert not has(answer, "#won-claim")
    db.session.expire_all()
    assert lead.assignments[0].customer_verdict == "confirmed"
    assert (
        "The customer confirmed the job."
        in texts_of(client.get(f"/provider/inbox/{lead.id}"), ".pipeline-timeline li")[-1]
    )
