"""The ingest core: shots from counter readings with resets, wraps, repeats and late arrivals."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from data.counters import (
    SLACK,
    U32,
    U64,
    Mount,
    Point,
    Step,
    dedupe,
    from_signed64,
    merge,
    mould_at,
    shots_between,
    to_signed64,
)

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_increase_reset_wrap_and_implausible_jump():
    assert shots_between(100, 0, 130, 30) == (30, Step.COUNT)
    assert shots_between(100, 0, 100, 30) == (0, Step.COUNT)
    assert shots_between(5_000, 0, 12, 30) == (12, Step.RESET)  # job counter reset, 12 cycles since
    assert shots_between(U32 - 3, 0, 4, 30) == (7, Step.WRAP)  # UInt32 wrap
    assert shots_between(U64 - 2, 0, 1, 30) == (3, Step.WRAP)  # UInt64 wrap
    assert shots_between(U32 + 5, 0, U32 + 9, 30) == (4, Step.COUNT)  # a UInt64 counter past 2^32 does not wrap
    # A counter replaced by one far ahead (or re-initialised) is not a burst of millions of shots.
    assert shots_between(100, 0, 100 + SLACK + 301, 30) == (0, Step.REBASE)
    assert shots_between(100, 0, 100 + SLACK + 300, 30) == (SLACK + 300, Step.COUNT)
    assert shots_between(10**9, 0, 10**9 - 1, 30) == (0, Step.REBASE)  # dropped by one: neither reset nor wrap


def test_signed_storage_round_trips_the_whole_unsigned_range():
    for v in (0, 1, (1 << 63) - 1, 1 << 63, U64 - 1):
        assert from_signed64(to_signed64(v)) == v
        assert -(1 << 63) <= to_signed64(v) < 1 << 63


def test_mould_at_follows_the_mounting_history():
    mounts = [Mount(1, T0, T0 + dt.timedelta(hours=2)), Mount(2, T0 + dt.timedelta(hours=2), None)]
    assert mould_at(mounts, T0 - dt.timedelta(seconds=1)) is None
    assert mould_at(mounts, T0) == 1
    assert mould_at(mounts, T0 + dt.timedelta(hours=2)) == 2  # the change belongs to the new mould
    assert mould_at(mounts, T0 + dt.timedelta(days=9)) == 2


def test_late_reading_before_a_reset_reveals_uncounted_cycles():
    p = [Point(T0 + dt.timedelta(minutes=m), m * 60.0, v, 1) for m, v in ((0, 100), (10, 5))]
    first = merge(None, [], p)
    assert [x.shots for x in first.inserts] == [0, 5]  # 100 -> 5 looks like a reset with 5 cycles since
    for x in first.inserts:
        x.stored = True
    late = Point(T0 + dt.timedelta(minutes=5), 300.0, 140, 1)
    m = merge(p[0], [p[1]], [late])
    assert [x.shots for x in m.inserts] == [40]
    assert m.changes == []  # 140 -> 5 is still a reset with 5 cycles since
    assert sum(x.shots for x in (p[0], late, p[1])) == 45


def test_late_reading_moves_shots_from_the_next_reading_to_its_own_mould():
    a, b = Point(T0, 0.0, 100, 1, stored=True), Point(T0 + dt.timedelta(minutes=10), 600.0, 130, 2, shots=30,
                                                       stored=True)
    late = Point(T0 + dt.timedelta(minutes=4), 240.0, 120, 1)
    m = merge(a, [b], [late])
    assert [(x.shots, x.mould_id) for x in m.inserts] == [(20, 1)]
    assert [(c.old_shots, c.point.shots, c.diff) for c in m.changes] == [(30, 10, -20)]


def test_repeats_count_once_and_conflicting_repeats_are_reported():
    a = Point(T0, 0.0, 10, None)
    unique, dups, conflicts = dedupe([a, Point(T0, 0.0, 10, None), Point(T0, 0.0, 11, None)])
    assert len(unique) == 1 and dups == 1 and len(conflicts) == 1
    a.stored = True
    m = merge(None, [a], [Point(T0, 0.0, 10, None), Point(T0, 0.0, 12, None)])
    assert m.inserts == [] and m.duplicates == 1 and len(m.conflicts) == 1


class MemoryChains:
    """The same chain bookkeeping the database store does, in memory, for property tests."""

    def __init__(self) -> None:
        self.chains: dict[str, list[Point]] = {}
        self.totals: Counter = Counter()

    def ingest(self, key: str, points: list[Point]) -> None:
        unique, _dups, _conflicts = dedupe(points)
        chain = self.chains.setdefault(key, [])
        times = [p.t for p in chain]
        if not chain or unique[0].t > chain[-1].t:
            out = merge(chain[-1] if chain else None, [], unique)
        else:
            i = bisect.bisect_left(times, unique[0].t)
            j = bisect.bisect_right(times, unique[-1].t)
            out = merge(chain[i - 1] if i else None, chain[i:j + 1], unique)
        for p in out.inserts:
            p.stored = True
            self.totals[p.mould_id] += p.shots
            bisect.insort(chain, p, key=lambda q: q.t)
        for c in out.changes:
            self.totals[c.point.mould_id] += c.diff


@st.composite
def press_history(draw):
    """A counter's true history: readings with the cycles each one adds and the mould it ran."""
    width = draw(st.sampled_from([U32, U64]))
    start = draw(st.one_of(st.integers(0, 10_000), st.integers(width - 400, width - 1)))
    value, t, mould = start, 0.0, draw(st.sampled_from([1, 2, 3]))
    readings = [(t, value, mould, 0)]  # the first reading only sets the baseline
    for _ in range(draw(st.integers(1, 40))):
        step = draw(st.integers(1, 120))
        t += step
        cycles = draw(st.integers(0, 50))
        event = draw(st.sampled_from(["run", "run", "run", "reset", "mould"]))
        if event == "mould":
            mould = draw(st.sampled_from([1, 2, 3]))
        # A reset is only visible while the counter is below its last reading, and near the top of the
        # UInt32 range it is indistinguishable from a wrap (see data.counters).
        if event == "reset" and cycles < value and value < U32 - SLACK - 10 * step - 60:
            value = cycles
        else:
            value = (value + cycles) % width
        readings.append((t, value, mould, cycles))
    return readings


@st.composite
def deliveries(draw):
    """Several presses' histories, delivered shuffled, repeated and in batches of any size."""
    histories = draw(st.lists(press_history(), min_size=1, max_size=3))
    items = [(f"press-{k}", r) for k, h in enumerate(histories) for r in h]
    items += draw(st.lists(st.sampled_from(items), max_size=len(items) // 2))  # retries and repeats
    items = draw(st.permutations(items))
    cuts = sorted(draw(st.lists(st.integers(0, len(items)), max_size=6)))
    bounds = [0, *cuts, len(items)]
    return histories, [items[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


@settings(max_examples=300, deadline=None)
@given(deliveries())
def test_totals_equal_the_ground_truth_for_any_order_repeats_resets_and_wraps(data):
    histories, batches = data
    truth: Counter = Counter()
    for h in histories:
        for _t, _v, mould, cycles in h:
            truth[mould] += cycles
    store = MemoryChains()
    for batch in batches:
        by_press: dict[str, list[Point]] = {}
        for key, (t, value, mould, _c) in batch:
            by_press.setdefault(key, []).append(Point(T0 + dt.timedelta(seconds=t), t, value, mould))
        for key, points in by_press.items():
            store.ingest(key, points)
    assert +store.totals == +truth
    for k, h in enumerate(histories):  # each reading carries exactly the cycles that led up to it
        chain = store.chains[f"press-{k}"]
        assert [p.shots for p in chain] == [c for *_x, c in h]
