"""Counter readings from the presses and the shot rollups dashboards read.

The ingest issue fills these; mould_id 0 in a rollup means "no mould known" (rollup keys
cannot hold NULL in a primary key, and per-press totals still need those shots).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, BigIntPK, SiteOwned, utcnow


class CounterReading(SiteOwned, Base):
    """One raw counter value from a press, and the shots it added to a mould."""

    __tablename__ = "counter_readings"
    __table_args__ = (
        UniqueConstraint("press_id", "counter", "ts"),
        Index("ix_counter_readings_ts", "ts"),
        Index("ix_counter_readings_mould_ts", "mould_id", "ts"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    press_id: Mapped[int] = mapped_column(ForeignKey("presses.id", ondelete="CASCADE"))
    ts: Mapped[dt.datetime] = mapped_column()
    counter: Mapped[str] = mapped_column(String(32))
    value: Mapped[int] = mapped_column(BigInteger)
    mould_id: Mapped[int | None] = mapped_column(Integer)
    shots: Mapped[int] = mapped_column(BigInteger, default=0)
    source: Mapped[str] = mapped_column(String(16), default="api")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


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
