"""Behaviour of the mould import page: preview the file, then import all or only the valid rows."""

from __future__ import annotations

import base64

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update
from flask_login import current_user

from auth.guard import secured_callback
from data.mould_import import ImportFileError, check_rows, import_rows, template_csv
from pages import mould_import_ids as ids

PREVIEW_ROWS = 200


def _decode(contents: str) -> bytes:
    return base64.b64decode(contents.split(",", 1)[1]) if contents and "," in contents else b""


@secured_callback("edit_master", Output(ids.FILE, "data"), Output(ids.SUMMARY, "children"),
                  Output(ids.PREVIEW, "children"), Output(ids.IMPORT_ALL, "disabled"),
                  Output(ids.IMPORT_VALID, "className"), Output(ids.IMPORT_VALID, "children"),
                  Output(ids.RESULT, "children"),
                  Input(ids.UPLOAD, "contents"), State(ids.UPLOAD, "filename"), prevent_initial_call=True)
def preview(contents, filename):
    """Check every row of the uploaded file and show what would be imported and what is wrong."""
    hidden = "d-none"
    try:
        checks = check_rows(current_user, filename or "", _decode(contents))
    except ImportFileError as exc:
        return None, dbc.Alert(str(exc), color="danger"), None, True, hidden, no_update, None
    bad = [c for c in checks if not c.ok]
    good = len(checks) - len(bad)
    rows = []
    for c in checks[:PREVIEW_ROWS]:
        errors = [html.Div(f"{k.replace('_id', '').replace('_', ' ')}: {v}") for k, v in c.errors.items()]
        cells = [str(c.raw.get(k, "")) for k in ("site_id", "code", "name", "cavities")]
        rows.append(html.Tr([html.Td(c.line), *(html.Td(v) for v in cells),
                             html.Td(errors or dbc.Badge("OK", color="success"), className="text-danger small")],
                            className="table-danger" if c.errors else None))
    head = html.Thead(html.Tr([html.Th(h) for h in ("Line", "Site", "Code", "Name", "Cavities", "Check")]))
    more = html.P(f"Showing the first {PREVIEW_ROWS} of {len(checks):,} rows.", className="small") \
        if len(checks) > PREVIEW_ROWS else None
    table = html.Div([dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, id="import-table"), more])
    if bad:
        summary = dbc.Alert(f"{len(bad)} of {len(checks)} rows have errors (marked red). Fix the file and upload it "
                            f"again, or import only the {good} valid rows.", color="warning", id="import-status")
    else:
        summary = dbc.Alert(f"All {len(checks)} rows are valid.", color="success", id="import-status")
    file = {"name": filename, "contents": contents}
    return (file, summary, table, bool(bad), "" if bad and good else hidden,
            f"Import only the {good} valid rows", None)


@secured_callback("edit_master", Output(ids.RESULT, "children", allow_duplicate=True),
                  Output(ids.IMPORT_ALL, "disabled", allow_duplicate=True),
                  Output(ids.IMPORT_VALID, "className", allow_duplicate=True),
                  Input(ids.IMPORT_ALL, "n_clicks"), Input(ids.IMPORT_VALID, "n_clicks"), State(ids.FILE, "data"),
                  prevent_initial_call=True)
def do_import(_all, _valid, file):
    """Import in one transaction; with errors in the file only when the user chose the valid rows."""
    if not file:
        return dbc.Alert("Upload a file first.", color="warning"), True, "d-none"
    only_valid = ctx.triggered_id == ids.IMPORT_VALID
    try:
        imported, skipped = import_rows(current_user, file["name"] or "", _decode(file["contents"]), only_valid)
    except ImportFileError as exc:
        return dbc.Alert(str(exc), color="danger"), no_update, no_update
    text = f"Imported {imported} moulds." + (f" {skipped} rows with errors were left out." if skipped else "")
    return dbc.Alert([text, " ", html.A("See the moulds", href="/manage/moulds")], color="success",
                     id="import-done"), True, "d-none"


@secured_callback("edit_master", Output(ids.TEMPLATE_DOWNLOAD, "data"), Input(ids.TEMPLATE, "n_clicks"),
                  prevent_initial_call=True)
def template(_n):
    """A CSV with the expected columns and an example row."""
    return dcc.send_string(template_csv(), "moulds-template.csv")
