"""POST /api/v1/readings: storage, idempotency, late readings, attribution, and every kind of bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data.counters import U32
from data.models import (
    CounterReading,
    CounterState,
    IngestCount,
    IngestRejection,
    Mould,
    MouldMount,
    ShotsDaily,
    ShotsHourly,
    utcnow,
)
from tests.ingest.conftest import iso

T0 = (utcnow() - dt.timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)


def at(minutes: float) -> str:
    return iso(T0 + dt.timedelta(minutes=minutes))


def reading(minutes: float, value: int, mould: str | None = "T-1", press: str = "S1-P01", **extra) -> dict:
    r = {"press": press, "counter": "machine_cycle", "ts": at(minutes), "value": value, **extra}
    if mould is not None:
        r["mould"] = mould
    return r


def mould_counts(ctx, code: str = "T-1") -> tuple[int, int]:
    m = ctx.scalar(select(Mould).where(Mould.code == code))
    ctx.refresh(m)
    return m.lifetime_shots, m.shots_since_pm


def counted(ctx, outcome: str, reason: str = "") -> int:
    stmt = select(func.coalesce(func.sum(IngestCount.n), 0)).where(IngestCount.outcome == outcome)
    if reason:
        stmt = stmt.where(IngestCount.reason == reason)
    return int(ctx.scalar(stmt))


def test_a_batch_adds_shots_to_the_mould_rollups_and_raw_readings(post, ingest_token, ctx, plant):
    body = {"readings": [reading(0, 1000), reading(1, 1003), reading(2, 1010), reading(61, 1012)]}
    resp = post(ingest_token, body)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() | {"conflicts": [], "unattributed": []} == {
        "received": 4, "accepted": 4, "duplicates": 0, "corrected": 0, "shots": 12, "mount_changes": 1,
        "conflicts": [], "unattributed": []}
    assert mould_counts(ctx) == (500_012, 95_012)
    hourly = {(r.bucket, r.shots) for r in ctx.scalars(select(ShotsHourly))}
    assert hourly == {(T0, 10), (T0 + dt.timedelta(hours=1), 2)}
    assert ctx.scalar(select(func.sum(ShotsDaily.shots))) == 12
    rows = ctx.execute(select(CounterReading.value, CounterReading.shots, CounterReading.source)
                       .order_by(CounterReading.ts)).all()
    assert rows == [(1000, 0, "api"), (1003, 3, "api"), (1010, 7, "api"), (1012, 2, "api")]
    state = ctx.scalar(select(CounterState))
    assert state.last_value == 1012 and state.readings == 4 and state.shots == 12
    # The press reported T-1 while nothing was mounted: the mounting history now says so.
    mount = ctx.scalar(select(MouldMount))
    assert (mount.mould_id, mount.press_id, mount.mounted_at, mount.source) == (
        plant["moulds"]["S1"], plant["presses"]["S1"], T0, "api")
    assert ctx.get(Mould, plant["moulds"]["S1"]).current_press_id == plant["presses"]["S1"]
    assert counted(ctx, "accepted") == 4


def test_a_retried_batch_changes_nothing(post, ingest_token, ctx, plant):
    body = {"readings": [reading(0, 10), reading(1, 20), reading(2, 35)]}
    assert post(ingest_token, body).status_code == 200
    before = (mould_counts(ctx), ctx.scalar(select(func.count()).select_from(CounterReading)),
              ctx.scalar(select(func.sum(ShotsHourly.shots))))
    again = post(ingest_token, body)
    assert again.status_code == 200
    assert again.get_json()["accepted"] == 0 and again.get_json()["duplicates"] == 3
    after = (mould_counts(ctx), ctx.scalar(select(func.count()).select_from(CounterReading)),
             ctx.scalar(select(func.sum(ShotsHourly.shots))))
    assert after == before
    assert counted(ctx, "duplicate") == 3


def test_late_and_out_of_order_readings_keep_totals_and_attribution_exact(post, ingest_token, ctx, plant):
    # The counter was reset between 10 and 20; the reading at 15 arrives last and shows 40 more cycles.
    assert post(ingest_token, {"readings": [reading(0, 100), reading(10, 130), reading(20, 7)]}).status_code == 200
    assert mould_counts(ctx) == (500_037, 95_037)
    late = post(ingest_token, {"readings": [reading(15, 170)]})
    assert late.status_code == 200 and late.get_json()["corrected"] == 0
    assert mould_counts(ctx) == (500_077, 95_077)
    # Out of order within a counter with no reset: the next reading's shots move to the late one.
    post(ingest_token, {"readings": [reading(40, 57)]})
    resp = post(ingest_token, {"readings": [reading(30, 27)]})
    assert resp.get_json()["corrected"] == 1
    shots = dict(ctx.execute(select(CounterReading.value, CounterReading.shots)).all())
    assert shots == {100: 0, 130: 30, 170: 40, 7: 7, 27: 20, 57: 30}
    assert mould_counts(ctx) == (500_127, 95_127)
    assert ctx.scalar(select(func.sum(ShotsHourly.shots))) == 127
    assert ctx.scalar(select(CounterState)).last_value == 57


def test_shots_since_pm_only_counts_readings_after_the_last_pm(post, ingest_token, ctx, plant):
    mould = ctx.get(Mould, plant["moulds"]["S1"])
    mould.last_pm_at, mould.shots_since_pm = T0 + dt.timedelta(minutes=30), 0
    ctx.commit()
    post(ingest_token, {"readings": [reading(0, 0), reading(20, 20), reading(40, 50), reading(60, 60)]})
    assert mould_counts(ctx) == (500_060, 40)
    from data.shot_counts import shots_since

    assert shots_since(mould.id, T0 + dt.timedelta(minutes=30)) == 40


def test_wraps_and_resets_through_the_api(post, ingest_token, ctx, plant):
    readings = [reading(0, U32 - 5), reading(1, 3), reading(2, 9), reading(3, 2)]  # wrap (+8), +6, reset (+2)
    assert post(ingest_token, {"readings": readings}).status_code == 200
    assert mould_counts(ctx)[0] == 500_016
    big = [reading(10, 2**64 - 2), reading(11, 4)]  # a UInt64 counter near its top wraps; stored losslessly
    assert post(ingest_token, {"readings": big}).status_code == 200
    assert mould_counts(ctx)[0] == 500_016 + 6  # the jump to 2^64-2 is a re-based counter (0), then +6
    assert ctx.scalar(select(CounterReading.value).where(CounterReading.shots == 0,
                                                         CounterReading.value < 0)) == -2  # two's complement


def test_mould_changes_update_the_mounting_history_and_attribution(post, ingest_token, ctx, plant):
    other = Mould(site_id=plant["sites"]["S1"], code="T-9", name="Mould nine", pm_interval_shots=50_000)
    ctx.add(other)
    ctx.commit()
    post(ingest_token, {"readings": [reading(0, 0), reading(5, 50)]})
    post(ingest_token, {"readings": [reading(6, 50, mould="T-9"), reading(10, 90, mould="T-9"),
                                     reading(12, 95, mould=None)]})  # no MouldId: the history says T-9
    mounts = ctx.execute(select(MouldMount.mould_id, MouldMount.mounted_at, MouldMount.unmounted_at)
                         .order_by(MouldMount.mounted_at)).all()
    assert mounts == [(plant["moulds"]["S1"], T0, T0 + dt.timedelta(minutes=6)),
                      (other.id, T0 + dt.timedelta(minutes=6), None)]
    assert mould_counts(ctx, "T-1")[0] == 500_050
    assert mould_counts(ctx, "T-9")[0] == 45
    t1 = ctx.scalar(select(Mould).where(Mould.code == "T-1"))
    assert t1.current_press_id is None


def test_unknown_mould_can_be_counted_for_the_press_without_a_mould(post, ingest_token, ctx, plant):
    strict = post(ingest_token, {"readings": [reading(0, 0, mould="NOPE")]})
    assert strict.status_code == 422 and strict.get_json()["errors"][0]["code"] == "unknown_mould"
    lenient = post(ingest_token, {"unknown_mould": "unattributed",
                                  "readings": [reading(0, 0), reading(5, 40, mould="NOPE")]})
    body = lenient.get_json()
    assert lenient.status_code == 200 and body["unattributed"][0]["index"] == 1
    assert "NOPE" in body["unattributed"][0]["message"]
    assert mould_counts(ctx)[0] == 500_000  # not given to T-1
    assert ctx.scalar(select(ShotsHourly.shots).where(ShotsHourly.mould_id == 0)) == 40
    assert counted(ctx, "rejected", "unknown_mould") == 2


BAD = [
    ("malformed JSON", b'{"readings": [', 400, "not valid JSON"),
    ("not an object", [1, 2], 400, "JSON object"),
    ("readings not a list", {"readings": "x"}, 400, "must be a list"),
    ("unknown top-level field", {"readings": [], "agent": {"name": "a"}, "extra": 1}, 400, "extra"),
    ("value as text", {"readings": [reading(0, "12")]}, 422, "whole number"),
    ("value with a fraction", {"readings": [reading(0, 1.5)]}, 422, "whole number"),
    ("value true", {"readings": [reading(0, True)]}, 422, "whole number"),
    ("negative counter", {"readings": [reading(0, -4)]}, 422, "negative"),
    ("NaN counter", b'{"readings": [{"press": "S1-P01", "ts": "2026-01-01T00:00:00Z", "value": NaN}]}', 422, "NaN"),
    ("counter too big", {"readings": [reading(0, 2**64)]}, 422, "2^64-1"),
    ("timestamp without zone", {"readings": [{**reading(0, 1), "ts": "2026-01-01T00:00:00"}]}, 422, "time zone"),
    ("timestamp not a date", {"readings": [{**reading(0, 1), "ts": "yesterday"}]}, 422, "ISO 8601"),
    ("timestamp far in the future", {"readings": [{**reading(0, 1), "ts": iso(utcnow() + dt.timedelta(days=2))}]},
     422, "future"),
    ("timestamp from 1970", {"readings": [{**reading(0, 1), "ts": "1970-01-01T00:00:00Z"}]}, 422, "before 2000"),
    ("unknown counter", {"readings": [reading(0, 1, counter="spindle")]}, 422, "counter must be one of"),
    ("unknown field", {"readings": [reading(0, 1, valeu=3)]}, 422, "unknown field 'valeu'"),
    ("unknown press", {"readings": [reading(0, 1, press="S1-P99")]}, 422, "unknown press 'S1-P99'"),
    ("press of another site", {"readings": [reading(0, 1, press="S2-P01", mould=None)]}, 422, "unknown press"),
    ("unknown mould", {"readings": [reading(0, 1, mould="T-404")]}, 422, "unknown mould 'T-404'"),
    ("mould of another site", {"readings": [reading(0, 1, mould="T-2")]}, 422, "unknown mould 'T-2'"),
    ("oversized batch", {"readings": [reading(i / 100, i) for i in range(5001)]}, 413, "limit is 5,000"),
]


@pytest.mark.parametrize(("case", "body", "status", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_clearly_counted_and_nothing_is_stored(post, ingest_token, ctx, plant, case, body,
                                                                    status, message):
    good = reading(0, 5)
    prefixed = isinstance(body, dict) and isinstance(body.get("readings"), list) and status == 422
    if prefixed:
        body = {**body, "readings": [good, *body["readings"]]}  # a good reading in the batch is not stored either
    resp = post(ingest_token, body)
    assert resp.status_code == status, resp.get_json()
    payload = resp.get_json()
    text = payload["error"] + " ".join(e["message"] for e in payload.get("errors", []))
    assert message in text
    if status == 422:
        assert all(e["index"] == int(prefixed) for e in payload["errors"]), payload["errors"]
    assert ctx.scalar(select(func.count()).select_from(CounterReading)) == 0
    assert mould_counts(ctx) == (500_000, 95_000)
    assert counted(ctx, "rejected") >= 1
    assert ctx.scalar(select(IngestRejection.message)).startswith(payload["error"][:30])


def test_wrong_revoked_and_mis_scoped_tokens_are_refused_and_counted(post, plant, make_token, app, ctx):
    assert post(None, {"readings": [reading(0, 1)]}).status_code == 401
    assert post("tm_not-a-real-token", {"readings": [reading(0, 1)]}).status_code == 401
    export_only = make_token("S1", "export")
    assert post(export_only, {"readings": [reading(0, 1)]}).status_code == 401
    token = make_token("S1", "ingest", name="gw-1")
    assert post(token, {"readings": [reading(0, 1)]}).status_code == 200
    app.test_cli_runner().invoke(args=["token", "revoke", "gw-1"])
    resp = post(token, {"readings": [reading(1, 2)]})
    assert resp.status_code == 401 and "revoked" in resp.get_json()["error"]
    assert counted(ctx, "rejected", "auth") == 4
    assert "gw-1" in {r.token_name for r in ctx.scalars(select(IngestRejection))}
    assert ctx.scalar(select(func.count()).select_from(CounterReading)) == 1


def test_conflicting_repeat_is_reported_and_ignored(post, ingest_token, ctx, plant):
    post(ingest_token, {"readings": [reading(0, 10), reading(1, 20)]})
    resp = post(ingest_token, {"readings": [reading(1, 25), reading(2, 30)]})
    body = resp.get_json()
    assert resp.status_code == 200 and body["accepted"] == 1 and body["conflicts"][0]["index"] == 0
    assert mould_counts(ctx)[0] == 500_020


def test_agent_heartbeat_is_recorded(post, ingest_token, ctx, plant):
    from data.ingest_health import agent_status

    resp = post(ingest_token, {"agent": {"name": "opcua-hall-1", "kind": "opcua", "spool_depth": 42, "connected": 1,
                                         "sources": 2}, "readings": []})
    assert resp.status_code == 200
    (row,) = agent_status(utcnow())
    assert (row["name"], row["spool_depth"], row["connected"], row["sources"]) == ("opcua-hall-1", 42, 1, 2)
    bad = post(ingest_token, {"agent": {"name": "", "spool_depth": -1}, "readings": []})
    assert bad.status_code == 422 and {e["field"] for e in bad.get_json()["errors"]} >= {"agent.name",
                                                                                           "agent.spool_depth"}
