"""Demo condition-monitoring history: sensors with thresholds on some presses, a year of hourly rollups,
excursions (some of them in the hours before a failure on that press) and their SensorAlert rows.

Cooling-water flow drops before water leaks and mould temperature runs hot before flash and burn
marks, so the condition-monitoring page has real links between excursions and failures to show.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import func, insert, select

from data.db import db
from data.models import FailureCode, FailureReport, MouldMount, Sensor, SensorAlert, SensorHourly

HOUR = dt.timedelta(hours=1)
# key, name, unit, typical value, daily swing, noise, low threshold, high threshold, excursion direction
SENSORS = [
    ("mould_temp", "Mould temperature", "°C", 52.0, 2.5, 0.8, 40.0, 62.0, "high"),
    ("cooling_flow", "Cooling-water flow", "l/min", 14.0, 0.8, 0.4, 9.0, None, "low"),
]
# Failure modes that an excursion of this sensor tends to precede.
PRECEDES = {"mould_temp": {"Flash", "Burn mark", "Sticking"}, "cooling_flow": {"Water leak", "Sticking"}}
PRESSES_PER_SITE = {0: 3, 1: 3, 2: 2}
FOLLOW_SHARE = 0.75  # share of matching failures with a warning excursion before them
FALSE_ALARMS = (4, 10)  # excursions per sensor with no failure after them


def _mould_at(mounts: list[tuple], when: dt.datetime) -> int | None:
    for mould_id, on, off in mounts:
        if on <= when and (off is None or when < off):
            return mould_id
    return None


def seed(ctx) -> None:
    """Add sensors, hourly rollups and alerts for a few presses per site (called by seed_demo)."""
    rng = ctx.rng
    start = ctx.start.replace(minute=0, second=0, microsecond=0)
    n_hours = int((ctx.end - start) / HOUR)
    if n_hours <= 0:
        return
    hours = [start + HOUR * i for i in range(n_hours)]
    hod = np.arange(n_hours) % 24
    # Plants instrument their problem presses first: the ones with the most failures.
    per_press = dict(db.session.execute(
        select(FailureReport.press_id, func.count()).where(FailureReport.press_id.is_not(None))
        .group_by(FailureReport.press_id)).all())
    chosen = []
    for k, site in enumerate(ctx.sites):
        site_presses = sorted((p for p in ctx.presses if p.site_id == site.id),
                              key=lambda p: (-per_press.get(p.id, 0), p.code))
        chosen += site_presses[: PRESSES_PER_SITE.get(k, 1)]
    modes = dict(db.session.execute(select(FailureCode.id, FailureCode.mode)).all())
    rows, alerts, n_sensors = [], [], 0
    for press in chosen:
        mounts = db.session.execute(
            select(MouldMount.mould_id, MouldMount.mounted_at, MouldMount.unmounted_at)
            .where(MouldMount.press_id == press.id).order_by(MouldMount.mounted_at)).all()
        failures = db.session.execute(
            select(FailureReport.occurred_at, FailureReport.failure_code_id, FailureReport.mould_id)
            .where(FailureReport.press_id == press.id, FailureReport.occurred_at >= start)).all()
        for key, name, unit, mean, swing, noise, low, high, direction in SENSORS:
            sensor = Sensor(site_id=press.site_id, press_id=press.id, key=key, name=name, unit=unit,
                            low_threshold=low, high_threshold=high)
            db.session.add(sensor)
            db.session.flush()
            n_sensors += 1
            base = mean + swing * np.sin(2 * np.pi * (hod - 14) / 24) + rng.normal(0, noise, n_hours)
            limit = high if direction == "high" else low
            sign = 1.0 if direction == "high" else -1.0
            # Warning excursions some hours before matching failures, plus a few false alarms.
            starts = []
            for occurred, code_id, mould_id in failures:
                if modes.get(code_id) in PRECEDES[key] and rng.random() < FOLLOW_SHARE:
                    lead = int(rng.integers(12, 60))
                    idx = int((occurred - start) / HOUR) - lead
                    if 0 <= idx < n_hours:
                        starts.append((idx, mould_id, int(rng.integers(6, min(lead, 24) + 1))))
            for _ in range(int(rng.integers(*FALSE_ALARMS))):
                idx = int(rng.integers(0, n_hours - 12))
                starts.append((idx, _mould_at(mounts, start + idx * HOUR), int(rng.integers(2, 6))))
            for idx, mould_id, length in sorted(starts):
                depth = abs(limit - mean) + swing + 3 * noise + float(rng.uniform(0.5, 3.0))
                shape = np.sin(np.linspace(0.0, np.pi, length + 2)[1:-1])  # rises, peaks past the limit, falls
                end = min(idx + length, n_hours)
                base[idx:end] += sign * depth * shape[: end - idx]
                peak = float(base[idx:end].max() if direction == "high" else base[idx:end].min())
                alerts.append({"site_id": press.site_id, "sensor_id": sensor.id, "mould_id": mould_id,
                               "ts": start + idx * HOUR + dt.timedelta(minutes=int(rng.integers(0, 60))),
                               "value": round(peak, 2), "kind": direction, "threshold": float(limit),
                               "ended_at": start + end * HOUR})
            spread = np.abs(rng.normal(0, noise * 1.5, n_hours)) + noise
            lo = base - spread
            hi = base + spread
            rows.extend({"site_id": press.site_id, "sensor_id": sensor.id, "bucket": b, "n": 60, "total": t * 60.0,
                         "min": mn, "max": mx}
                        for b, t, mn, mx in zip(hours, base.tolist(), lo.tolist(), hi.tolist(), strict=True))
    for k in range(0, len(rows), 20_000):
        db.session.execute(insert(SensorHourly), rows[k:k + 20_000])
    if alerts:
        db.session.execute(insert(SensorAlert), alerts)
    ctx.counts["sensors"] = n_sensors
    ctx.counts["sensor_alerts"] = len(alerts)
    ctx.progress(f"  {n_sensors} sensors on {len(chosen)} presses, {len(rows):,} hourly sensor rows, "
                 f"{len(alerts)} excursions")
