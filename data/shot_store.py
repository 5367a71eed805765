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

from sqlalchemy import bindparam, create_engine, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from config import get_config
from data import timescale
from data.counters import Merge, Mount, Point, append, dedupe, from_signed64, merge, mould_at, to_signed64
from data.ingest_health import add_counts
from data.models import CounterReading, CounterState, Mould, MouldMount, MouldStatus, Press
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
    for (press_id, counter), points in sorted(groups.items()):
        history = mounts.get(press_id, [])
        newest_start = history[0].mounted_at if history else None
        last = states.get((press_id, counter))
        checked = None  # the explicit mould last compared with the history (MouldIds rarely change)
        for p in points:
            mould_id = p.mould_id
            if mould_id is None:
                p.mould_id = mould_at(history, p.ts)
                continue
            if mould_id == UNATTRIBUTED:  # the press named a mould nobody registered: count it for no mould
                p.mould_id = None
                continue
            if mould_id == checked:
                continue
            checked = mould_id
            is_latest = (newest_start is None or p.ts >= newest_start) and (last is None or p.t >= last.t)
            if mould_at(history, p.ts) != mould_id and is_latest and _remount(session, press_id, mould_id, p.ts,
                                                                              p.source):
                if history and history[0].unmounted_at is None:
                    history[0] = Mount(history[0].mould_id, history[0].mounted_at, p.ts)
                history.insert(0, Mount(mould_id, p.ts, None))
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


class _Ops:
    """The batch's set-based statements, written for the backend: a few round trips per batch, whatever its size."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.raw = conn.connection.driver_connection

    @staticmethod
    def for_connection(conn: Connection) -> _Ops:
        return _PostgresOps(conn) if conn.dialect.name == "postgresql" else _SqliteOps(conn)

    def ts(self, value: dt.datetime) -> Any:
        """A timestamp as this backend's driver takes it."""
        return value

    def read_ts(self, value: Any) -> dt.datetime | None:
        """A timestamp as this backend's driver returns it."""
        return value


def _columns(rows: list[tuple]) -> tuple[list, ...]:
    """Rows as one list per column (the arrays unnest() takes)."""
    return tuple(map(list, zip(*rows, strict=True)))


class _PostgresOps(_Ops):
    def lock_states(self, site_id: int, keys: list[tuple[int, str]]) -> list[tuple]:
        presses, counters = [k[0] for k in keys], [k[1] for k in keys]
        with self.raw.cursor() as cur:
            cur.execute("INSERT INTO counter_state (press_id, counter, site_id, readings, shots) "
                        "SELECT p, c, %s, 0, 0 FROM unnest(%s::int[], %s::text[]) AS u(p, c) ON CONFLICT DO NOTHING",
                        (site_id, presses, counters))
            cur.execute("SELECT press_id, counter, last_ts, last_value, last_mould_id FROM counter_state "
                        "WHERE (press_id, counter) IN (SELECT * FROM unnest(%s::int[], %s::text[])) "
                        "ORDER BY press_id, counter FOR UPDATE", (presses, counters))
            return cur.fetchall()

    def lock_moulds(self, ids: list[int]) -> list[tuple]:
        with self.raw.cursor() as cur:
            cur.execute("SELECT id, last_pm_at FROM moulds WHERE id = ANY(%s::int[]) ORDER BY id FOR UPDATE", (ids,))
            return cur.fetchall()

    def insert_raw(self, rows: list[tuple]) -> None:
        cols = ", ".join(RAW_COLUMNS)
        target = "counter_readings"
        with self.raw.cursor() as cur:
            if not copy_allowed(self.conn):  # row-level security: COPY into a temporary table, then INSERT ... SELECT
                cur.execute("CREATE TEMP TABLE IF NOT EXISTS counter_readings_staging "
                            "(LIKE counter_readings) ON COMMIT DELETE ROWS")
                target = "counter_readings_staging"
            with cur.copy(f"COPY {target} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(PG_COPY_TYPES)
                write = copy.write_row
                for r in rows:
                    write(r)
            if target != "counter_readings":
                cur.execute(f"INSERT INTO counter_readings ({cols}) SELECT {cols} FROM {target}")
                cur.execute(f"TRUNCATE {target}")

    def upsert_rollups(self, site_id: int, hourly: list[tuple], daily: list[tuple]) -> None:
        with self.raw.cursor() as cur:
            for table, key, cast, rows in (("shots_hourly", "bucket", "timestamptz", hourly),
                                           ("shots_daily", "day", "date", daily)):
                cur.execute(f"INSERT INTO {table} (site_id, press_id, mould_id, {key}, shots) "
                            f"SELECT %s, p, m, k, s FROM unnest(%s::int[], %s::int[], %s::{cast}[], %s::bigint[]) "
                            f"AS u(p, m, k, s) ON CONFLICT (press_id, mould_id, {key}) "
                            f"DO UPDATE SET shots = {table}.shots + EXCLUDED.shots", (site_id, *_columns(rows)))

    def update_moulds(self, rows: list[tuple]) -> None:
        with self.raw.cursor() as cur:
            cur.execute("UPDATE moulds SET lifetime_shots = moulds.lifetime_shots + u.l, "
                        "shots_since_pm = moulds.shots_since_pm + u.s "
                        "FROM unnest(%s::int[], %s::bigint[], %s::bigint[]) AS u(id, l, s) WHERE moulds.id = u.id",
                        _columns(rows))

    def update_states(self, rows: list[tuple]) -> None:
        with self.raw.cursor() as cur:
            cur.execute("UPDATE counter_state SET last_ts = u.ts, last_value = u.v, last_mould_id = u.m, "
                        "last_received_at = u.r, readings = counter_state.readings + u.n, "
                        "shots = counter_state.shots + u.s FROM unnest(%s::int[], %s::text[], %s::timestamptz[], "
                        "%s::bigint[], %s::int[], %s::timestamptz[], %s::bigint[], %s::bigint[]) "
                        "AS u(p, c, ts, v, m, r, n, s) "
                        "WHERE counter_state.press_id = u.p AND counter_state.counter = u.c", _columns(rows))


class _SqliteOps(_Ops):
    def ts(self, value: dt.datetime) -> str:
        return _sqlite_ts(value)

    def read_ts(self, value: Any) -> dt.datetime | None:
        return None if value is None else dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)

    def lock_states(self, site_id: int, keys: list[tuple[int, str]]) -> list[tuple]:
        # The insert takes SQLite's write lock first, so what is read next cannot change before the commit.
        self.raw.executemany("INSERT INTO counter_state (press_id, counter, site_id, readings, shots) "
                             "VALUES (?, ?, ?, 0, 0) ON CONFLICT DO NOTHING", [(p, c, site_id) for p, c in keys])
        wanted = set(keys)
        rows = self.raw.execute("SELECT press_id, counter, last_ts, last_value, last_mould_id FROM counter_state "
                                f"WHERE press_id IN ({', '.join('?' * len({k[0] for k in keys}))})",
                                sorted({k[0] for k in keys})).fetchall()
        return [r for r in rows if (r[0], r[1]) in wanted]

    def lock_moulds(self, ids: list[int]) -> list[tuple]:
        return self.raw.execute(f"SELECT id, last_pm_at FROM moulds WHERE id IN ({', '.join('?' * len(ids))})",
                                ids).fetchall()

    def insert_raw(self, rows: list[tuple]) -> None:
        self.raw.executemany(f"INSERT INTO counter_readings ({', '.join(RAW_COLUMNS)}) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def upsert_rollups(self, site_id: int, hourly: list[tuple], daily: list[tuple]) -> None:
        for table, key, rows in (("shots_hourly", "bucket", [(p, m, _sqlite_ts(b), s) for p, m, b, s in hourly]),
                                 ("shots_daily", "day", [(p, m, d.isoformat(), s) for p, m, d, s in daily])):
            self.raw.executemany(f"INSERT INTO {table} (site_id, press_id, mould_id, {key}, shots) "
                                 f"VALUES ({site_id}, ?, ?, ?, ?) ON CONFLICT (press_id, mould_id, {key}) "
                                 f"DO UPDATE SET shots = shots + excluded.shots", rows)

    def update_moulds(self, rows: list[tuple]) -> None:
        self.raw.executemany("UPDATE moulds SET lifetime_shots = lifetime_shots + ?, "
                             "shots_since_pm = shots_since_pm + ? WHERE id = ?",
                             [(life, since, m) for m, life, since in rows])

    def update_states(self, rows: list[tuple]) -> None:
        self.raw.executemany("UPDATE counter_state SET last_ts = ?, last_value = ?, last_mould_id = ?, "
                             "last_received_at = ?, readings = readings + ?, shots = shots + ? "
                             "WHERE press_id = ? AND counter = ?",
                             [(_sqlite_ts(ts), v, m, _sqlite_ts(r), n, sh, p, c) for p, c, ts, v, m, r, n, sh in rows])


class _Tally:
    """One pass over the batch's shots: raw rows, hourly rollups, lifetime and since-PM sums per mould."""

    def __init__(self, ops: _Ops, site_id: int, received_at: dt.datetime,
                 last_pm: dict[int, dt.datetime | None]) -> None:
        self.site_id, self.last_pm = site_id, last_pm
        self.ts = ops.ts
        self.received = ops.ts(received_at)
        self.rows: list[tuple] = []
        self.hourly: dict[tuple[int, int, int], int] = defaultdict(int)
        self.lifetime: dict[int, int] = defaultdict(int)
        self.since_pm: dict[int, int] = defaultdict(int)

    def insert(self, press_id: int, counter: str, p: Point) -> None:
        """A new raw reading, and its shots."""
        self.rows.append((self.site_id, press_id, self.ts(p.ts), counter, to_signed64(p.value), p.mould_id, p.shots,
                          p.source, self.received))
        if p.shots:
            self.add(press_id, p.mould_id, p.ts, p.t, p.shots)

    def add(self, press_id: int, mould_id: int | None, ts: dt.datetime, t: float, shots: int) -> None:
        """Shots (or a correction) counted at ts for a press and mould."""
        self.hourly[(press_id, mould_id or 0, int(t // 3600))] += shots
        if mould_id:
            self.lifetime[mould_id] += shots
            pm = self.last_pm.get(mould_id)
            if pm is None or ts > pm:
                self.since_pm[mould_id] += shots

    def rollups(self) -> tuple[list[tuple], list[tuple]]:
        """Hourly and daily rows (press, mould, bucket or day, shots), zero sums left out."""
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        daily: dict[tuple[int, int, int], int] = defaultdict(int)
        hourly = []
        for (press_id, mould_id, hour), shots in sorted(self.hourly.items()):
            if shots:
                hourly.append((press_id, mould_id, epoch + dt.timedelta(hours=hour), shots))
                daily[(press_id, mould_id, hour // 24)] += shots
        return hourly, [(p, m, (epoch + dt.timedelta(days=d)).date(), n) for (p, m, d), n in sorted(daily.items())
                        if n]


def _sqlite_ts(ts: dt.datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite (so ORM reads and comparisons agree)."""
    return ts.isoformat(" ", "microseconds")[:26]


def _correct_raw(conn: Connection, corrections: list[tuple[int, str, Point]]) -> None:
    if corrections:
        conn.execute(_cr.update().where(_cr.c.press_id == bindparam("p"), _cr.c.counter == bindparam("c"),
                                        _cr.c.ts == bindparam("t")).values(shots=bindparam("s")),
                     [{"p": p, "c": c, "t": pt.ts, "s": pt.shots} for p, c, pt in corrections])


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
    ops = _Ops.for_connection(conn)
    states: dict[tuple[int, str], Point | None] = {}
    for press_id, counter, ts, value, mould_id in ops.lock_states(site_id, keys):
        ts = ops.read_ts(ts)
        states[(press_id, counter)] = None if ts is None else Point(ts, ts.timestamp(), from_signed64(value),
                                                                    mould_id, stored=True)
    unique: dict[tuple[int, str], list[Point]] = {}
    for key in keys:
        pts, dups, conflicts = dedupe(groups[key])
        unique[key] = pts
        result.duplicates += dups
        result.conflicts += [_conflict(p) for p in conflicts]
    result.mount_changes = _attribute(session, conn, unique, states)

    merges: dict[tuple[int, str], Merge] = {}
    for key in keys:
        pts, last = unique[key], states.get(key)
        if last is None or pts[0].t > last.t:
            merges[key] = append(last, pts)
        else:
            anchor, window = _neighbourhood(conn, key[0], key[1], pts[0].ts, pts[-1].ts, last)
            out = merges[key] = merge(anchor, window, pts)
            result.duplicates += out.duplicates
            result.conflicts += [_conflict(p) for p in out.conflicts]
    mould_ids = {p.mould_id for m in merges.values() for p in m.inserts if p.mould_id}
    mould_ids |= {c.point.mould_id for m in merges.values() for c in m.changes if c.point.mould_id}
    last_pm = {m: ops.read_ts(pm) for m, pm in ops.lock_moulds(sorted(mould_ids))} if mould_ids else {}
    tally = _Tally(ops, site_id, now, last_pm)
    corrections: list[tuple[int, str, Point]] = []
    state_rows: list[tuple] = []
    for key in keys:
        (press_id, counter), out, last = key, merges[key], states.get(key)
        added = 0
        for p in out.inserts:
            tally.insert(press_id, counter, p)
            added += p.shots
        for c in out.changes:
            corrections.append((press_id, counter, c.point))
            tally.add(press_id, c.point.mould_id, c.point.ts, c.point.t, c.diff)
            added += c.diff
        result.corrected += len(out.changes)
        result.shots += added
        newest = out.last if out.last is not None and (last is None or out.last.t > last.t) else last
        if out.inserts or out.changes:
            state_rows.append((press_id, counter, newest.ts, to_signed64(newest.value), newest.mould_id, now,
                               len(out.inserts), added))
    result.accepted = len(tally.rows)
    if tally.rows:
        ops.insert_raw(tally.rows)
    _correct_raw(conn, corrections)
    hourly, daily = tally.rollups()
    if hourly and not timescale.rollups_are_continuous(conn):
        ops.upsert_rollups(site_id, hourly, daily)
    moulds_rows = [(m, n, tally.since_pm.get(m, 0)) for m, n in sorted(tally.lifetime.items())
                   if n or tally.since_pm.get(m)]
    if moulds_rows:
        ops.update_moulds(moulds_rows)
    if state_rows:
        ops.update_states(state_rows)
    counts = {("accepted", ""): result.accepted, ("duplicate", ""): result.duplicates,
              ("rejected", "conflict"): len(result.conflicts), ("rejected", "unknown_mould"): len(result.unattributed)}
    add_counts(conn, site_id, "counters", counts, now)
    return result


def _conflict(p: Point) -> ItemError:
    return ItemError(p.index, "value", "conflict",
                     f"a reading for {p.ts.isoformat()} is already stored with another value; this one was ignored")
