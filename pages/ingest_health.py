"""Ingest health (admins): readings accepted and rejected, the last reading per press and sensor, edge processes."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import page_layout
from components.dashboard import page_header
from pages import ingest_health_ids as ids

dash.register_page(__name__, path="/admin/ingest", name="Ingest health", title="Ingest health · Tool Maintenance",
                   nav=True, order=94, icon="broadcast", action="admin", group="Admin")

REFRESH_MS = 15_000


def _limits_form() -> dbc.Card:
    field = lambda label, component: dbc.Col([dbc.Label(label, html_for=component.id, className="small mb-1"),  # noqa: E731
                                              component], md=3)
    return dbc.Card([
        dbc.CardHeader("Sensor names and limits"),
        dbc.CardBody([
            html.P("A reading outside a sensor's limits opens an alert; leave a limit empty for none.",
                   className="small text-body-secondary"),
            dbc.Row([
                field("Sensor", dcc.Dropdown(id=ids.SENSOR_PICK, placeholder="Choose a sensor", clearable=False)),
                field("Name", dbc.Input(id=ids.SENSOR_NAME, maxLength=120)),
                dbc.Col([dbc.Label("Low limit", html_for=ids.SENSOR_LOW, className="small mb-1"),
                         dbc.Input(id=ids.SENSOR_LOW, type="number", step="any")], md=2),
                dbc.Col([dbc.Label("High limit", html_for=ids.SENSOR_HIGH, className="small mb-1"),
                         dbc.Input(id=ids.SENSOR_HIGH, type="number", step="any")], md=2),
                dbc.Col(dbc.Button("Save limits", id=ids.SENSOR_SAVE, color="primary", disabled=True,
                                   className="w-100"), md=2, className="d-flex align-items-end"),
            ], className="g-2"),
            html.Div(id=ids.SENSOR_MSG, className="mt-2"),
        ]),
    ], className="shadow-sm mb-4")


@page_layout("admin")
def layout(**_query) -> html.Div:
    """Cards and grids filled by callbacks.ingest_health; they refresh every 15 s."""
    return html.Div(
        [
            page_header("Ingest health", "Shot counters from the presses (OPC UA) and sensor data (MQTT): what "
                                         "arrives, what is refused, and the edge processes that send it.",
                        right=html.Span(id=ids.UPDATED, className="small text-body-secondary")),
            dcc.Interval(id=ids.REFRESH, interval=REFRESH_MS),
            dcc.Store(id=ids.VERSION, data=0),
            dcc.Loading(html.Div(id=ids.CARDS), type="dot", delay_show=300),
            dbc.Tabs([
                dbc.Tab(html.Div(id=ids.PRESSES, className="pt-3"), label="Presses", tab_id="presses"),
                dbc.Tab(html.Div(id=ids.SENSORS, className="pt-3"), label="Sensors", tab_id="sensors"),
                dbc.Tab(html.Div(id=ids.AGENTS, className="pt-3"), label="Edge processes", tab_id="agents"),
                dbc.Tab(html.Div(id=ids.REJECTIONS, className="pt-3"), label="Refused", tab_id="rejections"),
            ], active_tab="presses", className="mt-4"),
            html.Div(_limits_form(), className="mt-4"),
        ]
    )
