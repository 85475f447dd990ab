"""A provider's page for customers (issue 15): trust signals from what FogForge holds, and no
plan tier (what the provider pays us) except for admins and the provider itself."""

from datetime import datetime

from app.core import clock as clock_module
from tests.dom import has, text_of, texts_of


def test_customer_sees_verified_since_jobs_response_time_and_reviews(db, factory, anon):
    provider = factory.provider(status="verified", tier="pro", name="Trusty Pumping")
    provider.verified_at = datetime(2026, 3, 14, 17, 0, tzinfo=clock_module.UTC)
    for _ in range(2):
        lead = factory.lead(metro=provider.home_metro, status="completed", assigned_provider_id=provider.id)
        factory.review(lead, provider, rating=4)
    factory.lead(metro=provider.home_metro, status="verified", assigned_provider_id=provider.id)  # not done yet
    db.session.commit()
    page = anon.get(f"/p/{provider.slug}").get_data(as_text=True)
    assert text_of(page, "#trust-verified") == "Business details checked by FogForge, verified since March 2026"
    assert text_of(page, "#trust-jobs") == "2"
    assert text_of(page, "#trust-response") == "Not enough requests yet to tell"
    assert text_of(page, "#trust-reviews").startswith("★ 4.0 out of 5 from 2 customers")
    assert not has(page, ".badge-pro"), texts_of(page, ".badges .badge")


def test_an_unverified_listing_says_so(db, factory, anon):
    provider = factory.provider(status="unclaimed", tier="free")
    db.session.commit()
    page = anon.get(f"/p/{provider.slug}").get_data(as_text=True)
    assert text_of(page, "#trust-verified") == "Not verified yet"
    assert text_of(page, "#trust-jobs") == "None yet"


def test_the_tier_shows_to_admins_and_the_provider_itself_only(db, factory, anon, as_admin, as_provider):
    metro = factory.metro("Houston")
    own = as_provider(metro=metro, status="verified", tier="growth")
    other = as_provider(metro=metro, status="verified", tier="pro")
    slug = own.provider.slug
    assert not has(anon.get(f"/p/{slug}").get_data(as_text=True), ".badge-growth")
    assert not has(other.get(f"/p/{slug}").get_data(as_text=True), ".badge-growth")
    assert text_of(own.get(f"/p/{slug}").get_data(as_text=True), ".badge-growth") == "Growth"
    assert text_of(as_admin.get(f"/p/{slug}").get_data(as_text=True), ".badge-growth") == "Growth"
    assert not has(anon.get(f"/m/{metro.slug}").get_data(as_text=True), ".badge-growth, .badge-pro")
    assert has(as_admin.get(f"/m/{metro.slug}").get_data(as_text=True), ".badge-growth")
