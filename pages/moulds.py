"""Moulds (managers): the mould register with PM intervals, status and where each mould is."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask_login import current_user

from auth.guard import page_layout
from components.crud import Column, CrudSpec, Field, crud_layout, loader
from data.models import Mould
from data.moulds import STATUS_LABELS, delete_mould, list_moulds, mould_form_values, save_mould, site_choices

dash.register_page(__name__, path="/manage/moulds", name="Moulds", title="Moulds · Tool Maintenance", nav=True,
                   order=40, icon="box-seam", action="edit_master", group="Manage")

STATUS_TONE = {"in_production": "success", "in_tool_room": "secondary", "waiting_for_repair": "warning",
               "retired": "dark"}


def _sites() -> list[dict]:
    sites = site_choices(current_user, "edit_master").values()
    return [{"label": f"{s.code} · {s.name}", "value": s.id} for s in sites]


def _family_options() -> list[dict]:
    from data.maintenance import checklists

    return [{"label": f, "value": f} for f in sorted(checklists())]


SPEC = CrudSpec(
    name="moulds", noun="mould", action="edit_master", default_sort="code",
    columns=[
        Column("Code", "code", lambda r: html.Strong(r[0].code)),
        Column("Name", "name", lambda r: r[0].name),
        Column("Site", "site", lambda r: r.site_code),
        Column("Family", "family", lambda r: r[0].family or "—", wide_only=True),
        Column("Status", "status", lambda r: dbc.Badge(STATUS_LABELS[r[0].status.value],
                                                       color=STATUS_TONE[r[0].status.value])),
        Column("Lifetime shots", "lifetime_shots", lambda r: f"{r[0].lifetime_shots:,}", wide_only=True),
        Column("Since PM", "shots_since_pm", lambda r: f"{r[0].shots_since_pm:,}"),
    ],
    fields=[
        Field("site_id", "Site", "select", required=True, options=_sites),
        Field("code", "Code", required=True, help="Unique, as stamped on the mould, e.g. T-104."),
        Field("name", "Name", required=True),
        Field("family", "Family", help="Moulds of a family share a PM checklist (PM templates)."),
        Field("status", "Status", "select", required=True,
              options=lambda: [{"label": v, "value": k} for k, v in STATUS_LABELS.items()]),
        Field("cavities", "Cavities", "int", required=True, width=3),
        Field("blocked_cavities", "Blocked cavities", help="Cavity numbers, e.g. 3, 5", width=3),
        Field("part_numbers", "Part numbers"),
        Field("customer", "Customer"),
        Field("pm_interval_shots", "PM interval (shots)", "int", width=4),
        Field("pm_interval_days", "PM interval (days)", "int", width=4),
        Field("pm_warning_pct", "Warning band (% of interval)", "int", width=4),
        Field("design_life_shots", "Design life (shots)", "int", width=4),
        Field("lifetime_shots", "Lifetime shots so far", "int", create_only=True, width=4,
              help="For a mould that has run before."),
        Field("shots_since_pm", "Shots since last PM", "int", create_only=True, width=4),
        Field("home_location", "Home location", width=4),
        Field("steel", "Steel", width=4),
        Field("maker", "Maker", width=4),
        Field("notes", "Notes", "textarea", width=12),
    ],
    list_rows=lambda search, sort, page, per_page, sites: list_moulds(search, None, sites, sort, page, per_page),
    row_id=lambda r: r[0].id, row_label=lambda m: m.code, load=loader(Mould, mould_form_values),
    save=save_mould, delete=delete_mould,
    defaults=lambda: {"status": "in_tool_room", "cavities": 1, "pm_warning_pct": 85,
                      "site_id": next(iter(site_choices(current_user, "edit_master")), None)},
    empty_hint="Add moulds one by one, or import a CSV or Excel file (Manage → Import moulds).",
)


@page_layout("edit_master")
def layout(**_query) -> html.Div:
    """The mould list and editor."""
    return html.Div([html.H1("Moulds", className="h3 mb-3"), crud_layout(SPEC)])
