"""The reads that must not grow with history use an index (issue 10): the database's own
EXPLAIN names it. On PostgreSQL sequential scans are switched off for the check, so a tiny test
table cannot hide an index the query could not use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text

from app.core import clock
from app.direct import escrow_inbox
from app.models import Lead, OutboxEmail


def plan(db, stmt) -> str:
    """The database's plan for `stmt`, run with the parameters SQLAlchemy binds."""
    seen: list = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    engine = db.engine
    postgres = engine.dialect.name == "postgresql"
    if postgres:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
    event.listen(engine, "before_cursor_execute", grab)
    try:
        db.session.execute(stmt).all()
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    statement, parameters = seen[-1]
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    cursor.execute(("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters)
    found = "\n".join(" ".join(str(v) for v in row) for row in cursor.fetchall())
    db.session.rollback()
    return found


def _uses(db, stmt, index: str) -> None:
    found = plan(db, stmt)
    assert index in found, f"expected the plan to use {index}, it says:\n{found}"


@pytest.fixture
def leads(db, factory):
    metro = factory.metro()
    for i in range(5):
        factory.lead(metro=metro, customer_email=f"Someone{i}@Example.com")
    db.session.commit()
    return metro


def test_escrow_inbox_reads_the_partial_index_of_waiting_leads(db, leads):
    stmt = escrow_inbox.waiting_leads().order_by(Lead.created_at, Lead.id).limit(500)
    _uses(db, stmt, "ix_leads_waiting")


def test_a_period_of_leads_is_read_by_created_at(db, leads):
    now = clock.now()
    stmt = select(func.count(Lead.id)).where(Lead.created_at.between(now - timedelta(days=30), now))
    _uses(db, stmt, "ix_leads_created_at")


def test_the_near_duplicate_check_reads_the_metro_and_day(db, leads):
    stmt = select(Lead.description).where(
        Lead.created_at >= clock.now() - timedelta(hours=24), Lead.metro_id == leads.id
    )
    _uses(db, stmt, "ix_leads_metro_id_created_at")


def test_an_email_address_is_found_by_its_lower_case_index(db, leads):
    _uses(
        db,
        select(Lead.id).where(func.lower(Lead.customer_email) == "someone1@example.com"),
        "ix_leads_customer_email_lower",
    )


def test_emails_sent_in_a_period_are_counted_by_sent_at(db, leads):
    stmt = select(func.count(OutboxEmail.id)).where(OutboxEmail.sent_at >= clock.now() - timedelta(days=30))
    _uses(db, stmt, "ix_outbox_emails_sent_at")


def test_names_are_searched_by_trigrams_on_postgresql(db, leads):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    _uses(db, select(Lead.id).where(Lead.customer_name.ilike("%garc%")), "ix_leads_customer_name_trgm")


def test_the_sweeps_walk_of_unrouted_leads_reads_only_those(db, leads):
    """Leads closed before routing (spam, cancelled) keep delivery_status "new": the walk must
    not read them (ix_leads_unrouted, checked on PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's planner, without statistics, prefers the delivery_status index")
    stmt = (
        select(Lead.id)
        .where(Lead.status == "verified", Lead.delivery_status == "new", Lead.updated_at < clock.now())
        .order_by(Lead.id)
        .limit(500)
    )
    _uses(db, stmt, "ix_leads_unrouted")


def test_every_index_the_models_declare_exists_after_the_migrations(db):
    """A batch table rebuild on SQLite (alembic's render_as_batch) silently drops expression and
    partial indexes it cannot reflect: a migration that rebuilds a table after the one that made
    them would lose them. The suite's database is built by the migrations, so compare it with
    the models, by name, from the database's own catalogue."""
    from sqlalchemy import text

    from app.extensions import db as _db

    engine = _db.engine
    if engine.dialect.name == "sqlite":
        rows = _db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
    else:
        rows = _db.session.execute(text("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"))
    found = {name for (name,) in rows}
    declared = {
        index.name
        for table in _db.metadata.sorted_tables
        for index in table.indexes
        if index.name and _applies(index, engine.dialect.name)
    }
    assert not declared - found, f"declared by the models, missing after the migrations: {sorted(declared - found)}"


def _applies(index, dialect: str) -> bool:
    """An index made only on some dialects (`.ddl_if(dialect=...)`) counts only there."""
    ddl_if = index._ddl_if
    return (
        ddl_if is None
        or ddl_if.dialect is None
        or dialect in (ddl_if.dialect if isinstance(ddl_if.dialect, tuple | list) else (ddl_if.dialect,))
    )
