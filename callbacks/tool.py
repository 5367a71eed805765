"""Behaviour of the mould page: header and KPIs, the shots chart (zoom re-queries and downsamples on the
server), timeline, reliability summary, the failure/maintenance/action grids and the photo gallery."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, ctx, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from auth.guard import clientside_callback, secured_callback
from components import figures
from components.cards import empty_state
from components.dashboard import chart, fmt_date, fmt_int, fmt_num, kpi, kpi_row, page_header
from components.grid import data_grid, date_col, num_col, pct_col, records
from components.url_state import Field, date_fields, register_url_sync
from data import authz
from data.analytics.actions import actions_frame
from data.analytics.common import window
from data.analytics.condition import mould_periods
from data.analytics.failures import failures_frame
from data.analytics.mould import find_mould, maintenance_frame, mould_info, mould_photos, reliability_summary
from data.analytics.series import choose_resolution, downsample, mould_shots
from data.models import Mould, utcnow
from pages import tool
from pages import tool_ids as ids

register_url_sync("view", ids.PREFIX, ids.URL, date_fields(ids.PREFIX) + [Field("res", ids.RES), Field("n", ids.N)],
                  tool.parse)

BAND_TONE = {"NOT_DUE": "success", "WARNING": "warning", "DUE": "danger", "OVERDUE": "danger"}
STATUS_TONE = {"in_production": "success", "in_tool_room": "secondary", "waiting_for_repair": "warning",
               "retired": "dark"}
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _mould(code: str | None) -> Mould:
    """The mould of the page, checked against the user's sites (stops the callback if unknown)."""
    mould = find_mould(code) if code else None
    if mould is None:
        raise PreventUpdate
    authz.require(current_user, "view", mould)
    return mould


def _header(info) -> html.Div:
    m = info.mould
    status = getattr(m.status, "value", m.status)
    meta = [("Site", f"{info.site_code} · {info.site_name}"), ("Family", m.family or "—"),
            ("On press", info.press_code or "not mounted"), ("Customer", m.customer or "—"),
            ("Part numbers", m.part_numbers or "—"),
            ("Cavities", f"{m.cavities}" + (f" (blocked: {m.blocked_cavities})" if m.blocked_cavities else "")),
            ("Steel / maker", f"{m.steel or '—'} / {m.maker or '—'}"), ("Home", m.home_location or "—")]
    badges = [dbc.Badge(status.replace("_", " "), color=STATUS_TONE.get(status, "secondary"), className="me-2"),
              html.Span(info.pm.band.value.replace("_", " "), className=f"band-badge band-{info.pm.band.value}")]
    return html.Div([
        page_header(f"{m.code} · {m.name}", "", html.Div(badges)),
        dbc.Card(dbc.CardBody(html.Dl([html.Div([html.Dt(k), html.Dd(v)], className="col-6 col-md-3 col-xl")
                                       for k, v in meta], className="row meta mb-0")),
                 className="mould-header mb-3 shadow-sm"),
    ], id="tool-identity")


@secured_callback("view", Output(ids.HEADER, "children"), Output(ids.KPIS, "children"), Input(ids.CODE, "data"),
                  Input(ids.DATES, "start_date"), Input(ids.DATES, "end_date"))
def header(code, start, end):
    """Identity, status and the mould's key figures (failures counted in the date range)."""
    mould = _mould(code)
    now = utcnow()
    info = mould_info(mould, now)
    state = tool.parse({"from": start or "", "to": end or ""})
    t0, t1 = window(state.start, state.end)
    n_fail = len(failures_frame(t0, t1, mould_id=mould.id))
    n_all = len(failures_frame(EPOCH, now + dt.timedelta(days=1), mould_id=mould.id))
    n_actions = len(actions_frame(now.date(), mould_id=mould.id))
    life = mould.design_life_shots
    pm = info.pm
    cards = kpi_row([
        kpi("Lifetime shots", mould.lifetime_shots,
            f"{mould.lifetime_shots / life * 100:.0f} % of the design life ({life:,})" if life
            else "no design life set",
            "primary", "tool-kpi-lifetime"),
        kpi("Shots since PM", mould.shots_since_pm,
            f"{fmt_num(pm.pct_used, 0, ' %')} of the interval (by {pm.driver or '—'})" if pm.pct_used is not None
            else "no PM interval set", BAND_TONE[pm.band.value], "tool-kpi-since-pm"),
        kpi("PM due", fmt_date(pm.forecast_due) if pm.forecast_due else "—",
            f"was due {-pm.days_left:,.0f} days ago" if pm.days_left is not None and pm.days_left <= 0 else
            (f"in {pm.days_left:,.1f} days at {info.shots_per_day:,.0f} shots/day" if pm.days_left is not None
             and info.shots_per_day else "no recent shots to forecast from"), BAND_TONE[pm.band.value],
            "tool-kpi-pm-due"),
        kpi("Failures", n_fail, f"in the range · {n_all} since commissioning", "warning" if n_fail else "success",
            "tool-kpi-failures"),
        kpi("MTBF", fmt_int(mould.lifetime_shots / n_all) if n_all else "—", "shots per failure, lifetime",
            "secondary", "tool-kpi-mtbf"),
        kpi("Open actions", n_actions, "for this mould", "danger" if n_actions else "success", "tool-kpi-actions"),
    ])
    return _header(info), cards


def _zoom(relayout: dict | None) -> tuple[dt.datetime, dt.datetime] | None:
    """The x range the user zoomed to, or None for a reset; PreventUpdate for other layout events."""
    if not relayout:
        raise PreventUpdate
    if relayout.get("xaxis.autorange"):
        return None
    try:
        lo, hi = (pd.Timestamp(relayout[f"xaxis.range[{i}]"]) for i in (0, 1))
    except (KeyError, ValueError, TypeError):
        raise PreventUpdate from None
    lo = lo.tz_localize("UTC") if lo.tzinfo is None else lo.tz_convert("UTC")
    hi = hi.tz_localize("UTC") if hi.tzinfo is None else hi.tz_convert("UTC")
    if hi <= lo:
        raise PreventUpdate
    return lo.to_pydatetime(), hi.to_pydatetime()


@secured_callback("view", Output(ids.SHOTS, "figure"), Output(ids.SHOTS_NOTE, "children"), Input(ids.CODE, "data"),
                  Input(ids.DATES, "start_date"), Input(ids.DATES, "end_date"), Input(ids.RES, "value"),
                  Input(ids.SHOTS, "relayoutData"))
def shots(code, start, end, res, relayout):
    """Shots per hour or day for the range (or the zoomed part of it), at most ~4,000 points per trace."""
    mould = _mould(code)
    state = tool.parse({"from": start or "", "to": end or "", "res": res or ""})
    t0, t1 = window(state.start, state.end)
    x_range = None
    if ctx.triggered_id == ids.SHOTS:
        zoom = _zoom(relayout)
        if zoom is not None:
            x_range = zoom
            t0 = max(zoom[0].replace(minute=0, second=0, microsecond=0), EPOCH)
            t1 = max(zoom[1], t0 + dt.timedelta(hours=1))
    resolution = choose_resolution(t0, t1, state.extra["res"])
    if resolution == "day":
        t0 = t0.replace(hour=0, minute=0, second=0, microsecond=0)
    data = mould_shots(mould.id, t0, t1, resolution)
    shown = downsample(data)
    fig = figures.shots_series(shown, resolution, x_range, total_points=len(data))
    total = int(data["shots"].sum()) if len(data) else 0
    note = (f"{total:,} shots from {t0:%d %b %Y %H:%M} to {t1:%d %b %Y %H:%M} UTC · "
            f"{'hourly' if resolution == 'hour' else 'daily'} buckets · "
            f"{len(shown):,} of {len(data):,} points drawn")
    if total == 0:
        fig.add_annotation(text="No shots recorded in this range", showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5, font={"size": 14, "color": figures.MUTED})
    return fig, note


@secured_callback("view", Output(ids.TIMELINE, "children"), Input(ids.CODE, "data"), Input(ids.DATES, "start_date"),
                  Input(ids.DATES, "end_date"))
def timeline(code, start, end):
    """Mounts, maintenance and failures in the range."""
    mould = _mould(code)
    state = tool.parse({"from": start or "", "to": end or ""})
    t0, t1 = window(state.start, state.end)
    mounts = mould_periods(mould.id, t0, t1)
    logs = maintenance_frame(mould.id, t0, t1)
    fails = failures_frame(t0, t1, mould_id=mould.id)
    has = len(mounts) + len(logs) + len(fails) > 0
    return chart(figures.mould_timeline(mounts, logs, fails, t0, t1), has,
                 "Nothing happened to this mould in the range.",
                 "It was not mounted, maintained or reported failed: widen the date range.")


RELIABILITY_COLUMNS = [
    {"field": "mode", "headerName": "Failure mode", "width": 190}, num_col("failures", "Failures here", width=120),
    num_col("mtbf_shots", "MTBF here (shots)", width=150), num_col("age", "Shots since last", width=140),
    pct_col("p_pct", "P(fail in next N)", width=160), num_col("beta", "β", decimals=2, width=80),
    num_col("eta", "η (shots)", width=120), {"field": "basis", "headerName": "Fit from", "width": 170},
]


@secured_callback("view", Output(ids.RELIABILITY, "children"), Input(ids.CODE, "data"), Input(ids.N, "value"))
def reliability(code, n):
    """Probability of failing in each mode within the next N shots, and MTBF on this mould."""
    mould = _mould(code)
    state = tool.parse({"n": str(n) if n is not None else ""})
    summary = reliability_summary(mould, state.extra["n"])
    rows = records(summary.assign(p_pct=summary["p_next"] * 100))
    return data_grid("tool-reliability", RELIABILITY_COLUMNS, rows, export_name=f"{mould.code}-reliability",
                     height=min(70 + 37 * len(rows), 420), row_id="params.data.mode",
                     note=f"N = {state.extra['n']:,} shots",
                     empty=("No failures recorded in your fleet yet.", "Risk estimates need failure history."))


FAILURE_COLUMNS = [
    date_col("occurred_at", "When", with_time=True, width=150), {"field": "mode", "headerName": "Mode", "width": 170},
    {"field": "component", "headerName": "Component", "width": 150},
    {"field": "severity", "headerName": "Severity", "width": 100,
     "cellClassRules": {"sev-critical": "params.value == 'critical'", "sev-high": "params.value == 'high'"}},
    {"field": "press", "headerName": "Press", "width": 100}, num_col("shot_count", "Shot count", width=120),
    num_col("downtime_hours", "Downtime (h)", 1, width=120), {"field": "description", "headerName": "Description",
                                                              "width": 260, "tooltipField": "description"},
]
LOG_COLUMNS = [
    date_col("performed_at", "When", with_time=True, width=150), {"field": "kind", "headerName": "Kind", "width": 110},
    num_col("shot_count", "Shot count", width=120), num_col("labour_hours", "Labour (h)", 1, width=100),
    num_col("downtime_hours", "Downtime (h)", 1, width=110), num_col("cost", "Cost", 2, width=100),
    {"field": "work_done", "headerName": "Work done", "width": 300, "tooltipField": "work_done"},
]
ACTION_COLUMNS = [
    {"field": "title", "headerName": "Action", "width": 320, "tooltipField": "title"},
    {"field": "owner", "headerName": "Owner", "width": 150}, {"field": "status", "headerName": "Status", "width": 110},
    date_col("due_date", "Due"), num_col("days_overdue", "Days overdue", width=120,
                                         cellClassRules={"overdue-cell": "params.value > 0"}),
    num_col("age_days", "Age (days)", width=100),
]


@secured_callback("view", Output(ids.FAILURES, "children"), Output(ids.LOGS, "children"),
                  Output(ids.ACTIONS, "children"), Output(ids.PHOTOS, "children"), Input(ids.CODE, "data"))
def history(code):
    """Every failure and maintenance log of the mould, its open actions and its photos."""
    mould = _mould(code)
    now = utcnow()
    fails = failures_frame(EPOCH, now + dt.timedelta(days=1), mould_id=mould.id)
    logs = maintenance_frame(mould.id)
    acts = actions_frame(now.date(), mould_id=mould.id)
    photos = mould_photos(mould.id)
    gallery = (html.Div([html.A(html.Img(src=f"/api/v1/photos/{p.id}/thumb", alt=p.caption or f"Photo {p.id}",
                                         className="photo-thumb", loading="lazy"),
                                href=f"/api/v1/photos/{p.id}/web", target="_blank",
                                className="me-2 mb-2 d-inline-block",
                                title=p.caption or "") for p in photos])
               if photos else empty_state("No photos of this mould yet.",
                                          "Photos taken with maintenance logs and failure reports appear here.",
                                          icon="camera"))
    return (
        data_grid("tool-failures", FAILURE_COLUMNS, records(fails), export_name=f"{mould.code}-failures", height=360,
                  page_size=20, empty=("This mould has never failed.", "Failure reports for it will appear here.")),
        data_grid("tool-logs", LOG_COLUMNS, records(logs), export_name=f"{mould.code}-maintenance", height=360,
                  page_size=20, empty=("No maintenance logged yet.", "PM and repair logs will appear here.")),
        data_grid("tool-actions", ACTION_COLUMNS, records(acts), export_name=f"{mould.code}-actions", height=300,
                  empty=("No open actions for this mould.", "")),
        gallery,
    )


clientside_callback(
    """function(code) {
        if (!code) { return window.dash_clientside.no_update; }
        window.history.pushState({}, '', '/tools/' + encodeURIComponent(code));
        window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
        return null;
    }""",
    Output(ids.OTHER, "value"),
    Input(ids.OTHER, "value"),
    prevent_initial_call=True,
)
