"""Log maintenance: preventive or corrective work on a mould, with its checklist, parts and photos."""

from __future__ import annotations

import dash
from dash import html

from auth.guard import page_layout
from auth.session import selected_site_ids
from components.forms import base_spec, form_island, mould_field, photo_field, shot_count_field
from data.maintenance import form_reference
from pages import maintenance_log_ids as ids

dash.register_page(__name__, path="/record/maintenance", name="Log maintenance",
                   title="Log maintenance · Tool Maintenance", nav=True, order=20, icon="wrench-adjustable",
                   action="log_maintenance", group="Record")


def fields(user_id: int) -> list[dict]:
    """The maintenance log's fields, in the order the technician fills them in."""
    return [
        mould_field(),
        {"name": "kind", "type": "radio", "label": "Kind of work", "required": True, "rerender": True,
         "options": [{"value": "preventive", "label": "Preventive (PM)"},
                     {"value": "corrective", "label": "Corrective (repair)"}]},
        {"name": "performed_at", "type": "datetime", "label": "When was the work done", "required": True,
         "default_now": True},
        {"name": "checklist", "type": "checklist", "label": "PM checklist", "default": [],
         "show_if": ["kind", "preventive"]},
        {"name": "work_done", "type": "textarea", "label": "Work done", "rows": 3,
         "help": "Needed for a repair; for PM, anything beyond the checklist."},
        {"name": "technician_ids", "type": "people", "label": "Technicians", "default": [str(user_id)]},
        {"name": "labour_hours", "type": "decimal", "label": "Labour hours", "class": "tm-half"},
        {"name": "downtime_hours", "type": "decimal", "label": "Downtime hours", "class": "tm-half",
         "help": "How long the mould could not run."},
        {**shot_count_field("Shot count at service: prefilled from the latest counter; correct it if the mould "
                            "counter says otherwise."), "label": "Shot count at service"},
        {"name": "parts", "type": "parts", "label": "Parts used", "default": []},
        {"name": "labour_cost", "type": "decimal", "label": "Other cost (labour, services)"},
        {"name": "notes", "type": "textarea", "label": "Notes", "rows": 2},
        photo_field(),
    ]


@page_layout("log_maintenance")
def layout(mould: str | None = None, **_query) -> html.Div:
    """The form island with the moulds, people and checklists of the sites in view."""
    from flask_login import current_user

    spec = base_spec("maintenance", "/api/v1/maintenance-logs", "Maintenance log", "Save log",
                     fields(current_user.id), form_reference(selected_site_ids()), photo_purpose="maintenance",
                     dependents={"mould_id": True, "kind": True}, values={"mould_id": mould} if mould else {})
    return html.Div(
        [
            html.H1("Log maintenance", className="h3 mb-1"),
            html.P("Preventive maintenance resets the mould's shots since PM. What you type is kept on this device "
                   "until it is saved, even without a connection.", className="text-body-secondary"),
            form_island(ids.FORM, spec),
        ],
        className="tm-page-narrow",
    )
