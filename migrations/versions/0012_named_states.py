"""Named states: CHECK constraints on leads.delivery_status and leads.escrow_reason

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

The other state columns (lead mode and status, provider status and tier, offer state,
assignment status) have had their CHECK since the table was created; these two were plain
strings. Before adding the CHECKs the migration maps the few known stray spellings (an empty
escrow reason is no reason) and refuses to run while any row holds a value that is no named
state, naming the table, column and values, so nothing is guessed and nothing is lost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"  # written on 0007; follows the branches merged first
branch_labels = None
depends_on = None

# The named states as of this revision (app/models/lead.py: DeliveryStatus, EscrowReason).
# Frozen here on purpose: a migration must keep meaning what it meant when it ran.
DELIVERY_STATUSES = ("new", "ready", "pending", "delivered", "offering", "accepted", "quoting", "chosen")
ESCROW_REASONS = (
    "unclaimed",
    "unverified",
    "free_plan",
    "paused",
    "suspended",
    "weekly_cap",
    "unaccepted_broadcast",
    "no_matching_provider",
)

# (table, column, allowed values, NULL allowed, stray value -> the value it means)
CHECKS = (
    ("leads", "delivery_status", DELIVERY_STATUSES, False, {}),
    ("leads", "escrow_reason", ESCROW_REASONS, True, {"": None}),
)


class UnmappableRows(RuntimeError):
    """Rows hold values no named state stands for; the migration stops before changing anything."""


def check_sql(column: str, allowed: tuple[str, ...], nullable: bool) -> str:
    sql = f"{column} IN ({', '.join(repr(v) for v in allowed)})"
    return f"{column} IS NULL OR {sql}" if nullable else sql


def map_known(conn: sa.Connection, table: str, column: str, mapping: dict) -> None:
    """Rewrite the known stray spellings to the state they mean."""
    t = sa.table(table, sa.column(column))
    for old, new in mapping.items():
        conn.execute(sa.update(t).where(t.c[column] == old).values({column: new}))


def unmappable(conn: sa.Connection, table: str, column: str, allowed: tuple[str, ...], nullable: bool) -> dict:
    """{value: row count} for the values in `table.column` that are not in `allowed`."""
    t = sa.table(table, sa.column(column))
    col = t.c[column]
    outside = sa.or_(col.is_(None), col.not_in(allowed)) if not nullable else col.not_in(allowed)
    rows = conn.execute(sa.select(col, sa.func.count()).where(outside).group_by(col).order_by(col))
    return {value: count for value, count in rows}


def refuse_unmappable(conn: sa.Connection, checks=CHECKS) -> None:
    """Map the known strays, then raise UnmappableRows naming every table.column and value left."""
    problems = []
    for table, column, allowed, nullable, mapping in checks:
        map_known(conn, table, column, mapping)
        bad = unmappable(conn, table, column, allowed, nullable)
        if bad:
            values = ", ".join(f"{value!r} ({count} row{'s' if count != 1 else ''})" for value, count in bad.items())
            problems.append(f"{table}.{column}: {values}")
    if problems:
        raise UnmappableRows(
            "Migration 0012 (named states) did not run: these rows hold values that are no named state, "
            "so their CHECK constraint cannot be added. Correct them (or add them to the state and to "
            "this migration), then run it again.\n  " + "\n  ".join(problems)
        )


def upgrade():
    refuse_unmappable(op.get_bind())
    with op.batch_alter_table("leads", schema=None) as batch_op:
        for _table, column, allowed, nullable, _mapping in CHECKS:
            batch_op.create_check_constraint(column, check_sql(column, allowed, nullable))


def downgrade():
    with op.batch_alter_table("leads", schema=None) as batch_op:
        for _table, column, *_rest in reversed(CHECKS):
            batch_op.drop_constraint(op.f(f"ck_leads_{column}"), type_="check")
