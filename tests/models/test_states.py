"""Named states: every state carries its title and badge tone, and the database refuses a
state that is not one of them (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.broadcast.offer_cards import CardState
from app.direct.escrow_inbox import InboxFilter
from app.models.assignment import AssignmentStatus
from app.models.base import TONES, State
from app.models.lead import DeliveryStatus, EscrowReason, LeadMode, LeadStatus
from app.models.offer import OfferState
from app.models.provider import ProviderStatus, Tier

# the named-states migration, whatever number it ends up with
(MIGRATION,) = (Path(__file__).resolve().parents[2] / "migrations/versions").glob("*_named_states.py")


def load_migration(name: str | None = None):
    path = MIGRATION if name is None else MIGRATION.parent / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STATES = [LeadMode, LeadStatus, DeliveryStatus, EscrowReason, OfferState, AssignmentStatus, ProviderStatus, Tier]

# (state, table, column): the column the database keeps to that state
COLUMNS = [
    (LeadMode, "leads", "mode"),
    (LeadStatus, "leads", "status"),
    (DeliveryStatus, "leads", "delivery_status"),
    (EscrowReason, "leads", "escrow_reason"),
    (OfferState, "offers", "state"),
    (AssignmentStatus, "assignments", "status"),
    (ProviderStatus, "providers", "status"),
    (Tier, "providers", "tier"),
]


@pytest.mark.parametrize("states", [*STATES, InboxFilter, CardState], ids=lambda s: s.__name__)
def test_every_member_has_a_title_and_a_known_tone(states: type[State]):
    untitled = [m.value for m in states if not m.title.strip()]
    assert not untitled, f"{states.__name__} members without a title: {untitled}"
    off_tone = {m.value: m.tone for m in states if m.tone not in TONES}
    assert not off_tone, f"{states.__name__} tones outside {TONES}: {off_tone}"
    titles = [m.title for m in states]
    assert len(set(titles)) == len(titles), f"{states.__name__} titles repeat: {titles}"
    for m in states:
        assert m.badge == f"badge badge-{m.tone}", m.badge


def test_a_state_is_its_stored_string():
    assert LeadStatus.pending == "pending" and f"{LeadStatus.pending}" == "pending"
    assert LeadStatus("pending") is LeadStatus.pending and LeadStatus(LeadStatus.pending) is LeadStatus.pending
    assert (LeadStatus.pending.title, LeadStatus.pending.tone) == ("Held for review", "warn")
    assert AssignmentStatus.purchased.title == "Unlocked"
    assert LeadMode.quotes.description == "Up to 3 quotes" and LeadMode.quotes.title == "Quotes"


def test_every_badge_tone_has_its_css():
    css = open("static/css/app.css", encoding="utf-8").read()
    missing = [tone for tone in TONES if f".badge-{tone}" not in css]
    assert not missing, f"static/css/app.css has no rule for .badge-{{tone}} for {missing}"


@pytest.mark.parametrize(("states", "table", "column"), COLUMNS, ids=lambda v: getattr(v, "__name__", v))
def test_the_models_check_lists_exactly_the_states(db, states, table, column):
    checks = [str(c.sqltext) for c in db.metadata.tables[table].constraints if c.name == f"ck_{table}_{column}"]
    assert checks, f"no CHECK ck_{table}_{column} on the model"
    listed = checks[0].split(" IN (", 1)[1].rstrip(")")
    assert listed == ", ".join(f"'{m.value}'" for m in states), checks[0]


LATER_ESCROW_REASONS = ("out_of_area",)  # added by 0014 (service areas), which froze its own list


def test_the_migration_froze_the_states_it_checks():
    migration = load_migration()
    assert migration.DELIVERY_STATUSES == DeliveryStatus.values()
    assert migration.ESCROW_REASONS == tuple(v for v in EscrowReason.values() if v not in LATER_ESCROW_REASONS)
    service_areas = load_migration("0014_service_areas.py")
    assert service_areas.ESCROW_REASONS_AFTER == EscrowReason.values()


@pytest.mark.parametrize(("states", "table", "column"), COLUMNS, ids=lambda v: getattr(v, "__name__", v))
def test_the_database_refuses_an_unknown_state(db, factory, states, table, column):
    lead = factory.lead(mode="direct", delivery_status="pending", escrow_reason="unclaimed")
    provider = factory.provider()
    offer = factory.offer(lead, provider)
    assignment = factory.assignment(lead, provider)
    row_id = {"leads": lead.id, "offers": offer.id, "assignments": assignment.id, "providers": provider.id}[table]
    db.session.commit()
    with pytest.raises(IntegrityError) as refused:
        with db.session.begin_nested():
            db.session.execute(text(f"UPDATE {table} SET {column} = 'no_such_state' WHERE id = :id"), {"id": row_id})
    assert f"ck_{table}_{column}" in str(refused.value) or "CHECK" in str(refused.value), str(refused.value)
    db.session.rollback()
    stored = db.session.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}).scalar()
    assert stored in states.values(), f"{table}.{column} now holds {stored!r}"
