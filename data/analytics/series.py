"""Shot time series from the rollups (never raw counter readings), and MinMaxLTTB downsampling for charts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, func, select
from tsdownsample import MinMaxLTTBDownsampler

from data.analytics.common import day_offsets, frame, mould_filter, press_codes, scoped_rows, site_codes, site_filter
from data.models import ShotsDaily, ShotsHourly

MAX_POINTS = 4000
HOURLY_MAX_DAYS = 92  # "auto" resolution: hourly up to about three months, daily beyond
RESOLUTIONS = ("auto", "hour", "day")


def choose_resolution(start: dt.datetime, end: dt.datetime, requested: str = "auto") -> str:
    """'hour' or 'day': the requested one, or for 'auto' hourly up to HOURLY_MAX_DAYS and daily beyond."""
    if requested in ("hour", "day"):
        return requested
    return "hour" if (end - start) <= dt.timedelta(days=HOURLY_MAX_DAYS) else "day"


def mould_shots(mould_id: int, start: dt.datetime, end: dt.datetime, resolution: str = "hour") -> pd.DataFrame:
    """Shots of one mould per hour or per UTC day in [start, end), on every press, zeros where it did not run."""
    if resolution == "hour":
        stmt = (select(ShotsHourly.bucket, func.sum(ShotsHourly.shots).cast(BigInteger))
                .where(ShotsHourly.mould_id == mould_id, ShotsHourly.bucket >= start, ShotsHourly.bucket < end)
                .group_by(ShotsHourly.bucket))
        index = pd.date_range(pd.Timestamp(start).ceil("h"), pd.Timestamp(end), freq="h", inclusive="left")
    elif resolution == "day":
        stmt = (select(ShotsDaily.day, func.sum(ShotsDaily.shots).cast(BigInteger))
                .where(ShotsDaily.mould_id == mould_id, ShotsDaily.day >= start.date(), ShotsDaily.day < end.date())
                .group_by(ShotsDaily.day))
        index = pd.date_range(start.date(), end.date(), freq="D", inclusive="left", tz="UTC")
    else:
        raise ValueError(f"unknown resolution {resolution!r}")
    rows = scoped_rows(stmt, ShotsHourly.site_id if resolution == "hour" else ShotsDaily.site_id)
    if rows:
        keys, counts = zip(*rows, strict=True)
        got = pd.Series(np.asarray(counts, dtype="int64"), index=pd.DatetimeIndex(pd.to_datetime(list(keys), utc=True)))
    else:
        got = pd.Series(dtype="int64", index=pd.DatetimeIndex([], tz="UTC"))
    series = got.reindex(index, fill_value=0) if len(index) else got
    return pd.DataFrame({"ts": series.index, "shots": series.to_numpy("int64")})


def downsample(df: pd.DataFrame, x: str = "ts", y: str = "shots", n_out: int = MAX_POINTS) -> pd.DataFrame:
    """Keep at most n_out rows chosen by MinMaxLTTB (the shape and every local extreme survive)."""
    if len(df) <= n_out:
        return df
    xs = df[x]
    xv = (xs.astype("int64").to_numpy() if pd.api.types.is_datetime64_any_dtype(xs)
          else xs.to_numpy("float64"))
    yv = df[y].to_numpy("float64")
    n_out = max(n_out - n_out % 2, 4)  # MinMaxLTTB wants an even number of points
    idx = MinMaxLTTBDownsampler().downsample(xv, yv, n_out=n_out, minmax_ratio=4)
    return df.iloc[np.sort(idx)].reset_index(drop=True)


def plant_daily(start: dt.date, end: dt.date, site_ids: frozenset[int] | None = None,
                family: str | None = None) -> pd.DataFrame:
    """Shots per press per UTC day, start to end inclusive: press_id, press, site, day, shots."""
    total = func.sum(ShotsDaily.shots).cast(BigInteger)
    stmt = site_filter(select(ShotsDaily.press_id, ShotsDaily.site_id, ShotsDaily.day, total)
                       .where(ShotsDaily.day >= start, ShotsDaily.day <= end), ShotsDaily.site_id, site_ids)
    stmt = mould_filter(stmt, ShotsDaily.mould_id, family).group_by(ShotsDaily.press_id, ShotsDaily.site_id,
                                                                      ShotsDaily.day)
    df = frame(scoped_rows(stmt, ShotsDaily.site_id), ["press_id", "site_id", "day", "shots"])
    presses, sites = press_codes(site_ids), site_codes()
    df["press"] = df["press_id"].map(presses)
    df["site"] = df["site_id"].map(sites)
    df["shots"] = df["shots"].astype("int64")
    return df[["press_id", "press", "site", "day", "shots"]]


def daily_matrix(daily: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """plant_daily as a press x day matrix (every day of the range a column, zeros where idle)."""
    days = pd.date_range(start, end, freq="D").date
    if daily.empty:
        return pd.DataFrame(columns=days)
    presses = np.array(sorted(daily["press"].unique()))
    rows = np.searchsorted(presses, daily["press"].to_numpy())
    cols = day_offsets(daily["day"], start)
    keep = (cols >= 0) & (cols < len(days))
    z = np.zeros((len(presses), len(days)), dtype="int64")
    np.add.at(z, (rows[keep], cols[keep]), daily["shots"].to_numpy("int64")[keep])
    return pd.DataFrame(z, index=presses, columns=days)
