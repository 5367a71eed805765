"""Browser-side behaviour every data grid shares: CSV export of the rows shown, and opening a mould from a row."""

from __future__ import annotations

from dash import MATCH, Input, Output

from auth.guard import clientside_callback
from components.grid import EXPORT, GRID, NAV

clientside_callback(
    "function(n) { return n ? true : window.dash_clientside.no_update; }",
    Output({"type": GRID, "name": MATCH}, "exportDataAsCsv"),
    Input({"type": EXPORT, "name": MATCH}, "n_clicks"),
    prevent_initial_call=True,
)

# A row whose id is a path (the mould health grid) opens it; elsewhere a click on a mould code does.
clientside_callback(
    """function(cell) {
        if (!cell) { return window.dash_clientside.no_update; }
        let href = null;
        if (typeof cell.rowId === 'string' && cell.rowId.startsWith('/')) { href = cell.rowId; }
        else if ((cell.colId === 'mould' || cell.colId === 'code') && cell.value && cell.value !== '—') {
            href = '/tools/' + encodeURIComponent(cell.value);
        }
        if (!href) { return window.dash_clientside.no_update; }
        window.history.pushState({}, '', href);
        window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
        window.scrollTo(0, 0);
        return href;
    }""",
    Output({"type": NAV, "name": MATCH}, "data"),
    Input({"type": GRID, "name": MATCH}, "cellClicked"),
    prevent_initial_call=True,
)
