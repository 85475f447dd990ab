"""Live polls: per-provider change counters and the offer sound setting

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

`provider_changes` holds each provider's change version (bumped in the transaction that
changes something its live pages show; Redis keeps a copy for cheap reads). `offer_sound`
switches the new-offer sound on the open offers page (default on).
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('provider_changes',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_changes_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', name=op.f('pk_provider_changes'))
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_sound', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_column('offer_sound')
    op.drop_table('provider_changes')
