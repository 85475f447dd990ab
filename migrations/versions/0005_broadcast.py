"""Broadcast offers and waves (issue 5)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21

Offers (one per lead and provider, at most one accepted per lead), the lead's wave state
(plan snapshot, current wave, deadline) and each metro's wave plan.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

DEFAULT_WAVE_PLAN = ('[{"tiers": ["pro", "growth"], "size": 3, "minutes": 5}, '
                     '{"tiers": ["starter"], "size": 5, "minutes": 5}, '
                     '{"tiers": ["free"], "size": 5, "minutes": 10}]')


def upgrade():
    op.create_table(
        'offers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('wave', sa.Integer(), nullable=False),
        sa.Column('offered_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('restricted', sa.Boolean(), nullable=False),
        sa.Column('responded_at', sa.DateTime(), nullable=True),
        sa.Column('decline_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("state IN ('offered', 'accepted', 'taken', 'declined', 'expired')",
                           name=op.f('ck_offers_state')),
        sa.CheckConstraint('wave >= 1', name=op.f('ck_offers_wave')),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_offers_lead_id_leads'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['provider_id'], ['providers.id'],
                                name=op.f('fk_offers_provider_id_providers'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_offers')),
        sa.UniqueConstraint('lead_id', 'provider_id', name='uq_offers_lead_provider'),
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offers_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_state'), ['state'], unique=False)
    op.create_index('uq_offers_one_accepted_per_lead', 'offers', ['lead_id'], unique=True,
                    postgresql_where=sa.text("state = 'accepted'"),
                    sqlite_where=sa.text("state = 'accepted'"))

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wave_plan', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('current_wave', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('wave_deadline', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_leads_wave_deadline'), ['wave_deadline'], unique=False)

    with op.batch_alter_table('metros', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wave_plan', sa.JSON(), nullable=False,
                                      server_default=sa.text(f"'{DEFAULT_WAVE_PLAN}'")))


def downgrade():
    with op.batch_alter_table('metros', schema=None) as batch_op:
        batch_op.drop_column('wave_plan')

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_wave_deadline'))
        batch_op.drop_column('wave_deadline')
        batch_op.drop_column('current_wave')
        batch_op.drop_column('wave_plan')

    op.drop_index('uq_offers_one_accepted_per_lead', table_name='offers')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offers_state'))
        batch_op.drop_index(batch_op.f('ix_offers_provider_id'))
        batch_op.drop_index(batch_op.f('ix_offers_lead_id'))
    op.drop_table('offers')
