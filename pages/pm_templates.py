"""PM templates (admins): the checklist each mould family gets at preventive maintenance."""

from __future__ import annotations

import dash
from dash import html

from auth.guard import page_layout
from components.crud import Column, CrudSpec, Field, crud_layout, loader
from data.models import PMTemplate
from data.pm_templates import delete_template, list_templates, save_template, template_form_values

dash.register_page(__name__, path="/manage/pm-templates", name="PM templates",
                   title="PM templates · Tool Maintenance", nav=True, order=44, icon="card-checklist",
                   action="edit_catalogue", group="Manage")

SPEC = CrudSpec(
    name="templates", noun="PM template", action="edit_catalogue", default_sort="family",
    columns=[
        Column("Mould family", "family", lambda r: html.Strong(r[0].family)),
        Column("Name", "name", lambda r: r[0].name),
        Column("Checklist items", "items", lambda r: r.items),
    ],
    fields=[
        Field("family", "Mould family", required=True, help="Moulds whose family is this get this checklist."),
        Field("name", "Name", required=True),
        Field("items", "Checklist items, one per line", "textarea", required=True, width=12,
              help="In the order the technician works through them."),
    ],
    list_rows=lambda search, sort, page, per_page, _sites: list_templates(search, sort, page, per_page),
    row_id=lambda r: r[0].id, row_label=lambda t: t.family, load=loader(PMTemplate, template_form_values),
    save=save_template, delete=delete_template,
    empty_hint="Add a checklist per mould family; preventive maintenance logs follow it.",
)


@page_layout("edit_catalogue")
def layout(**_query) -> html.Div:
    """The template list and editor."""
    return html.Div([html.H1("PM templates", className="h3 mb-3"), crud_layout(SPEC)])
