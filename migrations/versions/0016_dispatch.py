"""Dispatch (issue 13): urgency-aware consent wait, SLA escalation

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

metros.consent_wait_emergency_minutes: how long an escrowed *emergency* direct request waits
before the customer is asked whether others may have it (0 = at once; the existing
consent_wait_hours stays for this-week and flexible requests). metros.sla_miss_limit: after
this many offers in a row expire unanswered a provider is paused automatically (0 = never).
providers.missed_in_row / sla_paused_at: the running count of unanswered offers and when the
automatic pause happened (the pause itself is the existing providers.paused). offers.missed_at:
when an offer's own window closed without an answer (counted once).
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('metros') as batch_op:
        batch_op.add_column(sa.Column('consent_wait_emergency_minutes', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sla_miss_limit', sa.Integer(), server_default='3', nullable=False))
        batch_op.create_check_constraint('consent_wait_emergency_minutes', 'consent_wait_emergency_minutes >= 0')
        batch_op.create_check_constraint('sla_miss_limit', 'sla_miss_limit >= 0')
    with op.batch_alter_table('providers') as batch_op:
        batch_op.add_column(sa.Column('missed_in_row', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('sla_paused_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint('missed_in_row', 'missed_in_row >= 0')
    with op.batch_alter_table('offers') as batch_op:
        batch_op.add_column(sa.Column('missed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('offers') as batch_op:
        batch_op.drop_column('missed_at')
    with op.batch_alter_table('providers') as batch_op:
        batch_op.drop_constraint(op.f('ck_providers_missed_in_row'), type_='check')
        batch_op.drop_column('sla_paused_at')
        batch_op.drop_column('missed_in_row')
    with op.batch_alter_table('metros') as batch_op:
        batch_op.drop_constraint(op.f('ck_metros_sla_miss_limit'), type_='check')
        batch_op.drop_constraint(op.f('ck_metros_consent_wait_emergency_minutes'), type_='check')
        batch_op.drop_column('sla_miss_limit')
        batch_op.drop_column('consent_wait_emergency_minutes')
