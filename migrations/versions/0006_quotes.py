"""Quote leads, credits and reviews (issue 6)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21

Credit wallets (balance CHECK >= 0) and the append-only credit ledger; quote preview views,
reviews and disputes; on leads, max_providers and unlock_count (CHECK unlock_count <=
max_providers).
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_wallets',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_credit_wallets_balance_not_negative')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_credit_wallets_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_credit_wallets'))
    )
    op.create_table('credit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('grant', 'spend', 'refund')", name=op.f('ck_credit_entries_kind')),
    sa.CheckConstraint("(kind = 'spend' AND amount <= 0) OR (kind IN ('grant', 'refund') AND amount > 0)", name=op.f('ck_credit_entries_amount_sign')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_credit_entries_created_by_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_credit_entries_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_entries')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_credit_entries_idempotency_key'))
    )
    with op.batch_alter_table('credit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_entries_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_entries_provider_id'), ['provider_id'], unique=False)

    op.create_table('quote_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_quote_views_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_quote_views_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_views')),
    sa.UniqueConstraint('lead_id', 'provider_id', name='uq_quote_views_lead_provider')
    )
    with op.batch_alter_table('quote_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quote_views_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quote_views_provider_id'), ['provider_id'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_reviews_rating')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_reviews_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_reviews_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews')),
    sa.UniqueConstraint('lead_id', name=op.f('uq_reviews_lead_id'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reviews_provider_id'), ['provider_id'], unique=False)

    op.create_table('disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("reason IN ('wrong_contact', 'spam', 'duplicate')", name=op.f('ck_disputes_reason')),
    sa.CheckConstraint("status IN ('open', 'refunded', 'rejected')", name=op.f('ck_disputes_status')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_disputes_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_disputes_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_disputes_provider_id_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_disputes_resolved_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes')),
    sa.UniqueConstraint('assignment_id', name=op.f('uq_disputes_assignment_id'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disputes_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disputes_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_disputes_status'), ['status'], unique=False)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_providers', sa.Integer(), nullable=False, server_default='3'))
        batch_op.add_column(sa.Column('unlock_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_check_constraint(
            'unlock_count', 'unlock_count >= 0 AND unlock_count <= max_providers')
        batch_op.create_check_constraint('max_providers', 'max_providers BETWEEN 1 AND 10')


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_leads_max_providers'), type_='check')
        batch_op.drop_constraint(op.f('ck_leads_unlock_count'), type_='check')
        batch_op.drop_column('unlock_count')
        batch_op.drop_column('max_providers')

    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disputes_status'))
        batch_op.drop_index(batch_op.f('ix_disputes_provider_id'))
        batch_op.drop_index(batch_op.f('ix_disputes_lead_id'))
    op.drop_table('disputes')
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_provider_id'))
        batch_op.drop_index(batch_op.f('ix_reviews_created_at'))
    op.drop_table('reviews')
    with op.batch_alter_table('quote_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quote_views_provider_id'))
        batch_op.drop_index(batch_op.f('ix_quote_views_lead_id'))
    op.drop_table('quote_views')
    with op.batch_alter_table('credit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_entries_provider_id'))
        batch_op.drop_index(batch_op.f('ix_credit_entries_created_at'))
    op.drop_table('credit_entries')
    op.drop_table('credit_wallets')
