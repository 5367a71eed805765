"""The storage service on the real database: any delivery order gives the ground truth, concurrent batches
for one counter queue up, and the COPY path (a role allowed to bypass row-level security) stores the same."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, update

from config import get_config, set_config
from data.models import CounterReading, CounterState, Mould, MouldMount, Press, ShotsDaily, ShotsHourly, utcnow
from data.readings import parse_counter_batch
from data.shot_store import copy_allowed, ingest_counters
from tests.ingest.conftest import iso
from tests.ingest.test_counters import deliveries

T0 = (utcnow() - dt.timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
CODES = {1: "T-1", 2: "T-7", 3: "T-8"}


def stamp(ts: dt.datetime, offset: bool) -> str:
    return ts.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat() if offset else iso(ts)


@pytest.fixture
def three_moulds(ctx, plant):
    ctx.add_all([Mould(site_id=plant["sites"]["S1"], code=c, name=c) for c in ("T-7", "T-8")])
    ctx.commit()
    return {k: ctx.scalar(select(Mould.id).where(Mould.code == c)) for k, c in CODES.items()}


def _reset(ctx) -> None:
    for model in (CounterReading, CounterState, ShotsHourly, ShotsDaily, MouldMount):
        ctx.execute(delete(model))
    ctx.execute(update(Mould).values(lifetime_shots=0, shots_since_pm=0, current_press_id=None))
    ctx.commit()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=deliveries())
def test_database_totals_equal_the_ground_truth_for_any_delivery(ctx, plant, three_moulds, data):
    histories, batches = data
    _reset(ctx)
    presses = ["S1-P01", "S1-P02", "S1-P03"]
    for code in presses[1:len(histories)]:
        if ctx.scalar(select(Press.id).where(Press.code == code)) is None:
            ctx.add(Press(site_id=plant["sites"]["S1"], code=code, name=code))
    ctx.commit()
    truth: Counter = Counter()
    for h in histories:
        for _t, _v, mould, cycles in h:
            truth[three_moulds[mould]] += cycles
    for n, batch in enumerate(batches):
        # As the API gets them; every other batch writes its times with an offset instead of Z.
        payload = {"readings": [{"press": presses[int(key.split("-")[1])], "counter": "machine_cycle",
                                 "ts": stamp(T0 + dt.timedelta(seconds=t), offset=n % 2 == 1), "value": value,
                                 "mould": CODES[mould]} for key, (t, value, mould, _c) in batch]}
        items, _agent, policy = parse_counter_batch(payload, utcnow())
        ingest_counters(ctx, plant["sites"]["S1"], items, unknown_mould=policy)
        ctx.commit()
    got = dict(ctx.execute(select(Mould.id, Mould.lifetime_shots)).all())
    assert {m: got[m] for m in truth if truth[m]} == {m: n for m, n in truth.items() if n}
    assert sum(got.values()) == sum(truth.values())
    assert (ctx.scalar(select(func.sum(ShotsHourly.shots))) or 0) == sum(truth.values())
    assert (ctx.scalar(select(func.sum(ShotsDaily.shots))) or 0) == sum(truth.values())
    assert ctx.scalar(select(func.count()).select_from(CounterReading)) == sum(len(h) for h in histories)


def test_concurrent_batches_for_one_counter_count_every_cycle_once(app, plant, ingest_token, ctx):
    """Two edge processes send overlapping, interleaved readings of the same counter at the same time."""
    readings = [{"press": "S1-P01", "counter": "machine_cycle", "ts": iso(T0 + dt.timedelta(seconds=10 * i)),
                 "value": 3 * i} for i in range(400)]
    halves = [readings[0::2] + readings[100:140], readings[1::2] + readings[:60]]
    errors = []

    def send(part):
        client = app.test_client()
        for k in range(0, len(part), 25):
            for _attempt in range(20):
                resp = client.post("/api/v1/readings", json={"readings": part[k:k + 25]},
                                   headers={"Authorization": f"Bearer {ingest_token}"})
                if resp.status_code != 503:
                    break
            if resp.status_code != 200:
                errors.append(resp.get_json())

    threads = [threading.Thread(target=send, args=(h,)) for h in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ctx.scalar(select(func.count()).select_from(CounterReading)) == 400
    assert ctx.scalar(select(func.sum(CounterReading.shots))) == 3 * 399
    assert ctx.scalar(select(func.sum(ShotsHourly.shots))) == 3 * 399


@pytest.mark.postgresql
def test_copy_path_with_an_ingest_role_stores_the_same(app, database, plant, ingest_token, post, ctx):
    cfg = get_config()
    set_config(dataclasses.replace(cfg, ingest_database_url=database.owner_url))
    try:
        readings = [{"press": "S1-P01", "counter": "machine_cycle", "ts": iso(T0 + dt.timedelta(minutes=i)),
                     "value": 10 * i, "mould": "T-1"} for i in range(50)]
        resp = post(ingest_token, {"readings": readings})
        assert resp.status_code == 200, resp.get_json()
        assert post(ingest_token, {"readings": readings[10:20]}).get_json()["duplicates"] == 10
    finally:
        set_config(cfg)
    from data.shot_store import _engines

    engine = _engines[database.owner_url]
    with engine.connect() as conn:
        assert copy_allowed(conn)  # the owner may COPY: this batch took the fast path
    engine.dispose()
    assert ctx.scalar(select(func.sum(CounterReading.shots))) == 490
    assert ctx.get(Mould, plant["moulds"]["S1"]).lifetime_shots == 500_490
    with app.app_context():
        from data.db import db

        assert not copy_allowed(db.session.connection())  # the app role may not: it stages instead
        db.session.rollback()


@pytest.mark.parametrize("first_ends_with", ["commit", "rollback"])
def test_a_second_batch_for_a_counter_waits_for_the_first_transaction_to_end(app, plant, ctx, first_ends_with):
    """SQLite: the second waits for the database's write lock; PostgreSQL: for the counter's row lock. Either way it
    is stored once the first one's transaction ends, whichever way that ends, and not refused."""
    from sqlalchemy.orm import Session

    from data.db import db
    from data.scope import system_scope

    site, engine = plant["sites"]["S1"], db.engine

    def batch(minute: int, value: int):
        payload = {"readings": [{"press": "S1-P01", "ts": iso(T0 + dt.timedelta(minutes=minute)), "value": value}]}
        return parse_counter_batch(payload, utcnow())[0]

    done = threading.Event()
    outcome = []

    def second() -> None:
        with system_scope(), Session(engine) as session:
            outcome.append(ingest_counters(session, site, batch(2, 150)).accepted)
            session.commit()
        done.set()

    with Session(engine) as first:
        ingest_counters(first, site, batch(0, 100))
        worker = threading.Thread(target=second)
        worker.start()
        assert not done.wait(0.5), "the second batch went ahead while the first held the counter"
        getattr(first, first_ends_with)()
    assert done.wait(10), "the second batch did not go ahead when the first ended"
    worker.join()
    assert outcome == [1]
    stored = ctx.execute(select(CounterReading.value).order_by(CounterReading.ts)).scalars().all()
    assert stored == ([100, 150] if first_ends_with == "commit" else [150])


def test_a_full_batch_of_mixed_readings_is_stored_row_for_row(ctx, plant, three_moulds):
    """The largest batch the API takes, from four presses with both counters and three sources: on SQLite the
    raw rows go in as several multi-row statements of different widths, and every reading must land once,
    with its own values."""
    from data.readings import MAX_BATCH

    presses = ["S1-P01", "S1-P02", "S1-P03", "S1-P04"]
    for code in presses[1:]:
        ctx.add(Press(site_id=plant["sites"]["S1"], code=code, name=code))
    ctx.commit()
    readings = []
    for i in range(MAX_BATCH):
        p, step = i % 4, i // 4
        readings.append({"press": presses[p], "counter": ("machine_cycle", "job_cycle")[p % 2],
                         "ts": iso(T0 + dt.timedelta(seconds=7 * step, milliseconds=p)), "value": 5 + 2 * step,
                         "mould": CODES[1 + p % 3] if p < 3 else None, "source": ("opcua", "api", "mqtt")[i % 3]})
    items, _agent, policy = parse_counter_batch({"readings": readings}, utcnow())
    result = ingest_counters(ctx, plant["sites"]["S1"], items, unknown_mould=policy)
    ctx.commit()
    assert result.accepted == MAX_BATCH and result.shots == 4 * 2 * (MAX_BATCH // 4 - 1)
    press_code = dict(ctx.execute(select(Press.id, Press.code)).all())
    stored = {(press_code[r.press_id], r.counter, r.ts.replace(tzinfo=dt.UTC) if r.ts.tzinfo is None else r.ts,
               r.value, r.source, r.mould_id) for r in ctx.scalars(select(CounterReading))}
    expected = {(r["press"], r["counter"], dt.datetime.fromisoformat(r["ts"]), r["value"], r["source"],
                 three_moulds[1 + presses.index(r["press"]) % 3] if r["mould"] else None) for r in readings}
    assert ctx.scalar(select(func.count()).select_from(CounterReading)) == MAX_BATCH
    assert stored == expected
    assert ctx.scalar(select(func.sum(ShotsHourly.shots))) == result.shots
    assert ctx.scalar(select(func.sum(ShotsDaily.shots))) == result.shots
    assert sorted(ctx.execute(select(CounterState.readings, CounterState.shots)).all()) == \
        [(MAX_BATCH // 4, 2 * (MAX_BATCH // 4 - 1))] * 4
    assert ctx.get(Mould, three_moulds[2]).lifetime_shots == 2 * (MAX_BATCH // 4 - 1)


@given(n=st.integers(0, 20_000), most=st.integers(1, 300_000))
def test_multirow_statement_sizes_add_up_and_stay_few(n, most):
    from data.shot_store import MOST_ROWS_PER_STATEMENT, _row_counts

    counts = _row_counts(n, most)
    assert sum(counts) == n
    assert all(c & (c - 1) == 0 and c <= min(most, MOST_ROWS_PER_STATEMENT) for c in counts)  # powers of two
    assert len(set(counts)) <= MOST_ROWS_PER_STATEMENT.bit_length()


@pytest.mark.sqlite
@pytest.mark.parametrize("meanwhile", ["a later reading", "a preventive maintenance"])
def test_sqlite_plan_made_before_the_lock_is_redone_when_the_counter_or_mould_changed(app, plant, ctx, monkeypatch,
                                                                                      meanwhile):
    """SQLite works a batch out before it takes the write lock. Something committed in between (another batch for
    the counter, a PM on the mould) must make it work the batch out again, not write what it planned."""
    from sqlalchemy.orm import Session

    from data import shot_store
    from data.db import db
    from data.scope import system_scope

    site, mould = plant["sites"]["S1"], plant["moulds"]["S1"]

    def store(session, readings) -> int:
        items = parse_counter_batch({"readings": [{"press": "S1-P01", "ts": iso(T0 + dt.timedelta(minutes=m)),
                                                   "value": v, "mould": "T-1"} for m, v in readings]}, utcnow())[0]
        result = ingest_counters(session, site, items)
        session.commit()
        return result.shots

    store(ctx, [(0, 100)])
    before = ctx.get(Mould, mould).lifetime_shots
    real_lock = shot_store._SqliteOps.lock

    def lock_after_someone_else_wrote(self, *args):
        monkeypatch.setattr(shot_store._SqliteOps, "lock", real_lock)
        with system_scope(), Session(db.engine) as other:
            if meanwhile == "a later reading":
                store(other, [(5, 105)])
            else:
                other.execute(update(Mould).where(Mould.id == mould).values(
                    last_pm_at=T0 + dt.timedelta(minutes=15), shots_since_pm=0))
                other.commit()
        return real_lock(self, *args)

    monkeypatch.setattr(shot_store._SqliteOps, "lock", lock_after_someone_else_wrote)
    with system_scope(), Session(db.engine) as session:
        shots = store(session, [(10, 110), (20, 120)])
    ctx.expire_all()
    assert shot_store._SqliteOps.lock is real_lock  # the other write did happen in between
    assert shots == (15 if meanwhile == "a later reading" else 20)
    assert ctx.scalar(select(func.sum(CounterReading.shots))) == 20
    assert ctx.scalar(select(CounterState.shots)) == 20
    assert ctx.scalar(select(func.sum(ShotsHourly.shots))) == 20
    assert ctx.get(Mould, mould).lifetime_shots == before + 20
    if meanwhile == "a preventive maintenance":
        assert ctx.get(Mould, mould).shots_since_pm == 10  # only the reading after the PM
