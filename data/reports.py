"""Management reviews: what goes into a site's review (gathered from data.analytics), the stored PDFs,
their periods and who receives them.

The content is plain data (DataFrames and numbers); components.review turns it into a PDF and
workers.tasks_reports makes, stores and sends it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select

from config import Config, get_config
from data.analytics import actions as act
from data.analytics import failures as fail
from data.analytics import pm as pm_an
from data.analytics import reliability as rel
from data.analytics.common import window
from data.analytics.kpis import downtime_between, shots_per_day
from data.db import db
from data.models import Report, Role, Site, User
from data.notifications import Message, enqueue, site_users
from data.pm import Band
from data.rounds import site_zone
from data.storage import StorageError, get_storage

MAX_PERIOD_DAYS = 366
TREND_MONTHS = 12
PARETO_MIN_FAILURES = 5  # fewer failures than this in the period: the Pareto looks back PARETO_LOOKBACK instead
PARETO_LOOKBACK = dt.timedelta(days=90)
RISK_SHOTS = 250_000
PAPERS = ("A4", "Letter")


class ReportError(ValueError):
    """A review cannot be made as asked; the message says why."""


@dataclass
class ReviewContent:
    """Everything one site's review shows, computed once."""

    site_id: int
    site_code: str
    site_name: str
    timezone: str
    start: dt.date
    end: dt.date
    generated_at: dt.datetime
    kpis: dict[str, float | int | None]
    bands: dict[str, int]
    health: pd.DataFrame
    forecast: pd.DataFrame
    failures: pd.DataFrame
    failure_summary: fail.FailureSummary
    pareto_start: dt.date
    pareto_mode: pd.DataFrame
    pareto_component: pd.DataFrame
    trend_start: dt.datetime
    trend_failures: pd.DataFrame
    trend: pd.DataFrame
    severity: pd.DataFrame
    fits: pd.DataFrame
    analysis: rel.LifeAnalysis
    mtbf: pd.DataFrame
    families: pd.DataFrame
    risk: pd.DataFrame
    risk_shots: int
    actions: pd.DataFrame
    actions_by_owner: pd.DataFrame
    actions_by_age: pd.DataFrame
    shots_daily: pd.Series
    monthly: pd.DataFrame
    downtime: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def days(self) -> int:
        """Length of the period in days."""
        return (self.end - self.start).days + 1


def site_by_code(code: str) -> Site | None:
    """The site with this code (in scope), or None."""
    return db.session.scalar(select(Site).where(Site.code == code))


def default_period(site: Site, cfg: Config | None = None, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last REPORT_PERIOD_DAYS full days before today in the site's time zone."""
    cfg = cfg or get_config()
    if today is None:
        today = dt.datetime.now(site_zone(site.timezone)).date()
    end = today - dt.timedelta(days=1)
    return end - dt.timedelta(days=cfg.report_period_days - 1), end


def check_period(start: dt.date | None, end: dt.date | None, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """A valid period, or ReportError saying what is wrong with it."""
    today = today or dt.date.today()
    if start is None or end is None:
        raise ReportError("Choose the first and the last day of the period.")
    if start > end:
        raise ReportError(f"The period starts ({start:%Y-%m-%d}) after it ends ({end:%Y-%m-%d}).")
    if start > today:
        raise ReportError(f"The period starts in the future ({start:%Y-%m-%d}).")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ReportError(f"A review covers at most {MAX_PERIOD_DAYS} days; this period has "
                          f"{(end - start).days + 1}.")
    return start, end


def _kpis(site_ids: frozenset[int], start: dt.date, end: dt.date, health: pd.DataFrame,
          failures: pd.DataFrame, actions: pd.DataFrame, now: dt.datetime) -> dict:
    """Headline numbers of the period, with the previous period of the same length to compare."""
    t0, t1 = window(start, end)
    length = t1 - t0
    prev_failures = fail.failures_frame(t0 - length, t0, site_ids)
    total, unplanned = downtime_between(t0, t1, site_ids)
    prev_total, _prev_unplanned = downtime_between(t0 - length, t0, site_ids)
    shots = shots_per_day(start, end, site_ids)
    prev_shots = shots_per_day(start - (end - start) - dt.timedelta(days=1), start - dt.timedelta(days=1), site_ids)
    compliance = pm_an.pm_compliance(t0, t1, site_ids)
    summary = fail.summarise(failures)
    bands = pm_an.band_counts(health)
    return {
        "failures": summary.failures, "failures_prev": int(len(prev_failures)),
        "high_critical": summary.high_or_critical, "moulds_affected": summary.moulds_affected,
        "downtime_h": total, "downtime_prev_h": prev_total, "unplanned_h": unplanned, "planned_h": total - unplanned,
        "mttr_h": summary.mttr_hours, "shots": int(shots.sum()), "shots_prev": int(prev_shots.sum()),
        "pm_done": compliance.done, "pm_on_time": compliance.on_time, "pm_compliance_pct": compliance.pct,
        "moulds": int(len(health)), "pm_due": bands[Band.DUE.value], "pm_overdue": bands[Band.OVERDUE.value],
        "pm_warning": bands[Band.WARNING.value],
        "actions_open": int(len(actions)), "actions_overdue": int(actions["overdue"].sum()) if len(actions) else 0,
        "as_of": now,
    }


def month_by_month(failures: pd.DataFrame, start: dt.datetime, end: dt.datetime,
                   site_ids: frozenset[int]) -> pd.DataFrame:
    """Per calendar month of [start, end): failures, high/critical, failure downtime, PMs done and on time, shots."""
    months = pd.period_range(pd.Timestamp(start).tz_localize(None), pd.Timestamp(end).tz_localize(None)
                             - pd.Timedelta(microseconds=1), freq="M")
    out = pd.DataFrame({"month": months.to_timestamp()})
    if len(failures):
        month = pd.to_datetime(failures["occurred_at"], utc=True).dt.tz_localize(None).dt.to_period("M")
        g = failures.assign(month=month, serious=failures["severity"].isin(["high", "critical"])).groupby("month")
        stats = pd.DataFrame({"failures": g["id"].count(), "serious": g["serious"].sum(),
                              "downtime": g["downtime_hours"].sum()})
        stats.index = stats.index.to_timestamp()
        out = out.merge(stats, left_on="month", right_index=True, how="left")
    compliance = pm_an.pm_compliance(start, end, site_ids).by_month
    if len(compliance):
        out = out.merge(compliance.rename(columns={"done": "pm_done", "on_time": "pm_on_time"}), on="month",
                        how="left")
    days = shots_per_day(start.date(), (end - dt.timedelta(microseconds=1)).date(), site_ids)
    shots = days.groupby(pd.to_datetime(days.index).to_period("M")).sum()
    shots.index = shots.index.to_timestamp()
    out = out.merge(shots.rename("shots"), left_on="month", right_index=True, how="left")
    for col in ("failures", "serious", "downtime", "pm_done", "pm_on_time", "shots"):
        out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0) if col in out else 0
    return out


def review_content(site_id: int, start: dt.date, end: dt.date, now: dt.datetime | None = None,
                   progress=None) -> ReviewContent:
    """Gather a site's review for the period [start, end] (whole UTC days); PM and actions as of now."""
    now = now or dt.datetime.now(dt.UTC)
    site = db.session.get(Site, site_id)
    if site is None:
        raise ReportError(f"There is no site {site_id} (or it is not one of yours).")
    step = progress or (lambda _pct, _msg: None)
    sites = frozenset({site_id})
    t0, t1 = window(start, end)
    step(10, "PM status")
    health = pm_an.mould_health(now, sites)
    forecast = pm_an.pm_forecast(health, now, weeks=8)
    step(20, "Failures")
    failures = fail.failures_frame(t0, t1, sites)
    notes = []
    pareto_source, pareto_start = failures, start
    if len(failures) < PARETO_MIN_FAILURES:
        pareto_start = min(start, (t1 - PARETO_LOOKBACK).date())
        pareto_source = fail.failures_frame(min(t0, t1 - PARETO_LOOKBACK), t1, sites)
        if pareto_start < start:
            notes.append(f"Fewer than {PARETO_MIN_FAILURES} failures in the period: the Pareto charts cover "
                         f"{pareto_start:%d %b %Y} to {end:%d %b %Y}.")
    first_month = (pd.Timestamp(t1).tz_localize(None) - pd.DateOffset(months=TREND_MONTHS)).to_period("M")
    trend_start = first_month.to_timestamp().tz_localize("UTC").to_pydatetime()
    trend_failures = fail.failures_frame(trend_start, t1, sites)
    step(35, "Reliability")
    analysis = rel.life_analysis(sites)
    fits = rel.fits_table(analysis.fits, analysis.life) if len(analysis.life) else pd.DataFrame()
    rates = health.set_index("id")["shots_per_day"] if len(health) else None
    risk = rel.failure_risk(analysis, RISK_SHOTS, None, rates)
    mtbf = rel.mtbf_table(trend_failures, trend_start, t1, "mould", sites)
    families = rel.mtbf_table(trend_failures, trend_start, t1, "family", sites)
    step(45, "Actions and downtime")
    actions = act.actions_frame(now.date(), sites)
    return ReviewContent(
        site_id=site.id, site_code=site.code, site_name=site.name, timezone=site.timezone, start=start, end=end,
        generated_at=now, kpis=_kpis(sites, start, end, health, failures, actions, now),
        bands=pm_an.band_counts(health), health=health, forecast=forecast, failures=failures,
        failure_summary=fail.summarise(failures), pareto_start=pareto_start,
        pareto_mode=fail.pareto(pareto_source, "mode", "count", top=12),
        pareto_component=fail.pareto(pareto_source, "component", "downtime", top=12),
        trend_start=trend_start, trend_failures=trend_failures,
        trend=fail.monthly_trend(trend_failures, trend_start, t1),
        severity=fail.severity_mix(failures), fits=fits, analysis=analysis, mtbf=mtbf, families=families, risk=risk,
        risk_shots=RISK_SHOTS, actions=actions, actions_by_owner=act.actions_by_owner(actions),
        actions_by_age=act.actions_by_age(actions), shots_daily=shots_per_day(start, end, sites),
        monthly=month_by_month(trend_failures, trend_start, t1, sites),
        downtime=fail.downtime_by_mould(t0, t1, sites), notes=notes,
    )


# ---------------------------------------------------------------- stored reviews


def storage_key(site: Site, start: dt.date, end: dt.date) -> str:
    """Where a review PDF is stored (a random part so a key is never reused)."""
    return f"reports/{site.code}/{end:%Y}/review-{site.code}-{start:%Y%m%d}-{end:%Y%m%d}-{secrets.token_hex(4)}.pdf"


def download_name(report: Report) -> str:
    """The file name offered when the PDF is downloaded."""
    return f"review-{report.site.code}-{report.period_start:%Y-%m-%d}-to-{report.period_end:%Y-%m-%d}.pdf"


def record_report(site_id: int, kind: str, start: dt.date, end: dt.date, paper: str, key: str, size: int,
                  pages: int, user_id: int | None, job_id: str | None) -> Report:
    """Add the row for a stored review PDF and commit."""
    report = Report(site_id=site_id, kind=kind, period_start=start, period_end=end, paper=paper, storage_key=key,
                    size_bytes=size, pages=pages, created_by_id=user_id, job_id=job_id)
    db.session.add(report)
    db.session.commit()
    return report


def get_report(report_id: int) -> Report | None:
    """The report, if it exists and its site is in scope (a query, not the identity map, so the scope applies)."""
    return db.session.scalar(select(Report).where(Report.id == report_id))


SORTS = {"created": Report.created_at.desc(), "period": Report.period_end.desc(), "site": Site.code.asc()}


def reports_page(site_ids: frozenset[int] | None, page: int = 1, per_page: int = 20,
                 sort: str = "created") -> tuple[list[Report], int]:
    """One page of stored reviews for the sites (None: all in scope) and the total count."""
    stmt = select(Report).join(Site, Site.id == Report.site_id)
    if site_ids is not None:
        stmt = stmt.where(Report.site_id.in_(tuple(site_ids)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    order = SORTS.get(sort, SORTS["created"])
    rows = db.session.scalars(stmt.order_by(order, Report.id.desc()).offset((max(page, 1) - 1) * per_page)
                              .limit(per_page)).all()
    return list(rows), int(total)


def delete_report(report: Report) -> None:
    """Delete the stored PDF and its row (commits)."""
    try:
        get_storage().delete(report.storage_key)
    except StorageError:
        pass  # already gone: the row goes anyway
    db.session.delete(report)
    db.session.commit()


def review_recipients(site_id: int, cfg: Config | None = None) -> tuple[list[User], list[str]]:
    """Who receives a site's review: its managers who want it, and REPORT_RECIPIENTS for the site (and '*')."""
    cfg = cfg or get_config()
    site = db.session.get(Site, site_id)
    extra = [*cfg.report_recipients.get(site.code, ()), *cfg.report_recipients.get("*", ())]
    return site_users(site_id, Role.MANAGER), extra


def send_review(report_id: int) -> list[int]:
    """Queue the review PDF as an e-mail attachment to the site's subscribers (once per report)."""
    report = db.session.get(Report, report_id)
    if report is None:
        raise ReportError(f"There is no report {report_id}.")
    cfg = get_config()
    users, extra = review_recipients(report.site_id, cfg)
    site = report.site
    body = (f"The management review of {site.name} ({site.code}) for {report.period_start:%d %b %Y} to "
            f"{report.period_end:%d %b %Y} is attached ({report.pages} pages).\n\n"
            f"All reviews: {cfg.base_url}/reports\n\n-- \nTool Maintenance\n"
            "You get this because of your notification settings (user menu > Notifications), or because the site's "
            "review recipients (REPORT_RECIPIENTS) include you.")
    message = Message(f"[{site.code}] Management review {report.period_start:%d %b} – {report.period_end:%d %b %Y}",
                      body, attachment_key=report.storage_key, attachment_name=download_name(report))
    return enqueue("weekly_review", f"review:{report.id}", site.id, users, message, extra)
