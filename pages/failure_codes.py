"""Failure codes (admins): the ISO 14224-style catalogue the failure reports pick from."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from auth.guard import page_layout
from components.crud import Column, CrudSpec, Field, crud_layout, loader
from data.catalogue import code_form_values, delete_code, list_codes, save_code
from data.failures import SEVERITY_LABELS
from data.models import FailureCode

dash.register_page(__name__, path="/manage/failure-codes", name="Failure codes",
                   title="Failure codes · Tool Maintenance", nav=True, order=43, icon="tags",
                   action="edit_catalogue", group="Manage")

TONE = {"low": "secondary", "medium": "warning", "high": "danger", "critical": "danger"}

SPEC = CrudSpec(
    name="codes", noun="failure code", action="edit_catalogue", default_sort="code",
    columns=[
        Column("Code", "code", lambda r: html.Strong(r[0].code)),
        Column("Mode", "mode", lambda r: r[0].mode),
        Column("Mechanism", "mechanism", lambda r: r[0].mechanism),
        Column("Cause", "cause", lambda r: r[0].cause, wide_only=True),
        Column("Component", "component", lambda r: r[0].component),
        Column("Severity", "severity", lambda r: dbc.Badge(SEVERITY_LABELS[r[0].default_severity.value],
                                                           color=TONE[r[0].default_severity.value])),
        Column("In use", None, lambda r: "yes" if r[0].active else "no (hidden in forms)", wide_only=True),
    ],
    fields=[
        Field("code", "Code", required=True, help="Short and unique, e.g. WL-CO-CC."),
        Field("default_severity", "Default severity", "select", required=True,
              options=lambda: [{"label": v, "value": k} for k, v in SEVERITY_LABELS.items()]),
        Field("mode", "Failure mode", required=True, help="What was observed: flash, short shot, water leak..."),
        Field("mechanism", "Mechanism", required=True, help="How: wear, fatigue, corrosion..."),
        Field("cause", "Cause", required=True, help="Why: design, manufacture, operation, maintenance..."),
        Field("component", "Component", required=True, help="Where: cavity, core, ejector system, hot runner..."),
        Field("description", "Description", "textarea", width=12),
        Field("active", "Offered in the failure report form", "switch", width=12),
    ],
    list_rows=lambda search, sort, page, per_page, _sites: list_codes(search, None, sort, page, per_page),
    row_id=lambda r: r[0].id, row_label=lambda c: c.code, load=loader(FailureCode, code_form_values),
    save=save_code, delete=delete_code, defaults=lambda: {"active": True, "default_severity": "medium"},
    empty_hint="Failure reports pick from this catalogue: add the codes your plant uses.",
)


@page_layout("edit_catalogue")
def layout(**_query) -> html.Div:
    """The catalogue list and editor."""
    return html.Div([html.H1("Failure codes", className="h3 mb-3"), crud_layout(SPEC)])
