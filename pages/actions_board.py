"""Actions board: open and overdue action items by owner and by age."""

from __future__ import annotations

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from components.dashboard import chart_card, chart_slot, choices, page_header, with_default_site
from components.url_state import FilterState, Param, choice, filter_bar, messages_alert, parse_filters
from pages import actions_board_ids as ids

dash.register_page(__name__, path="/actions-board", name="Actions board", title="Actions board · Tool Maintenance",
                   nav=True, order=50, icon="kanban", action="analytics", group="Dashboards")

SHOW = {"open": "Open", "overdue": "Overdue only", "all": "Include closed"}


def parse(query, sites=None, families=None) -> FilterState:
    """Validate the board's URL: site, family and which actions to list."""
    if sites is None:
        sites, families = choices()
    return parse_filters(query, today=dt.date.today(), default_days=365, sites=[s.code for s in sites],
                         families=families, extras=[Param("show", "open", choice(SHOW, "list"))])


@page_layout("analytics")
def layout(**query) -> html.Div:
    """Filters from the URL; the board is filled by callbacks.actions_board."""
    sites, families = choices()
    state = with_default_site(parse(query, sites, families), query, sites)
    extras = [dbc.Col([dbc.Label("List", html_for=ids.SHOW),
                       dbc.RadioItems(id=ids.SHOW, options=[{"label": v, "value": k} for k, v in SHOW.items()],
                                      value=state.extra["show"], inline=True, className="pt-2")], xs=12, lg=4)]
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        page_header("Actions board", "Open corrective and preventive actions: who owns them, how old they are, "
                    "what is overdue."),
        filter_bar(ids.PREFIX, state, sites, families, extras, dates=False),
        messages_alert(state, ids.ALERT),
        dcc.Loading(html.Div(id=ids.KPIS, style={"minHeight": "110px"}), type="dot", delay_show=300),
        dbc.Row([
            dbc.Col(chart_card("By owner", chart_slot(ids.BY_OWNER, 300), "open actions, most overdue first"), lg=7),
            dbc.Col(chart_card("By age", chart_slot(ids.BY_AGE, 300), "days since the action was raised"), lg=5),
        ], className="g-3 mb-3"),
        chart_card("Actions", chart_slot(ids.GRID, 440), "click a mould code to open the mould"),
    ])
