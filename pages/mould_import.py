"""Import moulds (managers): a CSV or Excel file, previewed row by row before anything is written."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from data.mould_import import MAX_BYTES, MAX_ROWS
from pages import mould_import_ids as ids

dash.register_page(__name__, path="/manage/import-moulds", name="Import moulds",
                   title="Import moulds · Tool Maintenance", nav=True, order=45, icon="upload",
                   action="edit_master", group="Manage")


@page_layout("edit_master")
def layout(**_query) -> html.Div:
    """Upload, preview with an error per bad row, then import all or only the valid rows."""
    return html.Div(
        [
            dcc.Store(id=ids.FILE),
            dcc.Download(id=ids.TEMPLATE_DOWNLOAD),
            html.H1("Import moulds", className="h3 mb-1"),
            html.P(["One mould per row; the first row names the columns (site, code, name and cavities are needed). "
                    f"CSV or Excel (.xlsx), up to {MAX_ROWS:,} rows and {MAX_BYTES // 1048576} MB. Nothing is "
                    "written until you confirm. ",
                    dbc.Button("Download a template", id=ids.TEMPLATE, color="link", className="p-0 align-baseline")],
                   className="text-body-secondary"),
            html.Label("Moulds file", htmlFor=ids.UPLOAD, className="form-label fw-semibold"),
            dcc.Upload(id=ids.UPLOAD, accept=".csv,.xlsx,text/csv", multiple=False, max_size=MAX_BYTES,
                       children=html.Div([html.I(className="bi bi-upload fs-3 d-block"),
                                          "Drop the file here or tap to choose it"]),
                       className="tm-upload border border-2 rounded text-center p-4 mb-3"),
            html.Div(id=ids.SUMMARY),
            html.Div([dbc.Button("Import all rows", id=ids.IMPORT_ALL, color="primary", size="lg", disabled=True),
                      dbc.Button("Import only the valid rows", id=ids.IMPORT_VALID, color="warning", size="lg",
                                 className="d-none")], className="d-flex flex-wrap gap-2 mb-3"),
            html.Div(id=ids.RESULT),
            dcc.Loading(html.Div(id=ids.PREVIEW), type="dot"),
        ]
    )
