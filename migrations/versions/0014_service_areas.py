"""Service areas by ZIP and distance (issue 13); routing in SQL and stored response times (issue 10)

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03

providers: base ZIP with its centre (lat/lon), a radius in miles with its bounding box
(area_min/max_lat/lon, indexed: the routing query's prefilter), how many ZIPs are listed in the
new provider_zips table, and the response-time figures kept up to date as offers are answered
(answered_count, the last 50 times, their median). Existing providers get no base ZIP, so they
keep covering their metros as before; their response figures are computed once here from the
history (what the metro page used to recompute on every view).

Indexes for routing: providers (home_metro_id, status, tier, last_offered_at NULLS FIRST) that
the pick walks least recently offered first, providers (trial_ends_at), provider_zips (zip,
provider_id), provider_metros (metro_id, provider_id), assignments (provider_id, created_at)
for the weekly cap and teaser counts.
leads.escrow_reason gains "out_of_area" (a direct request outside the provider's area).
"""

from __future__ import annotations

import statistics

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

RECENT_RESPONSES = 50  # app/leads/response_stats.py, frozen here
ESCROW_REASONS_BEFORE = (
    "unclaimed",
    "unverified",
    "free_plan",
    "paused",
    "suspended",
    "weekly_cap",
    "unaccepted_broadcast",
    "no_matching_provider",
)
ESCROW_REASONS_AFTER = (*ESCROW_REASONS_BEFORE[:6], "out_of_area", *ESCROW_REASONS_BEFORE[6:])


def _escrow_check(allowed: tuple[str, ...]) -> str:
    return f"escrow_reason IS NULL OR escrow_reason IN ({', '.join(repr(v) for v in allowed)})"


def upgrade():
    with op.batch_alter_table("providers") as batch_op:
        batch_op.add_column(sa.Column("base_zip", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("base_lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("base_lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("service_radius_miles", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("area_min_lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("area_max_lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("area_min_lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("area_max_lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("area_zip_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("answered_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("recent_response_seconds", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("median_response_seconds", sa.Float(), nullable=True))
        batch_op.create_check_constraint(
            "service_radius",
            "service_radius_miles IS NULL OR (service_radius_miles BETWEEN 1 AND 200 AND base_lat IS NOT NULL)",
        )
        batch_op.create_check_constraint("area_counts", "area_zip_count >= 0 AND answered_count >= 0")
        batch_op.create_index("ix_providers_area_lat", ["area_min_lat", "area_max_lat"], unique=False)
    op.create_table(
        "provider_zips",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("zip", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_provider_zips_provider_id_providers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("provider_id", "zip", name=op.f("pk_provider_zips")),
    )
    op.create_index("ix_provider_zips_zip", "provider_zips", ["zip", "provider_id"], unique=False)
    op.create_index("ix_provider_metros_metro", "provider_metros", ["metro_id", "provider_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_providers_rotation",
            "providers",
            ["home_metro_id", "status", "tier", sa.text("last_offered_at ASC NULLS FIRST")],
            unique=False,
        )
    else:
        op.create_index(
            "ix_providers_rotation_lite", "providers", ["home_metro_id", "status", "tier", "last_offered_at"], unique=False
        )
    op.create_index("ix_providers_trial_ends_at", "providers", ["trial_ends_at"], unique=False)
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_constraint(op.f("ck_leads_escrow_reason"), type_="check")
        batch_op.create_check_constraint("escrow_reason", _escrow_check(ESCROW_REASONS_AFTER))
    backfill_response_figures(op.get_bind())


def backfill_response_figures(conn: sa.Connection) -> None:
    """Each provider's answered count, last RECENT_RESPONSES response times and their median,
    from its quote unlocks and broadcast accepts (time from being told to taking the lead)."""
    assignments = sa.table(
        "assignments",
        sa.column("provider_id"),
        sa.column("kind"),
        sa.column("notified_at"),
        sa.column("created_at"),
        sa.column("id"),
    )
    providers = sa.table(
        "providers",
        sa.column("id"),
        sa.column("answered_count"),
        sa.column("recent_response_seconds", sa.JSON()),
        sa.column("median_response_seconds"),
    )
    rows = conn.execute(
        sa.select(assignments.c.provider_id, assignments.c.notified_at, assignments.c.created_at)
        .where(assignments.c.kind.in_(("quote", "broadcast")), assignments.c.notified_at.is_not(None))
        .order_by(assignments.c.provider_id, assignments.c.created_at, assignments.c.id)
    )
    times: dict[int, list[float]] = {}
    for pid, told, got in rows:
        told, got = _as_datetime(told), _as_datetime(got)
        seconds = (got - told).total_seconds()
        if seconds >= 0:
            times.setdefault(pid, []).append(round(seconds, 1))
    for pid, values in times.items():
        kept = values[-RECENT_RESPONSES:]
        conn.execute(
            sa.update(providers)
            .where(providers.c.id == pid)
            .values(
                answered_count=len(values),
                recent_response_seconds=kept,
                median_response_seconds=float(statistics.median(kept)),
            )
        )


def _as_datetime(value):
    """SQLite hands back the stored text; PostgreSQL a datetime. Compared naive (both UTC)."""
    from datetime import datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=None)


def downgrade():
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_constraint(op.f("ck_leads_escrow_reason"), type_="check")
        batch_op.create_check_constraint("escrow_reason", _escrow_check(ESCROW_REASONS_BEFORE))
    op.drop_index("ix_providers_trial_ends_at", table_name="providers")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_providers_rotation", table_name="providers")
    else:
        op.drop_index("ix_providers_rotation_lite", table_name="providers")
    op.drop_index("ix_provider_metros_metro", table_name="provider_metros")
    op.drop_index("ix_provider_zips_zip", table_name="provider_zips")
    op.drop_table("provider_zips")
    with op.batch_alter_table("providers") as batch_op:
        batch_op.drop_index("ix_providers_area_lat")
        batch_op.drop_constraint(op.f("ck_providers_area_counts"), type_="check")
        batch_op.drop_constraint(op.f("ck_providers_service_radius"), type_="check")
        for column in (
            "median_response_seconds",
            "recent_response_seconds",
            "answered_count",
            "area_zip_count",
            "area_max_lon",
            "area_min_lon",
            "area_max_lat",
            "area_min_lat",
            "service_radius_miles",
            "base_lon",
            "base_lat",
            "base_zip",
        ):
            batch_op.drop_column(column)
