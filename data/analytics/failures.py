"""Failure analysis: the filtered failure list, Pareto by any dimension, monthly trend, severity mix, downtime."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from data.analytics.common import frame, mould_filter, site_filter
from data.db import db
from data.models import FailureCode, FailureReport, MaintenanceKind, MaintenanceLog, Mould, Press, Site

SEVERITIES = ["low", "medium", "high", "critical"]
# URL value -> (column of failures_frame, label)
DIMENSIONS = {
    "mode": ("mode", "Failure mode"),
    "component": ("component", "Component"),
    "mould": ("mould", "Mould"),
    "press": ("press", "Press"),
    "mechanism": ("mechanism", "Mechanism"),
    "cause": ("cause", "Cause"),
}
METRICS = {"count": "Failures", "downtime": "Downtime (h)"}
FAILURE_COLUMNS = ["id", "occurred_at", "site", "mould", "mould_name", "family", "press", "code", "mode",
                   "mechanism", "cause", "component", "severity", "cavity", "shot_count", "downtime_hours",
                   "repair_hours", "description"]


def failures_frame(start: dt.datetime, end: dt.datetime, site_ids: frozenset[int] | None = None,
                   family: str | None = None, mould_codes: tuple[str, ...] | None = None,
                   severities: tuple[str, ...] | None = None, mould_id: int | None = None) -> pd.DataFrame:
    """Failure reports that occurred in [start, end), with their code, mould and press, newest first."""
    stmt = (
        select(FailureReport.id, FailureReport.occurred_at, Site.code, Mould.code, Mould.name, Mould.family,
               Press.code, FailureCode.code, FailureCode.mode, FailureCode.mechanism, FailureCode.cause,
               FailureCode.component, FailureReport.severity, FailureReport.cavity, FailureReport.shot_count,
               FailureReport.downtime_hours, FailureReport.repair_hours, FailureReport.description)
        .join(Mould, Mould.id == FailureReport.mould_id)
        .join(FailureCode, FailureCode.id == FailureReport.failure_code_id)
        .join(Site, Site.id == FailureReport.site_id)
        .outerjoin(Press, Press.id == FailureReport.press_id)
        .where(FailureReport.occurred_at >= start, FailureReport.occurred_at < end)
        .order_by(FailureReport.occurred_at.desc())
    )
    stmt = mould_filter(site_filter(stmt, FailureReport.site_id, site_ids), FailureReport.mould_id, family,
                        mould_codes)
    if severities:
        stmt = stmt.where(FailureReport.severity.in_(tuple(severities)))
    if mould_id is not None:
        stmt = stmt.where(FailureReport.mould_id == mould_id)
    df = frame(db.session.execute(stmt).all(), FAILURE_COLUMNS)
    df["severity"] = df["severity"].map(lambda s: getattr(s, "value", s))
    for col in ("downtime_hours", "repair_hours"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df["press"] = df["press"].fillna("—")
    return df


def pareto(failures: pd.DataFrame, by: str = "mode", metric: str = "count", top: int = 15) -> pd.DataFrame:
    """Categories by count or downtime, largest first, with share and cumulative share (%); the tail is 'Other'."""
    column = DIMENSIONS[by][0]
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    if failures.empty:
        return pareto_table(pd.Series(dtype="float64"), top)
    grouped = (failures.groupby(column)["id"].count() if metric == "count"
               else failures.groupby(column)["downtime_hours"].sum())
    return pareto_table(grouped, top)


def pareto_table(grouped: pd.Series, top: int = 15) -> pd.DataFrame:
    """A Pareto table from a value per category: sorted, with share and cumulative share, the tail as 'Other'."""
    grouped = grouped.astype("float64").sort_values(ascending=False, kind="stable")
    grouped = grouped[grouped > 0]
    if grouped.empty:
        return pd.DataFrame(columns=["category", "value", "share", "cumulative"])
    if len(grouped) > top:
        rest = grouped.iloc[top - 1:]
        grouped = pd.concat([grouped.iloc[: top - 1], pd.Series({f"Other ({len(rest)})": rest.sum()})])
    total = float(grouped.sum())
    out = pd.DataFrame({"category": grouped.index.astype(str), "value": grouped.to_numpy("float64")})
    out["share"] = out["value"] / total * 100.0
    out["cumulative"] = out["share"].cumsum()
    return out.reset_index(drop=True)


def pareto_query(start: dt.datetime, end: dt.datetime, by: str = "mode", metric: str = "count",
                 site_ids: frozenset[int] | None = None, family: str | None = None,
                 mould_codes: tuple[str, ...] | None = None, severities: tuple[str, ...] | None = None,
                 top: int = 15) -> pd.DataFrame:
    """The same Pareto table as pareto(failures_frame(...)), grouped in the database (for large histories)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    key = {"mode": FailureCode.mode, "component": FailureCode.component, "mechanism": FailureCode.mechanism,
           "cause": FailureCode.cause, "mould": Mould.code, "press": func.coalesce(Press.code, "—")}[by]
    value = func.count() if metric == "count" else func.coalesce(func.sum(FailureReport.downtime_hours), 0)
    stmt = (select(key, value).select_from(FailureReport)
            .join(FailureCode, FailureCode.id == FailureReport.failure_code_id)
            .where(FailureReport.occurred_at >= start, FailureReport.occurred_at < end))
    if by == "mould":
        stmt = stmt.join(Mould, Mould.id == FailureReport.mould_id)
    if by == "press":
        stmt = stmt.outerjoin(Press, Press.id == FailureReport.press_id)
    stmt = mould_filter(site_filter(stmt, FailureReport.site_id, site_ids), FailureReport.mould_id, family,
                        mould_codes)
    if severities:
        stmt = stmt.where(FailureReport.severity.in_(tuple(severities)))
    rows = db.session.execute(stmt.group_by(key)).all()
    return pareto_table(pd.Series({k: float(v or 0) for k, v in rows}, dtype="float64"), top)


def monthly_trend(failures: pd.DataFrame, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """Failures per calendar month and severity, every month of [start, end) present (zeros included)."""
    months = pd.period_range(pd.Timestamp(start).tz_localize(None), pd.Timestamp(end).tz_localize(None)
                             - pd.Timedelta(microseconds=1), freq="M")
    grid = pd.MultiIndex.from_product([months, SEVERITIES], names=["month", "severity"])
    if failures.empty:
        counts = pd.Series(0, index=grid, dtype="int64")
    else:
        month = pd.to_datetime(failures["occurred_at"], utc=True).dt.tz_localize(None).dt.to_period("M")
        counts = failures.assign(month=month).groupby(["month", "severity"])["id"].count()
        counts = counts.reindex(grid, fill_value=0).astype("int64")
    out = counts.rename("count").reset_index()
    out["month"] = out["month"].dt.to_timestamp()
    return out


def severity_mix(failures: pd.DataFrame) -> pd.DataFrame:
    """Failures and downtime per severity, in severity order (every severity present)."""
    if failures.empty:
        return pd.DataFrame({"severity": SEVERITIES, "count": 0, "downtime_hours": 0.0})
    g = failures.groupby("severity").agg(count=("id", "count"), downtime_hours=("downtime_hours", "sum"))
    g = g.reindex(SEVERITIES, fill_value=0)
    return g.reset_index().rename(columns={"index": "severity"})


@dataclass(frozen=True)
class FailureSummary:
    """Headline numbers for a set of failures."""

    failures: int
    downtime_hours: float
    mttr_hours: float | None
    high_or_critical: int
    moulds_affected: int


def repair_hours(failures: pd.DataFrame) -> pd.Series:
    """Hours to repair each failure: the recorded repair time, else its downtime."""
    return failures["repair_hours"].fillna(failures["downtime_hours"])


def summarise(failures: pd.DataFrame) -> FailureSummary:
    """Count, downtime, MTTR (mean repair hours), high+critical count and moulds affected."""
    if failures.empty:
        return FailureSummary(0, 0.0, None, 0, 0)
    rep = repair_hours(failures)
    return FailureSummary(
        failures=int(len(failures)), downtime_hours=float(failures["downtime_hours"].sum()),
        mttr_hours=float(rep.mean()) if rep.notna().any() else None,
        high_or_critical=int(failures["severity"].isin(["high", "critical"]).sum()),
        moulds_affected=int(failures["mould"].nunique()),
    )


def downtime_by_mould(start: dt.datetime, end: dt.datetime, site_ids: frozenset[int] | None = None,
                      family: str | None = None, top: int | None = None) -> pd.DataFrame:
    """Downtime hours per mould in [start, end): unplanned (failures), planned (PM) and total, largest first."""
    fail = site_filter(
        select(FailureReport.mould_id, func.sum(FailureReport.downtime_hours))
        .where(FailureReport.occurred_at >= start, FailureReport.occurred_at < end)
        .group_by(FailureReport.mould_id), FailureReport.site_id, site_ids)
    planned = site_filter(
        select(MaintenanceLog.mould_id, func.sum(MaintenanceLog.downtime_hours))
        .where(MaintenanceLog.kind == MaintenanceKind.PREVENTIVE, MaintenanceLog.performed_at >= start,
               MaintenanceLog.performed_at < end)
        .group_by(MaintenanceLog.mould_id), MaintenanceLog.site_id, site_ids)
    unplanned = dict(db.session.execute(mould_filter(fail, FailureReport.mould_id, family)).all())
    pm = dict(db.session.execute(mould_filter(planned, MaintenanceLog.mould_id, family)).all())
    ids = sorted(set(unplanned) | set(pm))
    if not ids:
        return pd.DataFrame(columns=["mould", "family", "unplanned_hours", "planned_hours", "total_hours"])
    names = dict(db.session.execute(select(Mould.id, Mould.code).where(Mould.id.in_(ids))).all())
    fams = dict(db.session.execute(select(Mould.id, Mould.family).where(Mould.id.in_(ids))).all())
    df = pd.DataFrame({
        "mould": [names.get(i, str(i)) for i in ids],
        "family": [fams.get(i, "") for i in ids],
        "unplanned_hours": np.array([float(unplanned.get(i) or 0) for i in ids]),
        "planned_hours": np.array([float(pm.get(i) or 0) for i in ids]),
    })
    df["total_hours"] = df["unplanned_hours"] + df["planned_hours"]
    df = df.sort_values("total_hours", ascending=False).reset_index(drop=True)
    return df.head(top) if top else df
