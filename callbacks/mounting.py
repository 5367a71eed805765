"""Behaviour of the mounting page: mount, unmount (after confirmation), and the two lists."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html, no_update
from flask_login import current_user

from auth.guard import clientside_callback, secured_callback
from auth.session import selected_site_ids
from components.cards import empty_state
from data import authz
from data.presses import list_mounts, mount, unmount
from data.validation import FieldErrors
from pages import mounting_ids as ids

# The browser's offset from UTC and a default "now" for the time field (times are typed in local time).
clientside_callback(
    """function(_) {
        const d = new Date(); d.setSeconds(0, 0);
        const local = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
        return [d.getTimezoneOffset(), local];
    }""",
    Output(ids.OFFSET, "data"), Output(ids.AT, "value"), Input(ids.OFFSET, "id"),
)


def to_utc(local: str | None, offset_minutes: int | None) -> str | None:
    """A datetime-local value typed in the browser as an ISO UTC time (None stays None)."""
    if not local:
        return None
    try:
        naive = dt.datetime.fromisoformat(local)
    except ValueError:
        return local  # the service says what is wrong with it
    return (naive + dt.timedelta(minutes=int(offset_minutes or 0))).replace(tzinfo=dt.UTC).isoformat()


@secured_callback("edit_master", Output(ids.MOULD_ERROR, "children"), Output(ids.PRESS_ERROR, "children"),
                  Output(ids.AT_ERROR, "children"), Output(ids.MESSAGE, "children"), Output(ids.REFRESH, "data"),
                  Input(ids.SUBMIT, "n_clicks"), State(ids.MOULD, "value"), State(ids.PRESS, "value"),
                  State(ids.AT, "value"), State(ids.OFFSET, "data"), prevent_initial_call=True)
def do_mount(_n, mould_id, press_id, at, offset):
    """Mount the mould; each refused field gets its message."""
    try:
        new = mount(current_user, {"mould_id": mould_id, "press_id": press_id, "mounted_at": to_utc(at, offset)})
    except FieldErrors as exc:
        e = exc.errors
        return e.get("mould_id", ""), e.get("press_id", ""), e.get("mounted_at", ""), None, no_update
    except authz.Forbidden as exc:
        return "", "", "", dbc.Alert(str(exc), color="danger"), no_update
    text = f"{new.mould.code} is on {new.press.code} from {new.mounted_at:%Y-%m-%d %H:%M} UTC."
    return "", "", "", dbc.Alert(text, color="success", dismissable=True), {"mounted": new.id}


@secured_callback("edit_master", Output(ids.CURRENT, "children"), Input(ids.REFRESH, "data"))
def current(_refresh):
    """The moulds on presses now."""
    result = list_mounts(current_only=True, site_ids=selected_site_ids(), sort="press", per_page=500)
    if not result.rows:
        return empty_state("No mould is mounted on a press.", "Mount one with the form above.")
    rows = [html.Tr([html.Td(html.Strong(press)), html.Td(mould), html.Td(f"{m.mounted_at:%Y-%m-%d %H:%M}"),
                     html.Td(dbc.Button("Unmount", id={"type": ids.UNMOUNT, "index": m.mould_id},
                                        color="outline-danger"), className="text-end")])
            for m, mould, press in result.rows]
    head = html.Thead(html.Tr([html.Th("Press"), html.Th("Mould"), html.Th("Since (UTC)"), html.Th("")]))
    return dbc.Table([head, html.Tbody(rows)], hover=True, responsive=True, className="tm-table", id="mounting-table")


@secured_callback("edit_master", Output(ids.HISTORY, "children"), Output(ids.HISTORY_PAGE, "max_value"),
                  Output(ids.HISTORY_PAGE, "active_page"), Input(ids.REFRESH, "data"), Input(ids.SEARCH, "value"),
                  Input(ids.HISTORY_PAGE, "active_page"))
def history(_refresh, search, page):
    """Every mounting period, newest first."""
    page = page if ctx.triggered_id == ids.HISTORY_PAGE and page else 1
    result = list_mounts(site_ids=selected_site_ids(), search=search or "", page=page, per_page=15)
    if not result.rows:
        return empty_state("No mounting history yet."), 1, 1
    rows = [html.Tr([html.Td(mould), html.Td(press), html.Td(f"{m.mounted_at:%Y-%m-%d %H:%M}"),
                     html.Td(f"{m.unmounted_at:%Y-%m-%d %H:%M}" if m.unmounted_at else "still mounted")])
            for m, mould, press in result.rows]
    head = html.Thead(html.Tr([html.Th("Mould"), html.Th("Press"), html.Th("Mounted (UTC)"),
                               html.Th("Unmounted (UTC)")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, responsive=True), result.pages, result.page


@secured_callback("edit_master", Output(ids.CONFIRM, "is_open"), Output(ids.PENDING, "data"),
                  Output(ids.CONFIRM_TEXT, "children"), Input({"type": ids.UNMOUNT, "index": ALL}, "n_clicks"),
                  prevent_initial_call=True)
def ask_unmount(clicks):
    """Ask before unmounting."""
    if not isinstance(ctx.triggered_id, dict) or not any(clicks or []):
        return no_update, no_update, no_update
    return True, ctx.triggered_id["index"], "The mould goes back to the tool room from now on; shots counted on " \
        "the press are no longer given to it."


@secured_callback("edit_master", Output(ids.CONFIRM, "is_open", allow_duplicate=True),
                  Output(ids.MESSAGE, "children", allow_duplicate=True),
                  Output(ids.REFRESH, "data", allow_duplicate=True), Input(ids.CONFIRM_YES, "n_clicks"),
                  Input(ids.CONFIRM_NO, "n_clicks"), State(ids.PENDING, "data"), prevent_initial_call=True)
def do_unmount(_yes, _no, mould_id):
    """Unmount after confirmation."""
    if ctx.triggered_id != ids.CONFIRM_YES or mould_id is None:
        return False, no_update, no_update
    try:
        closed = unmount(current_user, {"mould_id": mould_id, "unmounted_at": dt.datetime.now(dt.UTC).isoformat()})
    except FieldErrors as exc:
        return False, dbc.Alert(" ".join(exc.errors.values()), color="warning", dismissable=True), no_update
    return False, dbc.Alert(f"{closed.mould.code} was taken off {closed.press.code}.", color="success",
                            dismissable=True), {"unmounted": closed.id}
