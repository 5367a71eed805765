"""The mould page: identity and PM status, shots over any range (zoom re-queries), timeline, failures,
maintenance, actions, photos and its reliability summary."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from components.dashboard import GRAPH_CONFIG, chart_card, chart_slot, page_header
from components.url_state import FilterState, Param, choice, filter_bar, int_range, messages_alert, parse_filters
from data.analytics.mould import find_mould, mould_codes
from data.analytics.series import RESOLUTIONS
from pages import tool_ids as ids

dash.register_page(__name__, path_template="/tools/<code>", name="Mould", title="Mould · Tool Maintenance",
                   nav=False, action="view")

DEFAULT_DAYS = 30
DEFAULT_N = 100_000
PRESETS = [(1, "1 d"), (7, "7 d"), (30, "30 d"), (365, "12 mo"), (5 * 365, "5 y")]
RES_LABELS = {"auto": "Auto", "hour": "Hourly", "day": "Daily"}


def parse(query) -> FilterState:
    """Validate the mould page's parameters: from/to, resolution (auto/hour/day) and N shots ahead."""
    return parse_filters(query, today=dt.date.today(), default_days=DEFAULT_DAYS, sites=[], families=[],
                         extras=[Param("res", "auto", choice(RESOLUTIONS, "resolution")),
                                 Param("n", DEFAULT_N, int_range(1_000, 100_000_000, "N shots"))])


def _unknown(code: str | None) -> html.Div:
    codes = mould_codes()
    return html.Div([
        page_header("Mould"),
        dbc.Alert([html.I(className="bi bi-question-circle me-2"),
                   f"There is no mould with code '{code}' at your sites." if code else "No mould code given.",
                   " Pick one below or open the ", html.A("overview", href="/overview"), "."],
                  color="warning", id=ids.ALERT),
        dbc.Row(dbc.Col([dbc.Label("Open a mould", html_for=ids.OTHER),
                         dcc.Dropdown(id=ids.OTHER, options=[{"label": c, "value": c} for c in codes],
                                      placeholder="Mould code…")], md=4)),
    ])


@page_layout("view")
def layout(code: str | None = None, **query) -> html.Div:
    """The mould's sections; data comes from callbacks.tool for the range and N in the URL."""
    mould = find_mould(code) if code else None
    if mould is None:
        return _unknown(code)
    state = parse(query)
    extras = [
        dbc.Col([dbc.Label("Resolution", html_for=ids.RES),
                 dbc.RadioItems(id=ids.RES, options=[{"label": v, "value": k} for k, v in RES_LABELS.items()],
                                value=state.extra["res"], inline=True, className="pt-2")], xs=12, sm=6, lg=3),
        dbc.Col([dbc.Label("N shots ahead", html_for=ids.N),
                 dbc.Input(id=ids.N, type="number", min=1000, step=1000, value=state.extra["n"], debounce=True,
                           inputMode="numeric")], xs=6, lg=2),
    ]
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.CODE, data=mould.code),
        html.Div(id=ids.HEADER),
        filter_bar(ids.PREFIX, state, [], [], extras, family=False, site=False, presets=PRESETS),
        messages_alert(state, ids.ALERT),
        dcc.Loading(html.Div(id=ids.KPIS, style={"minHeight": "110px"}), type="dot", delay_show=300),
        chart_card("Shots", dcc.Loading(dcc.Graph(id=ids.SHOTS, config=GRAPH_CONFIG, style={"height": "340px"}),
                                        type="dot", delay_show=300),
                   "drag to zoom: the zoomed range is fetched again at a finer resolution · double-click to reset",
                   footer=html.Span(id=ids.SHOTS_NOTE)),
        html.Div(className="mb-3"),
        chart_card("Timeline", chart_slot(ids.TIMELINE, 260), "presses it was mounted on, maintenance and failures"),
        html.Div(className="mb-3"),
        chart_card("Reliability", chart_slot(ids.RELIABILITY, 160),
                   "probability of failing within the next N shots, per failure mode, from Weibull fits"),
        html.Div(className="mb-3"),
        dbc.Tabs([
            dbc.Tab(html.Div(id=ids.FAILURES, className="pt-3"), label="Failures", tab_id="failures"),
            dbc.Tab(html.Div(id=ids.LOGS, className="pt-3"), label="Maintenance", tab_id="logs"),
            dbc.Tab(html.Div(id=ids.ACTIONS, className="pt-3"), label="Actions", tab_id="actions"),
            dbc.Tab(html.Div(id=ids.PHOTOS, className="pt-3"), label="Photos", tab_id="photos"),
        ], active_tab="failures"),
    ])
