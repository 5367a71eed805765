"""Counter batches into the database: raw readings, hourly and daily rollups, mould counters, mounts.

One call, one transaction (the caller commits): the batch's counters are locked (their
CounterState rows, in key order) so concurrent batches for the same counter queue up; readings
newer than a counter's last one are appended (the common case), late ones are merged with the
stored readings around them (data.counters.merge) and the readings whose shots that changes are
corrected in place, in their moulds' counters and in the rollups. Explicit MouldIds that differ
from the mounting history update it. Raw rows go in with COPY on PostgreSQL when the connected role
may (the table owner, or a role with BYPASSRLS such as INGEST_DATABASE_URL's), through a temporary
staging table otherwise (row-level security forbids COPY into the table), and with one
executemany on SQLite. The rollups and mould counters are upserted set-based in the same
transaction, unless TimescaleDB's continuous aggregates keep the rollups (data/timescale.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, create_engine, select, text, tuple_
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from config import get_config
from data import timescale
from data.counters import Merge, Mount, Point, append, dedupe, from_signed64, merge, mould_at, to_signed64
from data.ingest_health import add_counts
from data.models import CounterReading, CounterState, Mould, MouldMount, MouldStatus, Press, ShotsDaily, ShotsHourly
from data.models.base import utcnow
from data.readings import CounterItem, ItemError, invalid

logger = logging.getLogger(__name__)

RAW_COLUMNS = ("site_id", "press_id", "ts", "counter", "value", "mould_id", "shots", "source", "received_at")
PG_COPY_TYPES = ("int4", "int4", "timestamptz", "varchar", "int8", "int4", "int8", "varchar", "timestamptz")
UNATTRIBUTED = 0  # a reading's mould while attributing: the press reported an unknown mould
NEIGHBOUR_WINDOWS = (dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(days=31), None)

_cr = CounterReading.__table__
_cs = CounterState.__table__
_mo = Mould.__table__


@dataclass
class CounterResult:
    """What a counter batch did (the API's reply)."""

    received: int
    accepted: int = 0
    duplicates: int = 0
    corrected: int = 0
    shots: int = 0
    mount_changes: int = 0
    conflicts: list[ItemError] = field(default_factory=list)
    unattributed: list[ItemError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON reply."""
        return {"received": self.received, "accepted": self.accepted, "duplicates": self.duplicates,
                "corrected": self.corrected, "shots": self.shots, "mount_changes": self.mount_changes,
                "conflicts": [e.to_dict() for e in self.conflicts],
                "unattributed": [e.to_dict() for e in self.unattributed]}


_engines: dict[str, Engine] = {}


@contextmanager
def ingest_session() -> Iterator[Session]:
    """The session ingest writes with: the app's own, or one on INGEST_DATABASE_URL when that is set."""
    from data.db import db, engine_options

    url = get_config().ingest_database_url
    if not url:
        yield db.session
        return
    if url not in _engines:
        _engines[url] = create_engine(url, **engine_options(url))
    session = Session(_engines[url], expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


# -- references ---------------------------------------------------------------------------------------------

def _codes(conn: Connection, model: Any, site_id: int, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    t = model.__table__
    stmt = select(t.c.code, t.c.id).where(t.c.site_id == site_id, t.c.code.in_(bindparam("codes", expanding=True)))
    return dict(conn.execute(stmt, {"codes": sorted(codes)}).all())


def _resolve(conn: Connection, site_id: int, items: list[CounterItem], policy: str
             ) -> tuple[dict[str, int], dict[str, int], list[ItemError]]:
    """Press and mould ids by code; unknown presses (and moulds, unless policy says otherwise) are errors."""
    presses = _codes(conn, Press, site_id, {i.press for i in items})
    moulds = _codes(conn, Mould, site_id, {i.mould for i in items if i.mould is not None})
    errors, unattributed = [], []
    for i in items:
        if i.press not in presses:
            errors.append(ItemError(i.index, "press", "unknown_press",
                                    f"unknown press {i.press!r} at this site: add it under Manage, or correct the "
                                    "press code the edge process sends"))
        if i.mould is not None and i.mould not in moulds:
            target = errors if policy == "reject" else unattributed
            target.append(ItemError(i.index, "mould", "unknown_mould",
                                    f"unknown mould {i.mould!r} at this site (reported by press {i.press}): register "
                                    "the mould or correct its MouldId on the press" +
                                    ("" if policy == "reject" else "; shots counted for the press without a mould")))
    if errors:
        raise invalid(errors, len(items))
    return presses, moulds, unattributed


# -- locks and chains ---------------------------------------------------------------------------------------

def _lock_states(conn: Connection, site_id: int, keys: list[tuple[int, str]]) -> dict[tuple[int, str], Point | None]:
    """Create missing CounterState rows, lock all of the batch's in key order; the last reading of each."""
    insert = _dialect_insert(conn)
    conn.execute(insert(_cs).on_conflict_do_nothing(),
                 [{"press_id": p, "counter": c, "site_id": site_id, "readings": 0, "shots": 0} for p, c in keys])
    stmt = (select(_cs.c.press_id, _cs.c.counter, _cs.c.last_ts, _cs.c.last_value, _cs.c.last_mould_id)
            .where(tuple_(_cs.c.press_id, _cs.c.counter).in_(keys))
            .order_by(_cs.c.press_id, _cs.c.counter).with_for_update())
    out: dict[tuple[int, str], Point | None] = {}
    for press_id, counter, ts, value, mould_id in conn.execute(stmt):
        out[(press_id, counter)] = None if ts is None else Point(ts, ts.timestamp(), from_signed64(value), mould_id,
                                                                  stored=True)
    return out


def _stored(rows) -> list[Point]:
    return [Point(ts, ts.timestamp(), from_signed64(v), m, shots=s, stored=True, source=src)
            for ts, v, m, s, src in rows]


def _neighbourhood(conn: Connection, press_id: int, counter: str, lo: dt.datetime, hi: dt.datetime,
                   last: Point) -> tuple[Point | None, list[Point]]:
    """For late readings between lo and hi: the stored reading before lo, and those from lo to the first after hi."""
    cols = (_cr.c.ts, _cr.c.value, _cr.c.mould_id, _cr.c.shots, _cr.c.source)
    key = (_cr.c.press_id == press_id, _cr.c.counter == counter)
    window = _stored(conn.execute(select(*cols).where(*key, _cr.c.ts >= lo, _cr.c.ts <= hi).order_by(_cr.c.ts)))
    anchor = after = None
    for span in NEIGHBOUR_WINDOWS:  # the time index answers bounded ranges; widen until found
        q = select(*cols).where(*key, _cr.c.ts < lo).order_by(_cr.c.ts.desc()).limit(1)
        rows = _stored(conn.execute(q if span is None else q.where(_cr.c.ts >= lo - span)))
        if rows:
            anchor = rows[0]
            break
    if hi < last.ts:
        for span in NEIGHBOUR_WINDOWS:
            q = select(*cols).where(*key, _cr.c.ts > hi).order_by(_cr.c.ts).limit(1)
            rows = _stored(conn.execute(q if span is None else q.where(_cr.c.ts <= hi + span)))
            if rows:
                after = rows[0]
                break
    return anchor, window + ([after] if after is not None else [])


# -- mounting history ---------------------------------------------------------------------------------------

def mount_history(conn: Connection, press_ids: set[int], since: dt.datetime) -> dict[int, list[Mount]]:
    """Mountings of these presses still open or ended after since, newest first, by press."""
    mm = MouldMount.__table__
    stmt = (select(mm.c.press_id, mm.c.mould_id, mm.c.mounted_at, mm.c.unmounted_at)
            .where(mm.c.press_id.in_(bindparam("p", expanding=True)),
                   (mm.c.unmounted_at.is_(None)) | (mm.c.unmounted_at > since))
            .order_by(mm.c.mounted_at.desc()))
    out: dict[int, list[Mount]] = defaultdict(list)
    for press_id, mould_id, start, end in conn.execute(stmt, {"p": sorted(press_ids)}):
        out[press_id].append(Mount(mould_id, start, end))
    return out


def _remount(session: Session, press_id: int, mould_id: int, at: dt.datetime, source: str) -> bool:
    """The press reports another mould from `at` on: close what was mounted, open the new mounting (audited)."""
    open_mounts = session.scalars(select(MouldMount).where(
        (MouldMount.press_id == press_id) | (MouldMount.mould_id == mould_id),
        MouldMount.unmounted_at.is_(None))).all()
    if any(m.mounted_at > at for m in open_mounts):
        return False  # someone recorded a later mounting by hand: the history is newer than this reading
    mould = session.get(Mould, mould_id)
    for m in open_mounts:
        m.unmounted_at = at
        if m.mould_id != mould_id:
            previous = session.get(Mould, m.mould_id)
            if previous is not None:
                previous.current_press_id = None
                if previous.status is MouldStatus.IN_PRODUCTION:
                    previous.status = MouldStatus.IN_TOOL_ROOM
    session.add(MouldMount(site_id=mould.site_id, mould_id=mould_id, press_id=press_id, mounted_at=at, source=source))
    mould.current_press_id = press_id
    if mould.status is MouldStatus.IN_TOOL_ROOM:
        mould.status = MouldStatus.IN_PRODUCTION
    session.flush()
    return True


def _attribute(session: Session, conn: Connection, groups: dict[tuple[int, str], list[Point]],
               states: dict[tuple[int, str], Point | None]) -> int:
    """Give every new reading a mould: its own MouldId, else the mounting history (updated by MouldId changes)."""
    press_ids = {p for p, _c in groups}
    since = min(pts[0].ts for pts in groups.values())
    mounts = mount_history(conn, press_ids, since)
    changes = 0
    for (press_id, _counter), points in sorted(groups.items()):
        history = mounts.get(press_id, [])
        newest_start = history[0].mounted_at if history else None
        last = states.get((press_id, _counter))
        for p in points:
            if p.mould_id == UNATTRIBUTED:  # the press named a mould nobody registered: count it for no mould
                p.mould_id = None
                continue
            if p.mould_id is None:
                p.mould_id = mould_at(history, p.ts)
                continue
            current = mould_at(history, p.ts)
            is_latest = (newest_start is None or p.ts >= newest_start) and (last is None or p.t >= last.t)
            if current != p.mould_id and is_latest and _remount(session, press_id, p.mould_id, p.ts, p.source):
                if history and history[0].unmounted_at is None:
                    history[0] = Mount(history[0].mould_id, history[0].mounted_at, p.ts)
                history.insert(0, Mount(p.mould_id, p.ts, None))
                newest_start = p.ts
                changes += 1
    return changes


# -- writes -------------------------------------------------------------------------------------------------

def _dialect_insert(conn: Connection):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


_copy_allowed: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def copy_allowed(conn: Connection) -> bool:
    """True when this PostgreSQL role may COPY into counter_readings (owner or BYPASSRLS, or no RLS on it)."""
    engine = conn.engine
    if engine not in _copy_allowed:
        _copy_allowed[engine] = bool(conn.execute(text(
            "SELECT NOT c.relrowsecurity OR pg_has_role(c.relowner, 'USAGE') OR r.rolbypassrls OR r.rolsuper "
            "FROM pg_class c, pg_roles r WHERE c.oid = 'counter_readings'::regclass AND r.rolname = current_user"
        )).scalar())
    return _copy_allowed[engine]


def _sqlite_ts(ts: dt.datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite (so ORM reads and comparisons agree)."""
    return ts.replace(tzinfo=None).isoformat(" ", "microseconds")


def _insert_raw(conn: Connection, site_id: int, rows: list[tuple[int, str, Point]], received_at: dt.datetime) -> None:
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        records = [(site_id, press_id, p.ts, counter, to_signed64(p.value), p.mould_id, p.shots, p.source,
                    received_at) for press_id, counter, p in rows]
        cols = ", ".join(RAW_COLUMNS)
        target = "counter_readings"
        with raw.cursor() as cur:
            if not copy_allowed(conn):  # row-level security: COPY into a temporary table, then INSERT ... SELECT
                cur.execute("CREATE TEMP TABLE IF NOT EXISTS counter_readings_staging "
                            "(LIKE counter_readings) ON COMMIT DELETE ROWS")
                target = "counter_readings_staging"
            with cur.copy(f"COPY {target} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(PG_COPY_TYPES)
                write = copy.write_row
                for r in records:
                    write(r)
            if target != "counter_readings":
                cur.execute(f"INSERT INTO counter_readings ({cols}) SELECT {cols} FROM {target}")
                cur.execute(f"TRUNCATE {target}")
    else:
        received = _sqlite_ts(received_at)
        records = [(site_id, press_id, _sqlite_ts(p.ts), counter, to_signed64(p.value), p.mould_id, p.shots, p.source,
                    received) for press_id, counter, p in rows]
        raw.executemany(f"INSERT INTO counter_readings ({', '.join(RAW_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        records)


def _correct_raw(conn: Connection, corrections: list[tuple[int, str, Point]]) -> None:
    if corrections:
        conn.execute(_cr.update().where(_cr.c.press_id == bindparam("p"), _cr.c.counter == bindparam("c"),
                                        _cr.c.ts == bindparam("t")).values(shots=bindparam("s")),
                     [{"p": p, "c": c, "t": pt.ts, "s": pt.shots} for p, c, pt in corrections])


def _upsert_rollups(conn: Connection, site_id: int, deltas: list[tuple[int, int | None, float, int]]) -> None:
    """Add shots to the hourly and daily rollups: deltas are (press, mould, epoch seconds, shots)."""
    hourly: dict[tuple[int, int, int], int] = defaultdict(int)
    for press_id, mould_id, t, shots in deltas:
        if shots:
            hourly[(press_id, mould_id or 0, int(t // 3600))] += shots
    daily: dict[tuple[int, int, int], int] = defaultdict(int)
    for (press_id, mould_id, hour), shots in hourly.items():
        daily[(press_id, mould_id, hour // 24)] += shots
    hourly = {k: v for k, v in hourly.items() if v}
    daily = {k: v for k, v in daily.items() if v}
    if not hourly or timescale.rollups_are_continuous(conn):
        return
    insert = _dialect_insert(conn)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    for model, rows, key in (
        (ShotsHourly, [{"site_id": site_id, "press_id": p, "mould_id": m, "bucket": epoch + dt.timedelta(hours=h),
                        "shots": s} for (p, m, h), s in sorted(hourly.items())], "bucket"),
        (ShotsDaily, [{"site_id": site_id, "press_id": p, "mould_id": m, "day": (epoch + dt.timedelta(days=d)).date(),
                       "shots": s} for (p, m, d), s in sorted(daily.items())], "day"),
    ):
        t = model.__table__
        stmt = insert(t)
        conn.execute(stmt.on_conflict_do_update(index_elements=[t.c.press_id, t.c.mould_id, t.c[key]],
                                                set_={"shots": t.c.shots + stmt.excluded.shots}), rows)


def _update_moulds(conn: Connection, deltas: list[tuple[int, int | None, dt.datetime, int]]) -> None:
    """Add shots to lifetime_shots, and to shots_since_pm for readings after the mould's last PM."""
    ids = sorted({m for _p, m, _t, s in deltas if m and s})
    if not ids:
        return
    last_pm = dict(conn.execute(select(_mo.c.id, _mo.c.last_pm_at).where(_mo.c.id.in_(ids)).order_by(_mo.c.id)
                                .with_for_update()).all())
    lifetime: dict[int, int] = defaultdict(int)
    since_pm: dict[int, int] = defaultdict(int)
    for _p, m, ts, shots in deltas:
        if m in last_pm and shots:
            lifetime[m] += shots
            pm = last_pm[m]
            if pm is None or ts > pm:
                since_pm[m] += shots
    conn.execute(_mo.update().where(_mo.c.id == bindparam("mid"))
                 .values(lifetime_shots=_mo.c.lifetime_shots + bindparam("lt"),
                         shots_since_pm=_mo.c.shots_since_pm + bindparam("sp"), updated_at=_mo.c.updated_at),
                 [{"mid": m, "lt": lifetime[m], "sp": since_pm[m]} for m in sorted(lifetime)])


def _update_states(conn: Connection, updates: list[dict[str, Any]]) -> None:
    if updates:
        conn.execute(_cs.update().where(_cs.c.press_id == bindparam("p"), _cs.c.counter == bindparam("c"))
                     .values(last_ts=bindparam("ts"), last_value=bindparam("v"), last_mould_id=bindparam("m"),
                             last_received_at=bindparam("r"), readings=_cs.c.readings + bindparam("n"),
                             shots=_cs.c.shots + bindparam("s")), updates)


# -- the service --------------------------------------------------------------------------------------------

def ingest_counters(session: Session, site_id: int, items: list[CounterItem], *, unknown_mould: str = "reject",
                    now: dt.datetime | None = None) -> CounterResult:
    """Store a validated counter batch for one site (in the caller's transaction); BatchRejected if it refers
    to unknown presses (or moulds, with unknown_mould="reject")."""
    now = now or utcnow()
    result = CounterResult(received=len(items))
    if not items:
        return result
    conn = session.connection()
    presses, moulds, result.unattributed = _resolve(conn, site_id, items, unknown_mould)
    groups: dict[tuple[int, str], list[Point]] = defaultdict(list)
    for i in items:
        groups[(presses[i.press], i.counter)].append(
            Point(i.ts, i.t, i.value, moulds.get(i.mould, UNATTRIBUTED) if i.mould is not None else None,
                  source=i.source, index=i.index))
    keys = sorted(groups)
    states = _lock_states(conn, site_id, keys)
    unique: dict[tuple[int, str], list[Point]] = {}
    for key in keys:
        pts, dups, conflicts = dedupe(groups[key])
        unique[key] = pts
        result.duplicates += dups
        result.conflicts += [_conflict(p) for p in conflicts]
    result.mount_changes = _attribute(session, conn, unique, states)

    inserts: list[tuple[int, str, Point]] = []
    corrections: list[tuple[int, str, Point]] = []
    deltas: list[tuple[int, int | None, dt.datetime, float, int]] = []
    state_updates: list[dict[str, Any]] = []
    for key in keys:
        press_id, counter = key
        pts, last = unique[key], states.get(key)
        if last is None or pts[0].t > last.t:
            out: Merge = append(last, pts)
        else:
            anchor, window = _neighbourhood(conn, press_id, counter, pts[0].ts, pts[-1].ts, last)
            out = merge(anchor, window, pts)
            result.duplicates += out.duplicates
            result.conflicts += [_conflict(p) for p in out.conflicts]
        added = 0
        for p in out.inserts:
            inserts.append((press_id, counter, p))
            deltas.append((press_id, p.mould_id, p.ts, p.t, p.shots))
            added += p.shots
        for c in out.changes:
            corrections.append((press_id, counter, c.point))
            deltas.append((press_id, c.point.mould_id, c.point.ts, c.point.t, c.diff))
            added += c.diff
        result.corrected += len(out.changes)
        result.shots += added
        newest = out.last
        if newest is not None and (last is None or newest.t > last.t):
            state_updates.append({"p": press_id, "c": counter, "ts": newest.ts, "v": to_signed64(newest.value),
                                  "m": newest.mould_id, "r": now, "n": len(out.inserts), "s": added})
        elif out.inserts or out.changes:
            state_updates.append({"p": press_id, "c": counter, "ts": last.ts, "v": to_signed64(last.value),
                                  "m": last.mould_id, "r": now, "n": len(out.inserts), "s": added})
    result.accepted = len(inserts)
    if inserts:
        _insert_raw(conn, site_id, inserts, now)
    _correct_raw(conn, corrections)
    _upsert_rollups(conn, site_id, [(p, m, t, s) for p, m, _ts, t, s in deltas])
    _update_moulds(conn, [(p, m, ts, s) for p, m, ts, _t, s in deltas])
    _update_states(conn, state_updates)
    counts = {("accepted", ""): result.accepted, ("duplicate", ""): result.duplicates,
              ("rejected", "conflict"): len(result.conflicts), ("rejected", "unknown_mould"): len(result.unattributed)}
    add_counts(conn, site_id, "counters", counts, now)
    return result


def _conflict(p: Point) -> ItemError:
    return ItemError(p.index, "value", "conflict",
                     f"a reading for {p.ts.isoformat()} is already stored with another value; this one was ignored")
