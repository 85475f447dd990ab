"""SQLite: read requests take no write lock; transactions that may write still take it at
BEGIN (BEGIN IMMEDIATE), so writers queue on the busy timeout (issue 10)."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select

from app.models import Metro


@pytest.fixture
def sqlite_file(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking only")
    return db.engine.url.database


def _hold_write_lock(path: str) -> sqlite3.Connection:
    """Another process's writer, in the middle of its transaction."""
    other = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute(
        "INSERT INTO metros (name, slug, state, timezone, pool_policy, unverified_preview, consent_wait_hours,"
        " wave_plan, created_at, updated_at) VALUES ('Waco', 'waco', 'TX', 'America/Chicago', 'balanced', 0, 24,"
        " '[]', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )
    return other


def test_a_read_page_answers_while_a_writer_holds_the_lock(db, factory, anon, sqlite_file):
    factory.metro("Houston", slug="houston")
    db.session.commit()
    other = _hold_write_lock(sqlite_file)
    try:
        started = time.monotonic()
        page = anon.get("/m/houston")
        took = time.monotonic() - started
    finally:
        other.rollback()
        other.close()
    assert page.status_code == 200, page.status_code
    # the busy timeout is 20 s in tests: a page that queued for the lock would wait until rollback
    assert took < 3, f"the metro page waited {took:.1f} s for a writer's lock"


def test_a_transaction_that_may_write_waits_for_the_lock_at_begin(app, db, sqlite_file):
    other = _hold_write_lock(sqlite_file)
    threading.Timer(0.5, lambda: (other.commit(), other.close())).start()
    started = time.monotonic()
    count = db.session.scalar(select(func.count(Metro.id)))  # outside a request: BEGIN IMMEDIATE
    took = time.monotonic() - started
    db.session.rollback()
    assert took >= 0.4, f"began in {took:.2f} s: the transaction did not take the write lock at BEGIN"
    assert count == 1, f"it read before the other writer committed ({count} metros)"


def test_a_read_request_that_writes_after_another_commit_does_not_fail(app, db, sqlite_file):
    """Its reads ran outside a transaction, so a write after another connection's commit opens
    BEGIN IMMEDIATE on a fresh snapshot (a deferred transaction would fail with SQLITE_BUSY)."""
    with app.test_request_context("/m/x", method="GET"):
        before = db.session.scalar(select(func.count(Metro.id)))
        other = _hold_write_lock(sqlite_file)
        other.commit()
        other.close()
        db.session.add(Metro(name="Austin", slug="austin", state="TX", timezone="America/Chicago"))
        db.session.commit()
    assert before == 0
    assert sorted(db.session.scalars(select(Metro.slug))) == ["austin", "waco"]
