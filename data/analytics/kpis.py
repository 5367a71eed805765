"""The overview's key figures: PM bands, actions, recent failures, shots today against the week, downtime."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import BigInteger, func, select

from data.analytics.common import mould_filter, site_filter
from data.analytics.pm import band_counts, pm_compliance
from data.db import db
from data.home import action_counts, mould_pm_table
from data.models import FailureReport, MaintenanceKind, MaintenanceLog, ShotsDaily

AVG_DAYS = 7


@dataclass(frozen=True)
class OverviewKpis:
    """Key figures for the sites (and family) in view at one moment."""

    moulds: int
    pm_not_due: int
    pm_warning: int
    pm_due: int
    pm_overdue: int
    actions_open: int
    actions_overdue: int
    failures_30d: int
    failures_prev_30d: int
    shots_today: int
    shots_avg_7d: float
    downtime_month_h: float
    unplanned_month_h: float
    pm_compliance_pct: float | None

    @property
    def shots_vs_avg_pct(self) -> float | None:
        """Shots today as a percentage of the average day of the previous week (None without history)."""
        return None if self.shots_avg_7d <= 0 else self.shots_today / self.shots_avg_7d * 100.0


def failures_between(start: dt.datetime, end: dt.datetime, site_ids: frozenset[int] | None = None,
                     family: str | None = None) -> int:
    """Number of failure reports that occurred in [start, end)."""
    stmt = site_filter(select(func.count()).select_from(FailureReport).where(
        FailureReport.occurred_at >= start, FailureReport.occurred_at < end), FailureReport.site_id, site_ids)
    return int(db.session.scalar(mould_filter(stmt, FailureReport.mould_id, family)) or 0)


def shots_per_day(start: dt.date, end: dt.date, site_ids: frozenset[int] | None = None,
                  family: str | None = None) -> pd.Series:
    """Shots per UTC day from start to end inclusive (days without shots are 0)."""
    stmt = site_filter(select(ShotsDaily.day, func.sum(ShotsDaily.shots).cast(BigInteger)).where(
        ShotsDaily.day >= start, ShotsDaily.day <= end), ShotsDaily.site_id, site_ids)
    stmt = mould_filter(stmt, ShotsDaily.mould_id, family).group_by(ShotsDaily.day)
    got = dict(db.session.execute(stmt).all())
    days = pd.date_range(start, end, freq="D").date
    return pd.Series([int(got.get(d, 0) or 0) for d in days], index=days, dtype="int64")


def downtime_between(start: dt.datetime, end: dt.datetime, site_ids: frozenset[int] | None = None,
                     family: str | None = None, unplanned: float | None = None) -> tuple[float, float]:
    """(total, unplanned) downtime hours in [start, end): failure reports plus preventive maintenance.

    Corrective logs repeat the downtime of the failure they repair, so only preventive logs are added.
    Pass `unplanned` when the failures' downtime is already known.
    """
    fail = site_filter(select(func.coalesce(func.sum(FailureReport.downtime_hours), 0)).where(
        FailureReport.occurred_at >= start, FailureReport.occurred_at < end), FailureReport.site_id, site_ids)
    planned = site_filter(select(func.coalesce(func.sum(MaintenanceLog.downtime_hours), 0)).where(
        MaintenanceLog.kind == MaintenanceKind.PREVENTIVE, MaintenanceLog.performed_at >= start,
        MaintenanceLog.performed_at < end), MaintenanceLog.site_id, site_ids)
    if unplanned is None:
        unplanned = float(db.session.scalar(mould_filter(fail, FailureReport.mould_id, family)) or 0)
    pm_hours = float(db.session.scalar(mould_filter(planned, MaintenanceLog.mould_id, family)) or 0)
    return unplanned + pm_hours, unplanned


def overview_kpis(now: dt.datetime, site_ids: frozenset[int] | None = None, family: str | None = None,
                  health: pd.DataFrame | None = None) -> OverviewKpis:
    """Compute the overview figures; pass `health` (mould_health or mould_pm_table) when already computed."""
    health = mould_pm_table(now, site_ids, family) if health is None else health
    bands = band_counts(health)
    n_open, n_overdue = action_counts(now.date(), site_ids, family)
    d30 = dt.timedelta(days=30)
    today = now.date()
    daily = shots_per_day(today - dt.timedelta(days=AVG_DAYS), today, site_ids, family)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    recent = site_filter(select(
        func.count().filter(FailureReport.occurred_at >= now - d30),
        func.count().filter(FailureReport.occurred_at < now - d30),
        func.coalesce(func.sum(FailureReport.downtime_hours).filter(FailureReport.occurred_at >= month_start), 0),
    ).where(FailureReport.occurred_at >= min(now - 2 * d30, month_start), FailureReport.occurred_at < now),
        FailureReport.site_id, site_ids)
    n30, n_prev, unplanned = db.session.execute(mould_filter(recent, FailureReport.mould_id, family)).one()
    unplanned = float(unplanned or 0)
    total = downtime_between(month_start, now, site_ids, family, unplanned=unplanned)[0]
    compliance = pm_compliance(now - dt.timedelta(days=90), now, site_ids, family)
    return OverviewKpis(
        moulds=len(health), pm_not_due=bands["NOT_DUE"], pm_warning=bands["WARNING"], pm_due=bands["DUE"],
        pm_overdue=bands["OVERDUE"], actions_open=n_open, actions_overdue=n_overdue,
        failures_30d=int(n30), failures_prev_30d=int(n_prev),
        shots_today=int(daily.iloc[-1]), shots_avg_7d=float(daily.iloc[:-1].mean()),
        downtime_month_h=total, unplanned_month_h=unplanned, pm_compliance_pct=compliance.pct,
    )
