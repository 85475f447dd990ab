"""Direct leads, escrow and consent (issue 4)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21

Lead columns for the escrow inbox: when the requested provider was sent the outreach email,
when the customer was asked for consent to offer the request to others, and the answer.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outreach_sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('consent_asked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('consent', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('consent_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('consent_at')
        batch_op.drop_column('consent')
        batch_op.drop_column('consent_asked_at')
        batch_op.drop_column('outreach_sent_at')
