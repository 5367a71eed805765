"""One mould's page: the mould by code, its maintenance, photos and its reliability summary per failure mode."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select

from data.analytics.common import frame
from data.analytics.reliability import current_ages, failure_history, life_analysis
from data.db import db
from data.models import FailureReport, MaintenanceLog, Mould, Photo, PhotoStatus, Press, Site
from data.pm import PMStatus, pm_status

LOG_COLUMNS = ["id", "performed_at", "kind", "shot_count", "labour_hours", "downtime_hours", "cost", "work_done"]


@dataclass(frozen=True)
class MouldInfo:
    """A mould with its site and press codes and its PM status now."""

    mould: Mould
    site_code: str
    site_name: str
    press_code: str | None
    pm: PMStatus
    shots_per_day: float | None
    first_data: dt.date | None


def find_mould(code: str) -> Mould | None:
    """The mould with this code in the current scope (None if unknown or at another site)."""
    return db.session.scalar(select(Mould).where(Mould.code == code))


def mould_codes() -> list[str]:
    """Codes of every mould in scope, sorted (for 'open another mould')."""
    return list(db.session.scalars(select(Mould.code).order_by(Mould.code)))


def mould_info(mould: Mould, now: dt.datetime) -> MouldInfo:
    """Site, press, PM status (with the 7-day shot rate) and the first day with shots of a mould."""
    from data.analytics.kpis import AVG_DAYS
    from data.models import ShotsDaily

    site = db.session.get(Site, mould.site_id)
    press = db.session.get(Press, mould.current_press_id) if mould.current_press_id else None
    since = (now - dt.timedelta(days=AVG_DAYS)).date()
    recent = db.session.scalar(select(func.sum(ShotsDaily.shots)).where(
        ShotsDaily.mould_id == mould.id, ShotsDaily.day >= since, ShotsDaily.day < now.date()))
    rate = float(recent) / AVG_DAYS if recent else None
    first = db.session.scalar(select(func.min(ShotsDaily.day)).where(ShotsDaily.mould_id == mould.id))
    status = pm_status(mould.shots_since_pm, mould.pm_interval_shots, mould.last_pm_at, mould.pm_interval_days,
                       mould.pm_warning_pct, now, rate)
    return MouldInfo(mould, site.code if site else "", site.name if site else "", press.code if press else None,
                     status, rate, first)


def maintenance_frame(mould_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None
                      ) -> pd.DataFrame:
    """Maintenance logs of a mould (optionally in [start, end)), newest first, with total cost."""
    stmt = (select(MaintenanceLog.id, MaintenanceLog.performed_at, MaintenanceLog.kind, MaintenanceLog.shot_count,
                   MaintenanceLog.labour_hours, MaintenanceLog.downtime_hours,
                   MaintenanceLog.parts_cost + MaintenanceLog.labour_cost, MaintenanceLog.work_done)
            .where(MaintenanceLog.mould_id == mould_id).order_by(MaintenanceLog.performed_at.desc()))
    if start is not None:
        stmt = stmt.where(MaintenanceLog.performed_at >= start)
    if end is not None:
        stmt = stmt.where(MaintenanceLog.performed_at < end)
    df = frame(db.session.execute(stmt).all(), LOG_COLUMNS)
    df["kind"] = df["kind"].map(lambda k: getattr(k, "value", k))
    for c in ("labour_hours", "downtime_hours", "cost"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df


def mould_photos(mould_id: int, limit: int = 24) -> list[Photo]:
    """Ready photos of a mould (directly, or of its logs and failure reports), newest first."""
    logs = select(MaintenanceLog.id).where(MaintenanceLog.mould_id == mould_id)
    reports = select(FailureReport.id).where(FailureReport.mould_id == mould_id)
    stmt = (select(Photo).where(or_(Photo.mould_id == mould_id, Photo.maintenance_log_id.in_(logs),
                                    Photo.failure_report_id.in_(reports)),
                                Photo.status == PhotoStatus.READY)
            .order_by(Photo.created_at.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def reliability_summary(mould: Mould, n_shots: float, site_ids: frozenset[int] | None = None) -> pd.DataFrame:
    """Per failure mode: failures on this mould, its MTBF, shots since the last one, the fleet's Weibull
    fit (moulds of the same family in view, or the whole fleet where the family has too few failures)
    and the probability that this mould fails in that mode within the next n_shots."""
    family = life_analysis(site_ids, mould.family or None)
    fleet = life_analysis(site_ids)
    mine = failure_history(mould_id=mould.id)
    modes = sorted(set(fleet.fits) | set(mine["mode"]))
    if not modes:
        return pd.DataFrame(columns=["mode", "failures", "mtbf_shots", "age", "basis", "beta", "eta", "p_next"])
    me = pd.DataFrame({"mould_id": [mould.id], "lifetime_shots": [mould.lifetime_shots]})
    ages = current_ages(mine, me, modes).set_index("mode")["age"]
    counts = mine.groupby("mode").size()
    rows = []
    for mode in modes:
        fit, basis = family.fits.get(mode), f"family {mould.family}"
        if fit is None:
            fit, basis = fleet.fits.get(mode), "whole fleet"
        n = int(counts.get(mode, 0))
        rows.append({
            "mode": mode, "failures": n, "mtbf_shots": mould.lifetime_shots / n if n else np.nan,
            "age": float(ages.get(mode, mould.lifetime_shots)), "basis": basis if fit else "too few failures",
            "beta": fit.beta if fit else np.nan, "eta": fit.eta if fit else np.nan,
            "p_next": float(fit.conditional_failure(ages.get(mode, mould.lifetime_shots), n_shots)) if fit else np.nan,
        })
    return pd.DataFrame(rows).sort_values(["p_next", "failures"], ascending=False, na_position="last"
                                          ).reset_index(drop=True)
