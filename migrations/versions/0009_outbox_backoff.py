"""Outbox backoff: when a pending email may next be tried

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28

Retries are budgeted by time (exponential backoff with jitter) instead of a count of
attempts: `next_attempt_at` holds when the sweep may send a pending row again (NULL: now),
`give_up_at` when failures stop being retried (set at the first failure; an admin's retry
starts a new budget).
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("give_up_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_emails_next_attempt_at"), ["next_attempt_at"], unique=False)


def downgrade():
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_emails_next_attempt_at"))
        batch_op.drop_column("give_up_at")
        batch_op.drop_column("next_attempt_at")
