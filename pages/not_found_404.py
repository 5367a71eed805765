"""The page shown for an unknown address."""

from __future__ import annotations

import dash
from dash import html

from auth.guard import page_layout

dash.register_page(__name__, path="/404", name="Not found", title="Not found · Tool Maintenance", action="view")


@page_layout("view")
def layout(**_query) -> html.Div:
    """A clear message and a way back."""
    return html.Div(
        [
            html.H1("Page not found", className="h4"),
            html.P("There is no page at this address. It may have moved, or the link may be mistyped."),
            html.A("Go to the home page", href="/", className="btn btn-primary"),
        ],
        className="mt-4",
    )
