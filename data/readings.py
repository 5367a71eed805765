"""Validation of the reading batches edge processes post (counter and sensor readings).

Pure checks of form and range; which presses and moulds exist is checked by the stores
(data/shot_store.py, data/sensor_store.py). A batch is valid as a whole or rejected as a whole,
with every problem listed by item index and field, so a client can fix or drop exactly those items.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass, field
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

import numpy as np

from data.counters import COUNTERS, MAX_COUNTER

MAX_BATCH = 5_000
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_FUTURE = dt.timedelta(minutes=5)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MAX_ERRORS_LISTED = 100
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,31}$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
SOURCE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")
UNKNOWN_MOULD_POLICIES = ("reject", "unattributed")

COUNTER_FIELDS = frozenset({"press", "counter", "ts", "value", "mould", "source"})
SENSOR_FIELDS = frozenset({"press", "sensor", "ts", "value", "unit"})
AGENT_FIELDS = frozenset({"name", "kind", "version", "spool_depth", "dead_letters", "connected", "sources",
                          "detail"})


@dataclass(frozen=True)
class ItemError:
    """What is wrong with one item of a batch (index -1: the batch itself)."""

    index: int
    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The error as the API returns it."""
        return asdict(self)


@dataclass
class BatchRejected(Exception):
    """The batch as a whole is refused: nothing of it was stored."""

    status: int
    reason: str
    message: str
    errors: list[ItemError] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        listed = [e.to_dict() for e in self.errors[:MAX_ERRORS_LISTED]]
        body: dict[str, Any] = {"error": self.message, "status": self.status, "reason": self.reason}
        if self.errors:
            body["errors"] = listed
            if len(self.errors) > MAX_ERRORS_LISTED:
                body["errors_not_listed"] = len(self.errors) - MAX_ERRORS_LISTED
        return body

    @property
    def reasons(self) -> dict[str, int]:
        """How many items were rejected per reason (the batch itself counts once when no item is named)."""
        counts: dict[str, int] = {}
        for e in self.errors:
            counts[e.code] = counts.get(e.code, 0) + 1
        return counts or {self.reason: 1}


def invalid(errors: list[ItemError], total: int) -> BatchRejected:
    """The 422 for a batch with invalid items."""
    bad = len({e.index for e in errors})
    return BatchRejected(422, "invalid", f"{bad} of {total} readings are invalid; nothing was stored. "
                                         "Fix or drop the items listed and send the batch again.", errors)


class AgentInfo(NamedTuple):
    """How an edge process describes itself in each batch (for the ingest health page)."""

    name: str
    kind: str
    version: str
    spool_depth: int
    dead_letters: int
    connected: int
    sources: int
    detail: str


@dataclass
class CounterBatch:
    """Counter readings that passed the form checks, as columns (every reading of the batch, in order)."""

    press: list[str]
    counter: list[str]
    ts: list[dt.datetime]  # aware, UTC
    t: list[float] | np.ndarray  # ts as epoch seconds
    value: list[int]
    mould: list[str | None]
    source: list[str]
    raw_ts: list[str]  # as sent (SQLite storage reuses a canonical ...Z string instead of formatting ts again)

    def __len__(self) -> int:
        return len(self.press)


class SensorItem(NamedTuple):
    """A sensor reading that passed the form checks."""

    index: int
    press: str
    sensor: str
    ts: dt.datetime
    t: float
    value: float
    unit: str | None


def _readings(payload: Any) -> list:
    """The list of readings of a batch body; BatchRejected for a body of the wrong shape or size."""
    if not isinstance(payload, dict):
        raise BatchRejected(400, "malformed", 'The body must be a JSON object like {"readings": [...]}.')
    unknown = set(payload) - {"readings", "agent", "unknown_mould"}
    if unknown:
        raise BatchRejected(400, "malformed", f"Unknown top-level field(s): {', '.join(sorted(map(str, unknown)))}.")
    items = payload.get("readings")
    if not isinstance(items, list):
        raise BatchRejected(400, "malformed", '"readings" must be a list of readings.')
    if len(items) > MAX_BATCH:
        raise BatchRejected(413, "oversized", f"The batch has {len(items):,} readings; the limit is {MAX_BATCH:,} "
                                              "per request. Send it in smaller batches.")
    if not items and "agent" not in payload:
        raise BatchRejected(400, "malformed", 'The batch has no readings (send "agent" alone for a heartbeat).')
    return items


def _unknown_fields(index: int, item: dict, allowed: frozenset[str]) -> list[ItemError]:
    return [ItemError(index, str(key)[:40], "unknown_field",
                      f"unknown field {str(key)[:40]!r} (allowed: {', '.join(sorted(allowed))})")
            for key in sorted(map(str, set(item) - allowed))]


def parse_ts(raw: Any, now: dt.datetime) -> tuple[dt.datetime | None, str, str]:
    """An aware UTC datetime from an ISO 8601 string, or (None, code, message)."""
    if not isinstance(raw, str):
        return None, "invalid_type", "must be an ISO 8601 timestamp string with a time zone, e.g. 2026-11-27T10:15:00Z"
    try:
        ts = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None, "invalid_timestamp", f"{raw[:40]!r} is not an ISO 8601 timestamp"
    if ts.tzinfo is None:
        return None, "invalid_timestamp", f"{raw[:40]!r} has no time zone: add Z (UTC) or an offset"
    ts = ts.astimezone(dt.UTC)
    if ts > now + MAX_FUTURE:
        return None, "future_timestamp", (f"{raw[:40]} is more than {int(MAX_FUTURE.total_seconds() // 60)} minutes "
                                          "in the future: check the clock of the sender")
    if ts < EARLIEST:
        return None, "invalid_timestamp", f"{raw[:40]} is before {EARLIEST:%Y}: check the clock of the sender"
    return ts, "", ""


def parse_agent(payload: dict) -> tuple[AgentInfo | None, list[ItemError]]:
    """The optional "agent" part of a batch."""
    raw = payload.get("agent")
    if raw is None:
        return None, []
    errors: list[ItemError] = []
    if not isinstance(raw, dict):
        return None, [ItemError(-1, "agent", "invalid_type", "agent must be an object")]
    for key in sorted(set(raw) - AGENT_FIELDS):
        errors.append(ItemError(-1, f"agent.{key}", "unknown_field", f"unknown field {key!r}"))
    values: dict[str, Any] = {}
    for key, limit in (("name", 64), ("kind", 16), ("version", 32), ("detail", 500)):
        v = raw.get(key, "")
        if not isinstance(v, str) or (key == "name" and not v.strip()) or len(v) > limit:
            errors.append(ItemError(-1, f"agent.{key}", "invalid_field",
                                    f"must be {'a non-empty' if key == 'name' else 'a'} text of at most {limit} "
                                    "characters"))
        values[key] = v.strip() if isinstance(v, str) else ""
    for key in ("spool_depth", "dead_letters", "connected", "sources"):
        v = raw.get(key, 0)
        if type(v) is not int or v < 0 or v > 2**62:
            errors.append(ItemError(-1, f"agent.{key}", "invalid_field", "must be a whole number of 0 or more"))
            v = 0
        values[key] = v
    if errors:
        return None, errors
    return AgentInfo(**values), []


def _value_message(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "value is NaN: a counter must be a whole number"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return f"value {value} is negative: a counter is a whole number from 0 to 2^64-1"
    return "value must be a whole number from 0 to 2^64-1"


def parse_counter_batch(payload: Any, now: dt.datetime) -> tuple[CounterBatch, AgentInfo | None, str]:
    """Check a counter batch's form: (readings, agent, unknown-mould policy), or BatchRejected."""
    items = _readings(payload)
    agent, errors = parse_agent(payload)
    policy = payload.get("unknown_mould", "reject")
    if policy not in UNKNOWN_MOULD_POLICIES:
        errors.append(ItemError(-1, "unknown_mould", "invalid_field",
                                f"must be one of {', '.join(UNKNOWN_MOULD_POLICIES)}"))
    default_source = agent.kind if agent and SOURCE_RE.match(agent.kind or "") else "api"
    batch = None if errors else _counter_columns(items, now, default_source)
    if batch is None:  # something is off (or unusual, like a time zone other than UTC): check reading by reading
        batch = _counter_items(items, now, default_source, errors)
    return batch, agent, policy


def _counter_columns(items: list, now: dt.datetime, default_source: str) -> CounterBatch | None:
    """The whole batch checked column by column at C speed; None when any check fails (then the item-by-item
    check finds and names the problems)."""
    if not items:
        return CounterBatch([], [], [], [], [], [], [], [])
    if set(map(type, items)) != {dict}:
        return None
    try:
        press = list(map(itemgetter("press"), items))
        value = list(map(itemgetter("value"), items))
        raw_ts = list(map(itemgetter("ts"), items))
    except KeyError:
        return None
    n = len(items)
    # The optional fields: each present in every reading or in none (then every reading has the same number
    # of fields, and no other field can be among them); anything else takes the slower check of every key set.
    optional, present = [], 3
    for key, default in (("counter", "machine_cycle"), ("mould", None), ("source", default_source)):
        column = list(map(dict.get, items, repeat(key), repeat(_ABSENT)))
        missing = column.count(_ABSENT)
        if missing == n:
            column = [default] * n
        elif missing:
            column = [default if v is _ABSENT else v for v in column]
            present = -1
        elif present >= 0:
            present += 1
        optional.append(column)
    counter, mould, source = optional
    if set(map(len, items)) != {present} and not all(map(COUNTER_FIELDS.issuperset, items)):
        return None
    if (set(map(type, press)) != {str} or set(map(type, value)) != {int} or set(map(type, raw_ts)) != {str}
            or not set(map(type, mould)) <= {str, type(None)} or set(map(type, source)) != {str}
            or set(map(type, counter)) != {str}):
        return None
    codes = set(press) | set(mould)
    codes.discard(None)
    if (not all(map(CODE_RE.match, codes)) or not set(counter) <= set(COUNTERS) or min(value) < 0
            or max(value) > MAX_COUNTER or not all(map(SOURCE_RE.match, set(source)))):
        return None
    try:
        ts = list(map(dt.datetime.fromisoformat, raw_ts))
    except ValueError:
        return None
    if set(map(attrgetter("tzinfo"), ts)) != {dt.UTC}:
        return None
    t = _epoch_seconds(raw_ts, ts)
    if t.min() < EARLIEST.timestamp() or t.max() > (now + MAX_FUTURE).timestamp():
        return None
    return CounterBatch(press, counter, ts, t, value, mould, source, raw_ts)


_ABSENT = object()


def _epoch_seconds(raw_ts: list[str], ts: list[dt.datetime]) -> np.ndarray:
    """Epoch seconds of UTC timestamps: numpy reads the strings when all end in Z (as edge processes send them;
    fromisoformat has accepted each already), datetime.timestamp() otherwise."""
    joined = "\n".join(raw_ts)
    if joined.count("Z") == len(raw_ts) and joined.count("\n") == len(raw_ts) - 1 and raw_ts[-1].endswith("Z"):
        try:
            micros = np.array(joined.replace("Z", "").split("\n"), dtype="datetime64[us]").astype(np.int64)
        except ValueError:
            pass
        else:
            return micros / 1e6
    return np.fromiter(map(dt.datetime.timestamp, ts), dtype=np.float64, count=len(ts))


def _counter_items(items: list, now: dt.datetime, default_source: str, errors: list[ItemError]) -> CounterBatch:
    """Check reading by reading, naming every problem; BatchRejected if there is any."""
    out = CounterBatch([], [], [], [], [], [], [], [])
    err = errors.append
    fields, counters, limit = COUNTER_FIELDS, COUNTERS, MAX_COUNTER
    for i, item in enumerate(items):
        if type(item) is not dict:
            err(ItemError(i, "", "invalid_type", "each reading must be an object"))
            continue
        if not item.keys() <= fields:
            errors += _unknown_fields(i, item, fields)
            continue
        ok = True
        press = item.get("press")
        if type(press) is not str or not CODE_RE.match(press):
            err(ItemError(i, "press", "invalid_field", "press must be a press code (1-32 letters, digits, - _ . : /)"))
            ok = False
        counter = item.get("counter", "machine_cycle")
        if counter not in counters:
            err(ItemError(i, "counter", "invalid_field", f"counter must be one of {', '.join(counters)}"))
            ok = False
        value = item.get("value")
        if type(value) is not int or value < 0 or value > limit:
            err(ItemError(i, "value", "invalid_value", _value_message(value)))
            ok = False
        raw_ts = item.get("ts")
        ts, code, msg = parse_ts(raw_ts, now)
        if ts is None:
            err(ItemError(i, "ts", code, f"ts {msg}"))
            ok = False
        mould = item.get("mould")
        if mould is not None and (type(mould) is not str or not CODE_RE.match(mould)):
            err(ItemError(i, "mould", "invalid_field", "mould must be a mould code (1-32 characters) or null"))
            ok = False
        source = item.get("source", default_source)
        if type(source) is not str or not SOURCE_RE.match(source):
            err(ItemError(i, "source", "invalid_field", "source must be a short lower-case name such as opcua"))
            ok = False
        if ok:
            for column, v in ((out.press, press), (out.counter, counter), (out.ts, ts), (out.t, ts.timestamp()),
                              (out.value, value), (out.mould, mould), (out.source, source), (out.raw_ts, raw_ts)):
                column.append(v)
    if errors:
        raise invalid(errors, len(items))
    return out


def parse_sensor_batch(payload: Any, now: dt.datetime) -> tuple[list[SensorItem], AgentInfo | None]:
    """Check a sensor batch's form: (readings, agent), or BatchRejected."""
    items = _readings(payload)
    agent, errors = parse_agent(payload)
    if "unknown_mould" in payload:
        errors.append(ItemError(-1, "unknown_mould", "unknown_field", "unknown_mould applies to counter readings only"))
    out: list[SensorItem] = []
    for i, item in enumerate(items):
        if type(item) is not dict:
            errors.append(ItemError(i, "", "invalid_type", "each reading must be an object"))
            continue
        if not item.keys() <= SENSOR_FIELDS:
            errors += _unknown_fields(i, item, SENSOR_FIELDS)
            continue
        n = len(errors)
        press, sensor, unit, value = item.get("press"), item.get("sensor"), item.get("unit"), item.get("value")
        if type(press) is not str or not CODE_RE.match(press):
            errors.append(ItemError(i, "press", "invalid_field", "press must be a press code"))
        if type(sensor) is not str or not KEY_RE.match(sensor):
            errors.append(ItemError(i, "sensor", "invalid_field",
                                    "sensor must be a key of lower-case letters, digits and _ (e.g. mould_temp)"))
        if unit is not None and (type(unit) is not str or len(unit) > 16):
            errors.append(ItemError(i, "unit", "invalid_field", "unit must be a text of at most 16 characters"))
        if type(value) not in (int, float) or not math.isfinite(value) or abs(value) > 1e12:
            errors.append(ItemError(i, "value", "invalid_value", "value must be a finite number (not NaN or infinite)"))
        ts, code, msg = parse_ts(item.get("ts"), now)
        if ts is None:
            errors.append(ItemError(i, "ts", code, f"ts {msg}"))
        if len(errors) == n:
            out.append(SensorItem(i, press, sensor, ts, ts.timestamp(), float(value), unit))
    if errors:
        raise invalid(errors, len(items))
    return out, agent
