"""The request form: three modes, validation per field, nothing half-saved, tracking."""

import html
import re

import pytest
from sqlalchemy import func, select

from app.models import Lead, LeadEvent, OutboxEmail
from tests.conftest import csrf_from
from tests.dom import attr_of, has, texts_of


@pytest.fixture
def houston(factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping", slug="grease-trap-pumping")
    aaa = factory.provider(
        metro=metro, categories=[cat], name="Houston AAA Grease Trap Cleaners", status="unclaimed", tier="free"
    )
    aaa.slug = "houston-aaa"
    factory.session.commit()
    return metro, cat, aaa


def good_data(cat, **overrides):
    data = {
        "category_id": str(cat.id),
        "description": "Our 1,000 gallon trap is overflowing into the lot.",
        "urgency": "emergency",
        "budget": "300_600",
        "preferred_time": "before 10am",
        "customer_name": "Maria Garcia",
        "business_name": "Taqueria Maria",
        "customer_email": "maria.garcia@gmail.com",
        "customer_phone": "(713) 555-0142",
        "street": "12 Main St",
        "city": "Houston",
        "postal_code": "77002",
        "website": "",
    }
    data.update(overrides)
    return data


def post_form(client, url, data):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("mode", ["broadcast", "quotes"])
def test_metro_request_creates_lead_event_and_email_then_redirects(client, db, houston, mode):
    metro, cat, _ = houston
    response = post_form(client, f"/m/houston/request/{mode}", good_data(cat))
    assert response.status_code == 303
    lead = db.session.scalar(select(Lead))
    assert response.headers["Location"] == f"/t/{lead.public_token}"
    assert lead.mode == mode and lead.metro_id == metro.id and lead.requested_provider_id is None
    assert lead.customer_phone == "+17135550142" and lead.status == "verified"
    assert lead.quality_score == 75 and lead.delivery_status == "new"
    assert [e.kind for e in lead.events] == ["submitted"]
    email = db.session.scalar(select(OutboxEmail))
    assert email.to_email == "maria.garcia@gmail.com" and email.lead_id == lead.id
    assert email.status == "pending"


def test_direct_request_names_the_provider(client, db, houston, rq):
    _, cat, aaa = houston
    response = post_form(client, "/p/houston-aaa/request", good_data(cat))
    assert response.status_code == 303
    lead = db.session.scalar(select(Lead))
    assert lead.mode == "direct" and lead.requested_provider_id == aaa.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Houston AAA Grease Trap Cleaners" in page
    assert "will not send it to anyone else" in page


def test_submit_enqueues_email_and_routing_after_commit(client, db, houston, rq):
    _, cat, _ = houston
    post_form(client, "/m/houston/request/broadcast", good_data(cat))
    funcs = sorted(job.func_name for job in rq.jobs())
    assert funcs == ["app.jobs.route_lead", "app.jobs.send_email"]
    rq.run()
    lead = db.session.scalar(select(Lead))
    assert lead.routed_at is not None and lead.delivery_status != "new"  # then its mode's router took it
    assert [e.kind for e in lead.events][:2] == ["submitted", "ready"]


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"description": ""}, "description", "Tell providers what you need"),
        ({"description": "short"}, "description", "10 to 4,000 characters"),
        ({"customer_name": ""}, "customer_name", "Enter your name"),
        ({"city": ""}, "city", "Enter the city"),
        ({"category_id": "0"}, "category_id", "Choose the service you need"),
        ({"customer_email": "", "customer_phone": ""}, "customer_email", "Give an email or a phone number"),
        ({"customer_email": "maria@"}, "customer_email", "not valid"),
        ({"customer_phone": "call me"}, "customer_phone", "area code"),
        ({"urgency": "yesterday"}, "urgency", "Not a valid choice"),
    ],
)
def test_bad_input_rerenders_with_field_message_keeps_input_saves_nothing(
    client, db, houston, overrides, field, message
):
    _, cat, _ = houston
    data = good_data(cat, **overrides)
    response = post_form(client, "/m/houston/request/broadcast", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
    assert "Taqueria Maria" in html  # what was typed is kept
    assert count(db, Lead) == 0 and count(db, OutboxEmail) == 0 and count(db, LeadEvent) == 0


def test_phone_only_request_is_accepted_and_sends_no_email(client, db, houston):
    _, cat, _ = houston
    response = post_form(client, "/m/houston/request/broadcast", good_data(cat, customer_email=""))
    assert response.status_code == 303
    assert count(db, Lead) == 1 and count(db, OutboxEmail) == 0


def test_honeypot_lead_is_kept_but_held_for_review(client, db, houston, rq):
    _, cat, _ = houston
    response = post_form(client, "/m/houston/request/broadcast", good_data(cat, website="http://spam.example"))
    assert response.status_code == 303  # a bot learns nothing
    lead = db.session.scalar(select(Lead))
    assert lead.status == "pending" and lead.quality_score == 15
    assert "Spam trap field was filled in" in lead.quality_notes
    # issue 16: no email to the address the bot typed (nor routing)
    assert rq.jobs() == [] and count(db, OutboxEmail) == 0
    page = html.unescape(client.get(f"/t/{lead.public_token}").get_data(as_text=True))
    assert "We're checking your request" in page


def _confirmation_texts(db) -> str:
    from app.platform import outbox

    rows = list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "lead_confirmation")))
    assert len(rows) == 1, rows
    return "\n".join([*outbox.render(rows[0]), repr(rows[0].context)])


@pytest.mark.parametrize("mode", ["broadcast", "quotes"])
def test_held_lead_confirmation_echoes_no_typed_text_and_promises_nothing(client, db, houston, mode):
    _, cat, _ = houston
    spam = good_data(
        cat,
        customer_email="victim@mailinator.com",  # disposable (-30) and a near duplicate below: held
        customer_name="Buy Cheap Pills",
        description="VISIT cheap-pills.example NOW for the best deals on earth",
    )
    post_form(client, f"/m/houston/request/{mode}", spam)
    lead = db.session.scalar(select(Lead))
    assert lead.status == "pending", lead.quality_notes
    sent = _confirmation_texts(db)
    for typed in ("Buy Cheap", "cheap-pills", "best deals", "Taqueria", "12 Main"):
        assert typed not in sent, f"{typed!r} echoed to an unverified address:\n{sent}"
    for promise in ("offering it to", "Matching providers can now see", "Up to 3"):
        assert promise not in sent, sent
    assert f"/t/{lead.public_token}" in sent and "We check it" in sent


def test_verified_lead_confirmation_still_repeats_the_request(client, db, houston):
    _, cat, _ = houston
    post_form(client, "/m/houston/request/broadcast", good_data(cat))
    sent = _confirmation_texts(db)
    assert "Maria Garcia" in sent and "1,000 gallon trap" in sent and "offering it to" in sent


def test_honeypot_lead_verified_by_an_admin_gets_its_confirmation_then(client, db, houston, factory):
    from app.leads import review

    _, cat, _ = houston
    post_form(client, "/m/houston/request/broadcast", good_data(cat, website="x"))
    lead = db.session.scalar(select(Lead))
    assert count(db, OutboxEmail) == 0
    review.verify(db.session, [lead.id], factory.admin())
    db.session.commit()
    assert "1,000 gallon trap" in _confirmation_texts(db)


def test_near_duplicate_within_a_day_is_held(client, db, houston):
    _, cat, _ = houston
    post_form(client, "/m/houston/request/broadcast", good_data(cat))
    post_form(
        client,
        "/m/houston/request/broadcast",
        good_data(cat, customer_phone="", description="Trap again please, overflowing"),
    )
    first, second = db.session.scalars(select(Lead).order_by(Lead.id))
    assert first.status == "verified"
    assert second.status == "pending" and second.quality_score == 45


def test_disposable_email_is_held(client, db, houston):
    _, cat, _ = houston
    post_form(client, "/m/houston/request/quotes", good_data(cat, customer_email="x@mailinator.com"))
    assert db.session.scalar(select(Lead)).status == "pending"


def test_unknown_mode_metro_or_provider_is_404(client, db, houston):
    assert client.get("/m/houston/request/auction").status_code == 404
    assert client.get("/m/atlantis/request/broadcast").status_code == 404
    assert client.get("/p/nobody/request").status_code == 404


def test_post_without_csrf_token_changes_nothing(client, db, houston):
    _, cat, _ = houston
    response = client.post("/m/houston/request/broadcast", data=good_data(cat))
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert count(db, Lead) == 0


def test_public_form_is_rate_limited_per_client_address(client, db, houston, app):
    _, cat, _ = houston
    limit = int(app.config["LEAD_RATE_LIMIT"].split()[0])
    statuses = [
        post_form(
            client,
            "/m/houston/request/broadcast",
            good_data(
                cat, customer_email=f"c{i}@gmail.com", customer_phone="", description=f"Job number {i} needs pumping"
            ),
        ).status_code
        for i in range(limit + 1)
    ]
    assert statuses[:limit] == [303] * limit
    assert statuses[limit] == 429
    assert count(db, Lead) == limit
    other = client.post("/m/houston/request/broadcast", data={}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 400  # another address is not limited (fails CSRF instead)


def test_failed_submissions_do_not_use_up_the_rate_limit(client, db, houston, app):
    _, cat, _ = houston
    limit = int(app.config["LEAD_RATE_LIMIT"].split()[0])
    bad = [
        post_form(client, "/m/houston/request/broadcast", good_data(cat, customer_email="not-an-email")).status_code
        for _ in range(limit + 2)
    ]
    assert bad == [422] * (limit + 2), bad
    fixed = post_form(client, "/m/houston/request/broadcast", good_data(cat))
    assert fixed.status_code == 303, f"the corrected form was answered {fixed.status_code} after {len(bad)} 422s"
    assert count(db, Lead) == 1


def test_inline_check_reports_one_field(client, db, houston, csrf):
    token = csrf("/m/houston/request/broadcast")
    bad = client.post(
        "/request/check/customer_phone",
        data={"customer_phone": "12"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert "wrong number of digits" in bad.get_data(as_text=True)
    good = client.post(
        "/request/check/customer_email",
        data={"customer_email": "a@gmail.com"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert good.status_code == 200 and "<p>" not in good.get_data(as_text=True)


def test_tracking_page_polls_until_final_and_404s_for_unknown_token(client, db, factory):
    lead = factory.lead()
    db.session.commit()
    page = client.get(f"/t/{lead.public_token}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'hx-trigger="every' in page.get_data(as_text=True)
    fragment = client.get(f"/t/{lead.public_token}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    lead.status = "cancelled"
    db.session.commit()
    final = client.get(f"/t/{lead.public_token}", headers={"HX-Request": "true"})
    assert final.status_code == 286 and "Request cancelled" in final.get_data(as_text=True)
    assert "hx-trigger" not in final.get_data(as_text=True)
    assert client.get("/t/not-a-real-token").status_code == 404
    assert len(lead.public_token) >= 43  # 256 bits, URL-safe


# ---------------------------------------------------------------- issue 16: one-time submission key
def _form_with_key(client, url, data):
    page = client.get(url).get_data(as_text=True)
    key = re.search(r'<input[^>]*name="submission_key"[^>]*>', page)
    assert key, "the request form carries a one-time submission key"
    value = re.search(r'value="([^"]+)"', key.group(0))
    assert value, key.group(0)
    return {**data, "csrf_token": csrf_from(page), "submission_key": html.unescape(value.group(1))}


def test_each_rendering_of_the_form_has_its_own_key(client, db, houston):
    _, cat, _ = houston
    first = _form_with_key(client, "/m/houston/request/broadcast", good_data(cat))
    second = _form_with_key(client, "/m/houston/request/broadcast", good_data(cat))
    assert first["submission_key"] != second["submission_key"] and len(first["submission_key"]) >= 16


def test_a_resent_form_gives_the_same_tracking_page_and_one_lead(client, db, houston):
    _, cat, _ = houston
    data = _form_with_key(client, "/m/houston/request/broadcast", good_data(cat))
    first = client.post("/m/houston/request/broadcast", data=data)
    again = client.post("/m/houston/request/broadcast", data=data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert count(db, Lead) == 1 and count(db, OutboxEmail) == 1


def test_a_form_with_errors_keeps_its_key(client, db, houston):
    _, cat, _ = houston
    data = _form_with_key(client, "/m/houston/request/broadcast", good_data(cat, city=""))
    page = client.post("/m/houston/request/broadcast", data=data).get_data(as_text=True)
    assert data["submission_key"] in page


@pytest.mark.parametrize("trial", range(3))
def test_two_identical_posts_at_once_make_one_lead_and_one_email(app, db, houston, race, trial):
    from tests.conftest import new_client

    _, cat, _ = houston
    browser = new_client(app)
    data = _form_with_key(browser, "/m/houston/request/broadcast", good_data(cat))
    db.session.commit()  # the threads see only committed rows (and SQLite's write lock is free)
    cookies = [(c.key, c.value, c.domain, c.path) for c in browser._cookies.values()]

    def submit(i):
        tab = new_client(app)  # the same browser (its cookies), two requests in flight
        for key, value, domain, path in cookies:
            tab.set_cookie(key, value, domain=domain, path=path)
        response = tab.post("/m/houston/request/broadcast", data=data)
        return response.status_code, response.headers.get("Location")

    results = race(2, submit)
    assert results.errors == [], results
    assert [code for code, _ in results] == [303, 303], results
    assert len({location for _, location in results}) == 1, results
    db.session.expire_all()
    assert count(db, Lead) == 1, "two leads from one form"
    assert count(db, OutboxEmail) == 1 and count(db, LeadEvent) == 1


def test_the_form_is_in_three_steps_with_progress_on_one_page(client, db, houston):
    page = client.get("/m/houston/request/broadcast").get_data(as_text=True)
    assert texts_of(page, "#lead-form > fieldset > legend") == [
        "Step 1 of 3 What and where",
        "Step 2 of 3 How soon",
        "Step 3 of 3 How to reach you",
    ]
    assert texts_of(page, "ol.form-progress li") == ["1 What and where", "2 How soon", "3 How to reach you"]
    assert attr_of(page, "ol.form-progress li a", "href") == "#step-1"
    assert has(page, "#step-1 select#category_id") and has(page, "#step-1 input[name=website]")  # trap in step 1
    assert has(page, "#step-2 select#urgency") and has(page, "#step-3 input#customer_email")
    assert has(page, "#lead-form button[type=submit]")  # one page, one submit: works without JavaScript
