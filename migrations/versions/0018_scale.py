"""Metro scale: period-first and partial indexes, indexed search (pg_trgm on PostgreSQL)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

- leads.created_at and (metro_id, created_at): the dashboard's periods, the near-duplicate check.
- ix_leads_waiting: a partial index holding only the leads waiting on staff (the escrow inbox's
  rule, frozen below), so the inbox and the dashboard's backlog read only those rows.
- ix_leads_unrouted: the sweep's walk of verified leads not routed yet (leads closed before
  routing keep delivery_status "new" and would otherwise pile up under that walk).
- (delivery_status, status) instead of delivery_status alone: every walk by state names both,
  and SQLite's planner, without statistics, then picks it over `status` (half the table).
- providers (name, id): the admin providers list pages by name.
- (assigned_provider_id, status) instead of assigned_provider_id alone: a provider's jobs done.
- lead_events (kind, created_at): the backlog's "entered per day" in the period.
- outbox_emails.sent_at: the dashboard counts emails sent in its period.
- assignments (provider_id, created_at, id), notifications (provider_id, id) and the unread
  ones: a provider's inbox pages, notifications and bell stay flat however long its history.
- lower(leads.customer_email): an e-mail address is looked up exactly, by its lower-case form.
- PostgreSQL only: the pg_trgm extension and trigram (GIN) indexes on the names admins search
  (lead customer name, business name, city, e-mail; provider name). SQLite has no trigram
  index: its search scans newest first (README, "Admin search").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
# Last on purpose: on SQLite, a later batch rebuild of a table loses its expression and partial
# indexes (tests/models/test_indexes.py checks that every model index exists after migrating).
branch_labels = None
depends_on = None

# The escrow inbox's rule as of this revision (app/models/lead.py: waiting_sql).
WAITING_SQL = (
    "status = 'pending' OR (status = 'verified' AND delivery_status = 'pending')"
    " OR (status = 'verified' AND consent = 'yes' AND delivery_status IN ('new', 'ready'))"
)
# SQLite spells it with a unary + on each column, so its planner cannot pick the single-column
# indexes instead (app/models/lead.py: WAITING_SQL_SQLITE); the query is written the same way.
WAITING_SQL_SQLITE = (
    "+status = 'pending' OR (+status = 'verified' AND +delivery_status = 'pending')"
    " OR (+status = 'verified' AND +consent = 'yes' AND +delivery_status IN ('new', 'ready'))"
)
UNROUTED_SQL = "status = 'verified' AND delivery_status = 'new'"
LEAD_TRIGRAMS = ("customer_name", "business_name", "city", "customer_email")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_index("ix_leads_created_at", "leads", ["created_at"])
    op.drop_index("ix_leads_delivery_status", table_name="leads")
    op.create_index("ix_leads_delivery_status_status", "leads", ["delivery_status", "status"])
    op.create_index("ix_providers_name_id", "providers", ["name", "id"])
    op.drop_index("ix_leads_assigned_provider_id", table_name="leads")
    op.create_index("ix_leads_assigned_provider_id_status", "leads", ["assigned_provider_id", "status"])
    op.create_index("ix_leads_metro_id_created_at", "leads", ["metro_id", "created_at"])
    op.create_index(
        "ix_leads_waiting",
        "leads",
        ["created_at", "id"],
        postgresql_where=sa.text(WAITING_SQL),
        sqlite_where=sa.text(WAITING_SQL_SQLITE),
    )
    op.create_index(
        "ix_leads_unrouted",
        "leads",
        ["id"],
        postgresql_where=sa.text(UNROUTED_SQL),
        sqlite_where=sa.text(UNROUTED_SQL),
    )
    op.create_index("ix_leads_customer_email_lower", "leads", [sa.text("lower(customer_email)")])
    op.create_index("ix_lead_events_kind_created_at", "lead_events", ["kind", "created_at"])
    op.create_index("ix_outbox_emails_sent_at", "outbox_emails", ["sent_at"])
    op.create_index("ix_assignments_provider_id_created_at", "assignments", ["provider_id", "created_at", "id"])
    op.create_index("ix_notifications_provider_id_id", "notifications", ["provider_id", "id"])
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["provider_id"],
        postgresql_where=sa.text("read_at IS NULL"),
        sqlite_where=sa.text("read_at IS NULL"),
    )
    if _postgresql():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in LEAD_TRIGRAMS:
            op.create_index(
                f"ix_leads_{column}_trgm",
                "leads",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
        op.create_index(
            "ix_providers_name_trgm", "providers", ["name"], postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}
        )


def downgrade() -> None:
    if _postgresql():
        op.drop_index("ix_providers_name_trgm", table_name="providers")
        for column in LEAD_TRIGRAMS:
            op.drop_index(f"ix_leads_{column}_trgm", table_name="leads")
        # the extension stays: other objects may use it
    op.drop_index("ix_notifications_unread", table_name="notifications")
    op.drop_index("ix_notifications_provider_id_id", table_name="notifications")
    op.drop_index("ix_assignments_provider_id_created_at", table_name="assignments")
    op.drop_index("ix_outbox_emails_sent_at", table_name="outbox_emails")
    op.drop_index("ix_lead_events_kind_created_at", table_name="lead_events")
    op.drop_index("ix_leads_customer_email_lower", table_name="leads")
    op.drop_index("ix_leads_unrouted", table_name="leads")
    op.drop_index("ix_leads_waiting", table_name="leads")
    op.drop_index("ix_leads_metro_id_created_at", table_name="leads")
    op.drop_index("ix_leads_assigned_provider_id_status", table_name="leads")
    op.create_index("ix_leads_assigned_provider_id", "leads", ["assigned_provider_id"])
    op.drop_index("ix_providers_name_id", table_name="providers")
    op.drop_index("ix_leads_delivery_status_status", table_name="leads")
    op.create_index("ix_leads_delivery_status", "leads", ["delivery_status"])
    op.drop_index("ix_leads_created_at", table_name="leads")
