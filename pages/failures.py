"""Failures dashboard: Pareto by mode, component, mould or press; monthly trend; severity mix; the list."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from components.dashboard import chart_card, chart_slot, choices, page_header, with_default_site
from components.url_state import (
    FilterState,
    Param,
    choice,
    code_list,
    filter_bar,
    messages_alert,
    parse_filters,
)
from data.analytics.failures import DIMENSIONS, METRICS, SEVERITIES
from data.analytics.mould import mould_codes
from pages import failures_ids as ids

dash.register_page(__name__, path="/failures", name="Failures", title="Failures · Tool Maintenance", nav=True,
                   order=20, icon="exclamation-octagon", action="analytics", group="Dashboards")

DEFAULT_DAYS = 365


def parse(query, sites=None, families=None, codes=None) -> FilterState:
    """Validate the failures page's URL: site, from/to, family, moulds, severities, Pareto dimension and metric."""
    if sites is None:
        sites, families = choices()
    codes = mould_codes() if codes is None else codes
    return parse_filters(query, today=dt.date.today(), default_days=DEFAULT_DAYS, sites=[s.code for s in sites],
                         families=families, extras=[
                             Param("mould", (), code_list(codes, "mould code")),
                             Param("severity", (), code_list(SEVERITIES, "severity")),
                             Param("by", "mode", choice(DIMENSIONS, "Pareto dimension")),
                             Param("metric", "count", choice(METRICS, "metric")),
                         ])


@page_layout("analytics")
def layout(**query) -> html.Div:
    """Filters from the URL; charts and the list are filled by callbacks.failures."""
    sites, families = choices()
    codes = mould_codes()
    state = with_default_site(parse(query, sites, families, codes), query, sites)
    extras = [
        dbc.Col([dbc.Label("Moulds", html_for=ids.MOULDS),
                 dcc.Dropdown(id=ids.MOULDS, options=codes, value=list(state.extra["mould"]), multi=True,
                              placeholder="All moulds")], xs=12, sm=6, lg=2),
        dbc.Col([dbc.Label("Severity", html_for=ids.SEVERITY),
                 dcc.Dropdown(id=ids.SEVERITY, options=[{"label": s.capitalize(), "value": s} for s in SEVERITIES],
                              value=list(state.extra["severity"]), multi=True, placeholder="All severities")],
                xs=12, sm=6, lg=2),
    ]
    pareto_controls = html.Div([
        dbc.RadioItems(id=ids.BY, options=[{"label": label, "value": k} for k, (_c, label) in DIMENSIONS.items()],
                       value=state.extra["by"], inline=True, className="me-3"),
        dbc.RadioItems(id=ids.METRIC, options=[{"label": v, "value": k} for k, v in METRICS.items()],
                       value=state.extra["metric"], inline=True),
    ], className="d-flex flex-wrap small px-2 pt-1")
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        page_header("Failures", "What fails, where, how often and at what cost, from coded failure reports."),
        filter_bar(ids.PREFIX, state, sites, families, extras),
        messages_alert(state, ids.ALERT),
        dcc.Loading(html.Div(id=ids.KPIS, style={"minHeight": "110px"}), type="dot", delay_show=300),
        chart_card("Pareto", [pareto_controls, chart_slot(ids.PARETO, 380)],
                   "the few categories that cause most failures (dotted line: 80 %)"),
        html.Div(className="mb-3"),
        dbc.Row([
            dbc.Col(chart_card("Monthly trend", chart_slot(ids.TREND, 320), "failures per month by severity"), lg=8),
            dbc.Col(chart_card("Severity mix", chart_slot(ids.MIX, 320)), lg=4),
        ], className="g-3 mb-3"),
        chart_card("Downtime by mould", chart_slot(ids.DOWNTIME, 300), "top 15: failures and planned PM"),
        html.Div(className="mb-3"),
        chart_card("Failure reports", chart_slot(ids.GRID, 420), "click a mould code to open it"),
    ])
