"""Shots from cumulative cycle counters: the ingest core, plain Python over plain values.

A press reports a counter (EUROMAP 77 MachineCycleCounter or JobCycleCounter) now and then; the
shots a reading adds are the increase since the previous reading of the same counter, in time order:

* the value rose: the difference;
* the value fell: a UInt32/UInt64 wrap when counting on past the top is plausible (see below),
  otherwise a reset (job counters reset per job, controllers reboot): the new value, i.e. the
  cycles counted since the reset;
* the increase is implausible (faster than MAX_CYCLES_PER_SECOND over the time between the two
  readings, plus SLACK): a replaced or re-initialised counter, counted as 0 (the chain starts
  again from this value);
* the first reading of a counter only sets the baseline (0 shots).

A repeated reading (same press, counter and timestamp) counts once; a late reading is merged into
the chain where it belongs, and the reading after it is recomputed (a late reading before a reset
reveals cycles that were not counted yet), so totals do not depend on arrival order. A reading's
shots go to the mould mounted when it was taken. Two limits are physical, not of this code: a
reset is only seen if the counter is read before it climbs back above its previous value, and a
reset taken within SLACK cycles of the top of the UInt32 range is read as a wrap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

U32 = 1 << 32
U64 = 1 << 64
MAX_COUNTER = U64 - 1
MAX_CYCLES_PER_SECOND = 10  # no injection moulding machine cycles faster than 0.1 s
SLACK = 1_000  # cycles allowed on top of the rate limit (clock skew, bursts after a reconnect)
COUNTERS = ("machine_cycle", "job_cycle")


class Step(StrEnum):
    """How a reading's shots were derived from the previous reading."""

    FIRST = "first"
    COUNT = "count"
    RESET = "reset"
    WRAP = "wrap"
    REBASE = "rebase"


def to_signed64(value: int) -> int:
    """Store an unsigned 64-bit counter in a signed BIGINT column (two's complement)."""
    return value - U64 if value >= 1 << 63 else value


def from_signed64(value: int) -> int:
    """Read back a counter stored by to_signed64."""
    return value + U64 if value < 0 else value


def shots_between(prev_value: int, prev_t: float, value: int, t: float) -> tuple[int, Step]:
    """Shots counted between two readings of one counter (values unsigned, times in epoch seconds)."""
    limit = SLACK + (t - prev_t) * MAX_CYCLES_PER_SECOND
    if value >= prev_value:
        shots, step = value - prev_value, Step.COUNT
    else:
        wrapped = (U32 if prev_value < U32 else U64) - prev_value + value
        if wrapped <= limit:
            return wrapped, Step.WRAP
        shots, step = value, Step.RESET
    if shots > limit:
        return 0, Step.REBASE
    return shots, step


@dataclass(slots=True)
class Point:
    """One reading in a counter's chain: its time, value, the mould it counts for and its shots."""

    ts: dt.datetime
    t: float  # ts as epoch seconds
    value: int
    mould_id: int | None
    shots: int = 0
    stored: bool = False
    step: Step = Step.FIRST
    source: str = ""
    index: int = -1  # position in the batch it came in (for messages)


@dataclass
class Change:
    """A stored reading whose shots changed because a late reading arrived before it."""

    point: Point
    old_shots: int

    @property
    def diff(self) -> int:
        """Shots to add (or remove) where the reading was counted."""
        return self.point.shots - self.old_shots


@dataclass
class Merge:
    """What merging new readings into a counter's chain does."""

    inserts: list[Point] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    duplicates: int = 0
    conflicts: list[Point] = field(default_factory=list)  # same timestamp as a stored reading, other value

    @property
    def last(self) -> Point | None:
        """The newest point inserted (None if nothing new)."""
        return self.inserts[-1] if self.inserts else None  # inserts come in time order


def dedupe(new: list[Point]) -> tuple[list[Point], int, list[Point]]:
    """New readings sorted by time with repeats dropped: (unique, duplicates, conflicting repeats)."""
    prev = float("-inf")
    for p in new:  # edge processes send in time order: usually nothing to sort or drop
        if p.t <= prev:
            break
        prev = p.t
    else:
        return new, 0, []
    new = sorted(new, key=lambda p: p.t)
    unique: list[Point] = []
    duplicates = 0
    conflicts: list[Point] = []
    for p in new:
        if unique and unique[-1].t == p.t:
            if unique[-1].value == p.value:
                duplicates += 1
            else:
                conflicts.append(p)
            continue
        unique.append(p)
    return unique, duplicates, conflicts


def merge(anchor: Point | None, window: list[Point], new: list[Point]) -> Merge:
    """Merge new readings (sorted, unique) into a chain.

    anchor is the stored reading just before the first new one (None when there is none); window
    holds the stored readings from the first new one up to and including the first stored reading
    after the last new one, sorted. Stored readings keep their mould; their shots are recomputed.
    """
    out = Merge()
    stored_at = {p.t: p for p in window}
    merged = list(window)
    for p in new:
        s = stored_at.get(p.t)
        if s is None:
            merged.append(p)
        elif s.value == p.value:
            out.duplicates += 1
        else:
            out.conflicts.append(p)
    if len(merged) != len(window):
        merged.sort(key=lambda p: p.t)
    prev = anchor
    for p in merged:
        if prev is None:
            shots, step = 0, Step.FIRST
        else:
            shots, step = shots_between(prev.value, prev.t, p.value, p.t)
        if p.stored:
            if shots != p.shots:
                out.changes.append(Change(p, p.shots))
                p.shots = shots
            p.step = step
        else:
            p.shots, p.step = shots, step
            out.inserts.append(p)
        prev = p
    return out


@dataclass(frozen=True)
class Mount:
    """A mould on a press from mounted_at until unmounted_at (None: still there)."""

    mould_id: int
    mounted_at: dt.datetime
    unmounted_at: dt.datetime | None


def mould_at(mounts: list[Mount], ts: dt.datetime) -> int | None:
    """The mould mounted at ts according to the mounting history (None if nothing was mounted)."""
    for m in mounts:
        if m.mounted_at <= ts and (m.unmounted_at is None or ts < m.unmounted_at):
            return m.mould_id
    return None
