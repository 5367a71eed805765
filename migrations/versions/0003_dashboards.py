"""Dashboards (issue 4): indexes and views for analytics.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from data.rls import disable_site_rls_sql, enable_site_rls_sql  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
