"""Report failure: a coded failure on a mould (mode, mechanism, cause, component), photos, an action item."""

from __future__ import annotations

import dash
from dash import html

from auth.guard import page_layout
from auth.session import selected_site_ids
from components.forms import base_spec, form_island, mould_field, photo_field, shot_count_field
from data.failures import SEVERITY_LABELS, catalogue_tree
from data.maintenance import form_reference
from pages import failure_report_ids as ids

dash.register_page(__name__, path="/record/failure", name="Report failure", title="Report failure · Tool Maintenance",
                   nav=True, order=21, icon="exclamation-triangle", action="report_failure", group="Record")

SEVERITY_TONES = {"low": "secondary", "medium": "warning", "high": "danger", "critical": "danger"}
LEVELS = [{"name": "mode", "label": "Failure mode"}, {"name": "mechanism", "label": "Mechanism"},
          {"name": "cause", "label": "Cause"}, {"name": "component", "label": "Component"}]


def fields() -> list[dict]:
    """The failure report's fields."""
    follow = ["add_action", True]
    return [
        mould_field(),
        {"name": "occurred_at", "type": "datetime", "label": "When did it happen", "required": True,
         "default_now": True},
        {"name": "cavity", "type": "select", "label": "Cavity", "options_from": "cavities"},
        {"name": "failure_code_id", "type": "cascade", "label": "Failure (from the catalogue)", "required": True,
         "levels": LEVELS},
        {"name": "severity", "type": "radio", "label": "Severity", "required": True, "prefill": "code.severity",
         "options": [{"value": k, "label": v, "tone": SEVERITY_TONES[k]} for k, v in SEVERITY_LABELS.items()]},
        {"name": "description", "type": "textarea", "label": "What did you see", "required": True, "rows": 3},
        shot_count_field("Shot count when it failed: prefilled from the latest counter."),
        {"name": "downtime_hours", "type": "decimal", "label": "Downtime hours"},
        photo_field(),
        {"name": "follow_up", "type": "heading", "label": "Follow-up"},
        {"name": "add_action", "type": "switch", "label": "Add an action item", "default": False},
        {"name": "action_title", "type": "text", "label": "Action", "required": True, "max": 200, "show_if": follow},
        {"name": "action_due_date", "type": "date", "label": "Due date", "show_if": follow},
        {"name": "action_owner_id", "type": "select", "label": "Owner", "options_from": "people", "show_if": follow,
         "empty_label": "Nobody yet (a manager assigns it)"},
        {"name": "action_description", "type": "textarea", "label": "Action details", "rows": 2, "show_if": follow},
    ]


@page_layout("report_failure")
def layout(mould: str | None = None, **_query) -> html.Div:
    """The form island with the moulds, people and failure-code catalogue."""
    ref = form_reference(selected_site_ids()) | {"codes": catalogue_tree()}
    spec = base_spec("failure", "/api/v1/failure-reports", "Failure report", "Report failure", fields(), ref,
                     photo_purpose="failure", dependents={"mould_id": True, "failure_code_id": True},
                     values={"mould_id": mould} if mould else {})
    return html.Div(
        [
            html.H1("Report failure", className="h3 mb-1"),
            html.P("High and critical failures notify the managers at once. Pick the failure from the catalogue: "
                   "mode first, then mechanism, cause and component.", className="text-body-secondary"),
            form_island(ids.FORM, spec),
        ],
        className="tm-page-narrow",
    )
