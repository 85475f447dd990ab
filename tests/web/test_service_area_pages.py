"""Service areas over HTTP (issue 13): the provider's area page (save, coverage in words, field
messages, CSRF), the request form's ZIP, and the metro page's ZIP filter."""

from __future__ import annotations

from sqlalchemy import func, select

from app.leads import zips
from app.models import Lead, Provider
from tests.web.test_intake import good_data, post_form


def test_a_provider_sets_its_area_and_sees_it_described_and_counted(db, factory, as_provider):
    client = as_provider(name="Area Pumping")
    page = client.get("/provider/settings/area").get_data(as_text=True)
    assert "Every ZIP code in Houston." in page
    saved = client.post(
        "/provider/settings/area", data={"base_zip": "77002-1234", "radius_miles": "10", "zip_list": "77494"}
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)[:500]
    provider = db.session.get(Provider, client.provider.id)
    db.session.refresh(provider)
    assert (provider.base_zip, provider.service_radius_miles, provider.area_zip_count) == ("77002", 10, 1)
    page = client.get("/provider/settings/area").get_data(as_text=True)
    center = zips.lookup("77002")
    count = len({z.code for z, _ in zips.within(center, 10)} | {"77494"})
    assert "within 10 miles of Houston, TX 77002" in page and f"{count} ZIP codes in all" in page, page


def test_unknown_zips_get_a_field_message_and_change_nothing(db, factory, as_provider):
    client = as_provider()
    response = client.post("/provider/settings/area", data={"base_zip": "00000", "radius_miles": "10", "zip_list": ""})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert zips.UNKNOWN_ZIP in body and 'id="base_zip-error"' in body
    response = client.post("/provider/settings/area", data={"base_zip": "", "radius_miles": "", "zip_list": "77002 12"})
    assert response.status_code == 422 and "We don&#39;t know these US ZIP codes: 12" in response.get_data(as_text=True)
    provider = db.session.get(Provider, client.provider.id)
    db.session.refresh(provider)
    assert (provider.base_zip, provider.service_radius_miles, provider.area_zip_count) == (None, None, 0)


def test_the_area_form_needs_its_csrf_token(db, factory, as_provider):
    client = as_provider()
    response = client.post("/provider/settings/area", data={"base_zip": "77002", "radius_miles": "5"}, csrf=False)
    assert response.status_code == 400
    assert db.session.get(Provider, client.provider.id).base_zip is None


def test_the_request_form_refuses_an_unknown_zip_and_saves_nothing(client, db, factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category()
    db.session.commit()
    url = "/m/houston/request/broadcast"
    for bad, message in (("00000", zips.UNKNOWN_ZIP), ("", "Enter the ZIP code where the service is needed")):
        response = post_form(client, url, good_data(cat, postal_code=bad))
        assert response.status_code == 422, bad
        assert message in response.get_data(as_text=True), bad
    assert db.session.scalar(select(func.count(Lead.id))) == 0
    ok = post_form(client, url, good_data(cat, postal_code="77002-0001"))
    assert ok.status_code in (302, 303)
    assert db.session.scalar(select(Lead.postal_code)) == "77002" and metro.id


def test_the_metro_page_filters_providers_by_the_customers_zip(client, db, factory):
    from app.accounts import service_area

    metro = factory.metro("Houston", slug="houston")
    near = factory.provider(metro=metro, name="Downtown Pumping")
    far = factory.provider(metro=metro, name="Katy Pumping")
    anywhere = factory.provider(metro=metro, name="Metro-wide Pumping")
    service_area.update_area(db.session, near, base_zip="77002", radius="5", zip_list="")
    service_area.update_area(db.session, far, base_zip="77494", radius="5", zip_list="")
    db.session.commit()
    page = client.get("/m/houston?zip=77002").get_data(as_text=True)
    assert "Downtown Pumping" in page and "Metro-wide Pumping" in page and "Katy Pumping" not in page
    assert "serving 77002" in page
    everyone = client.get("/m/houston").get_data(as_text=True)
    assert all(p.name in everyone for p in (near, far, anywhere))
    unknown = client.get("/m/houston?zip=99999").get_data(as_text=True)
    assert zips.UNKNOWN_ZIP in unknown and "Katy Pumping" in unknown  # not filtered by a ZIP we do not know
