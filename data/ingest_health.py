"""Ingest health: readings accepted and rejected, the latest reading per press and sensor, edge processes.

Written by the ingest services and the API (counts, rejections, agent reports); read by the admin
page (pages/ingest_health.py) and the Prometheus endpoint (api/metrics.py). Site filters are
explicit: pass the sites in view (None = all sites in the current scope).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from data.db import db
from data.models import (
    CounterState,
    IngestAgent,
    IngestCount,
    IngestRejection,
    Mould,
    Press,
    Sensor,
    SensorState,
    ServiceToken,
    Site,
)
from data.models.base import utcnow
from data.readings import AgentInfo, BatchRejected

KEEP_REJECTIONS = 500
STREAMS = ("counters", "sensors")
NO_SITE = 0  # counts of requests that had no valid token (so no site)


def _insert(conn: Connection):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def hour_of(ts: dt.datetime) -> dt.datetime:
    """The UTC hour a moment falls in."""
    return ts.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


SHARDS = 16


def shard() -> int:
    """Which of the counters' rows this thread adds to: concurrent batches do not queue on one row."""
    return hash((os.getpid(), threading.get_ident())) % SHARDS


def add_counts(conn: Connection, site_id: int, stream: str, counts: dict[tuple[str, str], int],
               now: dt.datetime | None = None) -> None:
    """Add to the hourly counters of readings by (outcome, reason); zero counts are skipped."""
    rows = [{"hour": hour_of(now or utcnow()), "site_id": site_id, "stream": stream, "outcome": outcome,
             "reason": reason, "shard": shard(), "n": n} for (outcome, reason), n in sorted(counts.items()) if n]
    if not rows:
        return
    t = IngestCount.__table__
    stmt = _insert(conn)(t)
    conn.execute(stmt.on_conflict_do_update(index_elements=[t.c.hour, t.c.site_id, t.c.stream, t.c.outcome,
                                                            t.c.reason, t.c.shard],
                                            set_={"n": t.c.n + stmt.excluded.n}), rows)


def record_rejection(stream: str, rejected: BatchRejected, site_id: int | None, token_name: str = "",
                     now: dt.datetime | None = None) -> None:
    """Count a refused batch by reason and keep its message; commits (the batch itself was rolled back)."""
    now = now or utcnow()
    conn = db.session.connection()
    add_counts(conn, site_id or NO_SITE, stream, {("rejected", k): n for k, n in rejected.reasons.items()}, now)
    listed = "; ".join(f"#{e.index} {e.field}: {e.message}" if e.index >= 0 else f"{e.field}: {e.message}"
                       for e in rejected.errors[:5])
    more = f" (+{len(rejected.errors) - 5} more)" if len(rejected.errors) > 5 else ""
    conn.execute(IngestRejection.__table__.insert().values(
        at=now, site_id=site_id or NO_SITE, stream=stream, reason=rejected.reason, token_name=token_name[:64],
        items=max(1, len({e.index for e in rejected.errors})),
        message=(f"{rejected.message} {listed}{more}".strip())[:2000]))
    t = IngestRejection.__table__
    cutoff = conn.execute(select(t.c.id).order_by(t.c.id.desc()).offset(KEEP_REJECTIONS).limit(1)).scalar()
    if cutoff is not None:
        conn.execute(delete(t).where(t.c.id <= cutoff))
    db.session.commit()


def report_agent(conn: Connection, token: ServiceToken, agent: AgentInfo, now: dt.datetime | None = None) -> None:
    """Remember how an edge process last described itself (spool depth, connections)."""
    t = IngestAgent.__table__
    values = {"token_id": token.id, "site_id": token.site_id, "name": agent.name, "kind": agent.kind,
              "version": agent.version, "last_seen_at": now or utcnow(), "spool_depth": agent.spool_depth,
              "dead_letters": agent.dead_letters, "connected": agent.connected, "sources": agent.sources,
              "detail": agent.detail}
    stmt = _insert(conn)(t).values(**values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[t.c.token_id, t.c.name],
                                            set_={k: stmt.excluded[k] for k in values if k not in ("token_id",
                                                                                                   "name")}))


# -- reading ------------------------------------------------------------------------------------------------

def _sites(stmt, column, site_ids: Iterable[int] | None):
    return stmt if site_ids is None else stmt.where(column.in_(tuple(site_ids)))


@dataclass(frozen=True)
class Totals:
    """Readings accepted, duplicate and rejected (by reason) for a stream."""

    accepted: int
    duplicates: int
    rejected: dict[str, int]

    @property
    def rejected_total(self) -> int:
        """All rejected readings."""
        return sum(self.rejected.values())


def totals(site_ids: Iterable[int] | None = None, since: dt.datetime | None = None,
           include_unauthenticated: bool = True) -> dict[str, Totals]:
    """Per stream: readings accepted, duplicates and rejected by reason (since a moment, or ever)."""
    t = IngestCount
    stmt = select(t.stream, t.outcome, t.reason, func.sum(t.n)).group_by(t.stream, t.outcome, t.reason)
    if since is not None:
        stmt = stmt.where(t.hour >= hour_of(since))
    if site_ids is not None:
        ids = set(site_ids) | ({NO_SITE} if include_unauthenticated else set())
        stmt = stmt.where(t.site_id.in_(tuple(ids)))
    acc: dict[str, dict[str, Any]] = {s: {"accepted": 0, "duplicate": 0, "rejected": {}} for s in STREAMS}
    for stream, outcome, reason, n in db.session.execute(stmt):
        slot = acc.setdefault(stream, {"accepted": 0, "duplicate": 0, "rejected": {}})
        if outcome == "rejected":
            slot["rejected"][reason] = slot["rejected"].get(reason, 0) + int(n)
        else:
            slot[outcome] = slot.get(outcome, 0) + int(n)
    return {s: Totals(v["accepted"], v["duplicate"], v["rejected"]) for s, v in acc.items()}


def counts_by_site(site_ids: Iterable[int] | None = None) -> list[tuple[str, str, str, str, int]]:
    """Cumulative counts as (site code or '', stream, outcome, reason, n) for the metrics endpoint."""
    t = IngestCount
    stmt = _sites(select(t.site_id, t.stream, t.outcome, t.reason, func.sum(t.n))
                  .group_by(t.site_id, t.stream, t.outcome, t.reason), t.site_id, site_ids)
    codes = dict(db.session.execute(select(Site.id, Site.code)).all())
    return [(codes.get(s, ""), stream, outcome, reason, int(n)) for s, stream, outcome, reason, n in
            db.session.execute(stmt)]


def press_status(now: dt.datetime, site_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Each press with a counter: its last reading, its age, the mould it counted for, totals."""
    cs = CounterState
    stmt = _sites(
        select(Site.code, Press.code, cs.counter, cs.last_ts, cs.last_value, Mould.code, cs.last_received_at,
               cs.readings, cs.shots)
        .join(Press, Press.id == cs.press_id).join(Site, Site.id == cs.site_id)
        .outerjoin(Mould, Mould.id == cs.last_mould_id).where(cs.last_ts.is_not(None))
        .order_by(Site.code, Press.code, cs.counter), cs.site_id, site_ids)
    from data.counters import from_signed64

    return [{"site": site, "press": press, "counter": counter, "last_ts": ts, "value": from_signed64(value or 0),
             "mould": mould or "", "received_at": received, "age_s": (now - ts).total_seconds(),
             "readings": int(n), "shots": int(shots)}
            for site, press, counter, ts, value, mould, received, n, shots in db.session.execute(stmt)]


def sensor_status(now: dt.datetime, site_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Each sensor: its last value and age, thresholds, readings, and whether it is in an excursion now."""
    ss = SensorState
    stmt = _sites(
        select(Sensor.id, Site.code, Press.code, Sensor.key, Sensor.name, Sensor.unit, Sensor.low_threshold,
               Sensor.high_threshold, ss.last_ts, ss.last_value, ss.readings, ss.open_alert_id)
        .join(Press, Press.id == Sensor.press_id).join(Site, Site.id == Sensor.site_id)
        .outerjoin(ss, ss.sensor_id == Sensor.id).order_by(Site.code, Press.code, Sensor.key), Sensor.site_id,
        site_ids)
    return [{"id": sid, "site": site, "press": press, "sensor": key, "name": name, "unit": unit, "low": low,
             "high": high, "last_ts": ts, "value": value, "age_s": None if ts is None else (now - ts).total_seconds(),
             "readings": int(n or 0), "in_alert": alert is not None}
            for sid, site, press, key, name, unit, low, high, ts, value, n, alert in db.session.execute(stmt)]


def agent_status(now: dt.datetime, site_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Each edge process that reported: kind, last seen, spool depth, dead letters, connections."""
    a = IngestAgent
    stmt = _sites(select(a, Site.code, ServiceToken.name).join(Site, Site.id == a.site_id)
                  .join(ServiceToken, ServiceToken.id == a.token_id).order_by(Site.code, a.name), a.site_id,
                  site_ids)
    return [{"site": code, "name": row.name, "kind": row.kind, "version": row.version, "token": token,
             "last_seen_at": row.last_seen_at, "age_s": (now - row.last_seen_at).total_seconds(),
             "spool_depth": int(row.spool_depth), "dead_letters": int(row.dead_letters),
             "connected": row.connected, "sources": row.sources, "detail": row.detail}
            for row, code, token in db.session.execute(stmt)]


def recent_rejections(site_ids: Iterable[int] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The latest rejected requests and readings with their messages, newest first."""
    r = IngestRejection
    ids = None if site_ids is None else set(site_ids) | {NO_SITE}
    stmt = _sites(select(r, Site.code).outerjoin(Site, Site.id == r.site_id).order_by(r.id.desc()).limit(limit),
                  r.site_id, ids)
    return [{"at": row.at, "site": code or "—", "stream": row.stream, "reason": row.reason,
             "token": row.token_name, "items": row.items, "message": row.message}
            for row, code in db.session.execute(stmt)]


@dataclass(frozen=True)
class Summary:
    """The numbers at the top of the ingest health page."""

    last_24h: dict[str, Totals]
    presses: int
    presses_fresh: int
    sensors: int
    sensors_fresh: int
    sensors_in_excursion: int
    agents: int
    agents_silent: int
    spool_depth: int
    dead_letters: int


def summary(now: dt.datetime, stale: dt.timedelta, site_ids: Iterable[int] | None = None) -> Summary:
    """Readings of the last 24 hours, and how many presses, sensors and edge processes report in time."""
    presses = press_status(now, site_ids)
    sensors = sensor_status(now, site_ids)
    agents = agent_status(now, site_ids)
    limit = stale.total_seconds()
    return Summary(
        last_24h=totals(site_ids, since=now - dt.timedelta(hours=24)),
        presses=len({(r["site"], r["press"]) for r in presses}),
        presses_fresh=len({(r["site"], r["press"]) for r in presses if r["age_s"] <= limit}),
        sensors=len(sensors),
        sensors_fresh=sum(1 for r in sensors if r["age_s"] is not None and r["age_s"] <= limit),
        sensors_in_excursion=sum(1 for r in sensors if r["in_alert"]),
        agents=len(agents),
        agents_silent=sum(1 for r in agents if r["age_s"] > limit),
        spool_depth=sum(r["spool_depth"] for r in agents),
        dead_letters=sum(r["dead_letters"] for r in agents),
    )
