"""Preventive-maintenance status: bands by shots or days (whichever comes first) and forecast due dates.

Bands follow OPC 40083 (NOT_DUE / WARNING / DUE) plus OVERDUE, which starts once the interval
is exceeded by OVERDUE_PCT - 100 percent (by shots or by days).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

import numpy as np
import pandas as pd

OVERDUE_PCT = 110.0


class Band(enum.StrEnum):
    """PM status band of a mould."""

    NOT_DUE = "NOT_DUE"
    WARNING = "WARNING"
    DUE = "DUE"
    OVERDUE = "OVERDUE"


BAND_ORDER = [Band.NOT_DUE, Band.WARNING, Band.DUE, Band.OVERDUE]


def pm_frame(moulds: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    """Add PM columns to a frame of moulds.

    Input columns: shots_since_pm, pm_interval_shots, last_pm_at, pm_interval_days, pm_warning_pct,
    and optionally shots_per_day (the recent rate). Added: pct_shots, pct_days, pct_used, driver
    ("shots"/"days"), band, shots_left, days_left, forecast_due.
    """
    df = moulds.copy()
    n = len(df)
    shots = df["shots_since_pm"].astype("float64").to_numpy()
    ivl_s = pd.to_numeric(df["pm_interval_shots"], errors="coerce").astype("float64").to_numpy()
    ivl_d = pd.to_numeric(df["pm_interval_days"], errors="coerce").astype("float64").to_numpy()
    last = pd.to_datetime(df["last_pm_at"], utc=True)
    now_ts = pd.Timestamp(now)
    days_since = ((now_ts - last).dt.total_seconds() / 86400.0).to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct_s = np.where(ivl_s > 0, shots / ivl_s * 100.0, np.nan)
        pct_d = np.where(ivl_d > 0, days_since / ivl_d * 100.0, np.nan)
    pct_used = np.fmax(pct_s, pct_d)  # fmax ignores NaN: whichever interval is defined and further on
    driver = np.where(np.nan_to_num(pct_d, nan=-1) > np.nan_to_num(pct_s, nan=-1), "days", "shots")
    driver = np.where(np.isnan(pct_used), None, driver)
    warn = pd.to_numeric(df.get("pm_warning_pct", pd.Series([85] * n, index=df.index))).to_numpy("float64")
    band = np.select(
        [pct_used >= OVERDUE_PCT, pct_used >= 100.0, pct_used >= warn],
        [Band.OVERDUE.value, Band.DUE.value, Band.WARNING.value],
        default=Band.NOT_DUE.value,
    )
    shots_left = ivl_s - shots
    days_left_by_days = ivl_d - days_since
    rate = (
        pd.to_numeric(df["shots_per_day"], errors="coerce").to_numpy("float64")
        if "shots_per_day" in df
        else np.full(n, np.nan)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        days_left_by_shots = np.where(rate > 0, shots_left / rate, np.nan)
    days_left = np.fmin(days_left_by_shots, days_left_by_days)
    df["pct_shots"] = pct_s
    df["pct_days"] = pct_d
    df["pct_used"] = pct_used
    df["driver"] = driver
    df["band"] = band
    df["shots_left"] = shots_left
    df["days_left"] = days_left
    df["forecast_due"] = now_ts + pd.to_timedelta(np.where(np.isnan(days_left), np.nan, days_left), unit="D")
    return df


@dataclass(frozen=True)
class PMStatus:
    """PM status of one mould."""

    band: Band
    pct_used: float | None
    driver: str | None
    shots_left: float | None
    days_left: float | None
    forecast_due: dt.datetime | None


def pm_status(
    shots_since_pm: int,
    pm_interval_shots: int | None,
    last_pm_at: dt.datetime | None,
    pm_interval_days: int | None,
    pm_warning_pct: float,
    now: dt.datetime,
    shots_per_day: float | None = None,
) -> PMStatus:
    """PM status of one mould (the same rules as pm_frame)."""
    row = pm_frame(
        pd.DataFrame(
            [
                {
                    "shots_since_pm": shots_since_pm,
                    "pm_interval_shots": pm_interval_shots,
                    "last_pm_at": last_pm_at,
                    "pm_interval_days": pm_interval_days,
                    "pm_warning_pct": pm_warning_pct,
                    "shots_per_day": shots_per_day,
                }
            ]
        ),
        now,
    ).iloc[0]

    def _num(v):
        return None if v is None or pd.isna(v) else float(v)

    due = row["forecast_due"]
    return PMStatus(
        band=Band(row["band"]),
        pct_used=_num(row["pct_used"]),
        driver=row["driver"],
        shots_left=_num(row["shots_left"]),
        days_left=_num(row["days_left"]),
        forecast_due=None if pd.isna(due) else due.floor("us").to_pydatetime(),  # a datetime holds microseconds
    )
