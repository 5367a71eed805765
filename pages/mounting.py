"""Mounting (managers): which mould is on which press, from when; mount and unmount moulds."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from auth.session import selected_site_ids
from data.maintenance import mould_options
from data.presses import press_options
from pages import mounting_ids as ids

dash.register_page(__name__, path="/manage/mounting", name="Mounting", title="Mounting · Tool Maintenance", nav=True,
                   order=42, icon="arrow-left-right", action="edit_master", group="Manage")


def _labelled(label: str, control, error_id: str, control_id: str) -> html.Div:
    return html.Div([dbc.Label(label, html_for=control_id, className="fw-semibold"), control,
                     html.Div(id=error_id, className="field-error", role="alert")], className="form-field")


@page_layout("edit_master")
def layout(**_query) -> html.Div:
    """The mount form, the moulds on presses now, and the mounting history."""
    sites = selected_site_ids()
    moulds = [{"label": f"{m['code']} · {m['name']}" + (f" (on {m['press']})" if m["press"] else ""),
               "value": m["id"]} for m in mould_options(sites)]
    return html.Div(
        [
            dcc.Store(id=ids.REFRESH), dcc.Store(id=ids.OFFSET), dcc.Store(id=ids.PENDING),
            html.H1("Mounting", className="h3 mb-3"),
            dbc.Card(dbc.CardBody([
                html.H2("Mount a mould on a press", className="h5"),
                dbc.Row([
                    dbc.Col(_labelled("Mould", dcc.Dropdown(id=ids.MOULD, options=moulds, placeholder="Search moulds"),
                                      ids.MOULD_ERROR, ids.MOULD), md=5),
                    dbc.Col(_labelled("Press", dcc.Dropdown(id=ids.PRESS, options=press_options(sites),
                                                            placeholder="Search presses"), ids.PRESS_ERROR, ids.PRESS),
                            md=4),
                    dbc.Col(_labelled("From", dbc.Input(id=ids.AT, type="datetime-local", size="lg"), ids.AT_ERROR,
                                      ids.AT), md=3),
                ], className="g-3"),
                html.P("The mould that was on the press goes back to the tool room; the press the mould was on is "
                       "freed.", className="small text-body-secondary mt-2 mb-2"),
                dbc.Button([html.I(className="bi bi-box-arrow-in-right me-1"), "Mount"], id=ids.SUBMIT,
                           color="primary", size="lg"),
                html.Div(id=ids.MESSAGE, className="mt-3"),
            ]), className="mb-4 shadow-sm"),
            html.H2("On presses now", className="h5"),
            html.Div(id=ids.CURRENT, className="mb-4"),
            html.Div([html.H2("History", className="h5 mb-0 me-auto"),
                      html.Div([dbc.Label("Search", html_for=ids.SEARCH, className="visually-hidden"),
                                dbc.Input(id=ids.SEARCH, type="search", placeholder="Mould or press code",
                                          debounce=True)])],
                     className="d-flex flex-wrap gap-2 align-items-center mb-2"),
            html.Div(id=ids.HISTORY),
            dbc.Pagination(id=ids.HISTORY_PAGE, max_value=1, active_page=1, fully_expanded=False, first_last=True,
                           previous_next=True, className="mt-2"),
            dbc.Modal([dbc.ModalHeader(dbc.ModalTitle("Unmount this mould?")), dbc.ModalBody(id=ids.CONFIRM_TEXT),
                       dbc.ModalFooter([dbc.Button("Keep it mounted", id=ids.CONFIRM_NO, color="secondary",
                                                   outline=True, size="lg"),
                                        dbc.Button("Unmount now", id=ids.CONFIRM_YES, color="danger", size="lg")])],
                      id=ids.CONFIRM, centered=True),
        ]
    )
