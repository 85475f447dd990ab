"""Web Push: devices, preferences, push outbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

A provider's push subscriptions (one per browser/device, endpoint unique), its push
preferences (kinds, quiet hours, emergencies break through) and the push outbox (one row per
message per device, sent once by the `push` queue's worker).
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('endpoint', sa.String(length=1024), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=100), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_push_subscriptions_provider_id_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_subscriptions_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint'))
    )
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscriptions_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_subscriptions_user_id'), ['user_id'], unique=False)

    op.create_table('push_preferences',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('quiet_start', sa.String(length=5), nullable=True),
    sa.Column('quiet_end', sa.String(length=5), nullable=True),
    sa.Column('emergencies_break_through', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_push_preferences_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_push_preferences'))
    )

    op.create_table('outbox_pushes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(length=300), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('locked_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'gone', 'stale', 'failed')", name=op.f('ck_outbox_pushes_status')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_outbox_pushes_lead_id_leads'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_outbox_pushes_provider_id_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['push_subscriptions.id'], name=op.f('fk_outbox_pushes_subscription_id_push_subscriptions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_pushes')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_pushes_dedupe_key'))
    )
    with op.batch_alter_table('outbox_pushes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_pushes_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_pushes_subscription_id'), ['subscription_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_pushes_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_pushes_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_pushes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_pushes_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_pushes_lead_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_pushes_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_pushes_provider_id'))
    op.drop_table('outbox_pushes')
    op.drop_table('push_preferences')
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_user_id'))
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_provider_id'))
    op.drop_table('push_subscriptions')
