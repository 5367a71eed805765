"""PM status of the fleet: the mould health table, band counts, the PM workload ahead and PM compliance.

Builds on data.home.mould_pm_table and data.pm.pm_frame (the one place PM bands are decided).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from data.analytics.common import frame, mould_filter, press_codes, site_codes, site_filter
from data.db import db
from data.home import mould_pm_table
from data.models import ActionItem, ActionStatus, FailureCode, FailureReport, MaintenanceKind, MaintenanceLog, Mould
from data.pm import BAND_ORDER, Band

HEALTH_COLUMNS = [
    "id", "code", "name", "site", "family", "status", "press", "shots_since_pm", "pm_interval_shots",
    "pm_interval_days", "pct_used", "driver", "band", "shots_left", "days_left", "forecast_due", "shots_per_day",
    "lifetime_shots", "design_life_shots", "life_used_pct", "last_pm_at", "last_failure_at", "last_failure_mode",
    "open_actions",
]


def _last_failures(site_ids: frozenset[int] | None, family: str | None) -> pd.DataFrame:
    """The latest failure of each mould in view: when and which mode."""
    latest = mould_filter(site_filter(
        select(FailureReport.mould_id, func.max(FailureReport.occurred_at).label("at")), FailureReport.site_id,
        site_ids), FailureReport.mould_id, family).group_by(FailureReport.mould_id).subquery()
    stmt = (
        select(FailureReport.mould_id, FailureReport.occurred_at, FailureCode.mode)
        .join(latest, (latest.c.mould_id == FailureReport.mould_id) & (latest.c.at == FailureReport.occurred_at))
        .join(FailureCode, FailureCode.id == FailureReport.failure_code_id)
    )
    df = frame(db.session.execute(stmt).all(), ["id", "last_failure_at", "last_failure_mode"])
    return df.drop_duplicates("id")


def _open_actions(site_ids: frozenset[int] | None, family: str | None) -> pd.Series:
    """Open action items per mould in view."""
    stmt = mould_filter(site_filter(
        select(ActionItem.mould_id, func.count()).where(ActionItem.mould_id.is_not(None),
                                                        ActionItem.status != ActionStatus.CLOSED),
        ActionItem.site_id, site_ids), ActionItem.mould_id, family).group_by(ActionItem.mould_id)
    return pd.Series(dict(db.session.execute(stmt).all()), dtype="int64")


def mould_health(now: dt.datetime, site_ids: frozenset[int] | None = None, family: str | None = None) -> pd.DataFrame:
    """Active moulds with PM band, forecast due date, life used, last failure and open actions."""
    pm = mould_pm_table(now, site_ids, family)
    sites, presses = site_codes(), press_codes(site_ids)
    pm["site"] = pm["site_id"].map(sites)
    pm["press"] = pm["current_press_id"].map(lambda p: presses.get(int(p)) if pd.notna(p) else None)
    pm["status"] = pm["status"].map(lambda s: getattr(s, "value", s))
    with np.errstate(invalid="ignore", divide="ignore"):
        life = pd.to_numeric(pm["design_life_shots"], errors="coerce")
        pm["life_used_pct"] = np.where(life > 0, pm["lifetime_shots"] / life * 100.0, np.nan)
    pm = pm.merge(_last_failures(site_ids, family), on="id", how="left")
    pm["open_actions"] = pm["id"].map(_open_actions(site_ids, family)).fillna(0).astype("int64")
    order = {b.value: i for i, b in enumerate(BAND_ORDER)}
    pm["_rank"] = pm["band"].map(order)
    pm = pm.sort_values(["_rank", "pct_used"], ascending=[False, False], na_position="last")
    return pm[HEALTH_COLUMNS].reset_index(drop=True)


def band_counts(health: pd.DataFrame) -> dict[str, int]:
    """Moulds per PM band, every band present (NOT_DUE, WARNING, DUE, OVERDUE)."""
    counts = health["band"].value_counts() if len(health) else pd.Series(dtype="int64")
    return {b.value: int(counts.get(b.value, 0)) for b in BAND_ORDER}


def pm_forecast(health: pd.DataFrame, now: dt.datetime, weeks: int = 8) -> pd.DataFrame:
    """PMs falling due per week from now: week start, moulds due, and those already due or overdue in week 0."""
    start = pd.Timestamp(now).normalize()
    start = start - pd.Timedelta(days=start.weekday())  # Monday
    already = health["band"].isin([Band.DUE.value, Band.OVERDUE.value]).to_numpy()
    due = pd.to_datetime(health["forecast_due"], utc=True)
    week = ((due - start) / pd.Timedelta(weeks=1)).to_numpy("float64", na_value=np.nan)
    week = np.where(week < 0, 0, np.floor(week))  # a forecast already past counts in the first week
    ok = ~already & ~np.isnan(week) & (week < weeks)
    counts = np.bincount(week[ok].astype("int64"), minlength=weeks)[:weeks]
    first = np.zeros(weeks, dtype="int64")
    first[0] = int(already.sum())
    return pd.DataFrame({"week": [start + pd.Timedelta(weeks=k) for k in range(weeks)], "forecast": counts,
                         "already_due": first})


@dataclass(frozen=True)
class PMCompliance:
    """PMs done in a period and how many were done before they fell due (OPC 40083 'DUE')."""

    done: int
    on_time: int
    by_month: pd.DataFrame

    @property
    def pct(self) -> float | None:
        """Share of PMs done before DUE, in percent (None when no PM was done)."""
        return None if self.done == 0 else self.on_time / self.done * 100.0


def pm_compliance_frame(logs: pd.DataFrame) -> pd.DataFrame:
    """Mark each PM log on time or late from the shots and days since the mould's previous PM.

    Input columns: mould_id, performed_at, shot_count, pm_interval_shots, pm_interval_days, and optionally
    prev_at / prev_shots (the previous PM; else taken from the previous row of the same mould). A PM with
    no previous one is left out; a PM is on time when both used fractions are below 100 %.
    """
    df = logs.sort_values(["mould_id", "performed_at"]).copy()
    if "prev_at" not in df:
        df["prev_at"] = df.groupby("mould_id")["performed_at"].shift()
        df["prev_shots"] = df.groupby("mould_id")["shot_count"].shift()
    days = (pd.to_datetime(df["performed_at"], utc=True) - pd.to_datetime(df["prev_at"], utc=True)
            ).dt.total_seconds() / 86400
    shots = pd.to_numeric(df["shot_count"], errors="coerce") - pd.to_numeric(df["prev_shots"], errors="coerce")
    with np.errstate(invalid="ignore", divide="ignore"):
        pct_s = shots / pd.to_numeric(df["pm_interval_shots"], errors="coerce") * 100.0
        pct_d = days / pd.to_numeric(df["pm_interval_days"], errors="coerce") * 100.0
    df["pct_used"] = np.fmax(pct_s.to_numpy("float64", na_value=np.nan), pct_d.to_numpy("float64", na_value=np.nan))
    df = df[df["prev_at"].notna() & df["pct_used"].notna()]
    df["on_time"] = df["pct_used"] < 100.0
    return df


def pm_compliance(start: dt.datetime, end: dt.datetime, site_ids: frozenset[int] | None = None,
                  family: str | None = None) -> PMCompliance:
    """PM compliance (PMs done before DUE / all PMs) for PMs performed in [start, end)."""
    order = {"partition_by": MaintenanceLog.mould_id, "order_by": MaintenanceLog.performed_at}
    logs = site_filter(
        select(MaintenanceLog.mould_id, MaintenanceLog.performed_at, MaintenanceLog.shot_count,
               func.lag(MaintenanceLog.performed_at).over(**order).label("prev_at"),
               func.lag(MaintenanceLog.shot_count).over(**order).label("prev_shots"))
        .where(MaintenanceLog.kind == MaintenanceKind.PREVENTIVE, MaintenanceLog.performed_at < end),
        MaintenanceLog.site_id, site_ids)
    logs = mould_filter(logs, MaintenanceLog.mould_id, family).subquery()
    stmt = (select(logs.c.mould_id, logs.c.performed_at, logs.c.shot_count, logs.c.prev_at, logs.c.prev_shots,
                   Mould.pm_interval_shots, Mould.pm_interval_days)
            .join(Mould, Mould.id == logs.c.mould_id)
            .where(logs.c.performed_at >= start, logs.c.prev_at.is_not(None)))
    cols = ["mould_id", "performed_at", "shot_count", "prev_at", "prev_shots", "pm_interval_shots",
            "pm_interval_days"]
    rows = frame(db.session.execute(stmt).all(), cols)
    if rows.empty:
        return PMCompliance(0, 0, pd.DataFrame(columns=["month", "done", "on_time"]))
    for col in ("performed_at", "prev_at"):  # SQLite hands a subquery's times back as text
        rows[col] = pd.to_datetime(rows[col], utc=True, format="ISO8601")
    marked = pm_compliance_frame(rows)
    month = marked["performed_at"].dt.tz_localize(None).dt.to_period("M").dt.to_timestamp()
    by_month = marked.assign(month=month).groupby("month")["on_time"].agg(done="size", on_time="sum").reset_index()
    return PMCompliance(done=int(len(marked)), on_time=int(marked["on_time"].sum()), by_month=by_month)
