"""The form checks of counter batches: the column-wise fast path agrees with the reading-by-reading check."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.readings import BatchRejected, _counter_columns, _counter_items, parse_counter_batch

NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)


def both(items: list) -> tuple:
    """(column-wise result or None, item-by-item result or the rejection)."""
    fast = _counter_columns(items, NOW, "api")
    try:
        slow = _counter_items(items, NOW, "api", [])
    except BatchRejected as exc:
        slow = exc
    return fast, slow


@pytest.mark.parametrize("ts", [
    "2026-11-27T10:15:00Z", "2026-11-27T10:15:00.5Z", "2026-11-27T10:15:00.123Z", "2026-11-27T10:15:00.123456Z",
    "2026-11-27 10:15:00Z", "2026-11-27T10:15Z", "20261127T101500Z", "2026-W48-5T10:15:00Z",
    "2026-11-27T10:15:00+00:00", "2026-11-27T12:15:00+02:00",
])
def test_every_accepted_timestamp_form_reads_as_the_same_instant(ts):
    items = [{"press": "P1", "ts": ts, "value": 5}, {"press": "P1", "ts": "2026-11-27T11:00:00Z", "value": 6}]
    batch, _agent, _policy = parse_counter_batch({"readings": items}, NOW)
    expected = dt.datetime.fromisoformat(ts).astimezone(dt.UTC)
    assert batch.ts[0] == expected
    assert float(batch.t[0]) == pytest.approx(expected.timestamp(), abs=1e-6)
    fast, slow = both(items)
    if fast is not None:
        assert list(map(float, fast.t)) == pytest.approx(slow.t, abs=1e-6)


def test_optional_fields_may_be_present_in_some_readings_only():
    items = [{"press": "P1", "ts": "2026-11-27T10:00:00Z", "value": 1, "mould": "M1"},
             {"press": "P1", "ts": "2026-11-27T10:01:00Z", "value": 2},
             {"press": "P1", "ts": "2026-11-27T10:02:00Z", "value": 3, "counter": "job_cycle", "source": "mqtt"}]
    fast, slow = both(items)
    assert fast is not None
    assert fast.mould == slow.mould == ["M1", None, None]
    assert fast.counter == slow.counter == ["machine_cycle", "machine_cycle", "job_cycle"]
    assert fast.source == slow.source == ["api", "api", "mqtt"]


def test_an_unknown_field_is_found_even_when_every_reading_has_as_many_fields():
    items = [{"press": "P1", "ts": "2026-11-27T10:00:00Z", "value": 1, "mould": "M1"},
             {"press": "P1", "ts": "2026-11-27T10:01:00Z", "value": 2, "mold": "M1"}]
    with pytest.raises(BatchRejected) as exc:
        parse_counter_batch({"readings": items}, NOW)
    assert [(e.index, e.field, e.code) for e in exc.value.errors] == [(1, "mold", "unknown_field")]


reading = st.fixed_dictionaries(
    {"press": st.sampled_from(["P1", "P-2", "bad code!", 7]),
     "ts": st.sampled_from(["2026-11-27T10:00:00Z", "2026-11-27T10:00:00.25Z", "2026-11-27T11:00:00+01:00",
                            "2026-11-27T10:00:00", "2099-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "nowZ", 5]),
     "value": st.one_of(st.integers(-1, 2**64), st.floats(allow_nan=True), st.just(True))},
    optional={"mould": st.sampled_from(["M1", None, "", 3]), "counter": st.sampled_from(["machine_cycle", "x"]),
              "source": st.sampled_from(["opcua", "Bad"]), "extra": st.just(1)})


@settings(max_examples=300, deadline=None)
@given(st.lists(reading, min_size=1, max_size=6))
def test_the_fast_path_accepts_only_what_the_item_check_accepts_and_reads_it_the_same(items):
    fast, slow = both(items)
    if fast is None:
        return
    assert not isinstance(slow, BatchRejected)
    for column in ("press", "counter", "ts", "value", "mould", "source", "raw_ts"):
        assert list(getattr(fast, column)) == list(getattr(slow, column)), column
    assert list(map(float, fast.t)) == pytest.approx(slow.t, abs=1e-6)
