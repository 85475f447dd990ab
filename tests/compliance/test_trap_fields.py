"""Trap fields on the request: website form (all three modes), partner API, masked preview,
sites attached by email + address."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core import clock
from app.leads import masking
from app.models import Lead, Site, Trap
from tests.conftest import csrf_from
from tests.web.test_intake import good_data


@pytest.fixture
def houston(factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping", slug="grease-trap-pumping")
    pro = factory.provider(metro=metro, categories=[cat], name="Bayou Pumping", status="verified", tier="pro")
    pro.slug = "bayou-pumping"
    factory.session.commit()
    return metro, cat, pro


def post_form(client, url, data):
    token = csrf_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


TRAP = {
    "trap_type": "interceptor",
    "trap_capacity_gallons": "1,500",
    "trap_last_pumped": "2026-01-15",
    "trap_access_notes": "Lid behind the dumpster; call 713-555-0199 first",
}


@pytest.mark.parametrize(
    "url", ["/m/houston/request/broadcast", "/m/houston/request/quotes", "/p/bayou-pumping/request"]
)
def test_each_mode_saves_the_trap_fields_and_attaches_a_site_and_trap(client, db, houston, url, clock):
    clock.freeze(clock.now().replace(year=2026, month=3, day=1, hour=15))
    _, cat, _ = houston
    response = post_form(client, url, good_data(cat, **TRAP))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    lead = db.session.scalar(select(Lead))
    assert (lead.trap_type, lead.trap_capacity_gallons, str(lead.trap_last_pumped)) == (
        "interceptor",
        1500,
        "2026-01-15",
    )
    site = db.session.get(Site, lead.site_id)
    trap = db.session.get(Trap, lead.trap_id)
    assert site.owner_email == "maria.garcia@gmail.com" and site.street == "12 Main St"
    assert trap.site_id == site.id and trap.capacity_gallons == 1500


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"trap_capacity_gallons": "0"}, "trap_capacity_gallons", "between 10 and 10,000"),
        ({"trap_capacity_gallons": "1e9"}, "trap_capacity_gallons", "whole number"),
        ({"trap_capacity_gallons": "1000000000"}, "trap_capacity_gallons", "whole number"),
        ({"trap_last_pumped": "2099-01-01"}, "trap_last_pumped", "cannot be in the future"),
        ({"trap_capacity_gallons": ""}, "trap_capacity_gallons", "capacity in gallons"),
        ({"trap_type": "", "trap_capacity_gallons": "500"}, "trap_type", "Choose the trap type"),
        ({"trap_type": "septic"}, "trap_type", "Not a valid choice"),
        ({"trap_access_notes": "x" * 1001}, "trap_access_notes", "under 1,000"),
        ({"trap_access_notes": "a\x00b"}, "trap_access_notes", "control characters"),
    ],
)
def test_bad_trap_fields_get_a_field_message_and_save_nothing(client, db, houston, overrides, field, words):
    _, cat, _ = houston
    response = post_form(client, "/m/houston/request/broadcast", good_data(cat, **{**TRAP, **overrides}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page[:300]
    assert f'id="{field}-error"' in page and words in page.split(f'id="{field}-error"')[1][:400], page[:2000]
    assert (count(db, Lead), count(db, Site), count(db, Trap)) == (0, 0, 0)


def test_same_email_and_address_attach_to_one_site_and_one_trap(client, db, houston):
    _, cat, _ = houston
    post_form(client, "/m/houston/request/broadcast", good_data(cat, **TRAP))
    again = good_data(
        cat,
        **TRAP,
        street="12 Main Street",
        customer_email="Maria.Garcia@gmail.com",
        description="Second visit please.",
    )
    post_form(client, "/m/houston/request/quotes", again)
    elsewhere = good_data(cat, **TRAP, street="400 Elm St", description="Our other kitchen needs it too.")
    post_form(client, "/m/houston/request/quotes", elsewhere)
    leads = db.session.scalars(select(Lead).order_by(Lead.id)).all()
    assert len(leads) == 3
    assert leads[0].site_id == leads[1].site_id != leads[2].site_id
    assert leads[0].trap_id == leads[1].trap_id
    assert count(db, Site) == 2


def test_partner_api_accepts_trap_fields_and_refuses_bad_ones(client, db, houston, factory):
    _, key = factory.partner_key("Acme")
    db.session.commit()
    body = {
        "mode": "broadcast",
        "metro": "houston",
        "category": "grease-trap-pumping",
        "description": "Interceptor due for pump-out.",
        "customer_name": "Maria Garcia",
        "customer_email": "maria.garcia@gmail.com",
        "city": "Houston",
        "street": "12 Main St",
        "trap_type": "indoor",
        "trap_capacity_gallons": 50,
        "trap_last_pumped": "2026-01-01",
    }
    headers = {"Authorization": f"Bearer {key}"}
    ok = client.post("/api/v1/leads", data=json.dumps(body), headers=headers, content_type="application/json")
    assert ok.status_code == 201, ok.get_json()
    lead = db.session.scalar(select(Lead))
    assert (lead.trap_type, lead.trap_capacity_gallons) == ("indoor", 50) and lead.trap_id is not None
    tomorrow = (clock.now() + timedelta(days=2)).date().isoformat()
    for bad, field in (
        ({"trap_capacity_gallons": 1e9}, "trap_capacity_gallons"),
        ({"trap_capacity_gallons": 0}, "trap_capacity_gallons"),
        ({"trap_capacity_gallons": True}, "trap_capacity_gallons"),
        ({"trap_last_pumped": tomorrow}, "trap_last_pumped"),
        ({"trap_type": "septic"}, "trap_type"),
        ({"trap_capacity_gallons": None}, "trap_capacity_gallons"),
    ):
        answer = client.post(
            "/api/v1/leads", data=json.dumps({**body, **bad}), headers=headers, content_type="application/json"
        )
        assert answer.status_code == 422 and field in answer.get_json()["fields"], (bad, answer.get_json())
    assert count(db, Lead) == 1


def test_masked_preview_shows_the_trap_but_masks_contact_in_access_notes(factory):
    lead = factory.lead(
        trap_type="interceptor",
        trap_capacity_gallons=1500,
        trap_access_notes="Gate code with Maria, call 713-555-0199",
    )
    shown = masking.preview(lead)
    assert (shown["trap_type"], shown["trap_capacity_gallons"]) == ("interceptor", 1500)
    assert "555-0199" not in shown["trap_access_notes"] and "(***) ***-0199" in shown["trap_access_notes"]
