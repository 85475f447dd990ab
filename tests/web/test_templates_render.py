"""Templates only render: the views look up what a page shows, batched, so the number of
statements behind a page does not grow with the rows it lists; the escrow inbox shows only the
actions that apply to each lead."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from app.extensions import db as _db
from app.models import Assignment, Review
from app.quotes import reviews
from tests.conftest import login
from tests.direct.test_escrow import escrowed

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)  # a Wednesday


@contextmanager
def statements():
    """The SQL statements run inside the block (transaction control left out)."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _listed(db, factory, metro, n, start):
    """n providers in the metro, each with two reviews and a timed response."""
    for i in range(n):
        provider = factory.provider(metro=metro, name=f"Listed {start + i}", tier="growth")
        for stars in (4, 5):
            lead = factory.lead(metro=metro, category=provider.categories[0])
            db.session.add(Review(lead_id=lead.id, provider_id=provider.id, rating=stars, text="ok", author_name="A."))
        lead = factory.lead(metro=metro, category=provider.categories[0])
        db.session.add(
            Assignment(
                lead_id=lead.id,
                provider_id=provider.id,
                kind="broadcast",
                notified_at=NOW,
                created_at=NOW + timedelta(minutes=3),
            )
        )
    db.session.commit()


def _metro_page(client, slug):
    with statements() as seen:
        html = client.get(f"/m/{slug}").get_data(as_text=True)
    return html, len(seen)


def test_metro_page_statements_do_not_grow_with_the_listings(client, db, factory):
    metro = factory.metro("Houston", slug="houston")
    _listed(db, factory, metro, 2, 0)
    few_html, few = _metro_page(client, "houston")
    _listed(db, factory, metro, 6, 2)
    many_html, many = _metro_page(client, "houston")
    assert few_html.count("★ 4.5 (2)") == 2 and many_html.count("★ 4.5 (2)") == 8
    assert many_html.count("Responds within 5 min") == 8
    assert many == few, (few, many)


def test_batched_reputations_match_one_providers_reputation(db, factory, clock):
    clock.freeze(NOW)
    metro = factory.metro("Houston", slug="houston")
    _listed(db, factory, metro, 3, 0)
    quiet = factory.provider(metro=metro, name="No reviews")
    ids = [p.id for p in factory.session.query(type(quiet)).all()]
    with statements() as seen:
        many = reviews.reputations(db.session, ids)
    assert len(seen) == 4  # ratings, recent reviews, response times, jobs done
    for pid in ids:
        one = reviews.reputation(db.session, pid)
        assert (many[pid].average, many[pid].count, many[pid].median_response) == (
            one.average,
            one.count,
            one.median_response,
        )
        assert [r.id for r in many[pid].recent] == [r.id for r in one.recent]
    assert many[quiet.id].count == 0 and many[quiet.id].average is None and many[quiet.id].recent == []
    assert reviews.reputations(db.session, []) == {}


def test_no_template_global_looks_things_up(app):
    names = set(app.jinja_env.globals)
    assert not names & {"quote_panel", "lead_review", "provider_reputation"}


def _escrow_page(client, db, factory, provider):
    lead = escrowed(db, factory, provider)
    factory.admin(email="boss@example.com")
    db.session.commit()
    login(client, "boss@example.com", "correct horse battery")
    html = client.get("/admin/escrow").get_data(as_text=True)
    row = html[html.index(f'id="escrow-{lead.id}"') :]
    return row[: row.index("</article>")], lead


def test_a_paused_free_providers_escrowed_lead_shows_no_teaser_button(client, db, factory):
    row, _ = _escrow_page(client, db, factory, factory.provider(tier="free", name="On Vacation", paused=True))
    assert "Release" in row and "Send outreach" in row
    assert "Use weekly teaser" not in row and "/teaser" not in row


def test_an_eligible_free_providers_escrowed_lead_shows_the_teaser_button(client, db, factory):
    row, lead = _escrow_page(client, db, factory, factory.provider(tier="free", name="Free FOG"))
    assert "Use weekly teaser" in row and f"/admin/escrow/{lead.id}/teaser" in row
    page = client.get(f"/admin/leads/{lead.id}").get_data(as_text=True)
    assert "Use weekly teaser" in page  # the lead page's row, too


def test_a_used_teaser_or_no_consent_hides_those_buttons(client, db, factory):
    provider = factory.provider(tier="free", name="Used Its Teaser")
    other = factory.lead(mode="direct", metro=provider.home_metro, category=provider.categories[0])
    db.session.add(Assignment(lead_id=other.id, provider_id=provider.id, kind="broadcast", teaser=True))
    db.session.flush()
    row, _ = _escrow_page(client, db, factory, provider)
    assert "Use weekly teaser" not in row and "Convert to broadcast" not in row


def test_escrow_inbox_statements_do_not_grow_with_the_rows(client, db, factory):
    factory.admin(email="boss@example.com")
    metro = factory.metro("Houston", slug="houston")
    for _ in range(2):
        escrowed(db, factory, factory.provider(metro=metro, tier="free"))
    db.session.commit()
    login(client, "boss@example.com", "correct horse battery")
    with statements() as few:
        client.get("/admin/escrow")
    for _ in range(5):
        escrowed(db, factory, factory.provider(metro=metro, tier="free"))
    db.session.commit()
    with statements() as many:
        html = client.get("/admin/escrow").get_data(as_text=True)
    assert html.count("Use weekly teaser") == 7
    assert len(many) == len(few), (len(few), len(many))
