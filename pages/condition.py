"""Condition monitoring: sensor series per press (or for a mould), thresholds, excursions and the failures
that followed them."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from components.dashboard import chart_card, chart_slot, choices, page_header, with_default_site
from components.url_state import FilterState, Param, choice, filter_bar, messages_alert, parse_filters
from data.analytics.condition import FOLLOW_HOURS, sensor_presses
from data.analytics.mould import mould_codes
from pages import condition_ids as ids

dash.register_page(__name__, path="/condition", name="Condition monitoring",
                   title="Condition monitoring · Tool Maintenance", nav=True, order=40, icon="thermometer-half",
                   action="analytics", group="Dashboards")

DEFAULT_DAYS = 90


def parse(query, sites=None, presses=None, codes=None) -> FilterState:
    """Validate the page's URL: site, from/to, press (code, one with sensors) and mould (code)."""
    if sites is None:
        sites, _families = choices()
    presses = sensor_presses() if presses is None else presses
    codes = mould_codes() if codes is None else codes
    return parse_filters(query, today=dt.date.today(), default_days=DEFAULT_DAYS, sites=[s.code for s in sites],
                         families=[], extras=[Param("press", None, choice(presses, "press (with sensors)")),
                                              Param("mould", None, choice(codes, "mould code"))])


@page_layout("analytics")
def layout(**query) -> html.Div:
    """Filters from the URL; charts and tables come from callbacks.condition."""
    sites, _families = choices()
    presses, codes = sensor_presses(), mould_codes()
    state = with_default_site(parse(query, sites, presses, codes), query, sites)
    extras = [
        dbc.Col([dbc.Label("Press", html_for=ids.PRESS),
                 dcc.Dropdown(id=ids.PRESS, options=presses, value=state.extra["press"],
                              placeholder="All monitored presses")], xs=6, lg=2),
        dbc.Col([dbc.Label("Mould", html_for=ids.MOULD),
                 dcc.Dropdown(id=ids.MOULD, options=codes, value=state.extra["mould"],
                              placeholder="Any mould")], xs=6, lg=2),
    ]
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        page_header("Condition monitoring",
                    f"Sensor rollups per press with their limits; excursions and the failures that followed "
                    f"within {FOLLOW_HOURS} h on the same mould or press."),
        filter_bar(ids.PREFIX, state, sites, [], extras, family=False),
        messages_alert(state, ids.ALERT),
        dcc.Loading(html.Div(id=ids.KPIS, style={"minHeight": "110px"}), type="dot", delay_show=300),
        dcc.Loading(html.Div(id=ids.CHARTS, style={"minHeight": "400px"}), type="dot", delay_show=300),
        chart_card("Excursions", chart_slot(ids.EXCURSIONS, 360),
                   f"readings outside a limit, and the first failure within {FOLLOW_HOURS} h after"),
        html.Div(className="mb-3"),
        chart_card("Sensors", chart_slot(ids.SENSORS, 300), "in the sites in view"),
    ])
