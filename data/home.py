"""The numbers on the home page: PM due, open and overdue actions, failures this month, shots today."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select

from data.db import db
from data.models import ActionItem, ActionStatus, FailureReport, Mould, MouldStatus, ShotsDaily, ShotsHourly
from data.pm import Band, pm_frame

RATE_DAYS = 7


@dataclass(frozen=True)
class HomeNumbers:
    """Counts shown on the home page for the sites in view."""

    moulds: int
    pm_warning: int
    pm_due: int
    pm_overdue: int
    actions_open: int
    actions_overdue: int
    failures_this_month: int
    shots_today: int


def site_filter(stmt, column, site_ids):
    """Limit stmt to rows whose column is one of site_ids (None: every site the scope allows)."""
    return stmt if site_ids is None else stmt.where(column.in_(tuple(site_ids)))


def mould_pm_table(now: dt.datetime, site_ids: frozenset[int] | None = None, family: str | None = None
                   ) -> pd.DataFrame:
    """Active moulds with their PM status and recent shot rate (sites limited by the scope, optionally one family).

    The rate is the shots of the last RATE_DAYS full UTC days plus today so far, per day elapsed; it reads
    the daily rollup (a few rows per mould) rather than hundreds of hourly rows.
    """
    today = now.date()
    elapsed = RATE_DAYS + (now - dt.datetime(today.year, today.month, today.day, tzinfo=now.tzinfo)
                           ).total_seconds() / 86400.0
    rate = (
        select(ShotsDaily.mould_id, (func.sum(ShotsDaily.shots) / elapsed).label("shots_per_day"))
        .where(ShotsDaily.day >= today - dt.timedelta(days=RATE_DAYS), ShotsDaily.day <= today)
        .group_by(ShotsDaily.mould_id)
        .subquery()
    )
    stmt = site_filter(
        select(
            Mould.id, Mould.code, Mould.name, Mould.site_id, Mould.family, Mould.shots_since_pm,
            Mould.pm_interval_shots, Mould.last_pm_at, Mould.pm_interval_days, Mould.pm_warning_pct,
            rate.c.shots_per_day, Mould.lifetime_shots, Mould.design_life_shots, Mould.status,
            Mould.current_press_id,
        )
        .outerjoin(rate, rate.c.mould_id == Mould.id)
        .where(Mould.status != MouldStatus.RETIRED),
        Mould.site_id,
        site_ids,
    )
    if family:
        stmt = stmt.where(Mould.family == family)
    rows = db.session.execute(stmt).mappings().all()
    cols = ["id", "code", "name", "site_id", "family", "shots_since_pm", "pm_interval_shots", "last_pm_at",
            "pm_interval_days", "pm_warning_pct", "shots_per_day", "lifetime_shots", "design_life_shots", "status",
            "current_press_id"]
    return pm_frame(pd.DataFrame(rows, columns=cols), now)


def action_counts(today: dt.date, site_ids: frozenset[int] | None = None, family: str | None = None
                  ) -> tuple[int, int]:
    """Open (not closed) action items and those of them past their due date."""
    stmt = site_filter(
        select(func.count(), func.count().filter(ActionItem.due_date < today)).where(
            ActionItem.status != ActionStatus.CLOSED
        ),
        ActionItem.site_id,
        site_ids,
    )
    if family:
        stmt = stmt.where(ActionItem.mould_id.in_(select(Mould.id).where(Mould.family == family)))
    n_open, n_overdue = db.session.execute(stmt).one()
    return int(n_open), int(n_overdue)


def home_numbers(now: dt.datetime, site_ids: frozenset[int] | None = None) -> HomeNumbers:
    """Compute the home page numbers for the given sites (None: every site in scope)."""
    pm = mould_pm_table(now, site_ids)
    bands = pm["band"].value_counts()
    n_open, n_overdue = action_counts(now.date(), site_ids)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    failures = db.session.scalar(
        site_filter(
            select(func.count()).select_from(FailureReport).where(FailureReport.occurred_at >= month_start),
            FailureReport.site_id,
            site_ids,
        )
    )
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    shots_today = db.session.scalar(
        site_filter(
            select(func.coalesce(func.sum(ShotsHourly.shots), 0)).where(ShotsHourly.bucket >= day_start),
            ShotsHourly.site_id,
            site_ids,
        )
    )
    return HomeNumbers(
        moulds=len(pm),
        pm_warning=int(bands.get(Band.WARNING.value, 0)),
        pm_due=int(bands.get(Band.DUE.value, 0)),
        pm_overdue=int(bands.get(Band.OVERDUE.value, 0)),
        actions_open=int(n_open),
        actions_overdue=int(n_overdue),
        failures_this_month=int(failures or 0),
        shots_today=int(shots_today or 0),
    )
