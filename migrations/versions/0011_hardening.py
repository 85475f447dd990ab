"""Hardening (issue 16)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

users.session_version: part of every session and remember cookie, raised to end them all
(sign-out, password change or reset, suspension). leads.submission_key: the one-time key of
the public request form, unique, so a double submit creates one lead.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('leads') as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_leads_submission_key'), ['submission_key'])


def downgrade():
    with op.batch_alter_table('leads') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_leads_submission_key'), type_='unique')
        batch_op.drop_column('submission_key')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('session_version')
