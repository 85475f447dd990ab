"""Provider economics: one pipeline for every lead, results, automatic refunds, spend control,
premium tools (issue 14)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

Assignments gain the pipeline's stages (`visit`, `done`) and their times; providers gain a
weekly credit budget, "pause until" and an auto-reply; leads remember when the customer last
opened the tracking page and whether an email to the customer hard-bounced. New tables: the
provider's own per-lead notes (`pipeline_notes`) and the admin's per-tier prices (`plan_prices`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OLD_STATUSES = ("delivered", "purchased", "contacted", "quoted", "won", "lost")
NEW_STATUSES = ("delivered", "purchased", "contacted", "visit", "quoted", "won", "lost", "done")
TIERS = ("pro", "growth", "starter", "free")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contacted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("visit_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("won_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("done_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("lost_reason", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("customer_verdict", sa.String(length=12), nullable=True))
        batch_op.drop_constraint(op.f("ck_assignments_status"), type_="check")
        batch_op.create_check_constraint("status", _in("status", NEW_STATUSES))
        batch_op.create_check_constraint(
            "customer_verdict", "customer_verdict IS NULL OR customer_verdict IN ('confirmed', 'disputed')"
        )
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weekly_budget", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("paused_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("auto_reply", sa.Text(), nullable=True))
        batch_op.create_check_constraint("weekly_budget", "weekly_budget IS NULL OR weekly_budget >= 0")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_seen_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("email_bounced_at", sa.DateTime(), nullable=True))
    op.create_table(
        "pipeline_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_pipeline_notes_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_notes")),
    )
    op.create_index(op.f("ix_pipeline_notes_assignment_id"), "pipeline_notes", ["assignment_id"], unique=False)
    op.create_table(
        "plan_prices",
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("monthly_price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(_in("tier", TIERS), name=op.f("ck_plan_prices_tier")),
        sa.CheckConstraint("monthly_price >= 0", name=op.f("ck_plan_prices_monthly_price")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_plan_prices_updated_by_users")),
        sa.PrimaryKeyConstraint("tier", name=op.f("pk_plan_prices")),
    )


def downgrade():
    op.drop_table("plan_prices")
    op.drop_index(op.f("ix_pipeline_notes_assignment_id"), table_name="pipeline_notes")
    op.drop_table("pipeline_notes")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("email_bounced_at")
        batch_op.drop_column("customer_seen_at")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_providers_weekly_budget"), type_="check")
        batch_op.drop_column("auto_reply")
        batch_op.drop_column("paused_until")
        batch_op.drop_column("weekly_budget")
    op.execute("UPDATE assignments SET status = 'won' WHERE status = 'done'")
    op.execute("UPDATE assignments SET status = 'contacted' WHERE status = 'visit'")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_assignments_customer_verdict"), type_="check")
        batch_op.drop_constraint(op.f("ck_assignments_status"), type_="check")
        batch_op.create_check_constraint("status", _in("status", OLD_STATUSES))
        for column in ("customer_verdict", "lost_reason", "done_at", "won_at", "visit_at", "contacted_at"):
            batch_op.drop_column(column)
