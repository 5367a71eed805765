"""Behaviour of the condition-monitoring dashboard: KPIs, one chart per sensor, excursions linked to failures."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, html

from auth.guard import secured_callback
from components import figures
from components.cards import empty_state
from components.dashboard import chart, chart_card, fmt_num, kpi, kpi_row, site_ids_for
from components.grid import data_grid, date_col, link_col, num_col, records
from components.url_state import Field, register_url_sync, standard_fields
from data.analytics import condition as cm
from data.analytics.common import window
from data.analytics.mould import find_mould
from pages import condition as page
from pages import condition_ids as ids

register_url_sync("analytics", ids.PREFIX, ids.URL, standard_fields(ids.PREFIX, family=False) + [
    Field("press", ids.PRESS), Field("mould", ids.MOULD)], page.parse)

MAX_CHARTS = 8
EXCURSION_COLUMNS = [
    date_col("ts", "Started", with_time=True, width=150), {"field": "press", "headerName": "Press", "width": 100},
    {"field": "sensor", "headerName": "Sensor", "width": 170}, {"field": "kind", "headerName": "Limit", "width": 80},
    num_col("value", "Worst value", 2, width=115), num_col("threshold", "Limit value", 2, width=110),
    {"field": "unit", "headerName": "Unit", "width": 80}, link_col("mould", "Mould", pinned=None),
    {"field": "failure_mode", "headerName": "Failure that followed", "width": 190,
     "cellClassRules": {"sev-high": "params.value != null"}},
    num_col("hours_to_failure", "Hours after", 1, width=110),
]
SENSOR_COLUMNS = [
    {"field": "press", "headerName": "Press", "width": 100}, {"field": "name", "headerName": "Sensor", "width": 180},
    {"field": "unit", "headerName": "Unit", "width": 80}, num_col("low_threshold", "Low limit", 1, width=105),
    num_col("high_threshold", "High limit", 1, width=105), num_col("excursions", "Excursions", width=110),
    num_col("followed_by_failure", "Followed by failure", width=160), date_col("last_excursion", "Last excursion",
                                                                               with_time=True, width=150),
]


def _charts(show: pd.DataFrame, t0, t1, linked: pd.DataFrame, failures: pd.DataFrame, periods, note: str,
            mould_id: int | None):
    cards = []
    for s in show.head(MAX_CHARTS).itertuples():
        series = cm.sensor_series(int(s.id), t0, t1)
        alerts = linked[linked["sensor_id"] == s.id]
        fails = failures[failures["press_id"] == s.press_id]
        mine = None
        if periods is not None:
            fails = fails[fails["mould_id"] == mould_id]
            mine = periods[periods["press_id"] == s.press_id]
        fig = figures.sensor_series(series, s.name, s.unit, s.low_threshold, s.high_threshold, alerts,
                                    fails[(fails["failure_ts"] >= t0) & (fails["failure_ts"] < t1)], mine, height=330)
        cards.append(dbc.Col(chart_card(f"{s.press} · {s.name}", chart(fig, len(series) > 0,
                                                                      "No readings from this sensor in the range."),
                                        f"{len(alerts)} excursion(s)"), lg=6))
    head = html.P(note, className="small text-body-secondary mb-2") if note else None
    return html.Div([head, dbc.Row(cards, className="g-3 mb-3")])


@secured_callback("analytics", Output(ids.KPIS, "children"), Output(ids.CHARTS, "children"),
                  Output(ids.EXCURSIONS, "children"), Output(ids.SENSORS, "children"), Input(ids.SITE, "value"),
                  Input(ids.DATES, "start_date"), Input(ids.DATES, "end_date"), Input(ids.PRESS, "value"),
                  Input(ids.MOULD, "value"))
def refresh(site, start, end, press, mould_code):
    """Sensor charts for the press (or the mould's presses), excursions linked to the failures that followed."""
    state = page.parse({"site": site or "", "from": start or "", "to": end or "", "press": press or "",
                        "mould": mould_code or ""})
    t0, t1 = window(state.start, state.end)
    sites = site_ids_for(site)
    sensors = cm.sensors_frame(sites)
    if sensors.empty:
        nothing = empty_state("No sensors at the sites in view.", "Presses publish sensor readings over MQTT "
                              "(toolmaint/<site>/<press>/<sensor>); they appear here once received.",
                              icon="thermometer-half")
        return nothing, None, None, None
    mould = find_mould(state.extra["mould"]) if state.extra["mould"] else None
    periods = cm.mould_periods(mould.id, t0, t1) if mould else None
    alerts = cm.alerts_frame(t0, t1, sites, list(sensors["id"]), mould.id if mould else None)
    failures = cm.failures_near(t0, t1, sites, press_ids=list(sensors["press_id"].unique()))
    linked = cm.link_failures(alerts, failures)
    note = ""
    if state.extra["press"]:
        show = sensors[sensors["press"] == state.extra["press"]]
        linked = linked[linked["press"] == state.extra["press"]]
    elif mould is not None:
        show = sensors[sensors["press_id"].isin(set(periods["press_id"]))]
        note = (f"Presses {mould.code} was mounted on in the range (shaded while mounted)." if len(show)
                else f"{mould.code} was not on a monitored press in the range.")
    else:
        counts = linked.groupby("press").size().sort_values(ascending=False)
        top = counts.index[0] if len(counts) else sensors["press"].iloc[0]
        show = sensors[sensors["press"] == top]
        note = f"Showing {top}, the press with the most excursions in the range; choose a press or a mould above."
    in_range = failures[(failures["failure_ts"] >= t0) & (failures["failure_ts"] < t1)]
    followed = int(linked["failure_id"].notna().sum())
    caught = linked["failure_id"].dropna().nunique()
    cards = kpi_row([
        kpi("Sensors", len(sensors), f"on {sensors['press_id'].nunique()} presses", "primary", "condition-kpi-sensors"),
        kpi("Excursions", len(linked), "outside a limit in the range", "warning" if len(linked) else "success",
            "condition-kpi-excursions"),
        kpi("Followed by a failure", followed,
            f"{fmt_num(followed / len(linked) * 100 if len(linked) else None, 0, ' %')} of excursions",
            "danger" if followed else "success", "condition-kpi-followed"),
        kpi("Failures warned of", caught, f"of {len(in_range)} failures on monitored presses", "secondary",
            "condition-kpi-warned"),
    ])
    charts = (_charts(show, t0, t1, linked, failures, periods, note, mould.id if mould else None) if len(show)
              else empty_state(note or "No sensors on this press.", icon="thermometer-half"))
    summary = cm.sensor_summary(sensors, linked)
    excursions = records(linked.sort_values("ts", ascending=False), ["id"] + [c["field"] for c in EXCURSION_COLUMNS])
    return (
        cards,
        charts,
        data_grid("condition-excursions", EXCURSION_COLUMNS, excursions, export_name="excursions", height=360,
                  page_size=50, fit=False, empty=("No excursions in this range.", "Every reading stayed within its "
                                                  "limits.")),
        data_grid("condition-sensors", SENSOR_COLUMNS, records(summary), export_name="sensors", height=300),
    )
