"""Condition monitoring: sensors and their hourly rollups, excursions (alerts) and the failures that followed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import or_, select

from data.analytics.common import frame, site_filter
from data.analytics.series import MAX_POINTS
from data.db import db
from data.models import FailureCode, FailureReport, Mould, MouldMount, Press, Sensor, SensorAlert, SensorHourly

FOLLOW_HOURS = 72  # a failure within this many hours after an excursion is linked to it
SENSOR_COLUMNS = ["id", "press_id", "press", "site_id", "key", "name", "unit", "low_threshold", "high_threshold"]
ALERT_COLUMNS = ["id", "sensor_id", "sensor", "unit", "press_id", "press", "mould_id", "mould", "ts", "ended_at",
                 "value", "kind", "threshold"]


def sensors_frame(site_ids: frozenset[int] | None = None, press_ids: list[int] | None = None) -> pd.DataFrame:
    """Sensors in view with their press and thresholds, by press code and key."""
    stmt = site_filter(
        select(Sensor.id, Sensor.press_id, Press.code, Sensor.site_id, Sensor.key, Sensor.name, Sensor.unit,
               Sensor.low_threshold, Sensor.high_threshold)
        .join(Press, Press.id == Sensor.press_id).order_by(Press.code, Sensor.key), Sensor.site_id, site_ids)
    if press_ids is not None:
        stmt = stmt.where(Sensor.press_id.in_([int(p) for p in press_ids]))
    return frame(db.session.execute(stmt).all(), SENSOR_COLUMNS)


def sensor_presses(site_ids: frozenset[int] | None = None) -> list[str]:
    """Codes of the presses that have sensors, sorted."""
    stmt = site_filter(select(Press.code).join(Sensor, Sensor.press_id == Press.id).distinct(), Press.site_id,
                       site_ids)
    return sorted(db.session.scalars(stmt))


def sensor_series(sensor_id: int, start: dt.datetime, end: dt.datetime, max_points: int = MAX_POINTS) -> pd.DataFrame:
    """Hourly mean, min and max of a sensor in [start, end); coarser buckets when there would be more than max_points.

    Coarser buckets keep the true extremes (min of mins, max of maxes) and the n-weighted mean.
    """
    stmt = (select(SensorHourly.bucket, SensorHourly.n, SensorHourly.total, SensorHourly.min, SensorHourly.max)
            .where(SensorHourly.sensor_id == sensor_id, SensorHourly.bucket >= start, SensorHourly.bucket < end)
            .order_by(SensorHourly.bucket))
    df = frame(db.session.execute(stmt).all(), ["ts", "n", "total", "min", "max"])
    if df.empty:
        return pd.DataFrame(columns=["ts", "mean", "min", "max"])
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    hours = max(1, int(np.ceil((end - start).total_seconds() / 3600.0 / max_points)))
    if len(df) > max_points and hours > 1:
        df = (df.set_index("ts").resample(f"{hours}h")
              .agg({"n": "sum", "total": "sum", "min": "min", "max": "max"}).dropna(subset=["min"]).reset_index())
    with np.errstate(divide="ignore", invalid="ignore"):
        df["mean"] = np.where(df["n"] > 0, df["total"] / df["n"], np.nan)
    return df[["ts", "mean", "min", "max"]].reset_index(drop=True)


def alerts_frame(start: dt.datetime, end: dt.datetime, site_ids: frozenset[int] | None = None,
                 sensor_ids: list[int] | None = None, mould_id: int | None = None) -> pd.DataFrame:
    """Excursions (sensor alerts) that started in [start, end), with sensor, press and mould, oldest first."""
    stmt = site_filter(
        select(SensorAlert.id, SensorAlert.sensor_id, Sensor.name, Sensor.unit, Sensor.press_id, Press.code,
               SensorAlert.mould_id, Mould.code, SensorAlert.ts, SensorAlert.ended_at, SensorAlert.value,
               SensorAlert.kind, SensorAlert.threshold)
        .join(Sensor, Sensor.id == SensorAlert.sensor_id).join(Press, Press.id == Sensor.press_id)
        .outerjoin(Mould, Mould.id == SensorAlert.mould_id)
        .where(SensorAlert.ts >= start, SensorAlert.ts < end).order_by(SensorAlert.ts), SensorAlert.site_id, site_ids)
    if sensor_ids is not None:
        stmt = stmt.where(SensorAlert.sensor_id.in_([int(i) for i in sensor_ids]))
    if mould_id is not None:
        stmt = stmt.where(SensorAlert.mould_id == mould_id)
    df = frame(db.session.execute(stmt).all(), ALERT_COLUMNS)
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    return df


def failures_near(start: dt.datetime, end: dt.datetime, site_ids: frozenset[int] | None = None,
                  press_ids: list[int] | None = None, mould_ids: list[int] | None = None) -> pd.DataFrame:
    """Failures in [start, end + FOLLOW_HOURS) on the given presses or moulds: id, ts, mould, press, mode, severity."""
    stmt = site_filter(
        select(FailureReport.id, FailureReport.occurred_at, FailureReport.mould_id, Mould.code,
               FailureReport.press_id, FailureCode.mode, FailureReport.severity)
        .join(Mould, Mould.id == FailureReport.mould_id)
        .join(FailureCode, FailureCode.id == FailureReport.failure_code_id)
        .where(FailureReport.occurred_at >= start,
               FailureReport.occurred_at < end + dt.timedelta(hours=FOLLOW_HOURS))
        .order_by(FailureReport.occurred_at), FailureReport.site_id, site_ids)
    conds = []
    if press_ids is not None:  # plain ints: a database driver may not bind numpy integers
        conds.append(FailureReport.press_id.in_([int(p) for p in press_ids]))
    if mould_ids is not None:
        conds.append(FailureReport.mould_id.in_([int(m) for m in mould_ids]))
    if conds:
        stmt = stmt.where(or_(*conds))
    df = frame(db.session.execute(stmt).all(),
               ["failure_id", "failure_ts", "mould_id", "mould", "press_id", "mode", "severity"])
    df["failure_ts"] = pd.to_datetime(df["failure_ts"], utc=True)
    df["severity"] = df["severity"].map(lambda s: getattr(s, "value", s))
    return df


def link_failures(alerts: pd.DataFrame, failures: pd.DataFrame, hours: float = FOLLOW_HOURS) -> pd.DataFrame:
    """Add to each excursion the first failure within `hours` after it on the same mould (else the same press).

    Added columns: failure_id, failure_ts, failure_mode, hours_to_failure (NaN when none followed).
    """
    out = alerts.copy()
    out["failure_id"] = np.nan
    out["failure_ts"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    out["failure_mode"] = None
    out["hours_to_failure"] = np.nan
    if alerts.empty or failures.empty:
        return out
    tol = pd.Timedelta(hours=hours)
    f = failures.sort_values("failure_ts")
    for key in ("mould_id", "press_id"):
        todo = out["failure_id"].isna() & out[key].notna()
        if not todo.any():
            continue
        left = out.loc[todo, ["ts", key]].reset_index().astype({key: "int64"}).sort_values("ts")
        right = f[f[key].notna()][["failure_ts", key, "failure_id", "mode"]].astype({key: "int64"})
        m = pd.merge_asof(left, right, left_on="ts", right_on="failure_ts", by=key, direction="forward",
                          tolerance=tol).set_index("index")
        hit = m["failure_id"].notna()
        idx = m.index[hit]
        out.loc[idx, "failure_id"] = m.loc[hit, "failure_id"]
        out.loc[idx, "failure_ts"] = pd.to_datetime(m.loc[hit, "failure_ts"], utc=True).astype("datetime64[ns, UTC]")
        out.loc[idx, "failure_mode"] = m.loc[hit, "mode"]
    out["hours_to_failure"] = (pd.to_datetime(out["failure_ts"], utc=True) - out["ts"]).dt.total_seconds() / 3600.0
    return out


def mould_periods(mould_id: int, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """When a mould was on which press within [start, end): press_id, press, on, off (clipped to the window)."""
    stmt = (select(MouldMount.press_id, Press.code, MouldMount.mounted_at, MouldMount.unmounted_at)
            .join(Press, Press.id == MouldMount.press_id)
            .where(MouldMount.mould_id == mould_id, MouldMount.mounted_at < end,
                   (MouldMount.unmounted_at.is_(None)) | (MouldMount.unmounted_at > start))
            .order_by(MouldMount.mounted_at))
    df = frame(db.session.execute(stmt).all(), ["press_id", "press", "on", "off"])
    df["on"] = pd.to_datetime(df["on"], utc=True).clip(lower=pd.Timestamp(start))
    df["off"] = pd.to_datetime(df["off"], utc=True).fillna(pd.Timestamp(end)).clip(upper=pd.Timestamp(end))
    return df


def sensor_summary(sensors: pd.DataFrame, linked: pd.DataFrame) -> pd.DataFrame:
    """Per sensor: excursions (high, low), how many a failure followed, and the last excursion."""
    out = sensors[["id", "press", "name", "key", "unit", "low_threshold", "high_threshold"]].copy()
    if linked.empty:
        out["excursions"] = 0
        out["followed_by_failure"] = 0
        out["last_excursion"] = pd.NaT
        return out
    g = linked.groupby("sensor_id").agg(excursions=("id", "count"),
                                        followed_by_failure=("failure_id", "count"), last_excursion=("ts", "max"))
    out = out.merge(g, left_on="id", right_index=True, how="left")
    out[["excursions", "followed_by_failure"]] = out[["excursions", "followed_by_failure"]].fillna(0).astype("int64")
    return out
