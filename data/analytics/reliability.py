"""Reliability: life data per failure mode, Weibull fits with suspensions, failure risk ahead, MTBF and MTTR.

Life data of a failure mode on a mould: the shots between consecutive failures of that mode (the
first counted from 0, commissioning), because a corrective repair renews the failed mode. The
current run since the last failure of the mode (the whole lifetime when it never failed) is a
suspension: right-censored, not ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, func, select

from data.analytics.common import frame, mould_filter, site_filter
from data.analytics.failures import repair_hours
from data.analytics.weibull import WeibullFit, fit_weibull, median_ranks
from data.db import db
from data.models import FailureCode, FailureReport, Mould, MouldMount, MouldStatus, ShotsDaily

LIFE_COLUMNS = ["mould_id", "mode", "time", "failed"]
GROUPS = {"mould": "Mould", "family": "Family", "mode": "Failure mode"}


def failure_history(site_ids: frozenset[int] | None = None, family: str | None = None,
                    mould_codes: tuple[str, ...] | None = None, mould_id: int | None = None) -> pd.DataFrame:
    """Every failure (whole history) with a shot count: mould_id, mode, shot_count, occurred_at."""
    stmt = (
        select(FailureReport.mould_id, FailureCode.mode, FailureReport.shot_count, FailureReport.occurred_at)
        .join(FailureCode, FailureCode.id == FailureReport.failure_code_id)
        .where(FailureReport.shot_count.is_not(None))
    )
    stmt = mould_filter(site_filter(stmt, FailureReport.site_id, site_ids), FailureReport.mould_id, family,
                        mould_codes)
    if mould_id is not None:
        stmt = stmt.where(FailureReport.mould_id == mould_id)
    return frame(db.session.execute(stmt).all(), ["mould_id", "mode", "shot_count", "occurred_at"])


def mould_lifetimes(site_ids: frozenset[int] | None = None, family: str | None = None,
                    mould_codes: tuple[str, ...] | None = None, mould_id: int | None = None) -> pd.DataFrame:
    """Moulds with their lifetime shot count: mould_id, code, family, lifetime_shots, retired."""
    stmt = site_filter(select(Mould.id, Mould.code, Mould.family, Mould.lifetime_shots, Mould.status),
                       Mould.site_id, site_ids)
    stmt = mould_filter(stmt, Mould.id, family, mould_codes)
    if mould_id is not None:
        stmt = stmt.where(Mould.id == mould_id)
    df = frame(db.session.execute(stmt).all(), ["mould_id", "code", "family", "lifetime_shots", "status"])
    df["retired"] = df["status"] == MouldStatus.RETIRED
    return df.drop(columns="status")


def life_table(failures: pd.DataFrame, moulds: pd.DataFrame, modes: list[str] | None = None) -> pd.DataFrame:
    """Shots-to-failure (failed=True) and suspensions (failed=False) per mould and failure mode.

    failures: mould_id, mode, shot_count; moulds: mould_id, lifetime_shots. Every mould in `moulds`
    contributes one suspension per mode (the modes seen in `failures`, or `modes`). Non-positive
    times (duplicate reports at one count, or a lifetime below the last failure) are left out.
    """
    modes = sorted(set(failures["mode"])) if modes is None else list(modes)
    known = set(moulds["mould_id"])
    f = failures[failures["mould_id"].isin(known) & failures["mode"].isin(modes)]
    f = f.sort_values(["mould_id", "mode", "shot_count"])
    prev = f.groupby(["mould_id", "mode"])["shot_count"].shift(fill_value=0)
    fails = pd.DataFrame({"mould_id": f["mould_id"], "mode": f["mode"],
                          "time": (f["shot_count"] - prev).astype("float64"), "failed": True})
    susp = current_ages(f, moulds, modes).rename(columns={"age": "time"}).assign(failed=False)
    out = pd.concat([fails, susp], ignore_index=True)
    out = out[out["time"] > 0]
    return out[LIFE_COLUMNS].reset_index(drop=True)


def current_ages(failures: pd.DataFrame, moulds: pd.DataFrame, modes: list[str]) -> pd.DataFrame:
    """Shots each mould has run since its last failure of each mode (since commissioning if none)."""
    last = failures.groupby(["mould_id", "mode"])["shot_count"].max()
    grid = pd.MultiIndex.from_product([moulds["mould_id"], modes], names=["mould_id", "mode"])
    life = moulds.set_index("mould_id")["lifetime_shots"].astype("float64")
    ages = life.reindex(grid.get_level_values("mould_id")).to_numpy() - last.reindex(grid).fillna(0).to_numpy()
    return pd.DataFrame({"mould_id": grid.get_level_values("mould_id"), "mode": grid.get_level_values("mode"),
                         "age": np.maximum(ages, 0.0)})


def fit_modes(life: pd.DataFrame, confidence: float = 0.90) -> dict[str, WeibullFit | None]:
    """A Weibull fit per failure mode (None where there are too few failures to fit)."""
    return {mode: fit_weibull(g["time"], g["failed"], confidence) for mode, g in life.groupby("mode")}


def fits_table(fits: dict[str, WeibullFit | None], life: pd.DataFrame) -> pd.DataFrame:
    """One row per mode: failures, suspensions, beta and eta with bounds, B10 and the failure pattern."""
    rows = []
    for mode, g in life.groupby("mode"):
        fit = fits.get(mode)
        row = {"mode": mode, "failures": int(g["failed"].sum()), "suspensions": int((~g["failed"]).sum())}
        if fit is not None:
            row.update(beta=fit.beta, beta_lower=fit.beta_lower, beta_upper=fit.beta_upper, eta=fit.eta,
                       eta_lower=fit.eta_lower, eta_upper=fit.eta_upper, b10=fit.b10, pattern=fit.pattern)
        rows.append(row)
    cols = ["mode", "failures", "suspensions", "beta", "beta_lower", "beta_upper", "eta", "eta_lower", "eta_upper",
            "b10", "pattern"]
    return pd.DataFrame(rows, columns=cols).sort_values("failures", ascending=False).reset_index(drop=True)


@dataclass(frozen=True)
class LifeAnalysis:
    """Life data and Weibull fits for the moulds in view."""

    moulds: pd.DataFrame
    failures: pd.DataFrame
    life: pd.DataFrame
    fits: dict[str, WeibullFit | None]

    @property
    def modes(self) -> list[str]:
        """Failure modes with any failure, most frequent first."""
        counts = self.life[self.life["failed"]].groupby("mode").size().sort_values(ascending=False)
        return list(counts.index)

    def plot_points(self, mode: str) -> pd.DataFrame:
        """Failure times of a mode with their median-rank plotting positions (for a probability plot)."""
        g = self.life[self.life["mode"] == mode]
        t, f = median_ranks(g["time"], g["failed"])
        return pd.DataFrame({"time": t, "F": f})


def life_analysis(site_ids: frozenset[int] | None = None, family: str | None = None,
                  mould_codes: tuple[str, ...] | None = None, confidence: float = 0.90) -> LifeAnalysis:
    """Load failures and lifetimes of the moulds in view and fit a Weibull per failure mode."""
    moulds = mould_lifetimes(site_ids, family, mould_codes)
    failures = failure_history(site_ids, family, mould_codes)
    life = life_table(failures, moulds)
    return LifeAnalysis(moulds, failures, life, fit_modes(life, confidence))


def failure_risk(analysis: LifeAnalysis, n_shots: float, mode: str | None = None,
                 shots_per_day: pd.Series | None = None) -> pd.DataFrame:
    """For each mould still in service: P(failure of `mode` within n_shots) and P(any fitted mode), sorted.

    Conditional on the shots each mould has already run since its last failure of each mode.
    `shots_per_day` (indexed by mould_id) turns n_shots into days at the current rate.
    """
    moulds = analysis.moulds[~analysis.moulds["retired"]]
    fitted = {m: f for m, f in analysis.fits.items() if f is not None}
    cols = ["mould_id", "code", "family", "age", "p_mode", "p_any", "days_for_n"]
    if moulds.empty or not fitted:
        return pd.DataFrame(columns=cols)
    ages = current_ages(analysis.failures, moulds, list(fitted))
    ages["p"] = [fitted[m].conditional_failure(a, n_shots) for m, a in zip(ages["mode"], ages["age"], strict=True)]
    survive = (1.0 - ages["p"]).groupby(ages["mould_id"]).prod()
    out = moulds[["mould_id", "code", "family"]].copy()
    out["p_any"] = out["mould_id"].map(1.0 - survive)
    if mode in fitted:
        sel = ages[ages["mode"] == mode].set_index("mould_id")
        out["age"] = out["mould_id"].map(sel["age"])
        out["p_mode"] = out["mould_id"].map(sel["p"])
    else:
        out["age"] = np.nan
        out["p_mode"] = np.nan
    rate = shots_per_day if shots_per_day is not None else pd.Series(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        r = out["mould_id"].map(rate).astype("float64")
        out["days_for_n"] = np.where(r > 0, n_shots / r, np.nan)
    key = "p_mode" if mode in fitted else "p_any"
    return out[cols].sort_values(key, ascending=False).reset_index(drop=True)


def _mount_hours(start: dt.datetime, end: dt.datetime, site_ids, family, mould_codes=None) -> pd.Series:
    """Hours each mould spent mounted on a press within [start, end)."""
    stmt = site_filter(select(MouldMount.mould_id, MouldMount.mounted_at, MouldMount.unmounted_at).where(
        MouldMount.mounted_at < end, (MouldMount.unmounted_at.is_(None)) | (MouldMount.unmounted_at > start)),
        MouldMount.site_id, site_ids)
    stmt = mould_filter(stmt, MouldMount.mould_id, family, mould_codes)
    rows = db.session.execute(stmt).all()
    if not rows:
        return pd.Series(dtype="float64")
    df = frame(rows, ["mould_id", "on", "off"])
    on = pd.to_datetime(df["on"], utc=True).clip(lower=pd.Timestamp(start))
    off = pd.to_datetime(df["off"], utc=True).fillna(pd.Timestamp(end)).clip(upper=pd.Timestamp(end))
    df["hours"] = (off - on).dt.total_seconds().clip(lower=0) / 3600.0
    return df.groupby("mould_id")["hours"].sum()


def _shots_in(start: dt.datetime, end: dt.datetime, site_ids, family, mould_codes=None) -> pd.Series:
    """Shots per mould in the days of [start, end) from the daily rollup."""
    last_day = (pd.Timestamp(end) - pd.Timedelta(microseconds=1)).date()
    stmt = site_filter(select(ShotsDaily.mould_id, func.sum(ShotsDaily.shots).cast(BigInteger)).where(
        ShotsDaily.day >= start.date(), ShotsDaily.day <= last_day, ShotsDaily.mould_id != 0),
        ShotsDaily.site_id, site_ids)
    stmt = mould_filter(stmt, ShotsDaily.mould_id, family, mould_codes).group_by(ShotsDaily.mould_id)
    return pd.Series(dict(db.session.execute(stmt).all()), dtype="float64")


def mtbf_table(failures: pd.DataFrame, start: dt.datetime, end: dt.datetime, by: str = "mould",
               site_ids: frozenset[int] | None = None, family: str | None = None,
               mould_codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """MTBF in shots and in mounted hours, MTTR and downtime over [start, end), per mould, family or mode.

    `failures` is failures_frame for the same window and filters. Exposure (shots, hours mounted on a
    press) comes from the rollups and the mount history; for a failure mode it is the whole fleet's.
    """
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    moulds = mould_lifetimes(site_ids, family, mould_codes)
    shots = _shots_in(start, end, site_ids, family, mould_codes)
    hours = _mount_hours(start, end, site_ids, family, mould_codes)
    base = moulds[["mould_id", "code", "family"]].rename(columns={"code": "mould"})
    base["shots"] = base["mould_id"].map(shots).fillna(0.0)
    base["hours"] = base["mould_id"].map(hours).fillna(0.0)
    f = failures.assign(repair=repair_hours(failures))
    if by == "mode":
        g = f.groupby("mode").agg(failures=("id", "count"), repair=("repair", "mean"),
                                  downtime=("downtime_hours", "sum"))
        out = g.reset_index().rename(columns={"mode": "group"})
        out["shots"], out["hours"] = base["shots"].sum(), base["hours"].sum()
    else:
        key = "mould" if by == "mould" else "family"
        expo = base.groupby(key)[["shots", "hours"]].sum()
        g = f.groupby(key).agg(failures=("id", "count"), repair=("repair", "mean"), downtime=("downtime_hours", "sum"))
        out = expo.join(g, how="outer").reset_index().rename(columns={key: "group"})
        out["failures"] = out["failures"].fillna(0).astype("int64")
        out[["shots", "hours"]] = out[["shots", "hours"]].fillna(0.0)
        out["downtime"] = out["downtime"].fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = out["failures"].astype("float64")
        out["mtbf_shots"] = np.where(n > 0, out["shots"] / n, np.nan)
        out["mtbf_hours"] = np.where(n > 0, out["hours"] / n, np.nan)
    out = out.rename(columns={"repair": "mttr_hours", "downtime": "downtime_hours"})
    cols = ["group", "failures", "shots", "hours", "mtbf_shots", "mtbf_hours", "mttr_hours", "downtime_hours"]
    return out[cols].sort_values(["failures", "shots"], ascending=[False, False]).reset_index(drop=True)
