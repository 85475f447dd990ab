"""The escrow inbox's "teaser requests" filter (SPEC Admin; issue 8): escrowed direct leads an
admin can unlock now with the requested provider's weekly teaser."""

from datetime import UTC, datetime, timedelta

from app.direct import escrow_inbox
from tests.conftest import login
from tests.direct.test_escrow import escrowed


def test_teaser_requests_are_free_verified_providers_with_this_weeks_teaser_unused(db, factory, clock):
    clock.freeze(datetime(2026, 3, 11, 12, 0, tzinfo=UTC))  # a Wednesday
    free = factory.provider(tier="free", name="Free FOG")
    used = factory.provider(tier="free", name="Used Its Teaser")
    paused = factory.provider(tier="free", name="On Vacation", paused=True)
    unclaimed = factory.provider(status="unclaimed", tier="free")
    wanted = [escrowed(db, factory, free), escrowed(db, factory, free)]
    other = factory.lead(mode="direct", metro=used.home_metro, category=used.categories[0])
    factory.assignment(other, used, kind="broadcast", teaser=True)
    not_wanted = [escrowed(db, factory, used), escrowed(db, factory, paused), escrowed(db, factory, unclaimed)]

    box = escrow_inbox.inbox(db.session, reason="teaser")

    assert [lead.id for lead in box.rows] == [lead.id for lead in wanted]
    assert box.counts["teaser"] == 2 and box.counts["free_plan"] == 4 and box.total == 5
    assert not {lead.id for lead in not_wanted} & {lead.id for lead in box.rows}
    # next ISO week the used teaser is available again
    clock.advance(timedelta(days=5))
    assert escrow_inbox.inbox(db.session).counts["teaser"] == 3


def test_teaser_filter_link_on_the_inbox_page(client, db, factory):
    provider = factory.provider(tier="free", name="Free FOG")
    lead = escrowed(db, factory, provider)
    other = escrowed(db, factory, factory.provider(status="unclaimed", tier="free"))
    factory.admin(email="boss@example.com")
    db.session.commit()
    login(client, "boss@example.com", "correct horse battery")
    html = client.get("/admin/escrow").get_data(as_text=True)
    assert 'href="/admin/escrow?reason=teaser"' in html and "Teaser requests (weekly teaser unused)" in html
    filtered = client.get("/admin/escrow?reason=teaser").get_data(as_text=True)
    assert f'id="escrow-{lead.id}"' in filtered and f'id="escrow-{other.id}"' not in filtered
    assert "Use weekly teaser" in filtered
