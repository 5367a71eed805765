"""Operations bookkeeping: the latest self-check results and which scheduled rounds have run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, utcnow


class SelfCheckResult(Base):
    """The latest outcome of one self-check (disk, database, queue, storage, ingest, cameras, backups)."""

    __tablename__ = "selfcheck_results"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(8))  # ok, warn, fail
    message: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PeriodicRun(Base):
    """A scheduled round that has run (e.g. 'review:3:2026-11-30'), so it runs once even if checked often."""

    __tablename__ = "periodic_runs"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    ran_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
