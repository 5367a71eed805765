"""Overview dashboard: PM status of the fleet, actions, failures, shots and downtime, and the mould health grid."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from components.dashboard import chart_card, chart_slot, choices, page_header, with_default_site
from components.url_state import FilterState, filter_bar, messages_alert, parse_filters
from pages import overview_ids as ids

dash.register_page(__name__, path="/overview", name="Overview", title="Overview · Tool Maintenance", nav=True,
                   order=10, icon="speedometer2", action="analytics", group="Dashboards")

DEFAULT_DAYS = 30


def parse(query, sites=None, families=None) -> FilterState:
    """Validate the overview's URL parameters (site, from/to for the daily shots, family)."""
    if sites is None:
        sites, families = choices()
    return parse_filters(query, today=dt.date.today(), default_days=DEFAULT_DAYS, sites=[s.code for s in sites],
                         families=families)


@page_layout("analytics")
def layout(**query) -> html.Div:
    """Filters from the URL; every figure and the grid are filled by callbacks.overview."""
    sites, families = choices()
    state = with_default_site(parse(query, sites, families), query, sites)
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        page_header("Overview", "PM status, actions, failures and production for the sites in view.",
                    html.Span(id=ids.UPDATED, className="small text-body-secondary")),
        filter_bar(ids.PREFIX, state, sites, families),
        messages_alert(state, ids.ALERT),
        dcc.Loading(html.Div(id=ids.KPIS, style={"minHeight": "230px"}), type="dot", delay_show=300),
        dbc.Row([
            dbc.Col(chart_card("PM status", chart_slot(ids.BANDS, 200), "moulds by band, shots or days first"),
                    lg=5),
            dbc.Col(chart_card("PM workload ahead", chart_slot(ids.FORECAST, 200),
                               "forecast from each mould's shot rate over the last 7 days"), lg=7),
        ], className="g-3 mb-3"),
        chart_card("Mould health", chart_slot(ids.HEALTH, 480),
                   "click a row to open the mould · bands: warning ≥ the mould's warning %, due ≥ 100 %, "
                   "overdue ≥ 110 % of the interval"),
        html.Div(className="mb-3"),
        dbc.Row([
            dbc.Col(chart_card("Shots per day", chart_slot(ids.DAILY, 280), "all presses in view, by site"), lg=12),
        ], className="g-3 mb-3"),
        chart_card("Daily shots per press", chart_slot(ids.HEATMAP, 400), "UTC days; white = idle"),
    ])
