"""Indexes for what the economics and dispatch merges added to the sweep and the dashboard

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

- assignments (created_at) WHERE credits_spent > 0: the sweep's automatic refunds read the paid
  unlocks of the last days only (it scanned every assignment: 31 ms of a sweep at 100k leads).
- providers (paused_until) WHERE paused_until IS NOT NULL: the sweep's "pause ended" walk.
- providers (sla_paused_at) WHERE sla_paused_at IS NOT NULL: the dashboard's count of providers
  paused for unanswered offers reads the few paused ones, not every provider.

Partial indexes: on SQLite a later batch rebuild of these tables would drop them
(tests/models/test_indexes.py checks every model index exists after migrating).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_assignments_paid_created_at",
        "assignments",
        ["created_at"],
        postgresql_where=sa.text("credits_spent > 0"),
        sqlite_where=sa.text("credits_spent > 0"),
    )
    op.create_index(
        "ix_providers_paused_until",
        "providers",
        ["paused_until"],
        postgresql_where=sa.text("paused_until IS NOT NULL"),
        sqlite_where=sa.text("paused_until IS NOT NULL"),
    )
    op.create_index(
        "ix_providers_sla_paused",
        "providers",
        ["sla_paused_at"],
        postgresql_where=sa.text("sla_paused_at IS NOT NULL"),
        sqlite_where=sa.text("sla_paused_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_providers_sla_paused", table_name="providers")
    op.drop_index("ix_providers_paused_until", table_name="providers")
    op.drop_index("ix_assignments_paid_created_at", table_name="assignments")
