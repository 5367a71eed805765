"""The admin Ingest health page: its numbers and grids come from what was ingested; sensor limits are edited
with validation; other roles may not call its callbacks."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from data.models import Sensor, utcnow
from tests.conftest import dash_post
from tests.ingest.conftest import iso

REFRESH = ("..ingest-cards.children...ingest-presses.children...ingest-sensors.children...ingest-agents.children..."
           "ingest-rejections.children...ingest-sensor-pick.options...ingest-updated.children..")
SAVE = "..ingest-sensor-message.children...ingest-version.data.."


def _ingest(post, token):
    t = utcnow() - dt.timedelta(minutes=5)
    post(token, {"agent": {"name": "hall-1-poller", "kind": "opcua", "spool_depth": 12, "connected": 1,
                           "sources": 1},
                 "readings": [{"press": "S1-P01", "counter": "machine_cycle", "ts": iso(t + dt.timedelta(seconds=s)),
                               "value": v, "mould": "T-1"} for s, v in ((0, 10), (30, 14))]})
    post(token, {"readings": [{"press": "S1-P77", "counter": "machine_cycle", "ts": iso(t), "value": 1}]})
    post(token, {"readings": [{"press": "S1-P01", "sensor": "mould_temp", "ts": iso(t), "value": 71.5}]},
         "/api/v1/sensor-readings")


def test_admin_sees_presses_sensors_processes_and_refusals(world, client, auth, make_token, post):
    _ingest(post, make_token("S1", "ingest"))
    auth.login("admin")
    resp = dash_post(client, REFRESH, [{"id": "ingest-refresh", "property": "n_intervals", "value": 1},
                                       {"id": "ingest-version", "property": "data", "value": 0}])
    assert resp.status_code == 200
    body = json.dumps(resp.get_json())
    for expected in ("S1-P01", "T-1", "hall-1-poller", "unknown press 'S1-P77'", "mould_temp", "Mould temperature",
                     "reporting"):
        assert expected in body, expected
    cards = json.dumps(resp.get_json()["response"]["ingest-cards"])
    assert "Counter readings, 24 h" in cards and "unknown press 1" in cards
    assert '"yes"' in body  # 71.5 °C is above the mould temperature limit: in excursion


def test_sensor_limits_are_checked_and_saved(world, client, auth, make_token, post, ctx):
    _ingest(post, make_token("S1", "ingest"))
    sensor_id = ctx.scalar(select(Sensor.id))
    auth.login("admin")

    def save(low, high, name="Mould temp (A side)"):
        return dash_post(client, SAVE, [{"id": "ingest-sensor-save", "property": "n_clicks", "value": 1}],
                         state=[{"id": "ingest-sensor-pick", "property": "value", "value": sensor_id},
                                {"id": "ingest-sensor-name", "property": "value", "value": name},
                                {"id": "ingest-sensor-low", "property": "value", "value": low},
                                {"id": "ingest-sensor-high", "property": "value", "value": high},
                                {"id": "ingest-version", "property": "data", "value": 0}])

    bad = save(80, 60)
    assert "must be below the high limit" in json.dumps(bad.get_json())
    ctx.expire_all()
    assert ctx.get(Sensor, sensor_id).high_threshold == 62.0
    good = save(35, 75)
    assert "Saved Mould temp (A side)" in json.dumps(good.get_json())
    ctx.expire_all()
    sensor = ctx.get(Sensor, sensor_id)
    assert (sensor.name, sensor.low_threshold, sensor.high_threshold) == ("Mould temp (A side)", 35.0, 75.0)


def test_other_roles_may_not_use_the_page(world, client, auth):
    auth.login("manager")
    resp = dash_post(client, REFRESH, [{"id": "ingest-refresh", "property": "n_intervals", "value": 1},
                                       {"id": "ingest-version", "property": "data", "value": 0}])
    assert resp.status_code == 403
