"""Behaviour of the action items page: the filtered list, opening an action, the form toggle."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html, no_update
from flask_login import current_user

from auth.guard import clientside_callback, secured_callback
from auth.session import selected_site_ids
from components.cards import empty_state
from components.forms import base_spec, form_island
from data import authz
from data.actions import KIND_LABELS, STATUS_LABELS, get_action, list_actions
from data.maintenance import form_reference
from data.models import ActionStatus, utcnow
from pages import actions_ids as ids

PER_PAGE = 15
STATUS_TONE = {"open": "primary", "in_progress": "info", "closed": "success"}


@secured_callback("work_actions", Output(ids.NEW_COLLAPSE, "is_open"), Input(ids.NEW_TOGGLE, "n_clicks"),
                  State(ids.NEW_COLLAPSE, "is_open"), prevent_initial_call=True)
def toggle_new(_n, is_open):
    """Show or hide the new-action form."""
    return not is_open


def _due(action, overdue: bool):
    if action.due_date is None:
        return html.Span("no due date", className="text-body-secondary")
    return dbc.Badge(f"{action.due_date:%Y-%m-%d}" + (" · overdue" if overdue else ""),
                     color="danger" if overdue else "light", text_color=None if overdue else "dark")


@secured_callback("work_actions", Output(ids.ROWS, "children"), Output(ids.COUNT, "children"),
                  Output(ids.PAGE, "max_value"), Output(ids.PAGE, "active_page"),
                  Input(ids.SHOW, "value"), Input(ids.SEARCH, "value"), Input(ids.SORT, "value"),
                  Input(ids.PAGE, "active_page"), Input(ids.REFRESH, "data"))
def show(show_value, search, sort, page, _refresh):
    """One page of actions for the chosen filter (a new filter goes back to page 1)."""
    page = page if ctx.triggered_id == ids.PAGE and page else 1
    mine = show_value == "mine"
    status = {"mine": "active", "all": None}.get(show_value, show_value)
    result = list_actions(current_user, mine=mine, status=status, search=search or "",
                          site_ids=selected_site_ids(), sort=sort, page=page, per_page=PER_PAGE)
    if not result.rows:
        hint = "Actions given to you appear here." if mine else "Try another filter."
        return empty_state("No action items here.", hint, "check2-circle"), "0 action items", 1, 1
    rows = [
        html.Tr([
            html.Td([html.Div(a.title, className="fw-semibold"),
                     html.Div(KIND_LABELS[a.kind.value], className="small text-body-secondary")]),
            html.Td(mould or "—"),
            html.Td(owner or html.Span("unassigned", className="text-body-secondary")),
            html.Td(_due(a, overdue)),
            html.Td(dbc.Badge(STATUS_LABELS[a.status.value], color=STATUS_TONE[a.status.value])),
            html.Td(dbc.Button("Open", id={"type": ids.OPEN, "index": a.id}, color="outline-primary",
                               className="px-3")),
        ])
        for a, owner, mould, overdue in result.rows
    ]
    head = html.Thead(html.Tr([html.Th(h) for h in ("Action", "Mould", "Owner", "Due", "Status", "")]))
    table = dbc.Table([head, html.Tbody(rows)], hover=True, responsive=True, className="tm-table", id="actions-table")
    return table, f"{result.total:,} action items", result.pages, result.page


@secured_callback("work_actions", Output(ids.SELECTED, "data"), Input({"type": ids.OPEN, "index": ALL}, "n_clicks"),
                  prevent_initial_call=True)
def select(clicks):
    """Remember which action was opened."""
    if not ctx.triggered_id or not any(clicks or []):
        return no_update
    return ctx.triggered_id["index"]


# On a narrow screen the opened action is below the list: bring it into view.
clientside_callback(
    """function(selected) {
        if (selected !== null && selected !== undefined) {
            setTimeout(() => {
                const el = document.getElementById("actions-detail");
                if (el && el.getBoundingClientRect().top > window.innerHeight * 0.6) {
                    el.scrollIntoView({behavior: "smooth"});
                }
            }, 300);
        }
        return window.dash_clientside.no_update;
    }""",
    Output(ids.DETAIL, "title"), Input(ids.SELECTED, "data"), prevent_initial_call=True,
)


def update_spec(action) -> dict:
    """The island spec of the update form of one action."""
    manager = authz.can(current_user, "assign_actions", action)
    fields = [
        {"name": "status", "type": "radio", "label": "Status", "required": True, "default": action.status.value,
         "options": [{"value": k, "label": v} for k, v in STATUS_LABELS.items()], "rerender": True},
        {"name": "verification_note", "type": "textarea", "label": "How was it verified", "rows": 3,
         "required": True, "show_if": ["status", ActionStatus.CLOSED.value]},
    ]
    if manager:
        fields += [
            {"name": "owner_id", "type": "select", "label": "Owner", "options_from": "people",
             "default": str(action.owner_id or ""), "empty_label": "Nobody yet"},
            {"name": "due_date", "type": "date", "label": "Due date",
             "default": action.due_date.isoformat() if action.due_date else ""},
        ]
    ref = form_reference(selected_site_ids())
    ref["moulds"] = [m for m in ref["moulds"] if m["id"] == action.mould_id]
    return base_spec(f"action-{action.id}", f"/api/v1/action-items/{action.id}", "Action update", "Save",
                     fields, ref, method="PATCH", refresh=ids.REFRESH, site_id=action.site_id,
                     values={"mould_id": action.mould_id} if action.mould_id else {})


@secured_callback("work_actions", Output(ids.DETAIL, "children"), Input(ids.SELECTED, "data"),
                  Input(ids.REFRESH, "data"))
def detail(action_id, _refresh):
    """The selected action's details and its update form."""
    if action_id is None:
        return empty_state("Open an action to work on it.", "Start it, or close it with a note on how it was "
                           "verified.", "hand-index")
    action = get_action(action_id)
    if action is None:
        return dbc.Alert("This action no longer exists or is not at one of your sites.", color="warning")
    facts = [
        ("Status", STATUS_LABELS[action.status.value]),
        ("Owner", action.owner.display_name if action.owner else "unassigned"),
        ("Due", f"{action.due_date:%Y-%m-%d}" if action.due_date else "—"),
        ("Created", f"{action.created_at:%Y-%m-%d}"),
    ]
    if action.failure_report_id:
        facts.append(("From", f"failure report #{action.failure_report_id}"))
    if action.maintenance_log_id:
        facts.append(("From", f"maintenance log #{action.maintenance_log_id}"))
    if action.status is ActionStatus.CLOSED:
        facts.append(("Verified", action.verification_note or "—"))
        facts.append(("Closed", f"{action.closed_at:%Y-%m-%d}" if action.closed_at else "—"))
    overdue = action.status is not ActionStatus.CLOSED and action.due_date and action.due_date < utcnow().date()
    mine_or_free = action.owner_id in (None, current_user.id) or authz.can(current_user, "assign_actions", action)
    body = [
        html.H2(action.title, className="h5"),
        dbc.Badge("Overdue", color="danger", className="mb-2") if overdue else None,
        html.P(action.description, className="small") if action.description else None,
        html.Dl([item for k, v in facts for item in (html.Dt(k, className="col-4"), html.Dd(v, className="col-8"))],
                className="row small mb-3"),
        form_island({"type": ids.UPDATE_FORM, "index": action.id}, update_spec(action)) if mine_or_free else
        dbc.Alert("This action belongs to someone else; a manager can reassign it.", color="secondary"),
    ]
    return dbc.Card(dbc.CardBody(body), className="shadow-sm", id="actions-detail-card")
