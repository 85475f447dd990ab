"""Public pages, health, error pages and security headers."""

import html

import pytest

from app import demo


@pytest.fixture
def seeded(db):
    demo.seed(db.session)
    db.session.commit()


def text(response):
    return html.unescape(response.get_data(as_text=True))


def test_home_lists_metros(client, seeded):
    page = text(client.get("/"))
    for name in ("Houston", "Dallas", "Austin"):
        assert f"{name}, TX" in page


def test_metro_page_shows_providers_badges_and_both_calls_to_action(client, seeded):
    page = text(client.get("/m/houston"))
    assert "Get help fast from anyone in Houston" in page
    assert "Get up to 3 quotes" in page
    assert "Houston AAA Grease Trap Cleaners" in page
    assert "✓ Verified" in page and "badge-pro" not in page  # customers never see the plan tier
    assert "Houston Unclaimed Oil Recyclers" in page
    assert page.index("Houston Pro Pumping") < page.index("Houston AAA Grease Trap Cleaners")


def test_metro_page_filters_by_category(client, seeded):
    page = text(client.get("/m/houston?category=lift-station-cleaning"))
    assert "Houston Pro Pumping" in page and "Houston Growth Grease Services" not in page


def test_provider_page_offers_request_and_claim_for_unclaimed(client, seeded):
    page = text(client.get("/p/houston-aaa-grease-trap-cleaners"))
    assert "Request this provider" in page
    assert "Is this your business?" in page and "Claim it" in page
    claimed = text(client.get("/p/houston-pro-pumping"))
    assert "Request this provider" in claimed and "Claim it" not in claimed


def test_unknown_pages_render_the_404_template(client, seeded):
    response = client.get("/m/atlantis")
    assert response.status_code == 404 and "Page not found" in text(response)
    assert client.get("/p/nobody").status_code == 404


def test_seed_is_idempotent(db, seeded):
    from sqlalchemy import func, select

    from app.models import Provider, User

    before = (db.session.scalar(select(func.count(Provider.id))), db.session.scalar(select(func.count(User.id))))
    demo.seed(db.session)
    db.session.commit()
    after = (db.session.scalar(select(func.count(Provider.id))), db.session.scalar(select(func.count(User.id))))
    assert before == after
    states = set(db.session.scalars(select(Provider.status)))
    tiers = set(db.session.scalars(select(Provider.tier)))
    assert states == {"unclaimed", "claimed", "verified"} and tiers == {"pro", "growth", "starter", "free"}


def test_healthz_reports_database_and_redis(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    empty = {"count": 0, "oldest_seconds": None}
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "queue": {"depth": 0},
        "backlog": {"emails": empty, "leads": empty, "waves": empty},
    }


def test_healthz_is_503_when_redis_is_down(client, db, app, monkeypatch):
    from redis import Redis

    monkeypatch.setitem(app.extensions, "fogforge_redis", Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["redis"].startswith("error") and response.json["database"] == "ok"


def test_security_headers_on_every_page(client, db):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_pages_have_no_inline_script_or_style(client, seeded):
    import re

    for url in ("/", "/m/houston", "/p/houston-aaa-grease-trap-cleaners", "/m/houston/request/broadcast"):
        body = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert "<style" not in body and " style=" not in body, url
        assert 'name="htmx-config"' in body and '"includeIndicatorStyles": false' in body


def test_badges_show_fast_responders_and_ratings(client, db, factory):
    from datetime import timedelta

    from app.core import clock

    metro = factory.metro("Houston", slug="houston")
    fast = factory.provider(metro=metro, name="Fast Pumping")
    slow = factory.provider(metro=metro, name="Slow Pumping")
    for provider, minutes in ((fast, 3), (slow, 40)):
        lead = factory.lead(metro=metro)
        factory.assignment(lead, provider, kind="broadcast", notified_at=clock.now() - timedelta(minutes=minutes))
        factory.review(lead, provider, rating=5 if provider is fast else 3, text="", author_name="Maria G.")
    db.session.commit()
    page = text(client.get("/m/houston"))
    fast_card = page[page.index("Fast Pumping") : page.index("Slow Pumping")]
    slow_card = page[page.index("Slow Pumping") :]
    assert "Responds within 5 min" in fast_card and "★ 5.0 (1)" in fast_card
    assert "Responds within 5 min" not in slow_card and "★ 3.0 (1)" in slow_card
    assert "Responds within 5 min" in text(client.get(f"/p/{fast.slug}"))


def test_metro_page_zip_filter_shows_the_demo_service_area(client, seeded):
    """The demo's Houston Starter Trap Co covers 25 miles around 77002: listed for a Heights
    ZIP (77008), not for Katy (77494, ~28 miles out)."""
    near = text(client.get("/m/houston?zip=77008"))
    far = text(client.get("/m/houston?zip=77494"))
    assert "Houston Starter Trap Co" in near, near[:500]
    assert "Houston Starter Trap Co" not in far and "Houston Pro Pumping" in far, far[:500]
