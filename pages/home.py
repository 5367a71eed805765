"""Home page: the numbers a shift starts with (PM due, actions, failures, shots today)."""

from __future__ import annotations

import dash
from dash import dcc, html

from auth.guard import page_layout
from pages import home_ids as ids

dash.register_page(__name__, path="/", name="Home", title="Home · Tool Maintenance", nav=True, order=0,
                   icon="house", action="view")

REFRESH_MS = 15_000


@page_layout("view")
def layout(**_query) -> html.Div:
    """Cards filled by callbacks.home; they refresh every 15 s so live shot counts move."""
    return html.Div(
        [
            html.H1("Home", className="h3 mb-3"),
            dcc.Interval(id=ids.REFRESH, interval=REFRESH_MS),
            dcc.Loading(html.Div(id=ids.CARDS), type="dot"),
            html.H2("Moulds closest to PM", className="h5 mt-4"),
            html.Div(id=ids.PM_TABLE),
            html.Div(id=ids.UPDATED, className="small text-body-secondary mt-2"),
        ]
    )
