"""Quote leads, credits and reviews (issue 6)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21

Reserved in the chain so the issues can be built in parallel; empty until its issue adds
its tables and columns here.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
