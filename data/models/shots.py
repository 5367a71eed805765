"""Counter readings from the presses, each counter's last reading, and the shot rollups dashboards read.

The ingest service (data/shot_store.py) fills these; mould_id 0 in a rollup means "no mould known"
(rollup keys cannot hold NULL in a primary key, and per-press totals still need those shots).

counter_readings is the raw event table, built for bulk loading: no foreign keys (ingest checks
press and site), no B-tree but a time index (BRIN on PostgreSQL), and no primary-key constraint.
A reading is identified by (press_id, counter, ts); the ingest service keeps that unique because it
writes a counter's readings only while holding that counter's CounterState row lock. Counter values
are unsigned 64-bit on the presses and are stored as signed 64-bit two's complement (see
data.counters.to_signed64 / from_signed64).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, SiteOwned, utcnow


class CounterReading(SiteOwned, Base):
    """One raw counter value from a press, and the shots it added to a mould."""

    __tablename__ = "counter_readings"
    __table_args__ = (
        Index("ix_counter_readings_ts", "ts", postgresql_using="brin"),
    )

    site_id: Mapped[int] = mapped_column(Integer)  # no FK or index: bulk loads; ingest checks the site
    press_id: Mapped[int] = mapped_column(Integer)
    ts: Mapped[dt.datetime] = mapped_column()
    counter: Mapped[str] = mapped_column(String(32))
    value: Mapped[int] = mapped_column(BigInteger)
    mould_id: Mapped[int | None] = mapped_column(Integer)
    shots: Mapped[int] = mapped_column(BigInteger, default=0)
    source: Mapped[str] = mapped_column(String(16), default="api")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __mapper_args__ = {"primary_key": [press_id, counter, ts]}


class CounterState(SiteOwned, Base):
    """The latest reading of one counter of a press; its row lock serialises that counter's ingest."""

    __tablename__ = "counter_state"

    press_id: Mapped[int] = mapped_column(ForeignKey("presses.id", ondelete="CASCADE"), primary_key=True)
    counter: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_ts: Mapped[dt.datetime | None] = mapped_column()
    last_value: Mapped[int | None] = mapped_column(BigInteger)
    last_mould_id: Mapped[int | None] = mapped_column(Integer)
    last_received_at: Mapped[dt.datetime | None] = mapped_column()
    readings: Mapped[int] = mapped_column(BigInteger, default=0)
    shots: Mapped[int] = mapped_column(BigInteger, default=0)


class ShotsHourly(SiteOwned, Base):
    """Shots per press and mould per hour (UTC)."""

    __tablename__ = "shots_hourly"
    __table_args__ = (Index("ix_shots_hourly_mould_bucket", "mould_id", "bucket"),)

    press_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mould_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[dt.datetime] = mapped_column(primary_key=True)
    shots: Mapped[int] = mapped_column(BigInteger, default=0)


class ShotsDaily(SiteOwned, Base):
    """Shots per press and mould per day (UTC)."""

    __tablename__ = "shots_daily"
    __table_args__ = (
        Index("ix_shots_daily_site_day", "site_id", "day"),
        Index("ix_shots_daily_mould_day", "mould_id", "day"),
    )

    press_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mould_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    shots: Mapped[int] = mapped_column(BigInteger, default=0)
