"""Issue 16: a NUL byte or another control character in any input never gives a 500 (it did on
PostgreSQL): form fields and API fields are refused with a field message and nothing is saved;
query arguments lose them; a URL path holding one is a 404. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.leads.validation import CONTROL_CHARS_ERROR
from app.models import ApiIdempotency, Lead, LeadEvent, OutboxEmail
from tests.factories import Factory
from tests.web.test_api import lead_body
from tests.web.test_intake import good_data

BAD = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f"]


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def houston(factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping", slug="grease-trap-pumping")
    pro = factory.provider(metro=metro, categories=[cat], name="Bayou Pumping", status="verified", tier="pro")
    pro.slug = "bayou-pumping"
    factory.session.commit()
    return metro, cat, pro


@pytest.mark.parametrize("char", BAD)
@pytest.mark.parametrize("field", ["description", "customer_name", "city", "preferred_time", "business_name"])
def test_request_form_refuses_control_characters_with_a_field_message(anon, db, houston, field, char):
    _, cat, _ = houston
    data = good_data(cat)
    data[field] = f"ab{char}cd " + data[field]
    response = anon.post("/m/houston/request/broadcast", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422, f"{field} with {char!r}: {response.status_code}"
    assert CONTROL_CHARS_ERROR in page and f'id="{field}-error"' in page, page[:2000]
    assert count(db, Lead) == 0 and count(db, OutboxEmail) == 0 and count(db, LeadEvent) == 0


def test_request_form_keeps_tabs_and_newlines(anon, db, houston):
    _, cat, _ = houston
    response = anon.post("/m/houston/request/quotes", data=good_data(cat, description="Line one\r\n\tline two ok"))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert db.session.scalar(select(Lead.description)) == "Line one\r\n\tline two ok"


@pytest.mark.parametrize("field", ["description", "customer_name", "city", "customer_email", "metro"])
def test_partner_api_refuses_control_characters_naming_the_field(anon, db, houston, field):
    _, plaintext = Factory(db.session).partner_key("Acme")
    db.session.commit()
    body = lead_body(**{field: lead_body()[field] + "\x00 tail"})
    response = anon.post(
        "/api/v1/leads",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {plaintext}", "Idempotency-Key": "nul-1"},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["error"] == "validation_failed" and "control characters" in answer["fields"][field], answer
    assert count(db, Lead) == 0 and count(db, ApiIdempotency) == 0


def test_admin_search_ignores_control_characters(as_admin, db, factory):
    factory.lead(customer_name="Abcd Garcia")
    factory.session.commit()
    for q in ("ab%00cd", "ab%01cd", "%00", "ab%1bcd"):
        response = as_admin.get(f"/admin/leads?q={q}")
        assert response.status_code == 200, f"q={q}: {response.status_code}"
    assert "Abcd G" in as_admin.get("/admin/leads?q=ab%00cd").get_data(as_text=True)


def test_control_characters_in_paths_query_and_login_are_no_500(anon, db, houston):
    for url in ("/p/bayou%00pumping", "/m/hou%00ston", "/t/ab%00cd", "/m/houston?category=a%00b"):
        status = anon.get(url).status_code
        assert status in (200, 404), f"{url}: {status}"
    response = anon.post("/auth/login", data={"email": "a\x00@example.com", "password": "x\x00" * 6})
    assert response.status_code in (200, 422) and CONTROL_CHARS_ERROR in response.get_data(as_text=True)
