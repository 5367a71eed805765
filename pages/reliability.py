"""Reliability dashboard: Weibull life per failure mode with suspensions, failure risk ahead, MTBF and MTTR."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from components.dashboard import chart_card, chart_slot, choices, page_header, with_default_site
from components.url_state import FilterState, Param, choice, filter_bar, int_range, messages_alert, parse_filters
from data.analytics.common import failure_modes
from data.analytics.reliability import GROUPS
from pages import reliability_ids as ids

dash.register_page(__name__, path="/reliability", name="Reliability", title="Reliability · Tool Maintenance",
                   nav=True, order=30, icon="activity", action="analytics", group="Dashboards")

DEFAULT_DAYS = 365
DEFAULT_N = 250_000


def parse(query, sites=None, families=None, modes=None) -> FilterState:
    """Validate the reliability page's URL: site, from/to (MTBF window), family, mode, N shots and grouping."""
    if sites is None:
        sites, families = choices()
    modes = failure_modes() if modes is None else modes
    return parse_filters(query, today=dt.date.today(), default_days=DEFAULT_DAYS, sites=[s.code for s in sites],
                         families=families, extras=[
                             Param("mode", None, choice(modes, "failure mode")),
                             Param("n", DEFAULT_N, int_range(1_000, 100_000_000, "N shots")),
                             Param("group", "mould", choice(GROUPS, "grouping")),
                         ])


@page_layout("analytics")
def layout(**query) -> html.Div:
    """Filters from the URL; the analysis is done in callbacks.reliability."""
    sites, families = choices()
    modes = failure_modes()
    state = with_default_site(parse(query, sites, families, modes), query, sites)
    extras = [
        dbc.Col([dbc.Label("Failure mode (Weibull)", html_for=ids.MODE),
                 dcc.Dropdown(id=ids.MODE, options=modes, value=state.extra["mode"],
                              placeholder="Most frequent mode")], xs=12, sm=6, lg=2),
        dbc.Col([dbc.Label("N shots ahead", html_for=ids.N),
                 dbc.Input(id=ids.N, type="number", min=1000, step=1000, value=state.extra["n"], debounce=True,
                           inputMode="numeric")], xs=6, lg=1),
    ]
    group = dbc.RadioItems(id=ids.GROUP, options=[{"label": f"per {v.lower()}", "value": k}
                                                  for k, v in GROUPS.items()],
                           value=state.extra["group"], inline=True, className="small px-2 pt-1")
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        page_header("Reliability", "Weibull life of shots-to-failure per failure mode (moulds that have not "
                    "failed are suspensions), failure risk ahead, MTBF and MTTR."),
        filter_bar(ids.PREFIX, state, sites, families, extras),
        messages_alert(state, ids.ALERT),
        dbc.Row([
            dbc.Col(chart_card("Weibull fit", dcc.Loading(html.Div(id=ids.PARAMS, style={"minHeight": "420px"}),
                                                          type="dot", delay_show=300),
                               "maximum likelihood, 90 % confidence bounds · whole life of each mould"), lg=4),
            dbc.Col(chart_card("Probability plot", chart_slot(ids.PLOT, 420),
                               "Weibull paper: a straight line means the Weibull model fits"), lg=8),
        ], className="g-3 mb-3"),
        dbc.Row([
            dbc.Col(chart_card("Most at risk", chart_slot(ids.RISK_CHART, 380),
                               "probability of failing in this mode within the next N shots"), lg=5),
            dbc.Col(chart_card("Failure risk per mould", chart_slot(ids.RISK_GRID, 380),
                               "conditional on the shots run since the last failure of each mode"), lg=7),
        ], className="g-3 mb-3"),
        chart_card("Weibull fits per failure mode", chart_slot(ids.FITS, 300)),
        html.Div(className="mb-3"),
        dbc.Row([
            dbc.Col(chart_card("MTBF and MTTR", [group, chart_slot(ids.MTBF_GRID, 380)],
                               "in the date range · MTBF hours count time mounted on a press"), lg=7),
            dbc.Col(chart_card("MTBF in shots", chart_slot(ids.MTBF_CHART, 380)), lg=5),
        ], className="g-3 mb-3"),
    ])
