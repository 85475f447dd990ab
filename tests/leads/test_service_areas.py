"""Service areas by ZIP and distance (issue 13), routed in SQL (issue 10): radius edges, listed
ZIPs, providers without an area keep their metros, the routing order, the direct escrow reason,
and unknown ZIPs refused with a field message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import service_area
from app.broadcast import waves
from app.broadcast.pool import choose
from app.core.refusal import Refusal
from app.direct import consent, escrow_inbox, release
from app.leads import pool_query, routing, zips
from app.models import Provider
from app.models.provider import provider_zips
from app.quotes import matching

BASE = "77002"  # downtown Houston
RADIUS = 10


@pytest.fixture
def edge():
    """(ZIP just inside, ZIP just outside) a RADIUS-mile circle around BASE, from the dataset."""
    center = zips.lookup(BASE)
    assert center is not None
    ring = zips.within(center, RADIUS + 1)
    inside = [(z, d) for z, d in ring if d <= RADIUS]
    outside = [(z, d) for z, d in ring if d > RADIUS]
    (z_in, d_in), (z_out, d_out) = inside[-1], outside[0]
    assert RADIUS - 0.6 < d_in <= RADIUS < d_out < RADIUS + 0.6, (d_in, d_out)
    return z_in, z_out


@pytest.fixture
def market(factory):
    metro = factory.metro("Houston", slug="houston")
    cat = factory.category("Grease trap pumping")

    def provider(tier="pro", **kw):
        kw.setdefault("categories", [cat])
        return factory.provider(metro=kw.pop("metro", metro), tier=tier, **kw)

    return metro, cat, provider


def set_area(db, provider, base=BASE, radius=RADIUS, listed=""):
    service_area.update_area(db.session, provider, base_zip=base, radius=str(radius or ""), zip_list=listed)
    db.session.flush()
    return provider


def broadcast(db, factory, metro, cat, zip_code):
    lead = factory.lead(metro=metro, category=cat, delivery_status="ready", postal_code=zip_code)
    assert waves.start(db.session, lead)
    db.session.flush()
    return lead


def test_radius_edges_a_zip_just_inside_is_offered_one_just_outside_is_not(db, factory, market, edge):
    metro, cat, provider = market
    near = set_area(db, provider("pro", name="Radius provider"))
    z_in, z_out = edge
    inside = broadcast(db, factory, metro, cat, z_in.code)
    assert [o.provider_id for o in inside.offers] == [near.id], f"{z_in.code} is inside {RADIUS} mi"
    outside = broadcast(db, factory, metro, cat, z_out.code)
    assert outside.offers == [] and outside.delivery_status == "pending", (
        f"{z_out.code} is outside {RADIUS} mi, but offers went to {[o.provider_id for o in outside.offers]}"
    )
    # the Python twin used for direct requests and quote unlocks agrees with the SQL
    assert pool_query.provider_covers(near, z_in) and not pool_query.provider_covers(near, z_out)


def test_quote_router_uses_the_area_too(db, factory, market, edge):
    metro, cat, provider = market
    near = set_area(db, provider("growth"))
    z_in, z_out = edge
    lead_in = factory.lead(metro=metro, category=cat, mode="quotes", postal_code=z_in.code)
    lead_out = factory.lead(metro=metro, category=cat, mode="quotes", postal_code=z_out.code)
    assert [p.id for p in matching.candidates(db.session, lead_in)] == [near.id]
    assert matching.candidates(db.session, lead_out) == []
    assert matching.check(db.session, near, lead_out).reason == "no_match"


def test_listed_zips_cover_exactly_those_zips(db, factory, market, edge):
    metro, cat, provider = market
    z_in, z_out = edge
    listed = set_area(db, provider("pro"), base="", radius=None, listed=f"{z_out.code}, 77494")
    assert listed.area_zip_count == 2 and listed.base_zip is None
    assert [o.provider_id for o in broadcast(db, factory, metro, cat, z_out.code).offers] == [listed.id]
    assert broadcast(db, factory, metro, cat, z_in.code).offers == []


def test_a_provider_without_an_area_keeps_covering_its_metros(db, factory, market, edge):
    metro, cat, provider = market
    everywhere = provider("pro")
    z_in, z_out = edge
    for code in (z_in.code, z_out.code, "77494", None):
        lead = broadcast(db, factory, metro, cat, code)
        assert [o.provider_id for o in lead.offers] == [everywhere.id], code
    # but never outside its metros, whatever the ZIP
    other = factory.metro("Dallas", slug="dallas")
    assert broadcast(db, factory, other, cat, z_in.code).offers == []


def test_order_within_a_tier_least_recently_offered_then_nearest_then_fastest(db, factory, market, clock):
    metro, cat, provider = market
    site = zips.lookup("77002")
    assert site is not None
    far = set_area(db, provider("pro", name="Far, never offered"), base="77494", radius=60)  # Katy, ~25 mi
    near_slow = set_area(db, provider("pro", name="Near slow"), base="77002", radius=60)
    near_fast = set_area(db, provider("pro", name="Near fast"), base="77002", radius=60)
    offered_before = set_area(db, provider("pro", name="Offered yesterday"), base="77002", radius=60)
    offered_before.last_offered_at = clock.now() - timedelta(days=1)
    no_base = provider("pro", name="No base ZIP")  # distance unknown: after the known ones
    growth = set_area(db, provider("growth", name="Growth, nearest"), base="77002", radius=60)
    near_slow.median_response_seconds, near_fast.median_response_seconds = 900.0, 60.0
    db.session.flush()
    lead = factory.lead(metro=metro, category=cat, postal_code=site.code)
    wave = {"tiers": ["pro", "growth"], "size": 10, "minutes": 5}
    chosen = choose(db.session, lead, wave, set())
    names = [db.session.get(Provider, c.provider_id).name for c in chosen]
    assert names == [
        "Near fast",
        "Near slow",
        "Far, never offered",
        "No base ZIP",
        "Offered yesterday",
        "Growth, nearest",
    ], names
    assert [c.miles for c in chosen][:3] == [
        0.0,
        0.0,
        pytest.approx(zips.miles(site.lat, site.lon, far.base_lat, far.base_lon), abs=0.1),
    ]
    assert growth.id == chosen[-1].provider_id and no_base.id in [c.provider_id for c in chosen]


def test_direct_request_outside_the_area_waits_in_escrow_with_that_reason(db, factory, market, edge):
    metro, cat, provider = market
    target = set_area(db, provider("pro"))
    z_in, z_out = edge
    lead = factory.lead(metro=metro, category=cat, mode="direct", requested_provider=target, postal_code=z_out.code)
    assert routing.route(db.session, lead.id)
    assert (lead.delivery_status, lead.escrow_reason) == ("pending", "out_of_area")
    # the inbox keeps saying why (the provider itself is eligible), and no release sends it
    assert escrow_inbox.reason_of(lead) == "out_of_area"
    assert release.release_for_provider(db.session, target) == []
    assert escrow_inbox.label_of("out_of_area", False) == "Outside the provider's service area"
    why = consent.why(lead)  # the tracking page tells the customer, in words, never the plan
    assert why.startswith("Your address is outside the area") and target.name in why, why
    inside = factory.lead(metro=metro, category=cat, mode="direct", requested_provider=target, postal_code=z_in.code)
    assert routing.route(db.session, inside.id)
    assert inside.delivery_status == "delivered"


def test_unknown_zips_are_refused_with_a_field_message_and_nothing_changes(db, factory, market):
    metro, cat, provider = market
    listing = set_area(db, provider("pro"), base="77002", radius=15, listed="77003")
    for kwargs, field in (
        ({"base_zip": "00000", "radius": "5", "zip_list": ""}, "base_zip"),
        ({"base_zip": "7700", "radius": "", "zip_list": ""}, "base_zip"),
        ({"base_zip": "77002", "radius": "500", "zip_list": ""}, "radius_miles"),
        ({"base_zip": "", "radius": "5", "zip_list": ""}, "base_zip"),
        ({"base_zip": "77002", "radius": "5", "zip_list": "77003 99999 hello"}, "zip_list"),
    ):
        with pytest.raises(Refusal) as refused:
            service_area.update_area(db.session, listing, **kwargs)
        assert field in refused.value.fields, (kwargs, refused.value.fields)
    assert "99999" in refused.value.fields["zip_list"] and "hello" in refused.value.fields["zip_list"]
    db.session.refresh(listing)
    assert (listing.base_zip, listing.service_radius_miles, listing.area_zip_count) == ("77002", 15, 1)
    assert db.session.scalar(select(func.count()).select_from(provider_zips)) == 1


def test_coverage_is_described_in_words_and_counted(db, factory, market):
    metro, cat, provider = market
    listing = provider("pro")
    assert service_area.describe(db.session, listing) == service_area.Coverage("Every ZIP code in Houston.", None)
    set_area(db, listing, base="77002", radius=5, listed="77494")
    coverage = service_area.describe(db.session, listing)
    expected = {z.code for z, _ in zips.within(zips.lookup("77002"), 5)} | {"77494"}
    assert coverage.zip_count == len(expected) and coverage.zip_count > 5
    assert "within 5 miles of Houston, TX 77002" in coverage.words and "1 ZIP code you listed" in coverage.words


def test_zip_normalisation():
    assert zips.normalize(" 77002-1234 ") == "77002" and zips.normalize("7700") is None
    assert zips.check("") == (None, None) and zips.check("77002") == ("77002", None)
    assert zips.check("00000") == (None, zips.UNKNOWN_ZIP)
    assert db_free_distance() < 1.0


def db_free_distance() -> float:
    a, b = zips.lookup("77002"), zips.lookup("77010")
    assert a is not None and b is not None
    return zips.miles(a.lat, a.lon, b.lat, b.lon)


def test_a_providers_quote_list_leaves_out_open_leads_outside_its_area(db, factory, market, edge):
    from app.quotes import preview

    metro, cat, provider = market
    near = set_area(db, provider("pro"), listed="77494")
    z_in, z_out = edge
    inside = factory.lead(metro=metro, category=cat, mode="quotes", delivery_status="quoting", postal_code=z_in.code)
    listed = factory.lead(metro=metro, category=cat, mode="quotes", delivery_status="quoting", postal_code="77494")
    outside = factory.lead(metro=metro, category=cat, mode="quotes", delivery_status="quoting", postal_code=z_out.code)
    no_zip = factory.lead(metro=metro, category=cat, mode="quotes", delivery_status="quoting")
    shown = {lead.id for lead in preview.visible_leads(db.session, near)}
    assert shown == {inside.id, listed.id, no_zip.id}, (shown, outside.id)
    assert not preview.may_preview(near, outside) and preview.may_preview(near, inside)
