"""CSV exports for reliability engineers' own tools: GET /api/v1/export/<dataset>.csv.

Datasets: moulds, shots-daily, maintenance, failures, actions, sensor-hourly. Filters: site (code),
from and to (YYYY-MM-DD, inclusive, on the dataset's date column). UTF-8 with a header row, ISO 8601
timestamps (UTC), streamed from a server-side cursor so a large export runs in constant memory.
Authenticated by the browser session (engineers and up) or a service token with the 'export' scope
(limited to the token's site).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from flask import Response, abort, g, request, stream_with_context
from flask_login import current_user
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from api import bp
from api.auth import api_auth
from data import authz
from data.analytics.common import window
from data.db import db
from data.models import (
    ActionItem,
    FailureCode,
    FailureReport,
    MaintenanceLog,
    Mould,
    Press,
    Sensor,
    SensorHourly,
    ShotsDaily,
    Site,
    User,
)
from data.scope import current_scope, using_scope

BATCH = 2000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Dataset:
    """One exportable table: its header, query builder and the column its date filter applies to."""

    header: list[str]
    query: Callable[[], Select]
    date_column: object | None
    site_column: object
    order: tuple


def _moulds() -> Select:
    press = aliased(Press)
    return (select(Mould.id, Mould.code, Mould.name, Site.code, Mould.family, Mould.status, Mould.customer,
                   Mould.part_numbers, Mould.cavities, Mould.blocked_cavities, Mould.steel, Mould.maker,
                   Mould.design_life_shots, Mould.pm_interval_shots, Mould.pm_interval_days, Mould.pm_warning_pct,
                   Mould.lifetime_shots, Mould.shots_since_pm, Mould.last_pm_at, press.code, Mould.created_at)
            .join(Site, Site.id == Mould.site_id).outerjoin(press, press.id == Mould.current_press_id))


def _shots_daily() -> Select:
    return (select(Site.code, Press.code, Mould.code, ShotsDaily.day, ShotsDaily.shots)
            .join(Site, Site.id == ShotsDaily.site_id).join(Press, Press.id == ShotsDaily.press_id)
            .outerjoin(Mould, Mould.id == ShotsDaily.mould_id))


def _maintenance() -> Select:
    return (select(MaintenanceLog.id, Site.code, Mould.code, MaintenanceLog.kind, MaintenanceLog.performed_at,
                   MaintenanceLog.shot_count, MaintenanceLog.labour_hours, MaintenanceLog.downtime_hours,
                   MaintenanceLog.parts_cost, MaintenanceLog.labour_cost, MaintenanceLog.work_done,
                   MaintenanceLog.notes)
            .join(Site, Site.id == MaintenanceLog.site_id).join(Mould, Mould.id == MaintenanceLog.mould_id))


def _failures() -> Select:
    return (select(FailureReport.id, Site.code, Mould.code, Mould.family, Press.code, FailureCode.code,
                   FailureCode.mode, FailureCode.mechanism, FailureCode.cause, FailureCode.component,
                   FailureReport.severity, FailureReport.cavity, FailureReport.occurred_at, FailureReport.shot_count,
                   FailureReport.downtime_hours, FailureReport.repair_hours, FailureReport.description)
            .join(Site, Site.id == FailureReport.site_id).join(Mould, Mould.id == FailureReport.mould_id)
            .join(FailureCode, FailureCode.id == FailureReport.failure_code_id)
            .outerjoin(Press, Press.id == FailureReport.press_id))


def _actions() -> Select:
    return (select(ActionItem.id, Site.code, ActionItem.title, ActionItem.kind, ActionItem.status, User.username,
                   Mould.code, ActionItem.due_date, ActionItem.created_at, ActionItem.closed_at,
                   ActionItem.failure_report_id, ActionItem.maintenance_log_id)
            .join(Site, Site.id == ActionItem.site_id).outerjoin(User, User.id == ActionItem.owner_id)
            .outerjoin(Mould, Mould.id == ActionItem.mould_id))


def _sensor_hourly() -> Select:
    mean = SensorHourly.total / func.nullif(SensorHourly.n, 0)
    return (select(Site.code, Press.code, Sensor.key, Sensor.name, Sensor.unit, SensorHourly.bucket, SensorHourly.n,
                   mean, SensorHourly.min, SensorHourly.max)
            .join(Site, Site.id == SensorHourly.site_id).join(Sensor, Sensor.id == SensorHourly.sensor_id)
            .join(Press, Press.id == Sensor.press_id))


DATASETS: dict[str, Dataset] = {
    "moulds": Dataset(["id", "code", "name", "site", "family", "status", "customer", "part_numbers", "cavities",
                       "blocked_cavities", "steel", "maker", "design_life_shots", "pm_interval_shots",
                       "pm_interval_days", "pm_warning_pct", "lifetime_shots", "shots_since_pm", "last_pm_at",
                       "press", "created_at"], _moulds, None, Mould.site_id, (Mould.code,)),
    "shots-daily": Dataset(["site", "press", "mould", "day", "shots"], _shots_daily, ShotsDaily.day,
                           ShotsDaily.site_id, (ShotsDaily.day, ShotsDaily.press_id, ShotsDaily.mould_id)),
    "maintenance": Dataset(["id", "site", "mould", "kind", "performed_at", "shot_count", "labour_hours",
                            "downtime_hours", "parts_cost", "labour_cost", "work_done", "notes"], _maintenance,
                           MaintenanceLog.performed_at, MaintenanceLog.site_id, (MaintenanceLog.performed_at,
                                                                                 MaintenanceLog.id)),
    "failures": Dataset(["id", "site", "mould", "family", "press", "code", "mode", "mechanism", "cause", "component",
                         "severity", "cavity", "occurred_at", "shot_count", "downtime_hours", "repair_hours",
                         "description"], _failures, FailureReport.occurred_at, FailureReport.site_id,
                        (FailureReport.occurred_at, FailureReport.id)),
    "actions": Dataset(["id", "site", "title", "kind", "status", "owner", "mould", "due_date", "created_at",
                        "closed_at", "failure_report_id", "maintenance_log_id"], _actions, ActionItem.created_at,
                       ActionItem.site_id, (ActionItem.created_at, ActionItem.id)),
    "sensor-hourly": Dataset(["site", "press", "sensor_key", "sensor", "unit", "bucket", "n", "mean", "min", "max"],
                             _sensor_hourly, SensorHourly.bucket, SensorHourly.site_id,
                             (SensorHourly.bucket, SensorHourly.sensor_id)),
}


def cell(value) -> str | int | float:
    """A CSV cell: ISO 8601 for times and dates, plain numbers, enum values, '' for None; text that a
    spreadsheet would run as a formula is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.replace(tzinfo=dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _parse_day(name: str) -> dt.date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        abort(400, description=f"'{name}' must be a date as YYYY-MM-DD, not {raw!r}.")


def _site_id(code: str) -> int | None:
    if not code:
        return None
    site_id = db.session.scalar(select(Site.id).where(Site.code == code))  # the scope hides other sites
    if site_id is None:
        abort(400, description=f"Unknown site {code!r} (or not one you may export).")
    token = g.get("token")
    if token is not None and token.site_id != site_id:
        abort(403, description="This token may only export its own site.")
    if token is None:
        authz.require(current_user, "export", site_id)
    return site_id


def build_query(ds: Dataset, site_id: int | None, start: dt.date | None, end: dt.date | None) -> Select:
    """The dataset's query with the site and date filters and a stable order."""
    stmt = ds.query()
    if site_id is not None:
        stmt = stmt.where(ds.site_column == site_id)
    if ds.date_column is not None and (start or end):
        if ds.date_column is ShotsDaily.day:
            if start:
                stmt = stmt.where(ds.date_column >= start)
            if end:
                stmt = stmt.where(ds.date_column <= end)
        else:
            t0, t1 = window(start or dt.date(1970, 1, 1), end or dt.date(9998, 12, 30))
            stmt = stmt.where(ds.date_column >= t0, ds.date_column < t1)
    return stmt.order_by(*ds.order)


def stream_csv(header: list[str], stmt: Select, scope) -> Iterator[str]:
    """Yield the CSV in chunks of BATCH rows, reading from a server-side cursor inside the caller's scope."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    with using_scope(scope):
        result = db.session.execute(stmt.execution_options(yield_per=BATCH, stream_results=True))
        try:
            for rows in result.partitions():
                for row in rows:
                    writer.writerow([cell(v) for v in row])
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        finally:
            result.close()
            db.session.rollback()  # a read-only request: end the transaction the cursor held
    if buf.tell():
        yield buf.getvalue()


@bp.get("/export/<dataset>.csv")
@api_auth("export", "export")
def export_csv(dataset: str):
    """Stream one dataset as CSV, filtered by ?site=<code>&from=YYYY-MM-DD&to=YYYY-MM-DD."""
    ds = DATASETS.get(dataset)
    if ds is None:
        abort(404, description=f"Unknown dataset {dataset!r}: use one of {', '.join(DATASETS)}.")
    unknown = sorted(set(request.args) - {"site", "from", "to"})
    if unknown:
        abort(400, description=f"Unknown parameter(s) {', '.join(unknown)}: use site, from and to.")
    start, end = _parse_day("from"), _parse_day("to")
    if start and end and start > end:
        abort(400, description=f"'from' ({start}) is after 'to' ({end}).")
    site_id = _site_id(request.args.get("site", "").strip())
    stmt = build_query(ds, site_id, start, end)
    name = "-".join(p for p in (dataset, request.args.get("site", ""), start and start.isoformat(),
                                end and end.isoformat()) if p)
    resp = Response(stream_with_context(stream_csv(ds.header, stmt, current_scope())),
                    mimetype="text/csv", content_type="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
