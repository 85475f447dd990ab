"""Recurring FOG compliance (issue 12): metro rules, sites, traps, service records (manifests),
reminders, magic sign-in links; trap fields and the site/trap a request is attached to on leads.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

Additive only: new tables, and nullable columns (with their CHECKs) on leads.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = "0014"
branch_labels = None
depends_on = None


# A confirmed manifest never changes (a correction is a new revision): the database refuses an
# UPDATE of its content, whatever code runs it. superseded_at may still be set.
CONTENT = (
    "service_date", "gallons_removed", "percent_full", "transporter_registration", "vehicle", "driver",
    "disposal_facility", "generator_signer", "notes", "trap_id", "provider_id", "lead_id", "number",
    "revision", "confirmed_at",
)
PG_IMMUTABLE = """
CREATE FUNCTION service_records_immutable() RETURNS trigger AS $$
BEGIN
  IF OLD.confirmed_at IS NOT NULL AND ({new}) IS DISTINCT FROM ({old}) THEN
    RAISE EXCEPTION 'service record % is confirmed and cannot change: record a correction', OLD.number
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER service_records_immutable BEFORE UPDATE ON service_records
  FOR EACH ROW EXECUTE FUNCTION service_records_immutable();
""".format(
    new=", ".join(f"NEW.{c}" for c in CONTENT if c != "lead_id"), old=", ".join(f"OLD.{c}" for c in CONTENT if c != "lead_id")
)
SQLITE_IMMUTABLE = """
CREATE TRIGGER service_records_immutable BEFORE UPDATE OF {columns} ON service_records
WHEN OLD.confirmed_at IS NOT NULL AND ({checks})
BEGIN SELECT RAISE(ABORT, 'service record is confirmed and cannot change: record a correction'); END;
""".format(
    columns=", ".join(c for c in CONTENT if c != "lead_id"),
    checks=" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT if c != "lead_id"),
)


def upgrade():
    op.create_table('magic_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_magic_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_magic_links_token_hash'))
    )
    with op.batch_alter_table('magic_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_magic_links_email'), ['email'], unique=False)

    op.create_table('compliance_rules',
    sa.Column('metro_id', sa.Integer(), nullable=False),
    sa.Column('interval_days', sa.Integer(), nullable=True),
    sa.Column('lead_days', sa.Integer(), server_default='14', nullable=False),
    sa.Column('authority', sa.String(length=200), server_default='', nullable=False),
    sa.Column('rule_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('interval_days IS NULL OR interval_days BETWEEN 1 AND 3650', name=op.f('ck_compliance_rules_interval_days')),
    sa.CheckConstraint('lead_days BETWEEN 0 AND 120', name=op.f('ck_compliance_rules_lead_days')),
    sa.ForeignKeyConstraint(['metro_id'], ['metros.id'], name=op.f('fk_compliance_rules_metro_id_metros'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('metro_id', name=op.f('pk_compliance_rules'))
    )
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_email', sa.String(length=254), nullable=False),
    sa.Column('metro_id', sa.Integer(), nullable=False),
    sa.Column('address_key', sa.String(length=300), nullable=False),
    sa.Column('business_name', sa.String(length=160), nullable=True),
    sa.Column('street', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('postal_code', sa.String(length=12), nullable=True),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('contact_phone', sa.String(length=32), nullable=True),
    sa.Column('auto_rebook', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('share_token', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['metro_id'], ['metros.id'], name=op.f('fk_sites_metro_id_metros')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('owner_email', 'metro_id', 'address_key', name='uq_sites_owner_address'),
    sa.UniqueConstraint('share_token', name=op.f('uq_sites_share_token'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sites_metro_id'), ['metro_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sites_owner_email'), ['owner_email'], unique=False)

    op.create_table('traps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('trap_type', sa.String(length=16), nullable=False),
    sa.Column('capacity_gallons', sa.Integer(), nullable=False),
    sa.Column('access_notes', sa.Text(), nullable=True),
    sa.Column('last_pumped_reported', sa.Date(), nullable=True),
    sa.Column('next_due', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("trap_type IN ('indoor', 'interceptor', 'grit', 'other')", name=op.f('ck_traps_trap_type')),
    sa.CheckConstraint('capacity_gallons BETWEEN 10 AND 10000', name=op.f('ck_traps_capacity_gallons')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_traps_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_traps'))
    )
    with op.batch_alter_table('traps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_traps_next_due'), ['next_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_traps_site_id'), ['site_id'], unique=False)

    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trap_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('due_soon', 'overdue', 'auto_rebook')", name=op.f('ck_reminders_kind')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_reminders_lead_id_leads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_reminders_provider_id_providers')),
    sa.ForeignKeyConstraint(['trap_id'], ['traps.id'], name=op.f('fk_reminders_trap_id_traps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('token', name=op.f('uq_reminders_token')),
    sa.UniqueConstraint('trap_id', 'kind', 'due_on', name='uq_reminders_cycle')
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_trap_id'), ['trap_id'], unique=False)

    op.create_table('service_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('trap_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(), nullable=True),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('gallons_removed', sa.Integer(), nullable=False),
    sa.Column('percent_full', sa.Integer(), nullable=False),
    sa.Column('transporter_registration', sa.String(length=60), nullable=False),
    sa.Column('vehicle', sa.String(length=80), nullable=False),
    sa.Column('driver', sa.String(length=120), nullable=False),
    sa.Column('disposal_facility', sa.String(length=200), nullable=False),
    sa.Column('generator_signer', sa.String(length=120), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('gallons_removed BETWEEN 1 AND 20000', name=op.f('ck_service_records_gallons_removed')),
    sa.CheckConstraint('percent_full BETWEEN 0 AND 100', name=op.f('ck_service_records_percent_full')),
    sa.CheckConstraint('revision >= 1', name=op.f('ck_service_records_revision')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_service_records_lead_id_leads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_service_records_provider_id_providers')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['service_records.id'], name=op.f('fk_service_records_supersedes_id_service_records')),
    sa.ForeignKeyConstraint(['trap_id'], ['traps.id'], name=op.f('fk_service_records_trap_id_traps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_records')),
    sa.UniqueConstraint('number', name=op.f('uq_service_records_number')),
    sa.UniqueConstraint('supersedes_id', name='uq_service_records_supersedes_id')
    )
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_records_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_records_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_records_service_date'), ['service_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_records_trap_id'), ['trap_id'], unique=False)
    op.create_index(
        'uq_service_records_lead_current',
        'service_records',
        ['lead_id'],
        unique=True,
        postgresql_where=sa.text('superseded_at IS NULL'),
        sqlite_where=sa.text('superseded_at IS NULL'),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_IMMUTABLE)
    else:
        op.execute(SQLITE_IMMUTABLE)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trap_type', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('trap_capacity_gallons', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('trap_last_pumped', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('trap_access_notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('trap_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_leads_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_trap_id'), ['trap_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_leads_trap_id_traps'), 'traps', ['trap_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_leads_site_id_sites'), 'sites', ['site_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(
            batch_op.f('ck_leads_trap_type'),
            "trap_type IS NULL OR trap_type IN ('indoor', 'interceptor', 'grit', 'other')",
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_leads_trap_capacity_gallons'),
            'trap_capacity_gallons IS NULL OR trap_capacity_gallons BETWEEN 10 AND 10000',
        )



def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_leads_trap_capacity_gallons'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_leads_trap_type'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_leads_site_id_sites'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_leads_trap_id_traps'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_leads_trap_id'))
        batch_op.drop_index(batch_op.f('ix_leads_site_id'))
        batch_op.drop_column('trap_id')
        batch_op.drop_column('site_id')
        batch_op.drop_column('trap_access_notes')
        batch_op.drop_column('trap_last_pumped')
        batch_op.drop_column('trap_capacity_gallons')
        batch_op.drop_column('trap_type')

    op.drop_index('uq_service_records_lead_current', table_name='service_records')
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_records_trap_id'))
        batch_op.drop_index(batch_op.f('ix_service_records_service_date'))
        batch_op.drop_index(batch_op.f('ix_service_records_provider_id'))
        batch_op.drop_index(batch_op.f('ix_service_records_lead_id'))

    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS service_records_immutable ON service_records")
        op.execute("DROP FUNCTION IF EXISTS service_records_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS service_records_immutable")
    op.drop_table('service_records')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_trap_id'))
        batch_op.drop_index(batch_op.f('ix_reminders_provider_id'))

    op.drop_table('reminders')
    with op.batch_alter_table('traps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_traps_site_id'))
        batch_op.drop_index(batch_op.f('ix_traps_next_due'))

    op.drop_table('traps')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_owner_email'))
        batch_op.drop_index(batch_op.f('ix_sites_metro_id'))

    op.drop_table('sites')
    op.drop_table('compliance_rules')
    with op.batch_alter_table('magic_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_magic_links_email'))

    op.drop_table('magic_links')
