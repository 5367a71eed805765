"""Behaviour of the admin Ingest health page: the numbers, four grids, and editing a sensor's limits."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, no_update

from auth.guard import secured_callback
from auth.session import selected_site_ids
from components.cards import kpi_card
from components.grid import data_grid, date_col, num_col
from config import get_config
from data import ingest_health as health
from data.db import db
from data.models import utcnow
from data.sensor_store import update_limits
from pages import ingest_health_ids as ids

STATE_CLASS = {"cellClassRules": {"text-danger fw-semibold": "params.value === 'silent'",
                                  "text-success": "params.value === 'reporting'"}}


def age(seconds: float | None) -> str:
    """How long ago, the short way (12 s, 5 min, 3 h, 2 d)."""
    if seconds is None:
        return "never"
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _iso(ts: dt.datetime | None) -> str | None:
    return ts.isoformat() if ts is not None else None


def _cards(s: health.Summary) -> dbc.Row:
    c, sensors = s.last_24h["counters"], s.last_24h["sensors"]
    rejected = c.rejected_total + sensors.rejected_total
    by_reason = Counter(c.rejected) + Counter(sensors.rejected)
    reasons = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in by_reason.most_common(3))
    cards = [
        kpi_card("Counter readings, 24 h", c.accepted, f"{c.duplicates:,} repeats ignored", "primary",
                 "ingest-card-counters"),
        kpi_card("Sensor readings, 24 h", sensors.accepted, f"{sensors.duplicates:,} repeats ignored", "primary",
                 "ingest-card-sensors"),
        kpi_card("Refused, 24 h", rejected, reasons or "nothing refused", "danger" if rejected else "success",
                 "ingest-card-rejected"),
        kpi_card("Presses reporting", f"{s.presses_fresh} / {s.presses}", "within the stale limit",
                 "success" if s.presses_fresh == s.presses else "warning", "ingest-card-presses"),
        kpi_card("Sensors reporting", f"{s.sensors_fresh} / {s.sensors}",
                 f"{s.sensors_in_excursion} outside their limits now",
                 "warning" if s.sensors_in_excursion or s.sensors_fresh < s.sensors else "success",
                 "ingest-card-sensors-fresh"),
        kpi_card("Spooled at the edge", s.spool_depth, f"{s.agents} edge processes, {s.agents_silent} silent; "
                 f"{s.dead_letters:,} set aside", "warning" if s.spool_depth or s.agents_silent else "success",
                 "ingest-card-spool"),
    ]
    return dbc.Row([dbc.Col(card, md=4, lg=2) for card in cards], className="g-3")


def _presses(rows: list[dict], limit: float):
    data = [{"id": f"{r['press']}/{r['counter']}", "site": r["site"], "press": r["press"],
             "counter": r["counter"], "last_ts": _iso(r["last_ts"]), "age": age(r["age_s"]), "age_s": r["age_s"],
             "state": "silent" if r["age_s"] > limit else "reporting", "value": r["value"], "mould": r["mould"] or "—",
             "readings": r["readings"], "shots": r["shots"]} for r in rows]
    cols = [{"field": "site", "headerName": "Site", "width": 80}, {"field": "press", "headerName": "Press"},
            {"field": "counter", "headerName": "Counter"},
            {"field": "state", "headerName": "State", "width": 110, **STATE_CLASS},
            date_col("last_ts", "Last reading (UTC)", with_time=True, width=170),
            {"field": "age", "headerName": "Age", "width": 90, "comparator": {"function": "(a, b, na, nb) => "
                                                                              "na.data.age_s - nb.data.age_s"}},
            num_col("value", "Counter value"), {"field": "mould", "headerName": "Mould", "cellClass": "grid-link"},
            num_col("readings", "Readings"), num_col("shots", "Shots counted")]
    return data_grid("ingest-presses", cols, data, export_name="ingest-presses", title="Last counter reading per press",
                     row_id="params.data.id", page_size=25, height=520,
                     empty=("No counter readings yet.", "Start an OPC UA poller (python -m ingest.opcua --config FILE) "
                            "with a token from `flask --app app token create NAME --site CODE`."))


def _sensors(rows: list[dict], limit: float):
    data = [{"id": str(r["id"]), "site": r["site"], "press": r["press"], "sensor": r["sensor"], "name": r["name"],
             "unit": r["unit"], "value": r["value"], "last_ts": _iso(r["last_ts"]), "age": age(r["age_s"]),
             "state": "silent" if r["age_s"] is None or r["age_s"] > limit else "reporting",
             "low": r["low"], "high": r["high"], "excursion": "yes" if r["in_alert"] else "",
             "readings": r["readings"]} for r in rows]
    cols = [{"field": "site", "headerName": "Site", "width": 80}, {"field": "press", "headerName": "Press"},
            {"field": "sensor", "headerName": "Key"}, {"field": "name", "headerName": "Name"},
            {"field": "state", "headerName": "State", "width": 110, **STATE_CLASS},
            num_col("value", "Last value", 2), {"field": "unit", "headerName": "Unit", "width": 80},
            date_col("last_ts", "Last reading (UTC)", with_time=True, width=170),
            {"field": "age", "headerName": "Age", "width": 90},
            num_col("low", "Low limit", 2), num_col("high", "High limit", 2),
            {"field": "excursion", "headerName": "Outside limits", "width": 120,
             "cellClassRules": {"text-danger fw-semibold": "params.value === 'yes'"}},
            num_col("readings", "Readings")]
    return data_grid("ingest-sensors", cols, data, export_name="ingest-sensors", title="Sensors",
                     row_id="params.data.id", page_size=25, height=520,
                     empty=("No sensors yet.", "Sensors appear with their first reading: start the MQTT listener "
                            "(python -m ingest.mqtt --config FILE)."))


def _agents(rows: list[dict], limit: float):
    data = [{"id": f"{r['token']}/{r['name']}", "site": r["site"], "name": r["name"], "kind": r["kind"],
             "token": r["token"], "last_seen": _iso(r["last_seen_at"]), "age": age(r["age_s"]),
             "state": "silent" if r["age_s"] > limit else "reporting", "spool": r["spool_depth"],
             "dead": r["dead_letters"], "connected": f"{r['connected']} / {r['sources']}", "detail": r["detail"],
             "version": r["version"]} for r in rows]
    cols = [{"field": "site", "headerName": "Site", "width": 80}, {"field": "name", "headerName": "Process"},
            {"field": "kind", "headerName": "Kind", "width": 90}, {"field": "token", "headerName": "Token"},
            {"field": "state", "headerName": "State", "width": 110, **STATE_CLASS},
            date_col("last_seen", "Last report (UTC)", with_time=True, width=170),
            {"field": "age", "headerName": "Age", "width": 90}, num_col("spool", "Spooled"),
            num_col("dead", "Set aside"), {"field": "connected", "headerName": "Connected", "width": 110},
            {"field": "detail", "headerName": "Detail", "flex": 2, "tooltipField": "detail"}]
    return data_grid("ingest-agents", cols, data, export_name="ingest-agents", title="Edge processes",
                     row_id="params.data.id", page_size=25, height=420,
                     empty=("No edge process has reported yet.", "Pollers and listeners report with every batch and "
                            "every 15 s when idle."))


def _rejections(rows: list[dict]):
    data = [{"id": str(i), "at": _iso(r["at"]), "site": r["site"], "stream": r["stream"], "reason": r["reason"],
             "token": r["token"], "items": r["items"], "message": r["message"]} for i, r in enumerate(rows)]
    cols = [date_col("at", "When (UTC)", with_time=True, width=160), {"field": "site", "headerName": "Site",
                                                                       "width": 80},
            {"field": "stream", "headerName": "Stream", "width": 100}, {"field": "reason", "headerName": "Reason"},
            {"field": "token", "headerName": "Token"}, num_col("items", "Readings", width=100),
            {"field": "message", "headerName": "Message", "flex": 3, "tooltipField": "message", "wrapText": False}]
    return data_grid("ingest-rejections", cols, data, export_name="ingest-refused",
                     title="Refused requests and readings (latest first)", row_id="params.data.id", page_size=25,
                     height=520, empty=("Nothing refused.", "Bad batches, unknown presses and wrong tokens show "
                                                            "up here with the message the sender got."))


@secured_callback("admin", Output(ids.CARDS, "children"), Output(ids.PRESSES, "children"),
                  Output(ids.SENSORS, "children"), Output(ids.AGENTS, "children"),
                  Output(ids.REJECTIONS, "children"), Output(ids.SENSOR_PICK, "options"),
                  Output(ids.UPDATED, "children"), Input(ids.REFRESH, "n_intervals"), Input(ids.VERSION, "data"))
def refresh(_n, _version):
    """Everything on the page for the sites in view."""
    now = utcnow()
    sites = selected_site_ids()
    stale = dt.timedelta(minutes=get_config().ingest_stale_minutes)
    limit = stale.total_seconds()
    sensors = health.sensor_status(now, sites)
    options = [{"label": f"{r['press']} · {r['name'] or r['sensor']} ({r['sensor']})", "value": r["id"]}
               for r in sensors]
    return (_cards(health.summary(now, stale, sites)), _presses(health.press_status(now, sites), limit),
            _sensors(sensors, limit), _agents(health.agent_status(now, sites), limit),
            _rejections(health.recent_rejections(sites)), options,
            f"Updated {now:%H:%M:%S} UTC · silent after {get_config().ingest_stale_minutes} min")


@secured_callback("admin", Output(ids.SENSOR_NAME, "value"), Output(ids.SENSOR_LOW, "value"),
                  Output(ids.SENSOR_HIGH, "value"), Output(ids.SENSOR_SAVE, "disabled"),
                  Input(ids.SENSOR_PICK, "value"), prevent_initial_call=True)
def pick_sensor(sensor_id):
    """Fill the form with the chosen sensor's name and limits."""
    row = next((r for r in health.sensor_status(utcnow(), selected_site_ids()) if r["id"] == sensor_id), None)
    if row is None:
        return "", None, None, True
    return row["name"], row["low"], row["high"], False


@secured_callback("admin", Output(ids.SENSOR_MSG, "children"), Output(ids.VERSION, "data"),
                  Input(ids.SENSOR_SAVE, "n_clicks"), State(ids.SENSOR_PICK, "value"), State(ids.SENSOR_NAME, "value"),
                  State(ids.SENSOR_LOW, "value"), State(ids.SENSOR_HIGH, "value"), State(ids.VERSION, "data"),
                  prevent_initial_call=True)
def save_limits(clicks, sensor_id, name, low, high, version):
    """Save the sensor's name and limits (one transaction), or say what is wrong."""
    if not clicks or ctx.triggered_id != ids.SENSOR_SAVE:
        return no_update, no_update
    if sensor_id is None:
        return dbc.Alert("Choose a sensor first.", color="warning", className="py-2 mb-0"), no_update
    errors = update_limits(db.session, int(sensor_id), name or "", _number(low), _number(high))
    if errors:
        db.session.rollback()
        return dbc.Alert(" ".join(errors.values()), color="danger", className="py-2 mb-0",
                         id="ingest-sensor-error"), no_update
    db.session.commit()
    return dbc.Alert(f"Saved {name.strip()}.", color="success", className="py-2 mb-0", duration=5000,
                     id="ingest-sensor-saved"), (version or 0) + 1


def _number(value) -> float | None:
    return None if value in (None, "") else float(value)
