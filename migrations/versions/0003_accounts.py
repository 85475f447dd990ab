"""Provider accounts (issue 3): verification requests, the one-time Growth trial

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'verification_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('licence_number', sa.String(length=60), nullable=False),
        sa.Column('service_phone', sa.String(length=40), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('admin_note', sa.Text(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')",
                           name=op.f('ck_verification_requests_status')),
        sa.ForeignKeyConstraint(['provider_id'], ['providers.id'],
                                name=op.f('fk_verification_requests_provider_id_providers'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'],
                                name=op.f('fk_verification_requests_submitted_by_id_users')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_verification_requests_decided_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_requests')),
    )
    with op.batch_alter_table('verification_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_requests_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_requests_status'), ['status'], unique=False)
        batch_op.create_index('uq_verification_requests_one_pending', ['provider_id'], unique=True,
                              sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))

    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trial_started_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_column('trial_started_at')

    with op.batch_alter_table('verification_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_verification_requests_one_pending')
        batch_op.drop_index(batch_op.f('ix_verification_requests_status'))
        batch_op.drop_index(batch_op.f('ix_verification_requests_provider_id'))

    op.drop_table('verification_requests')
