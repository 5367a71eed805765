"""Presses (managers): the injection moulding machines of each site."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask_login import current_user

from auth.guard import page_layout
from components.crud import Column, CrudSpec, Field, crud_layout, loader
from data.models import Press
from data.moulds import site_choices
from data.presses import delete_press, list_presses, press_form_values, save_press

dash.register_page(__name__, path="/manage/presses", name="Presses", title="Presses · Tool Maintenance", nav=True,
                   order=41, icon="hdd-rack", action="edit_master", group="Manage")


def _sites() -> list[dict]:
    sites = site_choices(current_user, "edit_master").values()
    return [{"label": f"{s.code} · {s.name}", "value": s.id} for s in sites]


SPEC = CrudSpec(
    name="presses", noun="press", action="edit_master", default_sort="code",
    columns=[
        Column("Code", "code", lambda r: html.Strong(r[0].code)),
        Column("Name", "name", lambda r: r[0].name or "—"),
        Column("Site", "site", lambda r: r.site_code),
        Column("Maker", "manufacturer", lambda r: r[0].manufacturer or "—", wide_only=True),
        Column("Clamp force", "tonnage", lambda r: f"{r[0].tonnage} t" if r[0].tonnage else "—", wide_only=True),
        Column("Mould on it", "mould", lambda r: r.mould_code or "—"),
        Column("Active", None, lambda r: dbc.Badge("active", color="success") if r[0].active
               else dbc.Badge("inactive", color="secondary")),
    ],
    fields=[
        Field("site_id", "Site", "select", required=True, options=_sites),
        Field("code", "Code", required=True, help="Unique, e.g. NTH-P07."),
        Field("name", "Name"),
        Field("manufacturer", "Manufacturer"),
        Field("model", "Model"),
        Field("serial_number", "Serial number"),
        Field("tonnage", "Clamp force (t)", "int"),
        Field("opcua_endpoint", "OPC UA endpoint", help="opc.tcp://host:4840 when the press reports its counters."),
        Field("active", "Active (can take moulds)", "switch", width=12),
    ],
    list_rows=lambda search, sort, page, per_page, sites: list_presses(search, sites, sort, page, per_page),
    row_id=lambda r: r[0].id, row_label=lambda p: p.code, load=loader(Press, press_form_values),
    save=save_press, delete=delete_press,
    defaults=lambda: {"active": True, "site_id": next(iter(site_choices(current_user, "edit_master")), None)},
    empty_hint="Add the presses of your site.",
)


@page_layout("edit_master")
def layout(**_query) -> html.Div:
    """The press list and editor."""
    return html.Div([html.H1("Presses", className="h3 mb-3"), crud_layout(SPEC)])
