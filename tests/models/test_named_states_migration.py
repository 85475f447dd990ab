"""The named-states migration on a scratch database (SQLite file, or a sibling of TEST_DATABASE_URL):
it refuses to run while rows hold states it cannot map, naming them, changes nothing when it
refuses, and once the rows are correct adds the CHECKs without losing a row."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app.extensions import db as _db
from tests.factories import Factory
from tests.models.scratch import scratch_database
from tests.models.test_states import load_migration

REVISION = load_migration().revision


@pytest.fixture
def scratch(app, tmp_path):
    """An app on an empty scratch database migrated to the revision before the named-states migration, in its app context."""
    with scratch_database(app, tmp_path, REVISION) as config:
        yield config


def revision() -> str:
    return _db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def checks_on_leads() -> set[str]:
    return {c["name"] for c in inspect(_db.engine).get_check_constraints("leads")}


def set_column(lead_id: int, column: str, value) -> None:
    _db.session.execute(text(f"UPDATE leads SET {column} = :v WHERE id = :id"), {"v": value, "id": lead_id})


def at_head_then_back(config, make) -> None:
    """Make rows with today's models (which may hold columns later migrations added) at head,
    then downgrade to the revision before the one under test: the rows stay, as they were."""
    command.upgrade(config, "heads")
    make()
    _db.session.commit()
    _db.session.remove()
    command.downgrade(config, config.attributes["before"])


def test_migration_refuses_unmappable_rows_naming_them_then_runs_once_they_are_fixed(scratch):
    made = {}
    at_head_then_back(scratch, lambda: made.update(_rows()))
    escrowed_id, other_id, blank_id = made["escrowed"], made["other"], made["blank"]
    _refuses_then_runs(scratch, escrowed_id, other_id, blank_id)


def _rows() -> dict:
    f = Factory(_db.session)
    provider = f.provider()
    escrowed = f.lead(mode="direct", requested_provider_id=provider.id, delivery_status="pending")
    f.assignment(escrowed, provider)
    f.offer(escrowed, provider)
    other = f.lead()
    blank = f.lead()
    _db.session.flush()
    return {"escrowed": escrowed.id, "other": other.id, "blank": blank.id}


def _refuses_then_runs(scratch, escrowed_id: int, other_id: int, blank_id: int) -> None:
    # what an older build could have left behind: no CHECK held these columns before the migration
    set_column(escrowed_id, "escrow_reason", "legacy_hold")
    set_column(other_id, "delivery_status", "escrowed")
    set_column(blank_id, "escrow_reason", "")
    _db.session.commit()
    _db.session.remove()

    with pytest.raises(RuntimeError) as refused:
        command.upgrade(scratch, REVISION)
    assert type(refused.value).__name__ == "UnmappableRows", repr(refused.value)
    message = str(refused.value)
    assert "leads.delivery_status: 'escrowed' (1 row)" in message, message
    assert "leads.escrow_reason: 'legacy_hold' (1 row)" in message, message
    assert "''" not in message, f"the empty reason is mapped (to no reason), not refused: {message}"
    assert revision() == scratch.attributes["before"], "a refused migration must leave the database where it was"
    assert not {"ck_leads_delivery_status", "ck_leads_escrow_reason"} & checks_on_leads()
    _db.session.remove()

    set_column(escrowed_id, "escrow_reason", "unclaimed")
    set_column(other_id, "delivery_status", "pending")
    _db.session.commit()
    _db.session.remove()
    command.upgrade(scratch, REVISION)

    assert revision() == REVISION
    assert {"ck_leads_delivery_status", "ck_leads_escrow_reason"} <= checks_on_leads(), checks_on_leads()
    rows = {
        table: _db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        for table in ("leads", "assignments", "offers", "lead_events")
    }
    if _db.engine.dialect.name == "sqlite":
        foreign_keys = _db.session.execute(text("PRAGMA foreign_keys")).scalar_one()
        assert foreign_keys == 1, "the migration left foreign keys off on a pooled connection"
    assert rows["leads"] == 3 and rows["assignments"] == 1 and rows["offers"] == 1, f"rows after the migration: {rows}"
    reason = _db.session.execute(text("SELECT escrow_reason FROM leads WHERE id = :id"), {"id": blank_id}).scalar()
    assert reason is None, f"the empty escrow reason became {reason!r}"
    with pytest.raises(IntegrityError):
        set_column(escrowed_id, "delivery_status", "escrowed")
    _db.session.rollback()

    # and back down and up again
    _db.session.remove()
    command.downgrade(scratch, scratch.attributes["before"])
    assert not {"ck_leads_delivery_status", "ck_leads_escrow_reason"} & checks_on_leads()
    command.upgrade(scratch, REVISION)
    assert {"ck_leads_delivery_status", "ck_leads_escrow_reason"} <= checks_on_leads()
    assert _db.session.execute(text("SELECT count(*) FROM assignments")).scalar_one() == 1, (
        "the migration lost a delivery"
    )
