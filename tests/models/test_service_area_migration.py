"""Migration 0014 (service areas, stored response times) on a scratch database holding data from
before it: existing providers get no service area (they keep covering their metros, so a lead
with a ZIP still reaches them) and their response figures computed once from their history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text

from app.broadcast.pool import choose
from app.core import clock
from app.extensions import db as _db
from app.models import Lead, Provider
from tests.models.scratch import scratch_database

REVISION = "0014"


@pytest.fixture
def scratch(app, tmp_path):
    with scratch_database(app, tmp_path, REVISION) as config:
        yield config


def test_existing_providers_keep_their_metros_and_get_their_response_figures(scratch):
    now = clock.now()
    run = _db.session.execute
    metro = run(
        text(
            "INSERT INTO metros (name, slug, state, timezone, pool_policy, unverified_preview, consent_wait_hours, "
            "wave_plan, created_at, updated_at) VALUES ('Houston', 'houston', 'TX', 'America/Chicago', 'balanced', "
            ":f, 24, :plan, :now, :now) RETURNING id"
        ),
        {"f": False, "now": now, "plan": '[{"tiers": ["pro", "growth"], "size": 3, "minutes": 5}]'},
    ).scalar_one()
    cat = run(
        text("INSERT INTO categories (name, slug, position) VALUES ('Pumping', 'pumping', 0) RETURNING id")
    ).scalar_one()
    pids = []
    for name in ("Old Fast", "Old Quiet"):
        pid = run(
            text(
                "INSERT INTO providers (name, slug, home_metro_id, status, tier, paused, email_prefs, offer_sound, "
                "created_at, updated_at) VALUES (:n, :s, :m, 'verified', 'pro', :f, '{}', :t, :now, :now) RETURNING id"
            ),
            {"n": name, "s": name.lower().replace(" ", "-"), "m": metro, "f": False, "t": True, "now": now},
        ).scalar_one()
        run(text("INSERT INTO provider_categories (provider_id, category_id) VALUES (:p, :c)"), {"p": pid, "c": cat})
        pids.append(pid)
    fast = pids[0]
    for i, minutes in enumerate((2, 4, 30)):  # accepts 2, 4 and 30 minutes after the offer
        lead = run(
            text(
                "INSERT INTO leads (public_token, mode, source, metro_id, category_id, description, urgency, "
                "customer_name, customer_email, city, quality_score, quality_notes, status, delivery_status, "
                "current_wave, max_providers, unlock_count, created_at, updated_at) VALUES (:tok, 'broadcast', "
                "'web', :m, :c, 'old job', 'this_week', 'Old Customer', 'old@example.com', 'Houston', 75, '[]', "
                "'completed', 'accepted', 1, 3, 0, :now, :now) RETURNING id"
            ),
            {"tok": f"token-{i}", "m": metro, "c": cat, "now": now},
        ).scalar_one()
        run(
            text(
                "INSERT INTO assignments (lead_id, provider_id, kind, status, teaser, credits_spent, notified_at, "
                "created_at, updated_at) VALUES (:l, :p, 'broadcast', 'delivered', :f, 0, :told, :got, :got)"
            ),
            {
                "l": lead,
                "p": fast,
                "f": False,
                "told": now - timedelta(days=10),
                "got": now - timedelta(days=10) + timedelta(minutes=minutes),
            },
        )
    _db.session.commit()
    _db.session.remove()

    command.upgrade(scratch, REVISION)

    rows = {
        pid: (zip_code, radius, count, answered, median)
        for pid, zip_code, radius, count, answered, median in _db.session.execute(
            text(
                "SELECT id, base_zip, service_radius_miles, area_zip_count, answered_count, median_response_seconds "
                "FROM providers"
            )
        )
    }
    assert rows[fast] == (None, None, 0, 3, 240.0), rows[fast]
    assert rows[pids[1]] == (None, None, 0, 0, None), rows[pids[1]]
    # a new lead with a ZIP anywhere reaches both: no base ZIP means the whole metro, as before
    # (at head: today's models name the columns later migrations add)
    _db.session.commit()
    _db.session.remove()
    command.upgrade(scratch, "heads")
    lead = Lead(
        mode="broadcast",
        metro_id=metro,
        category_id=cat,
        description="new job",
        customer_name="New Customer",
        customer_email="new@example.com",
        city="Katy",
        postal_code="77494",
        status="verified",
        delivery_status="new",
    )
    _db.session.add(lead)
    _db.session.flush()
    chosen = choose(_db.session, lead, {"tiers": ["pro"], "size": 5, "minutes": 5}, set())
    assert {c.provider_id for c in chosen} == set(pids)
    assert _db.session.get(Provider, fast).median_response_seconds == 240.0
    _db.session.rollback()
    command.downgrade(scratch, "0012")
    command.upgrade(scratch, REVISION)
    assert _db.session.execute(text("SELECT count(*) FROM assignments")).scalar_one() == 3
