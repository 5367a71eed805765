"""Data grids (dash-ag-grid) with a CSV export of the rows shown, and number/date column helpers.

Every grid gets the dict id {"type": GRID, "name": name}; one browser-side callback (callbacks/grids.py)
wires each grid's "Export CSV" button, so the export always holds the rows as filtered and sorted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import dcc, html

from components.cards import empty_state

GRID = "dash-grid"
EXPORT = "dash-grid-export"
NAV = "dash-grid-nav"
COUNT = "dash-grid-count"
THEME = {"function": "themeQuartz.withParams({spacing: 5, fontSize: 13, headerFontWeight: 600, "
                     "headerBackgroundColor: '#f1f3f5', wrapperBorderRadius: 6, accentColor: '#0d6efd'})"}


def grid_id(name: str) -> dict:
    """The id of the grid called name."""
    return {"type": GRID, "name": name}


def num_col(field: str, header: str, decimals: int = 0, width: int | None = None, suffix: str = "", **kw) -> dict:
    """A right-aligned number column with thousands separators."""
    fmt = f",.{decimals}f"
    col = {"field": field, "headerName": header, "type": "rightAligned", "filter": "agNumberColumnFilter",
           "valueFormatter": {"function": f"params.value == null ? '' : d3.format('{fmt}')(params.value) + '{suffix}'"}}
    if width:
        col["width"] = width
    col.update(kw)
    return col


def pct_col(field: str, header: str, width: int = 150, **kw) -> dict:
    """A percentage column drawn as a bar (values in percent)."""
    col = {"field": field, "headerName": header, "type": "rightAligned", "filter": "agNumberColumnFilter",
           "cellRenderer": "PctBar", "width": width}
    col.update(kw)
    return col


def date_col(field: str, header: str, with_time: bool = False, width: int = 130, **kw) -> dict:
    """A date (or date and time, UTC) column from ISO 8601 strings, sortable as text."""
    n = 16 if with_time else 10
    col = {"field": field, "headerName": header, "width": width, "filter": "agDateColumnFilter",
           "filterParams": {"comparator": {"function": "dateFilterComparator"}},
           "valueFormatter": {"function": f"params.value ? params.value.slice(0, {n}).replace('T', ' ') : ''"}}
    col.update(kw)
    return col


def link_col(field: str, header: str, width: int = 110, **kw) -> dict:
    """A mould code column that opens the mould page when clicked."""
    col = {"field": field, "headerName": header, "width": width, "cellClass": "grid-link", "pinned": "left"}
    col.update(kw)
    return col


def records(df: pd.DataFrame, columns: Iterable[str] | None = None) -> list[dict]:
    """DataFrame rows as JSON-safe dicts: ISO 8601 for dates and times, None for NaN/NaT, plain numbers."""
    cols = list(columns) if columns is not None else list(df.columns)
    out = df[cols].copy()
    for c in cols:
        s = out[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            utc = s.dt.tz_convert("UTC") if s.dt.tz is not None else s.dt.tz_localize("UTC")
            out[c] = utc.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        elif s.dtype == object:
            out[c] = s.map(_plain)
    values = []
    for c in cols:
        column = out[c].tolist()
        for i in np.flatnonzero(out[c].isna().to_numpy()):  # NaN, NaT and pd.NA become null
            column[i] = None
        values.append(column)
    return [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]


def _plain(value: Any) -> Any:
    """A JSON-safe value for an object column: ISO 8601 for dates and times, numbers as numbers."""
    if value is None or value is pd.NaT:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def data_grid(name: str, column_defs: list[dict], rows: list[dict], *, export_name: str, title: str = "",
              height: int = 460, row_id: str = "'' + params.data.id", empty: tuple[str, str] | None = None,
              page_size: int | None = None, note: str = "", fit: bool = True) -> html.Div:
    """A titled grid with a row count and an 'Export CSV' button, or an empty state when there are no rows."""
    if not rows and empty is not None:
        return html.Div([html.H2(title, className="h6 mb-2") if title else None, empty_state(*empty)],
                        className="grid-block")
    options: dict[str, Any] = {"theme": THEME, "animateRows": False, "enableCellTextSelection": True,
                               "tooltipShowDelay": 300}
    if page_size:
        options.update(pagination=True, paginationPageSize=page_size, paginationPageSizeSelector=False)
    grid = dag.AgGrid(
        id=grid_id(name), columnDefs=column_defs, rowData=rows, getRowId=row_id,
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "floatingFilter": False,
                       "minWidth": 80},
        dashGridOptions=options, columnSize="responsiveSizeToFit" if fit else None,
        csvExportParams={"fileName": f"{export_name}.csv"}, style={"height": f"{height}px", "width": "100%"},
    )
    toolbar = html.Div(
        [
            html.H2(title, className="h6 mb-0 me-auto") if title else html.Div(className="me-auto"),
            html.Span(note, className="small text-body-secondary me-3") if note else None,
            html.Span(f"{len(rows):,} rows", className="small text-body-secondary me-3",
                      id={"type": COUNT, "name": name}),
            dbc.Button([html.I(className="bi bi-download me-1"), "Export CSV"], id={"type": EXPORT, "name": name},
                       size="sm", color="secondary", outline=True, className="grid-export"),
        ],
        className="d-flex align-items-center mb-2",
    )
    return html.Div([toolbar, grid, dcc.Store(id={"type": NAV, "name": name})], className="grid-block")
