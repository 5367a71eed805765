"""Technician forms (issue 5): idempotency and form support.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from data.rls import disable_site_rls_sql, enable_site_rls_sql  # noqa: F401

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
