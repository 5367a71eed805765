"""Action items: my actions and all actions of my sites; create, start, assign and close them."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from auth.guard import page_layout
from auth.session import selected_site_ids
from components.forms import base_spec, form_island, mould_field
from data.actions import KIND_LABELS
from data.maintenance import form_reference
from data.users import visible_sites
from pages import actions_ids as ids

dash.register_page(__name__, path="/actions", name="Action items", title="Action items · Tool Maintenance", nav=True,
                   order=22, icon="list-check", action="work_actions", group="Record")

SHOW_OPTIONS = [{"label": "My actions", "value": "mine"}, {"label": "Open", "value": "active"},
                {"label": "Overdue", "value": "overdue"}, {"label": "Closed", "value": "closed"},
                {"label": "All", "value": "all"}]
SORT_OPTIONS = [{"label": "Due date (soonest first)", "value": "due"},
                {"label": "Due date (latest first)", "value": "-due"},
                {"label": "Newest first", "value": "-created"}, {"label": "Title", "value": "title"},
                {"label": "Mould", "value": "mould"}, {"label": "Owner", "value": "owner"},
                {"label": "Status", "value": "status"}]


def new_action_spec() -> dict:
    """The island spec of the 'new action item' form."""
    sites = visible_sites()
    chosen = selected_site_ids()
    site_default = str(next(iter(chosen))) if chosen else (str(sites[0].id) if sites else "")
    fields = [
        {**mould_field(required=False), "label": "Mould (optional)"},
        {"name": "site_id", "type": "select", "label": "Site (when no mould is chosen)", "default": site_default,
         "rerender": True,
         "options": [{"value": str(s.id), "label": f"{s.code} · {s.name}"} for s in sites]},
        {"name": "title", "type": "text", "label": "What needs doing", "required": True, "max": 200},
        {"name": "kind", "type": "radio", "label": "Kind", "default": "corrective",
         "options": [{"value": k, "label": v} for k, v in KIND_LABELS.items()]},
        {"name": "due_date", "type": "date", "label": "Due date"},
        {"name": "owner_id", "type": "select", "label": "Owner", "options_from": "people",
         "default": str(current_user.id), "empty_label": "Nobody yet"},
        {"name": "description", "type": "textarea", "label": "Details", "rows": 3},
    ]
    return base_spec("action-new", "/api/v1/action-items", "Action item", "Create action item", fields,
                     form_reference(selected_site_ids()), refresh=ids.REFRESH, dependents={"mould_id": True},
                     keep_mould=False)


@page_layout("work_actions")
def layout(show: str | None = None, **_query) -> html.Div:
    """Filters, the list (callbacks.actions), the new-action form and the selected action's panel."""
    default_show = show if show in {o["value"] for o in SHOW_OPTIONS} else "mine"
    return html.Div(
        [
            dcc.Store(id=ids.REFRESH),
            dcc.Store(id=ids.SELECTED),
            html.Div([html.H1("Action items", className="h3 mb-0 me-auto"),
                      dbc.Button([html.I(className="bi bi-plus-lg me-1"), "New action item"], id=ids.NEW_TOGGLE,
                                 color="primary", size="lg")],
                     className="d-flex flex-wrap gap-2 align-items-center mb-3"),
            dbc.Collapse(dbc.Card(dbc.CardBody(form_island(ids.NEW_FORM, new_action_spec())), className="mb-3"),
                         id=ids.NEW_COLLAPSE, is_open=False),
            dbc.Row(
                [
                    dbc.Col([dbc.Label("Show", html_for=ids.SHOW, className="fw-semibold"),
                             dbc.RadioItems(id=ids.SHOW, options=SHOW_OPTIONS, value=default_show, inline=True,
                                            className="btn-group flex-wrap", inputClassName="btn-check",
                                            labelClassName="btn btn-outline-primary",
                                            labelCheckedClassName="active")], lg=6),
                    dbc.Col([dbc.Label("Search", html_for=ids.SEARCH, className="fw-semibold"),
                             dbc.Input(id=ids.SEARCH, type="search", placeholder="Title or mould code", debounce=True,
                                       size="lg")], md=6, lg=3),
                    dbc.Col([dbc.Label("Sort by", html_for=ids.SORT, className="fw-semibold"),
                             dbc.Select(id=ids.SORT, options=SORT_OPTIONS, value="due", size="lg")], md=6, lg=3),
                ],
                className="g-3 mb-3 align-items-end",
            ),
            dbc.Row(
                [
                    dbc.Col([html.Div(id=ids.COUNT, className="text-body-secondary small mb-2"),
                             dcc.Loading(html.Div(id=ids.ROWS), type="dot"),
                             dbc.Pagination(id=ids.PAGE, max_value=1, active_page=1, fully_expanded=False,
                                            first_last=True, previous_next=True, className="mt-2")], xl=7),
                    dbc.Col(html.Div(id=ids.DETAIL), xl=5),
                ],
                className="g-4",
            ),
        ]
    )
