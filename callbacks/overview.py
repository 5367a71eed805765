"""Behaviour of the overview: KPIs, PM charts and the health grid; plant-wide daily shots; URL state."""

from __future__ import annotations

from dash import Input, Output, html

from auth.guard import secured_callback
from components import figures
from components.dashboard import chart, fmt_num, kpi, kpi_row, site_ids_for
from components.grid import data_grid, date_col, link_col, num_col, pct_col, records
from components.url_state import register_url_sync, standard_fields
from data.analytics import kpis, pm, series
from data.models import utcnow
from pages import overview
from pages import overview_ids as ids

register_url_sync("analytics", ids.PREFIX, ids.URL, standard_fields(ids.PREFIX), overview.parse)

BAND_RULES = {f"band-cell-{b}": f"params.value == '{b}'" for b in ("NOT_DUE", "WARNING", "DUE", "OVERDUE")}
HEALTH_COLUMNS = [
    link_col("code", "Mould"), {"field": "name", "headerName": "Name", "width": 170},
    {"field": "site", "headerName": "Site", "width": 80}, {"field": "family", "headerName": "Family", "width": 130},
    {"field": "press", "headerName": "Press", "width": 100},
    {"field": "band", "headerName": "PM band", "width": 115, "cellClassRules": BAND_RULES},
    pct_col("pct_used", "Interval used"), {"field": "driver", "headerName": "By", "width": 80},
    num_col("shots_since_pm", "Shots since PM", width=130), num_col("pm_interval_shots", "PM interval", width=120),
    num_col("days_left", "Days to PM", decimals=1, width=110), date_col("forecast_due", "Forecast due"),
    num_col("shots_per_day", "Shots/day (7 d)", width=130), num_col("lifetime_shots", "Lifetime shots", width=130),
    pct_col("life_used_pct", "Design life used", width=140), date_col("last_failure_at", "Last failure"),
    {"field": "last_failure_mode", "headerName": "Last failure mode", "width": 170},
    num_col("open_actions", "Open actions", width=110),
]


def _kpi_cards(k: kpis.OverviewKpis):
    vs = k.shots_vs_avg_pct
    trend = k.failures_30d - k.failures_prev_30d
    arrow = "▲" if trend > 0 else ("▼" if trend < 0 else "=")
    return html.Div([
        kpi_row([
            kpi("PM overdue", k.pm_overdue, f"of {k.moulds:,} active moulds", "danger" if k.pm_overdue else "success",
                "overview-kpi-overdue"),
            kpi("PM due", k.pm_due, "at or past the interval", "danger" if k.pm_due else "success", "overview-kpi-due"),
            kpi("PM warning", k.pm_warning, "inside the warning band", "warning" if k.pm_warning else "success",
                "overview-kpi-warning"),
            kpi("PM compliance", fmt_num(k.pm_compliance_pct, 0, " %"), "PMs done before due, last 90 days",
                "primary", "overview-kpi-compliance"),
        ]),
        kpi_row([
            kpi("Open actions", k.actions_open, f"{k.actions_overdue:,} overdue",
                "danger" if k.actions_overdue else "primary", "overview-kpi-actions", href="/actions-board"),
            kpi("Failures · 30 days", k.failures_30d, f"{arrow} {abs(trend)} vs the 30 days before",
                "warning" if k.failures_30d else "success", "overview-kpi-failures", href="/failures"),
            kpi("Shots today", k.shots_today,
                "no history for the last 7 days" if vs is None else f"{vs:.0f} % of the 7-day average "
                f"({k.shots_avg_7d:,.0f}/day), UTC", "primary", "overview-kpi-shots"),
            kpi("Downtime this month", fmt_num(k.downtime_month_h, 1, " h"),
                f"{k.unplanned_month_h:,.1f} h unplanned (failures)", "secondary", "overview-kpi-downtime"),
        ]),
    ])


@secured_callback("analytics", Output(ids.KPIS, "children"), Input(ids.SITE, "value"), Input(ids.FAMILY, "value"))
def kpi_cards(site, family):
    """The KPI cards for the sites and family in view (a callback of its own: it runs beside the grid's)."""
    return _kpi_cards(kpis.overview_kpis(utcnow(), site_ids_for(site), family or None))


@secured_callback("analytics", Output(ids.BANDS, "children"), Output(ids.FORECAST, "children"),
                  Output(ids.HEALTH, "children"), Output(ids.UPDATED, "children"),
                  Input(ids.SITE, "value"), Input(ids.FAMILY, "value"))
def refresh(site, family):
    """PM band and workload charts and the mould health grid for the sites and family in view."""
    now = utcnow()
    health = pm.mould_health(now, site_ids_for(site), family or None)
    has = len(health) > 0
    bands = chart(figures.pm_bands(pm.band_counts(health), height=200), has, "No active moulds in view.",
                  "Add moulds with a PM interval, or choose another site or family.")
    forecast = chart(figures.pm_forecast(pm.pm_forecast(health, now), height=200), has, "No active moulds in view.")
    grid = data_grid("overview-health", HEALTH_COLUMNS, records(health.assign(
        forecast_due=health["forecast_due"].dt.floor("min"))), export_name="mould-health",
        row_id="'/tools/' + params.data.code", height=480, page_size=50, fit=False,
        empty=("No active moulds in view.", "Add moulds, or choose another site or family."))
    return bands, forecast, grid, f"Updated {now:%H:%M} UTC"


@secured_callback("analytics", Output(ids.DAILY, "children"), Output(ids.HEATMAP, "children"),
                  Input(ids.SITE, "value"), Input(ids.DATES, "start_date"), Input(ids.DATES, "end_date"),
                  Input(ids.FAMILY, "value"))
def plant_daily(site, start, end, family):
    """Shots per day by site and per press per day (from the daily rollup) for the date range."""
    state = overview.parse({"from": start or "", "to": end or ""}, sites=[], families=[])
    daily = series.plant_daily(state.start, state.end, site_ids_for(site), family or None)
    has = len(daily) > 0 and int(daily["shots"].sum()) > 0
    hint = "No shots were counted in this range: widen it, or check that the presses report counters."
    return (chart(figures.daily_by_site(daily, state.start, state.end), has, "No shots in this range.", hint),
            chart(figures.plant_heatmap(series.daily_matrix(daily, state.start, state.end)), has,
                  "No shots in this range.", hint))
