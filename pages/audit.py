"""Audit log (admins): who changed which record, when, from what to what."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from data.audit import audited_tables
from pages import audit_ids as ids

dash.register_page(__name__, path="/admin/audit", name="Audit log", title="Audit log · Tool Maintenance", nav=True,
                   order=90, icon="journal-text", action="admin", group="Admin")


@page_layout("admin")
def layout(table: str | None = None, **_query) -> html.Div:
    """Filter by table; rows and paging come from callbacks.audit."""
    tables = audited_tables()
    return html.Div(
        [
            html.H1("Audit log", className="h3 mb-3"),
            dbc.Row(
                [
                    dbc.Col([dbc.Label("Table", html_for=ids.TABLE),
                             dcc.Dropdown(id=ids.TABLE, options=tables, value=table if table in tables else None,
                                          placeholder="All tables")], md=4),
                    dbc.Col(html.Div(id=ids.COUNT, className="pt-4 text-body-secondary"), md=4),
                ],
                className="mb-3",
            ),
            html.Div(id=ids.ROWS),
            dbc.Pagination(id=ids.PAGE, max_value=1, active_page=1, fully_expanded=False, first_last=True,
                           previous_next=True, className="mt-2"),
        ]
    )
