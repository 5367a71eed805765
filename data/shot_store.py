"""Counter batches into the database: raw readings, hourly and daily rollups, mould counters, mounts.

One call, one transaction (the caller commits): the batch's counters are locked (their
CounterState rows, in key order) so concurrent batches for the same counter queue up; readings
newer than a counter's last one are appended (the common case), late ones are merged with the
stored readings around them (data.counters.merge) and the readings whose shots that changes are
corrected in place, in their moulds' counters and in the rollups. Explicit MouldIds that differ
from the mounting history update it. Raw rows go in with COPY on PostgreSQL when the connected role
may (the table owner, or a role with BYPASSRLS such as INGEST_DATABASE_URL's), through a temporary
staging table otherwise (row-level security forbids COPY into the table), and with a few
multi-row INSERTs on SQLite (see _SqliteOps._many: not executemany). The rollups and mould counters
are upserted set-based in the same transaction, unless TimescaleDB's continuous aggregates keep the
rollups (data/timescale.py).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import bindparam, create_engine, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from config import get_config
from data import timescale
from data.counters import (
    COUNTERS,
    MAX_CYCLES_PER_SECOND,
    SLACK,
    Merge,
    Mount,
    Point,
    dedupe,
    from_signed64,
    merge,
    mould_at,
    shots_between,
    to_signed64,
)
from data.ingest_health import hour_of, shard
from data.models import CounterReading, CounterState, Mould, MouldMount, MouldStatus
from data.models.base import utcnow
from data.readings import SOURCE_RE, CounterBatch, ItemError, invalid

logger = logging.getLogger(__name__)

RAW_COLUMNS = ("site_id", "press_id", "ts", "counter", "value", "mould_id", "shots", "source", "received_at")
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

def _resolve(conn: Connection, site_id: int, batch: CounterBatch, policy: str
             ) -> tuple[dict[str, int], dict[str, tuple[int, int | None]], list[ItemError]]:
    """Press ids and (mould id, press it is on) by code; unknown presses (and moulds, unless policy says
    otherwise) are errors."""
    ops = _Ops.for_connection(conn)
    press_codes = set(batch.press)
    mould_codes = set(batch.mould)
    mould_codes.discard(None)
    press_rows, mould_rows = ops.resolve(site_id, press_codes, mould_codes)
    presses = {code: press_id for code, press_id, _x in press_rows}
    moulds = {code: (mould_id, on_press) for code, mould_id, on_press in mould_rows}
    errors, unattributed = [], []
    if press_codes - presses.keys() or mould_codes - moulds.keys():  # name each reading that refers to them
        for k, (press, mould) in enumerate(zip(batch.press, batch.mould, strict=True)):
            if press not in presses:
                errors.append(ItemError(k, "press", "unknown_press",
                                        f"unknown press {press!r} at this site: add it under Manage, or correct "
                                        "the press code the edge process sends"))
            if mould is not None and mould not in moulds:
                target = errors if policy == "reject" else unattributed
                target.append(ItemError(k, "mould", "unknown_mould",
                                        f"unknown mould {mould!r} at this site (reported by press {press}): "
                                        "register the mould or correct its MouldId on the press" +
                                        ("" if policy == "reject" else
                                         "; shots counted for the press without a mould")))
    if errors:
        raise invalid(errors, len(batch))
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
    out: dict[int, list[Mount]] = defaultdict(list)
    if not press_ids:
        return out
    ops = _Ops.for_connection(conn)
    for press_id, mould_id, start, end in ops.mounts(sorted(press_ids), since):
        out[press_id].append(Mount(mould_id, ops.read_ts(start), ops.read_ts(end)))
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


@dataclass
class _Sorted:
    """The batch's columns in (press, counter, time) order, and where each counter's readings are."""

    groups: list[tuple[tuple[int, str], int, int]]  # ((press id, counter), first row, end row)
    press: np.ndarray
    counter: np.ndarray  # index in COUNTERS
    t: np.ndarray
    ts: list[dt.datetime]
    value: list[int]
    mould: list[str | None]
    source: list[str]
    strict: np.ndarray  # each row later than the one before it in its group (True at group starts)


def _sort(batch: CounterBatch, presses: dict[str, int]) -> _Sorted:
    n = len(batch)
    pid = np.fromiter(map(presses.__getitem__, batch.press), dtype=np.int64, count=n)
    names = set(batch.counter)
    cix = (np.full(n, COUNTERS.index(names.pop()), dtype=np.int64) if len(names) == 1 else
           np.fromiter(map(COUNTERS.index, batch.counter), dtype=np.int64, count=n))
    t = np.array(batch.t, dtype=np.float64)
    order = np.lexsort((t, cix, pid))
    key = pid[order] * len(COUNTERS) + cix[order]
    new_group = np.empty(n, dtype=bool)
    new_group[0] = True
    np.not_equal(key[1:], key[:-1], out=new_group[1:])
    starts = np.flatnonzero(new_group).tolist()
    ends = [*starts[1:], n]
    t = t[order]
    strict = new_group.copy()
    strict[1:] |= t[1:] > t[:-1]
    pid, cix = pid[order], cix[order]
    groups = [((int(pid[a]), COUNTERS[int(key[a]) % len(COUNTERS)]), a, b) for a, b in zip(starts, ends, strict=True)]
    take = itemgetter(*order.tolist()) if n > 1 else (lambda column: (column[0],))
    return _Sorted(groups, pid, cix, t, *(list(take(c)) for c in (batch.ts, batch.value, batch.mould,
                                                              batch.source)), strict)


def _attribute(rows: _Sorted, states: dict[tuple[int, str], Point | None], mould_ids: dict[str, tuple[int, int | None]],
               history_of: Callable[[set[int], dt.datetime], dict[int, list[Mount]]],
               remount: Callable[[int, int, dt.datetime, str], bool]) -> tuple[list[int | None], int]:
    """The mould of every reading (in sorted order): its own MouldId, else the mounting history (read with
    history_of), which a MouldId change updates (with remount). Returns the moulds and how many mountings changed."""
    # The history matters for readings without a MouldId, and where a MouldId is not the mould the press has on
    # now (a mould change, or a late reading); usually it is, and the history need not be read at all.
    codes_of = {key: set(rows.mould[a:b]) for key, a, b in rows.groups}
    need = {key[0] for key, codes in codes_of.items()
            if None in codes or any(mould_ids.get(c, (None, None))[1] != key[0] for c in codes)}
    mounts = history_of(need, min(rows.ts[a] for _k, a, _b in rows.groups))
    changes = 0
    out: list[int | None] = [None] * len(rows.ts)
    for key, a, b in rows.groups:
        press_id = key[0]
        history = mounts.get(press_id, [])
        newest_start = history[0].mounted_at if history else None
        last = states.get(key)
        codes = codes_of[key]
        if len(codes) == 1 and None not in codes:  # the common case: one MouldId all through the batch
            mould_id, on_press = mould_ids.get(next(iter(codes)), (None, None))
            out[a:b] = [mould_id] * (b - a)
            first, t0 = rows.ts[a], float(rows.t[a])
            if on_press != press_id and mould_id is not None and mould_at(history, first) != mould_id and \
                    (newest_start is None or first >= newest_start) and (last is None or t0 >= last.t) and \
                    remount(press_id, mould_id, first, rows.source[a]):
                if history and history[0].unmounted_at is None:
                    history[0] = Mount(history[0].mould_id, history[0].mounted_at, first)
                history.insert(0, Mount(mould_id, first, None))
                changes += 1
            continue
        checked = None  # the explicit mould last compared with the history (MouldIds rarely change)
        for k in range(a, b):
            ts, code = rows.ts[k], rows.mould[k]
            if code is None:
                out[k] = mould_at(history, ts)
                continue
            mould_id = mould_ids.get(code, (None, None))[0]
            out[k] = mould_id  # None: the press named a mould nobody registered; the shots count for no mould
            if mould_id is None or mould_id == checked:
                continue
            checked = mould_id
            is_latest = (newest_start is None or ts >= newest_start) and (last is None or float(rows.t[k]) >= last.t)
            if mould_at(history, ts) != mould_id and is_latest and remount(press_id, mould_id, ts, rows.source[k]):
                if history and history[0].unmounted_at is None:
                    history[0] = Mount(history[0].mould_id, history[0].mounted_at, ts)
                history.insert(0, Mount(mould_id, ts, None))
                newest_start = ts
                changes += 1
    return out, changes


# -- writes -------------------------------------------------------------------------------------------------

_copy_allowed: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()
HOT_TABLES = ("counter_state", "moulds", "shots_hourly", "shots_daily", "ingest_counts")
VACUUM_EVERY_S = 15.0
MOST_ROWS_PER_STATEMENT = 4096
_last_vacuum: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()


def maintain(session: Session) -> None:
    """After a committed batch: now and then vacuum the few rows every batch updates (a counter's state, its
    mould, the current rollups). Autovacuum visits a database about once a minute; a burst (a spool replayed
    after an outage) updates those rows thousands of times in that minute. Needs the owner's rights (the
    INGEST_DATABASE_URL role); the app role leaves it to autovacuum."""
    engine = session.get_bind()
    if engine.dialect.name != "postgresql":
        return
    now = time.monotonic()
    if now - _last_vacuum.get(engine, 0.0) < VACUUM_EVERY_S:
        return
    _last_vacuum[engine] = now
    with engine.connect() as conn:
        if not copy_allowed(conn):
            return
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            conn.exec_driver_sql(f"VACUUM (SKIP_LOCKED) {', '.join(HOT_TABLES)}")
        except Exception:  # maintenance must never fail a batch that is already stored
            logger.warning("Vacuuming the ingest tables failed", exc_info=True)


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

    plans_before_locking = False  # see ingest_counters

    @staticmethod
    def for_connection(conn: Connection) -> _Ops:
        return _PostgresOps(conn) if conn.dialect.name == "postgresql" else _SqliteOps(conn)

    def ts(self, value: dt.datetime) -> Any:
        """A timestamp as this backend's driver takes it."""
        return value

    def read_ts(self, value: Any) -> dt.datetime | None:
        """A timestamp as this backend's driver returns it."""
        return value


def _array(values: list) -> str:
    """A PostgreSQL array literal: numbers, timestamps, dates, and plain words (codes); None as NULL."""
    if not values:
        return "{}"
    first = next((v for v in values if v is not None), None)
    if isinstance(first, int) and None not in values:
        return "{" + ",".join(map(str, values)) + "}"
    if isinstance(first, str):
        plain = "".join(values)
        if '"' in plain or "\\" in plain:  # codes and names never have them; escape anyway if they do
            values = [v.replace("\\", "\\\\").replace('"', '\\"') for v in values]
        return '{"' + '","'.join(values) + '"}'
    text = [("NULL" if v is None else v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v))
            for v in values]
    return "{" + ",".join(text) + "}"


def _columns(rows: list[tuple]) -> tuple[str, ...]:
    """Rows as one array literal per column (the arrays unnest() takes)."""
    return tuple(map(_array, map(list, zip(*rows, strict=True))))


class _PostgresOps(_Ops):
    """Each step's statements go in one pipeline: a round trip per step, not per statement. Arrays travel as
    array literals built with str.join (psycopg's per-element list adapters cost more than the statement)."""

    def _pipeline(self, statements: list[tuple[str, tuple]]) -> list[list[tuple] | None]:
        cursors = []
        with self.raw.pipeline():
            for sql, params in statements:
                cur = self.raw.cursor()
                cur.execute(sql, params)
                cursors.append(cur)
        out = [cur.fetchall() if cur.description is not None else None for cur in cursors]
        for cur in cursors:
            cur.close()
        return out

    def resolve(self, site_id: int, presses: set[str], moulds: set[str]) -> tuple[list[tuple], list[tuple]]:
        found = self._pipeline([
            # joined with unnest (a hash join): a prepared statement's generic plan tests `code = ANY(array)`
            # element by element for every row
            ("SELECT p.code, p.id, NULL FROM unnest(%s::text[]) AS u(code) JOIN presses p ON p.code = u.code "
             "WHERE p.site_id = %s", (_array(sorted(presses)), site_id)),
            ("SELECT m.code, m.id, m.current_press_id FROM unnest(%s::text[]) AS u(code) JOIN moulds m "
             "ON m.code = u.code WHERE m.site_id = %s", (_array(sorted(moulds)), site_id)),
        ])
        return found[0], found[1]

    def mounts(self, press_ids: list[int], since: dt.datetime) -> list[tuple]:
        return self._pipeline([("SELECT press_id, mould_id, mounted_at, unmounted_at FROM mould_mounts "
                                "WHERE press_id = ANY(%s::int[]) AND (unmounted_at IS NULL OR unmounted_at > %s) "
                                "ORDER BY mounted_at DESC", (_array(press_ids), since))])[0]

    def lock(self, site_id: int, keys: list[tuple[int, str]], mould_ids: list[int]) -> tuple[list[tuple], list[tuple]]:
        presses, counters = _array([k[0] for k in keys]), _array([k[1] for k in keys])
        found = self._pipeline([
            ("INSERT INTO counter_state (press_id, counter, site_id, readings, shots) "
             "SELECT p, c, %s, 0, 0 FROM unnest(%s::int[], %s::text[]) AS u(p, c) ON CONFLICT DO NOTHING",
             (site_id, presses, counters)),
            ("SELECT press_id, counter, last_ts, last_value, last_mould_id, readings, shots FROM counter_state "
             "WHERE (press_id, counter) IN (SELECT * FROM unnest(%s::int[], %s::text[])) "
             "ORDER BY press_id, counter FOR UPDATE", (presses, counters)),
            ("SELECT id, last_pm_at FROM moulds WHERE id = ANY(%s::int[]) ORDER BY id FOR UPDATE",
             (_array(mould_ids),)),
        ])
        return found[1], found[2]

    def lock_moulds(self, ids: list[int]) -> list[tuple]:
        return self._pipeline([("SELECT id, last_pm_at FROM moulds WHERE id = ANY(%s::int[]) ORDER BY id FOR UPDATE",
                                (_array(ids),))])[0]

    def insert_raw(self, site_id: int, received_at: dt.datetime, raw: _RawColumns) -> Callable[[], None]:
        cols = ", ".join(RAW_COLUMNS)
        data = copy_binary(site_id, received_at, raw)

        def insert() -> None:
            target = "counter_readings"
            with self.raw.cursor() as cur:
                if not copy_allowed(self.conn):  # row-level security: COPY into a temporary table, then INSERT
                    cur.execute("CREATE TEMP TABLE IF NOT EXISTS counter_readings_staging "
                                "(LIKE counter_readings) ON COMMIT DELETE ROWS")
                    target = "counter_readings_staging"
                with cur.copy(f"COPY {target} ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(data)
                if target != "counter_readings":
                    cur.execute(f"INSERT INTO counter_readings ({cols}) SELECT {cols} FROM {target}")
                    cur.execute(f"TRUNCATE {target}")

        return insert

    def write(self, site_id: int, received_at: dt.datetime, hourly: list[tuple], daily: list[tuple],
              moulds: list[tuple], states: list[tuple], counts: list[tuple]) -> Callable[[], None]:
        """Rollups, mould counters, counter states (times in microseconds since 1970) and ingest counts: the
        statements, made now, run when the returned function is called."""
        statements = []
        for table, key, from_number, rows in (("shots_hourly", "bucket", "to_timestamp(k * 3600)", hourly),
                                              ("shots_daily", "day", "DATE '1970-01-01' + k", daily)):
            if rows:
                statements.append((f"INSERT INTO {table} (site_id, press_id, mould_id, {key}, shots) "
                                   f"SELECT %s, p, m, {from_number}, s FROM unnest(%s::int[], %s::int[], %s::int[], "
                                   f"%s::bigint[]) AS u(p, m, k, s) ON CONFLICT (press_id, mould_id, {key}) "
                                   f"DO UPDATE SET shots = {table}.shots + EXCLUDED.shots", (site_id, *_columns(rows))))
        if moulds:
            statements.append(("UPDATE moulds SET lifetime_shots = moulds.lifetime_shots + u.l, "
                               "shots_since_pm = moulds.shots_since_pm + u.s "
                               "FROM unnest(%s::int[], %s::bigint[], %s::bigint[]) AS u(id, l, s) "
                               "WHERE moulds.id = u.id", _columns(moulds)))
        if states:
            statements.append(("UPDATE counter_state SET last_ts = TIMESTAMPTZ 'epoch' + u.us * INTERVAL '1 us', "
                               "last_value = u.v, last_mould_id = u.m, last_received_at = %s, "
                               "readings = counter_state.readings + u.n, shots = counter_state.shots + u.s "
                               "FROM unnest(%s::int[], %s::text[], %s::bigint[], %s::bigint[], %s::int[], "
                               "%s::bigint[], %s::bigint[]) AS u(p, c, us, v, m, n, s) "
                               "WHERE counter_state.press_id = u.p AND counter_state.counter = u.c",
                               (received_at, *_columns(states))))
        if counts:
            statements.append(("INSERT INTO ingest_counts (hour, site_id, stream, outcome, reason, shard, n) "
                               "SELECT * FROM unnest(%s::timestamptz[], %s::int[], %s::text[], %s::text[], "
                               "%s::text[], %s::int[], %s::bigint[]) "
                               "ON CONFLICT (hour, site_id, stream, outcome, reason, shard) "
                               "DO UPDATE SET n = ingest_counts.n + EXCLUDED.n", _columns(counts)))
        return lambda: self._pipeline(statements) if statements else None


def _row_counts(n: int, most: int) -> list[int]:
    """Row counts adding up to n for multi-row statements: powers of two (the largest at most MOST_ROWS_PER_STATEMENT
    and `most`), so that a dozen statement texts, each prepared once and cached by the driver, serve every size."""
    top = 1 << (min(MOST_ROWS_PER_STATEMENT, max(most, 1)).bit_length() - 1)
    counts = [top] * (n // top)
    rest = n % top
    counts += [1 << b for b in range(rest.bit_length() - 1, -1, -1) if rest >> b & 1]
    return counts


@lru_cache(maxsize=128)
def _multirow(head: str, row: str, tail: str, rows: int) -> str:
    return head + ", ".join([row] * rows) + tail


class _SqliteOps(_Ops):
    plans_before_locking = True  # see ingest_counters

    def ts(self, value: dt.datetime) -> str:
        return _sqlite_ts(value)

    def read_ts(self, value: Any) -> dt.datetime | None:
        return None if value is None else dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)

    def _many(self, head: str, row: str, tail: str, flat: list) -> None:
        """`head row, row, ... tail` for the rows whose values (as many as row has ?s) follow one another in flat,
        in a few statements (one for up to 4,096 rows).

        Not executemany: pysqlite releases the interpreter lock around every step, i.e. every row, and getting it
        back waits for whatever Python another ingest thread runs (up to the 5 ms switch interval). One statement
        for thousands of rows is one step, run in parallel with the other threads' Python."""
        width, done = row.count("?"), 0
        most = self.raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width
        for k in _row_counts(len(flat) // width, most):
            self.raw.execute(_multirow(head, row, tail, k), flat[done * width:(done + k) * width])
            done += k

    def _rows(self, columns: str, rest: str, params: Any) -> list[list]:
        """`SELECT columns rest` (in no particular order) as one row of JSON: one step for all rows (see _many)."""
        return json.loads(self.raw.execute(f"SELECT json_group_array(json_array({columns})) {rest}",
                                           params).fetchone()[0])

    def _codes(self, table: str, extra: str, site_id: int, codes: set[str]) -> list[tuple]:
        if not codes:
            return []
        return self._rows(f"code, id, {extra}", f"FROM {table} WHERE site_id = ? AND code IN "
                          f"({', '.join('?' * len(codes))})", (site_id, *sorted(codes)))

    def resolve(self, site_id: int, presses: set[str], moulds: set[str]) -> tuple[list[tuple], list[tuple]]:
        return (self._codes("presses", "NULL", site_id, presses),
                self._codes("moulds", "current_press_id", site_id, moulds))

    def mounts(self, press_ids: list[int], since: dt.datetime) -> list[tuple]:
        return self.raw.execute("SELECT press_id, mould_id, mounted_at, unmounted_at FROM mould_mounts "
                                f"WHERE press_id IN ({', '.join('?' * len(press_ids))}) "
                                "AND (unmounted_at IS NULL OR unmounted_at > ?) ORDER BY mounted_at DESC",
                                (*press_ids, _sqlite_ts(since))).fetchall()

    def lock(self, site_id: int, keys: list[tuple[int, str]], mould_ids: list[int]) -> tuple[list[tuple], list[tuple]]:
        # The insert takes SQLite's write lock first, so what is read next cannot change before the commit.
        self._many("INSERT INTO counter_state (press_id, counter, site_id, readings, shots) VALUES ",
                   f"(?, ?, {int(site_id)}, 0, 0)", " ON CONFLICT DO NOTHING", _flat(keys))
        return self.peek(keys, mould_ids)

    def peek(self, keys: list[tuple[int, str]], mould_ids: list[int]) -> tuple[list[tuple], list[tuple]]:
        """What lock reads, without the lock (outside a transaction: before the batch's first write)."""
        wanted = set(keys)
        press_ids = sorted({k[0] for k in keys})
        states = self._rows("press_id, counter, last_ts, last_value, last_mould_id, readings, shots",
                            f"FROM counter_state WHERE press_id IN ({', '.join('?' * len(press_ids))})", press_ids)
        return [r for r in states if (r[0], r[1]) in wanted], self.lock_moulds(mould_ids)

    def lock_moulds(self, ids: list[int]) -> list[tuple]:
        if not ids:
            return []
        return self._rows("id, last_pm_at", f"FROM moulds WHERE id IN ({', '.join('?' * len(ids))})", ids)

    def insert_raw(self, site_id: int, received_at: dt.datetime, raw: _RawColumns) -> Callable[[], None]:
        """Multi-row INSERTs (see _many), made now, run when the returned function is called. Columns with one
        value in the whole batch (site and time received; usually counter and source) are written into the statement
        as literals, so that only the others are bound."""
        counter_ix = raw.column("counter")
        sources = raw.source
        bound: dict[str, Any] = {
            "press_id": raw.column("press").tolist(),
            "ts": _sqlite_times(raw.micros()),
            "counter": list(map(COUNTERS.__getitem__, counter_ix.tolist())),
            "value": raw.column("value").tolist(),
            "mould_id": [m or None for m in raw.column("mould").tolist()],
            "shots": raw.column("shots").tolist(),
            "source": sources,
        }
        literal = {"site_id": str(int(site_id)), "received_at": f"'{_sqlite_ts(received_at)}'"}
        if len(set(counter_ix.tolist())) == 1:
            literal["counter"] = f"'{COUNTERS[int(counter_ix[0])]}'"  # names from data.counters: plain words
        if len(set(sources)) == 1 and SOURCE_RE.match(sources[0]):  # a plain word
            literal["source"] = f"'{sources[0]}'"
        columns = [bound[c] for c in RAW_COLUMNS if c not in literal]
        width = len(columns)
        flat: list[Any] = [None] * (len(raw) * width)  # row after row
        for j, column in enumerate(columns):
            flat[j::width] = column
        row = "(" + ", ".join(literal.get(c, "?") for c in RAW_COLUMNS) + ")"
        return lambda: self._many(f"INSERT INTO counter_readings ({', '.join(RAW_COLUMNS)}) VALUES ", row, "", flat)

    def write(self, site_id: int, received_at: dt.datetime, hourly: list[tuple], daily: list[tuple],
              moulds: list[tuple], states: list[tuple], counts: list[tuple]) -> Callable[[], None]:
        """As _PostgresOps.write."""
        statements: list[tuple[str, str, str, list]] = []  # _many's arguments
        epoch = dt.date(1970, 1, 1)
        buckets = _sqlite_times(np.array([h for _p, _m, h, _s in hourly], dtype=np.int64) * 3_600_000_000)
        for table, key, rows in (
            ("shots_hourly", "bucket", [(p, m, b, s) for (p, m, _h, s), b in zip(hourly, buckets, strict=True)]),
            ("shots_daily", "day", [(p, m, (epoch + dt.timedelta(days=d)).isoformat(), s) for p, m, d, s in daily]),
        ):
            statements.append((f"INSERT INTO {table} (site_id, press_id, mould_id, {key}, shots) VALUES ",
                               f"({int(site_id)}, ?, ?, ?, ?)", f" ON CONFLICT (press_id, mould_id, {key}) "
                               "DO UPDATE SET shots = shots + excluded.shots", _flat(rows)))
        # one row of u per mould and per counter: each row is updated once
        statements.append(("WITH u(id, l, s) AS (VALUES ", "(?, ?, ?)",
                           ") UPDATE moulds SET lifetime_shots = lifetime_shots + u.l, "
                           "shots_since_pm = shots_since_pm + u.s FROM u WHERE moulds.id = u.id", _flat(moulds)))
        times = _sqlite_times(np.array([r[2] for r in states], dtype=np.int64))
        statements.append(("WITH u(p, c, ts, v, m, n, s) AS (VALUES ", "(?, ?, ?, ?, ?, ?, ?)",
                           ") UPDATE counter_state SET last_ts = u.ts, last_value = u.v, last_mould_id = u.m, "
                           f"last_received_at = '{_sqlite_ts(received_at)}', readings = readings + u.n, "
                           "shots = counter_state.shots + u.s "
                           "FROM u WHERE counter_state.press_id = u.p AND counter_state.counter = u.c",
                           _flat((p, c, ts, v, m, n, shots)
                                 for (p, c, _us, v, m, n, shots), ts in zip(states, times, strict=True))))
        statements.append(("INSERT INTO ingest_counts (hour, site_id, stream, outcome, reason, shard, n) VALUES ",
                           "(?, ?, ?, ?, ?, ?, ?)", " ON CONFLICT (hour, site_id, stream, outcome, reason, shard) "
                           "DO UPDATE SET n = n + excluded.n", _flat((_sqlite_ts(h), *rest) for h, *rest in counts)))

        def write() -> None:
            for statement in statements:
                self._many(*statement)

        return write


def _flat(rows) -> list:
    """Rows (tuples of one length) as one list of their values, row after row."""
    return list(chain.from_iterable(rows))

class _RawColumns:
    """The batch's new raw readings, column by column: arrays from the vectorised path (append_runs) and single
    readings from merges (press, counter as its index in COUNTERS, t in epoch seconds, value as signed 64-bit,
    mould 0 for none, shots), with each reading's source."""

    NUMERIC = (("press", np.int64), ("counter", np.int64), ("t", np.float64), ("value", np.int64),
               ("mould", np.int64), ("shots", np.int64))

    def __init__(self) -> None:
        self._arrays: dict[str, list[np.ndarray]] = {name: [] for name, _dtype in self.NUMERIC}
        self._single: dict[str, list] = {name: [] for name, _dtype in self.NUMERIC}
        self._sources: list[str] = []
        self._single_sources: list[str] = []
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def extend(self, source: list[str], **columns: np.ndarray) -> None:
        """Readings as arrays (one per numeric column, all of one length)."""
        for name, values in columns.items():
            self._arrays[name].append(values)
        self._sources += source
        self.n += len(source)

    def append(self, source: str, **values: int | float) -> None:
        """One reading."""
        for name, value in values.items():
            self._single[name].append(value)
        self._single_sources.append(source)
        self.n += 1

    def column(self, name: str) -> np.ndarray:
        """A numeric column: the arrays' readings, then the single ones."""
        dtype = dict(self.NUMERIC)[name]
        parts = [*self._arrays[name], np.array(self._single[name], dtype=dtype)]
        return np.concatenate(parts).astype(dtype, copy=False)

    @property
    def source(self) -> list[str]:
        return self._sources + self._single_sources

    def micros(self) -> np.ndarray:
        """The readings' times in whole microseconds since 1970."""
        return np.rint(self.column("t") * 1e6).astype(np.int64)


PG_EPOCH_US = 946_684_800 * 1_000_000  # PostgreSQL counts timestamps from 2000-01-01 UTC
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = b"\xff\xff"


def copy_binary(site_id: int, received_at: dt.datetime, raw: _RawColumns) -> bytes:
    """The rows in PostgreSQL's binary COPY format for RAW_COLUMNS, built column-wise with numpy: rows of one
    (counter, source, mould or none) shape are fixed-width records, so each shape is one array."""
    counter_names = COUNTERS
    sources = raw.source
    source_names = sorted(set(sources))
    if len(source_names) == 1:
        source_ix = np.zeros(len(raw), dtype=np.int64)
    else:
        source_ix = np.fromiter(map({n: i for i, n in enumerate(source_names)}.__getitem__, sources), np.int64,
                                len(raw))
    mould = raw.column("mould")
    shape = (raw.column("counter") * len(source_names) + source_ix) * 2 + (mould != 0)
    press = raw.column("press")
    ts_us = raw.micros() - PG_EPOCH_US
    value = raw.column("value")
    shots = raw.column("shots")
    received = round(received_at.timestamp() * 1e6) - PG_EPOCH_US
    out = [COPY_SIGNATURE]
    for code in np.unique(shape).tolist():
        rows = np.flatnonzero(shape == code)
        has_mould = bool(code % 2)
        counter = counter_names[code // 2 // len(source_names)].encode()
        source = source_names[code // 2 % len(source_names)].encode()
        fields = [("n", ">i2"), ("l1", ">i4"), ("site", ">i4"), ("l2", ">i4"), ("press", ">i4"), ("l3", ">i4"),
                  ("ts", ">i8"), ("l4", ">i4"), ("counter", f"S{len(counter)}"), ("l5", ">i4"), ("value", ">i8"),
                  ("l6", ">i4"), *([("mould", ">i4")] if has_mould else []), ("l7", ">i4"), ("shots", ">i8"),
                  ("l8", ">i4"), ("source", f"S{len(source)}"), ("l9", ">i4"), ("received", ">i8")]
        rec = np.zeros(len(rows), dtype=np.dtype(fields))
        rec["n"] = len(RAW_COLUMNS)
        rec["l1"] = rec["l2"] = rec["l6"] = 4
        rec["l3"] = rec["l5"] = rec["l7"] = rec["l9"] = 8
        rec["l4"], rec["l8"] = len(counter), len(source)
        rec["site"], rec["counter"], rec["source"], rec["received"] = site_id, counter, source, received
        rec["press"], rec["ts"], rec["value"], rec["shots"] = press[rows], ts_us[rows], value[rows], shots[rows]
        if has_mould:
            rec["mould"] = mould[rows]
        else:
            rec["l6"] = -1  # NULL
        out.append(rec.tobytes())
    out.append(COPY_TRAILER)
    return b"".join(out)


class _Tally:
    """One pass over the batch's shots: raw rows, hourly rollups, lifetime and since-PM sums per mould."""

    def __init__(self, last_pm: dict[int, dt.datetime | None]) -> None:
        self.pm_t = {m: (pm.timestamp() if pm is not None else float("-inf")) for m, pm in last_pm.items()}
        self.raw = _RawColumns()
        self.hourly: dict[tuple[int, int, int], int] = defaultdict(int)
        self.lifetime: dict[int, int] = defaultdict(int)
        self.since_pm: dict[int, int] = defaultdict(int)

    def insert(self, press_id: int, counter: str, p: Point) -> None:
        """A new raw reading, and its shots."""
        self.raw.append(p.source, press=press_id, counter=COUNTERS.index(counter), t=p.t, value=to_signed64(p.value),
                        mould=p.mould_id or 0, shots=p.shots)
        if p.shots:
            self.add(press_id, p.mould_id, p.t, p.shots)

    def add(self, press_id: int, mould_id: int | None, t: float, shots: int) -> None:
        """Shots (or a correction) counted at t (epoch seconds) for a press and mould."""
        self.hourly[(press_id, mould_id or 0, int(t // 3600))] += shots
        if mould_id:
            self.lifetime[mould_id] += shots
            if t > self.pm_t[mould_id]:
                self.since_pm[mould_id] += shots

    def append_runs(self, rows: _Sorted, fast: list[tuple[tuple[int, str], int, int]], moulds: list[int | None],
                    states: dict[tuple[int, str], Point | None]) -> dict[tuple[int, str], int]:
        """The common case, vectorised: counters whose new readings all come after their last one. The same rule
        as data.counters.shots_between (which decides every case but a plain increase); raw rows, rollups and
        mould sums for all of them at once. Returns the shots added per counter."""
        everything = len(fast) == len(rows.groups)  # the usual case: no late readings in the batch
        idx = np.arange(len(rows.ts)) if everything else np.concatenate([np.arange(a, b) for _k, a, b in fast])
        pick = idx.tolist()
        take = (lambda column: list(column)) if everything else (lambda column: [column[k] for k in pick])  # noqa: E731
        t = rows.t[idx]
        v = np.array(take(rows.value), dtype=np.uint64)
        prev, prev_t = np.empty_like(v), np.empty_like(t)
        prev[1:], prev_t[1:] = v[:-1], t[:-1]
        has_prev = np.ones(len(idx), dtype=bool)
        pos = 0
        for key, a, b in fast:
            last = states.get(key)
            if last is None:
                has_prev[pos] = False
            else:
                prev[pos], prev_t[pos] = last.value, last.t
            pos += b - a
        diff = v - prev  # modulo 2^64: right wherever v >= prev
        plain = has_prev & (v >= prev) & (diff <= SLACK + (t - prev_t) * MAX_CYCLES_PER_SECOND)
        shots = np.where(plain, diff, 0).astype(np.int64)
        for k in np.flatnonzero(has_prev & ~plain).tolist():  # resets, wraps, implausible jumps
            shots[k] = shots_between(int(prev[k]), float(prev_t[k]), int(v[k]), float(t[k]))[0]
        mould = np.array([m or 0 for m in take(moulds)], dtype=np.int64)
        self._sum_fast(rows.press[idx], mould, t, shots)
        self.raw.extend(take(rows.source), press=rows.press[idx], counter=rows.counter[idx], t=t,
                        value=v.view(np.int64), mould=mould, shots=shots)
        sums = np.add.reduceat(shots, np.cumsum([0] + [b - a for _k, a, b in fast[:-1]]))
        return {key: int(n) for (key, _a, _b), n in zip(fast, sums.tolist(), strict=True)}

    def _sum_fast(self, press: np.ndarray, mould: np.ndarray, t: np.ndarray, shots: np.ndarray) -> None:
        counted = shots != 0
        if not counted.any():
            return
        press, mould, t, shots = press[counted], mould[counted], t[counted], shots[counted]
        hour = (t // 3600).astype(np.int64)
        keys, inverse = np.unique((press << 42) | (mould << 21) | hour, return_inverse=True)
        for key, n in zip(keys.tolist(), np.bincount(inverse, weights=shots).tolist(), strict=True):
            self.hourly[(key >> 42, (key >> 21) & 0x1FFFFF, key & 0x1FFFFF)] += int(n)
        ids, inverse = np.unique(mould, return_inverse=True)
        pm = np.array([self.pm_t.get(m, float("inf")) for m in ids.tolist()])[inverse]
        life = np.bincount(inverse, weights=shots).tolist()
        since = np.bincount(inverse, weights=np.where(t > pm, shots, 0)).tolist()
        for m, n, s in zip(ids.tolist(), life, since, strict=True):
            if m:
                self.lifetime[m] += int(n)
                self.since_pm[m] += int(s)

    def rollups(self) -> tuple[list[tuple], list[tuple]]:
        """Hourly and daily rows (press, mould, hours or days since 1970-01-01, shots), zero sums left out."""
        daily: dict[tuple[int, int, int], int] = defaultdict(int)
        hourly = []
        for (press_id, mould_id, hour), shots in sorted(self.hourly.items()):
            if shots:
                hourly.append((press_id, mould_id, hour, shots))
                daily[(press_id, mould_id, hour // 24)] += shots
        return hourly, [(p, m, d, n) for (p, m, d), n in sorted(daily.items()) if n]


def _sqlite_times(micros: np.ndarray) -> list[str]:
    """_sqlite_ts for a column of UTC times in microseconds since 1970, formatted by numpy."""
    text = micros.astype("datetime64[us]").astype("U26")
    text.view(np.uint32).reshape(len(text), 26)[:, 10] = ord(" ")  # ISO's T: SQLAlchemy stores a space
    return text.tolist()


def _sqlite_ts(ts: dt.datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite (so ORM reads and comparisons agree)."""
    return ts.isoformat(" ", "microseconds")[:26]


def _correct_raw(conn: Connection, corrections: list[tuple[int, str, Point]]) -> None:
    if corrections:
        conn.execute(_cr.update().where(_cr.c.press_id == bindparam("p"), _cr.c.counter == bindparam("c"),
                                        _cr.c.ts == bindparam("t")).values(shots=bindparam("s")),
                     [{"p": p, "c": c, "t": pt.ts, "s": pt.shots} for p, c, pt in corrections])


# -- the service --------------------------------------------------------------------------------------------

class _NeedsLock(Exception):
    """The batch cannot be planned before its counters are locked: it has late readings, or changes a mounting."""


@dataclass
class _Plan:
    """A batch worked out from the stored state it read (kept to check it is still so) and the writes it makes."""

    result: CounterResult
    state_rows: list[tuple]  # (press, counter, last time, value, mould, readings, shots) as stored
    pm: dict[int, Any]  # mould -> last PM time as stored
    mounts: list[tuple[set[int], dt.datetime, dict[int, list[Mount]]]]  # mounting histories read
    apply: Callable[[], None]

    def holds(self, ops: _Ops, state_rows: list[tuple], pm_rows: list[tuple]) -> bool:
        """True if the counters, moulds and mountings the plan read are as they are now (under the lock)."""
        if _stored_states(state_rows) != _stored_states(self.state_rows):
            return False
        pm = dict(pm_rows)
        if pm.keys() != self.pm.keys():
            pm.update(ops.lock_moulds(sorted(self.pm.keys() - pm.keys())))
        return pm == self.pm and all(mount_history(ops.conn, presses, since) == read
                                     for presses, since, read in self.mounts)


NEW_COUNTER = (None, None, None, 0, 0)  # a counter_state row before its first reading


def _stored_states(state_rows: list[tuple]) -> dict[tuple[int, str], tuple]:
    return {(p, c): tuple(rest) for p, c, *rest in state_rows if tuple(rest) != NEW_COUNTER}


def ingest_counters(session: Session, site_id: int, batch: CounterBatch, *, unknown_mould: str = "reject",
                    now: dt.datetime | None = None) -> CounterResult:
    """Store a validated counter batch for one site (in the caller's transaction); BatchRejected if it refers
    to unknown presses (or moulds, with unknown_mould="reject").

    On SQLite, whose writer locks the whole database, the batch is first worked out from what is stored, without
    the lock, while another thread's batch is written; under the lock the plan is written if what it read is
    unchanged (the usual case: edge processes send different presses), and worked out again if not. On
    PostgreSQL the batch's own counters are locked first: batches for other counters go ahead in parallel."""
    now = now or utcnow()
    if not len(batch):
        return CounterResult(received=0)
    conn = session.connection()
    presses, mould_ids, unattributed = _resolve(conn, site_id, batch, unknown_mould)
    rows = _sort(batch, presses)
    ops = _Ops.for_connection(conn)
    keys = [key for key, _a, _b in rows.groups]
    explicit = sorted({m for m, _on in mould_ids.values()})
    plan = None
    if ops.plans_before_locking:
        try:
            plan = _plan(session, ops, site_id, rows, mould_ids, now, *ops.peek(keys, explicit), unattributed,
                         dry=True)
        except _NeedsLock:
            plan = None
    state_rows, pm_rows = ops.lock(site_id, keys, explicit)
    if plan is None or not plan.holds(ops, state_rows, pm_rows):
        plan = _plan(session, ops, site_id, rows, mould_ids, now, state_rows, pm_rows, unattributed, dry=False)
    plan.apply()
    return plan.result


def _plan(session: Session, ops: _Ops, site_id: int, rows: _Sorted, mould_ids: dict[str, tuple[int, int | None]],
          now: dt.datetime, state_rows: list[tuple], pm_rows: list[tuple], unattributed: list[ItemError], *,
          dry: bool) -> _Plan:
    """The batch's shots, raw rows, rollups and counter updates from the stored counter states and last PM times;
    dry: without the lock (_NeedsLock where that cannot be done: late readings, a mounting to change)."""
    conn = ops.conn
    result = CounterResult(received=len(rows.ts), unattributed=unattributed)
    pm_seen = dict(pm_rows)
    last_pm = {m: ops.read_ts(pm) for m, pm in pm_rows}
    states: dict[tuple[int, str], Point | None] = {}
    for press_id, counter, ts, value, mould_id, _n, _s in state_rows:
        ts = ops.read_ts(ts)
        states[(press_id, counter)] = None if ts is None else Point(ts, ts.timestamp(), from_signed64(value),
                                                                    mould_id, stored=True)
    mounts_read: list[tuple[set[int], dt.datetime, dict[int, list[Mount]]]] = []

    def history_of(presses: set[int], since: dt.datetime) -> dict[int, list[Mount]]:
        found = mount_history(conn, presses, since)
        mounts_read.append((presses, since, {p: list(m) for p, m in found.items()}))
        return found

    def remount(press_id: int, mould_id: int, at: dt.datetime, source: str) -> bool:
        if dry:
            raise _NeedsLock
        return _remount(session, press_id, mould_id, at, source)

    moulds, result.mount_changes = _attribute(rows, states, mould_ids, history_of, remount)
    # Edge processes send in time order: usually every new reading of a counter is later than its last one.
    starts = np.array([a for _k, a, _b in rows.groups])
    last_t = np.array([states[key].t if states.get(key) is not None else -np.inf for key, _a, _b in rows.groups])
    appendable = (np.logical_and.reduceat(rows.strict, starts) & (rows.t[starts] > last_t)).tolist()
    fast = [g for g, ok in zip(rows.groups, appendable, strict=True) if ok]
    late = [g for g, ok in zip(rows.groups, appendable, strict=True) if not ok]
    if late and dry:
        raise _NeedsLock

    merges: dict[tuple[int, str], Merge] = {}  # late or repeated readings: merged with the stored ones
    for key, a, b in late:
        points = [Point(rows.ts[k], float(rows.t[k]), rows.value[k], moulds[k], source=rows.source[k], index=k)
                  for k in range(a, b)]
        pts, dups, conflicts = dedupe(points)
        result.duplicates += dups
        result.conflicts += [_conflict(p) for p in conflicts]
        last = states.get(key)
        anchor, window = (None, []) if last is None else _neighbourhood(conn, key[0], key[1], pts[0].ts,
                                                                        pts[-1].ts, last)
        out = merges[key] = merge(anchor, window, pts)
        result.duplicates += out.duplicates
        result.conflicts += [_conflict(p) for p in out.conflicts]
    locked = set(moulds) if fast else set()
    locked.discard(None)
    locked |= {p.mould_id for m in merges.values() for p in m.inserts if p.mould_id}
    locked |= {c.point.mould_id for m in merges.values() for c in m.changes if c.point.mould_id}
    more = sorted(locked - last_pm.keys())  # moulds from the mounting history or stored readings
    if more:
        found = ops.lock_moulds(more)
        pm_seen.update(found)
        last_pm.update({m: ops.read_ts(pm) for m, pm in found})
    tally = _Tally(last_pm)
    state_updates: list[tuple] = []
    if fast:
        added = tally.append_runs(rows, fast, moulds, states)
        for key, a, b in fast:
            state_updates.append((*key, round(float(rows.t[b - 1]) * 1e6), to_signed64(rows.value[b - 1]),
                                  moulds[b - 1], b - a, added[key]))
            result.shots += added[key]
    corrections: list[tuple[int, str, Point]] = []
    for key, out in merges.items():
        (press_id, counter), last, shots = key, states.get(key), 0
        for p in out.inserts:
            tally.insert(press_id, counter, p)
            shots += p.shots
        for c in out.changes:
            corrections.append((press_id, counter, c.point))
            tally.add(press_id, c.point.mould_id, c.point.t, c.diff)
            shots += c.diff
        result.corrected += len(out.changes)
        result.shots += shots
        newest = out.last if out.last is not None and (last is None or out.last.t > last.t) else last
        if out.inserts or out.changes:
            state_updates.append((press_id, counter, round(newest.t * 1e6), to_signed64(newest.value),
                                  newest.mould_id, len(out.inserts), shots))
    result.accepted = len(tally.raw)
    insert_raw = ops.insert_raw(site_id, now, tally.raw) if result.accepted else None
    hourly, daily = tally.rollups()
    if timescale.rollups_are_continuous(conn):
        hourly, daily = [], []
    moulds_rows = [(m, n, tally.since_pm.get(m, 0)) for m, n in sorted(tally.lifetime.items())
                   if n or tally.since_pm.get(m)]
    counts = [(hour_of(now), site_id, "counters", outcome, reason, shard(), n) for (outcome, reason), n in (
        (("accepted", ""), result.accepted), (("duplicate", ""), result.duplicates),
        (("rejected", "conflict"), len(result.conflicts)), (("rejected", "unknown_mould"), len(result.unattributed)))
              if n]
    write = ops.write(site_id, now, hourly, daily, moulds_rows, state_updates, counts)

    def apply() -> None:
        if insert_raw is not None:
            insert_raw()
        _correct_raw(conn, corrections)
        write()

    return _Plan(result, state_rows, pm_seen, mounts_read, apply)


def _conflict(p: Point) -> ItemError:
    return ItemError(p.index, "value", "conflict",
                     f"a reading for {p.ts.isoformat()} is already stored with another value; this one was ignored")
