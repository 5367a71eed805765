"""Shared pieces of the analytics services: time windows, site and mould filters, lookups."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Select, select

from data.db import db
from data.home import site_filter
from data.models import FailureCode, Mould, Press, Site
from data.scope import current_scope

__all__ = ["day_start", "window", "mould_filter", "site_filter", "site_codes", "press_codes", "families",
           "failure_modes", "frame", "day_offsets",
           "scoped_rows"]


def day_start(day: dt.date) -> dt.datetime:
    """Midnight UTC at the start of day."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The half-open UTC interval [start 00:00, the day after end 00:00) for an inclusive date range."""
    return day_start(start), day_start(end) + dt.timedelta(days=1)


def mould_filter(stmt: Select, mould_column, family: str | None = None,
                 mould_codes: tuple[str, ...] | list[str] | None = None) -> Select:
    """Limit stmt to rows whose mould is of the family and/or one of the codes (no limit when empty)."""
    if family:
        stmt = stmt.where(mould_column.in_(select(Mould.id).where(Mould.family == family)))
    if mould_codes:
        stmt = stmt.where(mould_column.in_(select(Mould.id).where(Mould.code.in_(tuple(mould_codes)))))
    return stmt


def frame(rows, columns: list[str]) -> pd.DataFrame:
    """A DataFrame from result rows, column by column (much faster than from a list of rows)."""
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.DataFrame({c: [r[i] for r in rows] for i, c in enumerate(columns)})


def day_offsets(days: pd.Series, start: dt.date) -> np.ndarray:
    """Whole days from start to each date of the series (vectorised)."""
    return ((pd.to_datetime(days) - pd.Timestamp(start)) // pd.Timedelta(days=1)).to_numpy("int64")


def scoped_rows(stmt: Select, site_column) -> list:
    """Rows of a column select run on the session's connection, skipping the ORM's per-row processing.

    For the largest dashboard reads (thousands of rollup rows). The ORM's automatic site filter does not
    apply on this path, so the current scope's sites are added here explicitly (row-level security still
    applies on PostgreSQL, the connection being the session's).
    """
    scope = current_scope()
    if not scope.all_sites:
        stmt = stmt.where(site_column.in_(sorted(scope.site_ids)))
    return db.session.connection().execute(stmt).all()


def site_codes() -> dict[int, str]:
    """Site id to code for the sites in scope."""
    return dict(db.session.execute(select(Site.id, Site.code)).all())


def press_codes(site_ids: frozenset[int] | None = None) -> dict[int, str]:
    """Press id to code for the presses in scope (optionally some sites)."""
    stmt = site_filter(select(Press.id, Press.code), Press.site_id, site_ids)
    return dict(db.session.execute(stmt).all())


def failure_modes() -> list[str]:
    """Failure modes of the catalogue, sorted."""
    return sorted(db.session.scalars(select(FailureCode.mode).distinct()))


def families(site_ids: frozenset[int] | None = None) -> list[str]:
    """Mould families present in the sites, sorted."""
    stmt = site_filter(select(Mould.family).where(Mould.family != "").distinct(), Mould.site_id, site_ids)
    return sorted(db.session.scalars(stmt))
