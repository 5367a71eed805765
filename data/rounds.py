"""Scheduled rounds in each site's local time (the daily morning round, the weekly review).

A periodic task checks every few minutes; a round is due once its latest slot (local day and time)
has passed, and runs once per slot (a PeriodicRun row is the mark), so a worker that was down at
the slot catches up when it starts, and several workers never run a round twice.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from config import WEEKDAYS
from data.db import db
from data.models import PeriodicRun, utcnow

CATCH_UP = dt.timedelta(hours=20)  # a slot missed by more than this is skipped, not run late


def site_zone(name: str | None) -> ZoneInfo:
    """The site's time zone (UTC when unknown)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def latest_slot(now: dt.datetime, zone: ZoneInfo, time_of_day: str, weekday: str | None = None) -> dt.datetime:
    """The most recent local slot at or before now (daily, or weekly on weekday), as an aware datetime."""
    hour, minute = (int(v) for v in time_of_day.split(":"))
    local = now.astimezone(zone)
    slot = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if weekday is not None:
        slot -= dt.timedelta(days=(slot.weekday() - WEEKDAYS.index(weekday)) % 7)
    if slot > local:
        slot -= dt.timedelta(days=7 if weekday is not None else 1)
    return slot  # aware datetimes in one zone add days in wall-clock time, so DST changes keep the hour


def due(now: dt.datetime, slot: dt.datetime) -> bool:
    """True if the slot has passed recently enough to run now."""
    return slot <= now and now - slot <= CATCH_UP


def has_run(key: str) -> bool:
    """True if the round with this key has been marked as run."""
    return db.session.scalar(select(PeriodicRun.key).where(PeriodicRun.key == key)) is not None


def mark_run(key: str) -> bool:
    """Mark a round as run; False if it already was (by this or another worker). Commits."""
    if has_run(key):
        return False
    db.session.add(PeriodicRun(key=key, ran_at=utcnow()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def unmark_run(key: str) -> None:
    """Remove a mark (the round failed and should run again at the next check). Commits."""
    db.session.rollback()
    row = db.session.get(PeriodicRun, key)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
