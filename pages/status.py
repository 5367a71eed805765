"""System status (admins): self-check results, the notification outbox (failed ones to retry), backups."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from components.dashboard import page_header
from pages import status_ids as ids

dash.register_page(__name__, path="/admin/status", name="Status", title="Status · Tool Maintenance", nav=True,
                   order=95, icon="heart-pulse", action="admin", group="Admin")

REFRESH_MS = 30_000
SORTS = [{"label": "Newest first", "value": "created_at:desc"}, {"label": "Oldest first", "value": "created_at:asc"},
         {"label": "Most attempts", "value": "attempts:desc"}, {"label": "By kind", "value": "kind:asc"},
         {"label": "By recipient", "value": "address:asc"}]
FILTERS = [{"label": "Failed", "value": "failed"}, {"label": "Waiting to retry", "value": "pending"},
           {"label": "Sent", "value": "sent"}, {"label": "Cancelled", "value": "cancelled"}]


@page_layout("admin")
def layout(**_query) -> html.Div:
    """Three cards filled by callbacks.status; they refresh every 30 s."""
    run = dbc.Button([html.I(className="bi bi-arrow-repeat me-1"), "Run checks now"], id=ids.RUN_CHECKS,
                     color="primary")
    return html.Div(
        [
            page_header("System status", "Self-checks, notifications and backups.", right=run),
            dcc.Interval(id=ids.REFRESH, interval=REFRESH_MS),
            dcc.Store(id=ids.VERSION, data=0),
            dbc.Card([
                dbc.CardHeader([html.Span("Self-checks"), html.Span(id=ids.OVERALL, className="ms-2"),
                                html.Span(id=ids.CHECKED_AT, className="small text-body-secondary ms-2")]),
                dbc.CardBody(dcc.Loading(html.Div(id=ids.CHECKS), type="dot", delay_show=300), className="p-0"),
            ], className="shadow-sm mb-4"),
            dbc.Card([
                dbc.CardHeader("Notifications"),
                dbc.CardBody([
                    html.Div(id=ids.COUNTS, className="mb-3"),
                    dbc.Row([
                        dbc.Col(dbc.Checklist(id=ids.FILTER, options=FILTERS, value=["failed"], inline=True,
                                              switch=True), md=6),
                        dbc.Col([dbc.Label("Sort", html_for=ids.SORT, className="visually-hidden"),
                                 dbc.Select(id=ids.SORT, options=SORTS, value="created_at:desc", size="sm")], md=3),
                        dbc.Col(dbc.Button([html.I(className="bi bi-send me-1"), "Retry all failed"],
                                           id=ids.RETRY_ALL, color="outline-primary", size="sm"),
                                md=3, className="text-md-end"),
                    ], className="mb-2 align-items-center"),
                    html.Div(id=ids.OUTBOX_MSG),
                    html.Div(id=ids.OUTBOX),
                    dbc.Pagination(id=ids.PAGE, max_value=1, active_page=1, fully_expanded=False, first_last=True,
                                   previous_next=True, className="mt-2 mb-0"),
                ]),
            ], className="shadow-sm mb-4"),
            dbc.Card([
                dbc.CardHeader([html.Span("Backups"),
                                dbc.Button([html.I(className="bi bi-database-down me-1"), "Back up now"],
                                           id=ids.BACKUP_NOW, color="outline-primary", size="sm",
                                           className="float-end")]),
                dbc.CardBody([html.Div(id=ids.BACKUP_MSG), html.Div(id=ids.BACKUPS)]),
            ], className="shadow-sm"),
        ]
    )
