"""Behaviour of the failures dashboard: KPIs, Pareto, trend, severity mix, downtime and the list; URL state."""

from __future__ import annotations

from dash import Input, Output

from auth.guard import secured_callback
from components import figures
from components.dashboard import chart, fmt_num, kpi, kpi_row, site_ids_for
from components.grid import data_grid, date_col, link_col, num_col, records
from components.url_state import Field, register_url_sync, standard_fields
from data.analytics import failures as fa
from data.analytics.common import window
from pages import failures as page
from pages import failures_ids as ids

register_url_sync("analytics", ids.PREFIX, ids.URL, standard_fields(ids.PREFIX) + [
    Field("mould", ids.MOULDS), Field("severity", ids.SEVERITY), Field("by", ids.BY), Field("metric", ids.METRIC)],
    page.parse)

FILTERS = [Input(ids.SITE, "value"), Input(ids.DATES, "start_date"), Input(ids.DATES, "end_date"),
           Input(ids.FAMILY, "value"), Input(ids.MOULDS, "value"), Input(ids.SEVERITY, "value")]
GRID_COLUMNS = [
    date_col("occurred_at", "When", with_time=True, width=150), link_col("mould", "Mould"),
    {"field": "site", "headerName": "Site", "width": 80}, {"field": "family", "headerName": "Family", "width": 130},
    {"field": "press", "headerName": "Press", "width": 100}, {"field": "code", "headerName": "Code", "width": 110},
    {"field": "mode", "headerName": "Mode", "width": 170}, {"field": "mechanism", "headerName": "Mechanism",
                                                            "width": 120},
    {"field": "cause", "headerName": "Cause", "width": 120}, {"field": "component", "headerName": "Component",
                                                              "width": 150},
    {"field": "severity", "headerName": "Severity", "width": 100,
     "cellClassRules": {"sev-critical": "params.value == 'critical'", "sev-high": "params.value == 'high'"}},
    num_col("shot_count", "Shot count", width=120), num_col("downtime_hours", "Downtime (h)", 1, width=120),
    num_col("repair_hours", "Repair (h)", 1, width=110),
    {"field": "description", "headerName": "Description", "width": 280, "tooltipField": "description"},
]


def load(site, start, end, family, moulds, severity):
    """The validated filters and the failures they select."""
    state = page.parse({"site": site or "", "from": start or "", "to": end or "", "family": family or "",
                        "mould": moulds or "", "severity": severity or ""})
    t0, t1 = window(state.start, state.end)
    df = fa.failures_frame(t0, t1, site_ids_for(site), state.family, state.extra["mould"] or None,
                           state.extra["severity"] or None)
    return state, t0, t1, df


@secured_callback("analytics", Output(ids.PARETO, "children"), *FILTERS, Input(ids.BY, "value"),
                  Input(ids.METRIC, "value"))
def pareto(site, start, end, family, moulds, severity, by, metric):
    """The Pareto chart for the chosen dimension and metric."""
    state = page.parse({"site": site or "", "from": start or "", "to": end or "", "family": family or "",
                        "mould": moulds or "", "severity": severity or "", "by": by or "", "metric": metric or ""})
    t0, t1 = window(state.start, state.end)
    by, metric = state.extra["by"], state.extra["metric"]
    data = fa.pareto_query(t0, t1, by, metric, site_ids_for(site), state.family, state.extra["mould"] or None,
                           state.extra["severity"] or None)
    return chart(figures.pareto(data, fa.DIMENSIONS[by][1], fa.METRICS[metric]), len(data) > 0,
                 "No failures match these filters.", "A good sign — or widen the date range.")


@secured_callback("analytics", Output(ids.KPIS, "children"), Output(ids.TREND, "children"), Output(ids.MIX, "children"),
                  Output(ids.DOWNTIME, "children"), Output(ids.GRID, "children"), *FILTERS)
def overview(site, start, end, family, moulds, severity):
    """Headline numbers, monthly trend, severity mix, downtime by mould and the failure list."""
    state, t0, t1, df = load(site, start, end, family, moulds, severity)
    s = fa.summarise(df)
    cards = kpi_row([
        kpi("Failures", s.failures, f"{state.start:%d %b %Y} – {state.end:%d %b %Y}", "warning" if s.failures
            else "success", "failures-kpi-count"),
        kpi("Downtime", fmt_num(s.downtime_hours, 1, " h"), "from failure reports", "secondary",
            "failures-kpi-downtime"),
        kpi("MTTR", fmt_num(s.mttr_hours, 1, " h"), "mean time to repair", "secondary", "failures-kpi-mttr"),
        kpi("High or critical", s.high_or_critical, "severity", "danger" if s.high_or_critical else "success",
            "failures-kpi-severe"),
        kpi("Moulds affected", s.moulds_affected, "with at least one failure", "secondary", "failures-kpi-moulds"),
    ])
    has = len(df) > 0
    empty = ("No failures match these filters.", "A good sign — or widen the date range or clear a filter.")
    downtime = fa.downtime_by_mould(t0, t1, site_ids_for(site), state.family, top=15)
    if state.extra["mould"]:
        downtime = downtime[downtime["mould"].isin(state.extra["mould"])]
    return (
        cards,
        chart(figures.monthly_trend(fa.monthly_trend(df, t0, t1)), has, *empty),
        chart(figures.severity_mix(fa.severity_mix(df)), has, *empty),
        chart(figures.downtime_by_mould(downtime), len(downtime) > 0, "No downtime recorded in this range."),
        data_grid("failures-list", GRID_COLUMNS, records(df), export_name="failures", height=420, page_size=50,
                  fit=False, empty=empty),
    )
