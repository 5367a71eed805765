"""shots_since sums the shots attributed to one mould after a moment (the PM reset contract)."""

from __future__ import annotations

import datetime as dt

from data.models import CounterReading
from data.shot_counts import shots_since

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_shots_since_counts_only_later_readings_of_that_mould(ctx, world):
    s1, press, mould = world["sites"]["S1"], world["presses"]["S1"], world["moulds"]["S1"]
    for minutes, shots, mould_id in ((0, 10, mould), (10, 20, mould), (20, 30, None), (30, 40, mould)):
        ctx.add(CounterReading(site_id=s1, press_id=press, ts=T0 + dt.timedelta(minutes=minutes),
                               counter="machine_cycle", value=minutes, mould_id=mould_id, shots=shots))
    ctx.commit()
    assert shots_since(mould, T0) == 60
    assert shots_since(mould, T0 - dt.timedelta(seconds=1)) == 70
    assert shots_since(mould, T0, until=T0 + dt.timedelta(minutes=10)) == 20
    assert shots_since(world["moulds"]["S2"], T0 - dt.timedelta(days=1)) == 0
