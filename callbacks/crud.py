"""Behaviour of the master-data list-and-edit widget (components/crud.py), attached once per entity.

`register(spec)` declares the callbacks with the entity's own action, so each is refused on the
server to roles that may not edit that entity, whatever the browser shows.
"""

from __future__ import annotations

import time
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, html, no_update
from flask_login import current_user

from auth.guard import clientside_callback, secured_callback
from auth.session import selected_site_ids
from components.cards import empty_state
from components.crud import CrudSpec, cid, error_id, field_id, sort_header
from data import authz
from data.validation import DeleteRefused, FieldErrors


def _display(value: Any) -> Any:
    """A stored value as the form control shows it."""
    if value is None:
        return None
    if isinstance(value, bool | list):
        return value
    return str(value) if not isinstance(value, int) else value


def _message(text: str, tone: str = "success") -> dbc.Alert:
    return dbc.Alert(text, color=tone, dismissable=True, className="py-2", id="crud-message")


def register(spec: CrudSpec) -> None:
    """Attach the list, edit, save and delete callbacks (and the browser-side drafts) for one entity."""
    fields_all = Output({"crud": spec.name, "field": ALL}, "value")
    errors_all = Output({"crud": spec.name, "error": ALL}, "children")
    names = [f.name for f in spec.fields]

    @secured_callback(spec.action, Output(cid(spec, "rows"), "children"), Output(cid(spec, "count"), "children"),
                      Output(cid(spec, "page"), "max_value"), Output(cid(spec, "page"), "active_page"),
                      Input(cid(spec, "search"), "value"), Input(cid(spec, "sort"), "value"),
                      Input(cid(spec, "page"), "active_page"), Input(cid(spec, "refresh"), "data"))
    def show_rows(search, sort, page, _refresh):
        """One page of rows (a new search or sort goes back to page 1)."""
        page = page if ctx.triggered_id == cid(spec, "page") and page else 1
        result = spec.list_rows(search or "", sort, page, spec.per_page, selected_site_ids())
        if not result.rows:
            message = f"No {spec.noun}s match '{search}'." if search else f"No {spec.noun}s yet."
            return empty_state(message, spec.empty_hint if not search else "Try another search."), \
                f"0 {spec.noun}s", 1, 1
        body = []
        for row in result.rows:
            rid = spec.row_id(row)
            label = spec.row_label(row[0])
            cells = [html.Td(c.cell(row), className=c.class_name) for c in spec.columns]
            body.append(html.Tr(cells + [html.Td(html.Div([
                dbc.Button([html.I(className="bi bi-pencil"), html.Span(" Edit", className="d-none d-xl-inline"),
                            html.Span(f" {label}", className="visually-hidden")],
                           id=cid(spec, "edit", index=rid), color="outline-primary", className="px-3",
                           title=f"Edit {label}"),
                dbc.Button([html.I(className="bi bi-trash"), html.Span(" Delete", className="d-none d-xl-inline"),
                            html.Span(f" {label}", className="visually-hidden")],
                           id=cid(spec, "del", index=rid), color="outline-danger", className="px-3",
                           title=f"Delete {label}"),
            ], className="d-flex gap-2 justify-content-end"))]))
        table = dbc.Table([sort_header(spec), html.Tbody(body)], hover=True, responsive=True, className="tm-table")
        return table, f"{result.total:,} {spec.noun}s", result.pages, result.page

    @secured_callback(spec.action, Output(cid(spec, "modal"), "is_open"), Output(cid(spec, "editing"), "data"),
                      Output(cid(spec, "loaded"), "data"), Output(cid(spec, "title"), "children"), fields_all,
                      errors_all, Output(cid(spec, "form-error"), "children"),
                      Output({"crud": spec.name, "part": "wrap", "field": ALL}, "className"),
                      Input(cid(spec, "new"), "n_clicks"), Input(cid(spec, "edit", index=ALL), "n_clicks"),
                      Input(cid(spec, "cancel"), "n_clicks"), prevent_initial_call=True)
    def open_editor(_new, edits, _cancel):
        """Open the dialog empty (new) or with a record's values (edit); Cancel closes it."""
        trigger = ctx.triggered_id
        n = len(names)
        if trigger == cid(spec, "cancel"):
            return False, None, no_update, no_update, [no_update] * n, [no_update] * n, no_update, [no_update] * n
        if isinstance(trigger, dict) and trigger.get("part") == "edit":
            if not any(edits or []):
                raise_no_update()
            rid = int(trigger["index"])
            values = spec.load(rid)
            if values is None:
                return False, None, no_update, no_update, [no_update] * n, [no_update] * n, no_update, [no_update] * n
            title = f"Edit {spec.noun}"
        else:
            rid, values, title = None, spec.defaults(), f"New {spec.noun}"
        wraps = ["form-field mb-2" + (" d-none" if f.create_only and rid is not None else "") for f in spec.fields]
        stamp = {"id": rid, "at": time.time()}
        return (True, rid, stamp, title, [_display(values.get(name)) for name in names], [""] * n, None, wraps)

    @secured_callback(spec.action, errors_all, Output(cid(spec, "form-error"), "children", allow_duplicate=True),
                      Output(cid(spec, "modal"), "is_open", allow_duplicate=True),
                      Output(cid(spec, "refresh"), "data"), Output(cid(spec, "message"), "children"),
                      Output(cid(spec, "saved"), "data"),
                      Input(cid(spec, "save"), "n_clicks"), State(cid(spec, "editing"), "data"),
                      State({"crud": spec.name, "field": ALL}, "value"), prevent_initial_call=True)
    def save(_n, editing, values):
        """Validate and save; each refused field gets its message, and the dialog keeps what was typed."""
        raw = dict(zip(names, values, strict=True))
        try:
            row = spec.save(current_user, editing, raw)
        except FieldErrors as exc:
            errors = [exc.errors.get(name, "") for name in names]
            other = [v for k, v in exc.errors.items() if k not in names]
            return errors, dbc.Alert(other, color="danger") if other else None, True, no_update, no_update, no_update
        except authz.Forbidden as exc:
            return [""] * len(names), dbc.Alert(str(exc), color="danger"), True, no_update, no_update, no_update
        label = spec.row_label(row)
        verb = "Created" if editing is None else "Saved"
        return ([""] * len(names), None, False, {"saved": label}, _message(f"{verb} {spec.noun} {label}."),
                {"id": editing, "label": label})

    @secured_callback(spec.action, Output(cid(spec, "confirm"), "is_open"), Output(cid(spec, "deleting"), "data"),
                      Output(cid(spec, "confirm-text"), "children"), Input(cid(spec, "del", index=ALL), "n_clicks"),
                      prevent_initial_call=True)
    def ask_delete(clicks):
        """Ask before deleting."""
        if not isinstance(ctx.triggered_id, dict) or not any(clicks or []):
            raise_no_update()
        rid = int(ctx.triggered_id["index"])
        values = spec.load(rid)
        if values is None:
            return False, None, None
        label = values.get("code") or values.get("username") or values.get("family") or f"#{rid}"
        return True, rid, f"{spec.noun.capitalize()} {label} will be deleted. This cannot be undone."

    @secured_callback(spec.action, Output(cid(spec, "confirm"), "is_open", allow_duplicate=True),
                      Output(cid(spec, "message"), "children", allow_duplicate=True),
                      Output(cid(spec, "refresh"), "data", allow_duplicate=True),
                      Input(cid(spec, "confirm-yes"), "n_clicks"), Input(cid(spec, "confirm-no"), "n_clicks"),
                      State(cid(spec, "deleting"), "data"), prevent_initial_call=True)
    def do_delete(_yes, _no, rid):
        """Delete after confirmation; a refused delete says why and what to do instead."""
        if ctx.triggered_id != cid(spec, "confirm-yes") or rid is None:
            return False, no_update, no_update
        try:
            label = spec.delete(current_user, int(rid))
        except DeleteRefused as exc:
            return False, _message(str(exc), "warning"), no_update
        except authz.Forbidden as exc:
            return False, _message(str(exc), "danger"), no_update
        return False, _message(f"Deleted {spec.noun} {label}."), {"deleted": rid}

    # Drafts in the browser: typed values are kept in IndexedDB per record and offered again on reopening.
    clientside_callback(ClientsideFunction("tm_crud", "save_draft"), Output(cid(spec, "draft-note"), "title"),
                        Input({"crud": spec.name, "field": ALL}, "value"), State(cid(spec, "loaded"), "data"),
                        State(cid(spec, "modal"), "is_open"), prevent_initial_call=True)
    clientside_callback(ClientsideFunction("tm_crud", "restore_draft"),
                        Output({"crud": spec.name, "field": ALL}, "value", allow_duplicate=True),
                        Output(cid(spec, "draft-note"), "children"), Input(cid(spec, "loaded"), "data"),
                        prevent_initial_call=True)
    clientside_callback(ClientsideFunction("tm_crud", "clear_draft"),
                        Output(cid(spec, "draft-note"), "children", allow_duplicate=True),
                        Input(cid(spec, "saved"), "data"), prevent_initial_call=True)


def raise_no_update() -> None:
    """Stop a callback without changing anything (a pattern-matching button was only re-rendered)."""
    from dash.exceptions import PreventUpdate

    raise PreventUpdate


__all__ = ["register", "field_id", "error_id"]
