"""Shot counts of a mould over a period, from the raw counter readings that ingest attributes to it.

The contract between ingest and maintenance: ingest adds a reading's shots to a mould's
lifetime_shots always, and to shots_since_pm only when the reading is later than the mould's
last_pm_at; a preventive maintenance log sets last_pm_at and recomputes shots_since_pm with
shots_since(mould_id, performed_at), so readings that arrive late land on the right side of the PM.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from data.db import db
from data.models import CounterReading


def shots_since(mould_id: int, since: dt.datetime, until: dt.datetime | None = None) -> int:
    """Shots attributed to the mould by readings after `since` (and up to `until`, inclusive)."""
    stmt = select(func.coalesce(func.sum(CounterReading.shots), 0)).where(
        CounterReading.mould_id == mould_id, CounterReading.ts > since
    )
    if until is not None:
        stmt = stmt.where(CounterReading.ts <= until)
    return int(db.session.scalar(stmt) or 0)
