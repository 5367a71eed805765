"""A list-and-edit widget for master data (moulds, presses, failure codes, PM templates, users, sites).

One CrudSpec describes an entity: its list columns and sorts, its form fields, and the service
functions that list, load, save and delete it. `crud_layout(spec)` builds the page part and
callbacks.crud.register(spec) attaches the behaviour (searching, sorting, paging, the edit dialog
with a message next to each field, a confirmation before deleting, and drafts kept in the browser).
Component ids are dicts keyed by the entity name, so several widgets can share a page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html


@dataclass(frozen=True)
class Field:
    """One form field: kind is text, textarea, int, decimal, select, multi, switch or password."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    help: str = ""
    options: Callable[[], list[dict]] | None = None
    create_only: bool = False
    width: int = 6


@dataclass(frozen=True)
class Column:
    """One list column: its heading, the sort key (None: not sortable) and how to show a row's value."""

    label: str
    sort: str | None
    cell: Callable[[Any], Any]
    wide_only: bool = False  # hidden below 992 px so a tablet in portrait needs no sideways scrolling

    @property
    def class_name(self) -> str | None:
        """CSS classes of the column's cells."""
        return "d-none d-lg-table-cell" if self.wide_only else None


@dataclass(frozen=True)
class CrudSpec:
    """Everything the list-and-edit widget needs to know about one entity."""

    name: str
    noun: str
    action: str
    columns: list[Column]
    fields: list[Field]
    list_rows: Callable[..., Any]  # (search, sort, page, per_page, site_ids) -> Page
    row_id: Callable[[Any], int]
    row_label: Callable[[Any], str]
    load: Callable[[int], dict | None]
    save: Callable[[Any, int | None, dict], Any]
    delete: Callable[[Any, int], str]
    default_sort: str = ""
    defaults: Callable[[], dict] = field(default=lambda: {})
    empty_hint: str = ""
    per_page: int = 20


def cid(spec: CrudSpec, part: str, **extra: Any) -> dict:
    """The id of one part of an entity's widget."""
    return {"crud": spec.name, "part": part, **extra}


def field_id(spec: CrudSpec, name: str) -> dict:
    """The id of a form field."""
    return {"crud": spec.name, "field": name}


def error_id(spec: CrudSpec, name: str) -> dict:
    """The id of a field's error message."""
    return {"crud": spec.name, "error": name}


def dom_id(component_id: dict) -> str:
    """The DOM id Dash gives a component with a dict id (for label 'for' attributes)."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def _control(spec: CrudSpec, f: Field) -> Any:
    fid = field_id(spec, f.name)
    common = {"id": fid}
    if f.kind == "textarea":
        return dbc.Textarea(**common, rows=4 if f.name != "items" else 10, className="form-control-lg")
    if f.kind in ("select", "multi"):
        return dcc.Dropdown(**common, options=f.options() if f.options else [], multi=f.kind == "multi",
                            clearable=not f.required, searchable=True, placeholder=f"Choose {f.label.lower()}")
    if f.kind == "switch":
        return dbc.Switch(**common, label=f.label, value=True, className="tm-switch fs-5")
    if f.kind == "int":
        return dbc.Input(**common, type="text", inputMode="numeric", autoComplete="off", size="lg")
    if f.kind == "decimal":
        return dbc.Input(**common, type="text", inputMode="decimal", autoComplete="off", size="lg")
    if f.kind == "password":
        return dbc.Input(**common, type="password", autoComplete="new-password", size="lg")
    return dbc.Input(**common, type="text", autoComplete="off", size="lg")


def form_fields(spec: CrudSpec) -> list:
    """The edit dialog's fields, each labelled, with its error slot next to it."""
    cols = []
    for f in spec.fields:
        label = None if f.kind == "switch" else dbc.Label(
            [f.label, html.Span(" *", className="text-danger") if f.required else None],
            html_for=dom_id(field_id(spec, f.name)), className="fw-semibold")
        cols.append(dbc.Col(
            html.Div([label, _control(spec, f), dbc.FormText(f.help) if f.help else None,
                      html.Div(id=error_id(spec, f.name), className="field-error", role="alert")],
                     className="form-field mb-2", id=cid(spec, "wrap", field=f.name)),
            md=f.width))
    return [dbc.Row(cols, className="g-3")]


def crud_layout(spec: CrudSpec, title: str | None = None) -> html.Div:
    """Search, sortable list with paging, the edit dialog and the delete confirmation of one entity."""
    sort_options = [{"label": f"{c.label} ↑", "value": c.sort} for c in spec.columns if c.sort] + \
        [{"label": f"{c.label} ↓", "value": f"-{c.sort}"} for c in spec.columns if c.sort]
    return html.Div(
        [
            dcc.Store(id=cid(spec, "refresh")),
            dcc.Store(id=cid(spec, "editing")),
            dcc.Store(id=cid(spec, "loaded")),
            dcc.Store(id=cid(spec, "deleting")),
            dcc.Store(id=cid(spec, "saved")),
            html.Div([html.H2(title, className="h4 mb-0 me-auto") if title else html.Div(className="me-auto"),
                      dbc.Button([html.I(className="bi bi-plus-lg me-1"), f"New {spec.noun}"],
                                 id=cid(spec, "new"), color="primary", size="lg")],
                     className="d-flex flex-wrap gap-2 align-items-center mb-3"),
            dbc.Row(
                [
                    dbc.Col([dbc.Label("Search", html_for=dom_id(cid(spec, "search")), className="fw-semibold"),
                             dbc.Input(id=cid(spec, "search"), type="search", debounce=True, size="lg",
                                       placeholder=f"Search {spec.noun}s")], md=7),
                    dbc.Col([dbc.Label("Sort by", html_for=dom_id(cid(spec, "sort")), className="fw-semibold"),
                             dbc.Select(id=cid(spec, "sort"), options=sort_options,
                                        value=spec.default_sort or sort_options[0]["value"], size="lg")], md=5),
                ],
                className="g-3 mb-2",
            ),
            html.Div(id=cid(spec, "message")),
            html.Div(id=cid(spec, "count"), className="text-body-secondary small mb-1"),
            dcc.Loading(html.Div(id=cid(spec, "rows")), type="dot"),
            dbc.Pagination(id=cid(spec, "page"), max_value=1, active_page=1, fully_expanded=False, first_last=True,
                           previous_next=True, className="mt-2"),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle(id=cid(spec, "title"))),
                    dbc.ModalBody([html.Div(id=cid(spec, "draft-note")), *form_fields(spec),
                                   html.Div(id=cid(spec, "form-error"))]),
                    dbc.ModalFooter([
                        dbc.Button("Cancel", id=cid(spec, "cancel"), color="secondary", outline=True, size="lg"),
                        dbc.Button("Save", id=cid(spec, "save"), color="primary", size="lg"),
                    ]),
                ],
                id=cid(spec, "modal"), size="lg", fullscreen="md-down", backdrop="static", scrollable=True,
            ),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle(f"Delete this {spec.noun}?")),
                    dbc.ModalBody(id=cid(spec, "confirm-text")),
                    dbc.ModalFooter([
                        dbc.Button("Keep it", id=cid(spec, "confirm-no"), color="secondary", outline=True, size="lg"),
                        dbc.Button("Delete", id=cid(spec, "confirm-yes"), color="danger", size="lg"),
                    ]),
                ],
                id=cid(spec, "confirm"), centered=True,
            ),
        ],
        className="tm-crud",
        id=cid(spec, "root"),
    )


def loader(model: type, to_values: Callable[[Any], dict]) -> Callable[[int], dict | None]:
    """A CrudSpec.load that reads one row (in the request's site scope) and turns it into form values."""

    def load(rid: int) -> dict | None:
        from data.db import db

        row = db.session.get(model, rid)
        return None if row is None else to_values(row)

    return load


def sort_header(spec: CrudSpec) -> html.Thead:
    """The list's column headings."""
    return html.Thead(html.Tr([html.Th(c.label, className=f"tm-sort {c.class_name or ''}") for c in spec.columns]
                              + [html.Th("")]))
