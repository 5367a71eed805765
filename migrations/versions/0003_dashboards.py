"""Dashboards (issue 4): indexes for time-range scans of the shot rollups across all presses.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_shots_hourly_bucket", "shots_hourly", ["bucket"])
    op.create_index("ix_shots_daily_day", "shots_daily", ["day"])


def downgrade():
    op.drop_index("ix_shots_daily_day", table_name="shots_daily")
    op.drop_index("ix_shots_hourly_bucket", table_name="shots_hourly")
