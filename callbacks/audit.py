"""Behaviour of the audit log page: filtering and paging."""

from __future__ import annotations

import json
import math

import dash_bootstrap_components as dbc
from dash import Input, Output, ctx, html

from auth.guard import secured_callback
from components.cards import empty_state
from data.audit import audit_entries
from pages import audit_ids as ids

PER_PAGE = 50


def _values(values: dict | None) -> str:
    return "" if not values else json.dumps(values, ensure_ascii=False, sort_keys=True)[:400]


@secured_callback("admin", Output(ids.ROWS, "children"), Output(ids.COUNT, "children"),
                  Output(ids.PAGE, "max_value"), Output(ids.PAGE, "active_page"),
                  Input(ids.TABLE, "value"), Input(ids.PAGE, "active_page"))
def show(table, page):
    """One page of entries for the chosen table (a new filter goes back to page 1)."""
    page = 1 if ctx.triggered_id == ids.TABLE or not page else int(page)
    rows, total = audit_entries(table, page, PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    if not rows:
        return empty_state("No changes recorded yet."), "0 entries", 1, 1
    body = [
        html.Tr([html.Td(f"{r.at:%Y-%m-%d %H:%M:%S}"), html.Td(username or "system"), html.Td(r.action),
                 html.Td(f"{r.table_name} #{r.record_id}"), html.Td(_values(r.old), className="small text-break"),
                 html.Td(_values(r.new), className="small text-break")])
        for r, username in rows
    ]
    head = html.Thead(html.Tr([html.Th(h) for h in ("When (UTC)", "User", "Change", "Record", "Before", "After")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", striped=True, responsive=True), f"{total:,} entries", \
        pages, page
