"""Indexes the dashboards need on the rollup tables (time-range scans across all presses).

The 7-day shot rate of every mould and today's shots read shots_hourly by time alone, and the
plant-wide daily view reads shots_daily by day for all sites; the primary keys lead with press_id.
"""

from __future__ import annotations

from sqlalchemy import Index

from data.models.shots import ShotsDaily, ShotsHourly

SHOTS_HOURLY_BUCKET = Index("ix_shots_hourly_bucket", ShotsHourly.bucket)
SHOTS_DAILY_DAY = Index("ix_shots_daily_day", ShotsDaily.day)
