"""Sensor readings (series, hourly rollups, excursion alerts) and the Prometheus /metrics endpoint."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from data import events
from data.models import Sensor, SensorAlert, SensorHourly, SensorReading, SensorState, utcnow
from tests.ingest.conftest import iso

T0 = (utcnow() - dt.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
SENSORS = "/api/v1/sensor-readings"


def temp(minutes: float, value, sensor: str = "mould_temp", press: str = "S1-P01") -> dict:
    return {"press": press, "sensor": sensor, "ts": iso(T0 + dt.timedelta(minutes=minutes)), "value": value,
            "unit": "°C"}


def test_sensor_series_rollup_and_idempotent_retry(post, ingest_token, ctx, plant):
    body = {"readings": [temp(0, 50.0), temp(10, 54.0), temp(20, 52.0), temp(70, 51)]}
    resp = post(ingest_token, body, SENSORS)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["accepted"] == 4 and resp.get_json()["sensors_created"] == ["S1-P01/mould_temp"]
    sensor = ctx.scalar(select(Sensor))
    assert (sensor.key, sensor.name, sensor.unit, sensor.low_threshold, sensor.high_threshold) == (
        "mould_temp", "Mould temperature", "°C", 40.0, 62.0)
    first = ctx.scalar(select(SensorHourly).where(SensorHourly.bucket == T0))
    assert (first.n, first.total, first.min, first.max) == (3, 156.0, 50.0, 54.0)
    again = post(ingest_token, body, SENSORS)
    assert again.get_json()["accepted"] == 0 and again.get_json()["duplicates"] == 4
    assert ctx.scalar(select(func.count()).select_from(SensorReading)) == 4
    ctx.refresh(first)
    assert first.n == 3
    state = ctx.get(SensorState, sensor.id)
    assert state.last_value == 51 and state.readings == 4


def test_an_excursion_is_one_alert_with_its_peak_and_the_mould_then(post, ingest_token, ctx, plant):
    from data.models import MouldMount

    ctx.add(MouldMount(site_id=plant["sites"]["S1"], mould_id=plant["moulds"]["S1"],
                       press_id=plant["presses"]["S1"], mounted_at=T0 - dt.timedelta(days=1)))
    ctx.commit()
    published = []
    handler = events.subscribe(events.SENSOR_ALERT, lambda **kw: published.append(kw))
    try:
        post(ingest_token, {"readings": [temp(0, 55.0), temp(1, 63.5), temp(2, 66.0), temp(3, 64.0)]}, SENSORS)
        alert = ctx.scalar(select(SensorAlert))
        assert (alert.kind, alert.threshold, alert.value, alert.ended_at) == ("high", 62.0, 66.0, None)
        assert alert.mould_id == plant["moulds"]["S1"] and alert.ts == T0 + dt.timedelta(minutes=1)
        post(ingest_token, {"readings": [temp(4, 58.0), temp(5, 57.0)]}, SENSORS)
        ctx.refresh(alert)
        assert alert.ended_at == T0 + dt.timedelta(minutes=4)
        post(ingest_token, {"readings": [temp(6, 35.0)]}, SENSORS)  # below the low limit: a second excursion
        # A late reading outside the limits inside the first excursion adds nothing; outside any, it alerts.
        post(ingest_token, {"readings": [temp(1.5, 70.0), temp(0.5, 80.0)]}, SENSORS)
    finally:
        events._subscribers[events.SENSOR_ALERT].remove(handler)
    alerts = ctx.execute(select(SensorAlert.kind, SensorAlert.value, SensorAlert.ended_at.is_not(None))
                         .order_by(SensorAlert.ts)).all()
    assert alerts == [("high", 80.0, True), ("high", 66.0, True), ("low", 35.0, False)]
    assert len(published) == 3 and {p["site_id"] for p in published} == {plant["sites"]["S1"]}
    assert ctx.scalar(select(SensorState)).open_alert_id == ctx.scalar(
        select(SensorAlert.id).where(SensorAlert.kind == "low"))


def test_bad_sensor_readings_are_refused(post, ingest_token, ctx, plant):
    cases = [
        ({"readings": [temp(0, "hot")]}, "finite number"),
        (b'{"readings": [{"press": "S1-P01", "sensor": "mould_temp", "ts": "2026-01-01T00:00:00Z", "value": NaN}]}',
         "finite number"),
        ({"readings": [temp(0, 50, sensor="Mould Temp")]}, "lower-case"),
        ({"readings": [temp(0, 50, press="S2-P01")]}, "unknown press"),
        ({"readings": [{**temp(0, 50), "ts": iso(utcnow() + dt.timedelta(hours=1))}]}, "future"),
        ({"readings": [temp(0, 50)], "unknown_mould": "reject"}, "counter readings only"),
    ]
    for body, message in cases:
        resp = post(ingest_token, body, SENSORS)
        assert resp.status_code == 422, (body, resp.get_json())
        assert message in " ".join(e["message"] for e in resp.get_json()["errors"])
    assert ctx.scalar(select(func.count()).select_from(SensorReading)) == 0
    assert ctx.scalar(select(func.count()).select_from(Sensor)) == 0


def test_sensor_limits_are_validated(ctx, plant, post, ingest_token):
    from data.sensor_store import update_limits

    post(ingest_token, {"readings": [temp(0, 50.0)]}, SENSORS)
    sensor_id = ctx.scalar(select(Sensor.id))
    assert update_limits(ctx, sensor_id, "Mould temp", 70.0, 60.0) == {
        "low": "The low limit (70) must be below the high limit (60)."}
    assert "name" in update_limits(ctx, sensor_id, " ", None, None)
    assert update_limits(ctx, sensor_id, "Mould temperature B side", 30.0, None) == {}
    ctx.commit()
    assert ctx.get(Sensor, sensor_id).high_threshold is None


def test_metrics_need_a_metrics_token_and_show_ingest_health(post, ingest_token, make_token, client, plant):
    post(ingest_token, {"agent": {"name": "gw-1", "kind": "opcua", "spool_depth": 7, "connected": 1, "sources": 1},
                        "readings": [{"press": "S1-P01", "counter": "machine_cycle", "ts": iso(T0), "value": 1}]})
    post(ingest_token, {"readings": [{"press": "nope", "ts": iso(T0), "value": 1}]})
    post(ingest_token, {"readings": [temp(0, 50.0)]}, SENSORS)
    metrics_s1 = make_token("S1", "metrics")
    metrics_s2 = make_token("S2", "metrics")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {ingest_token}"}).status_code == 401
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_s1}"})
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    text = resp.get_data(as_text=True)
    assert 'toolmaint_ingest_readings_total{outcome="accepted",reason="",site="S1",stream="counters"} 1.0' in text
    assert 'toolmaint_ingest_readings_total{outcome="rejected",reason="unknown_press",site="S1",stream="counters"} ' \
           '1.0' in text
    assert 'toolmaint_ingest_spool_depth{agent="gw-1",kind="opcua",site="S1"} 7.0' in text
    assert 'toolmaint_ingest_press_last_reading_age_seconds{counter="machine_cycle",press="S1-P01",site="S1"}' in text
    assert 'toolmaint_ingest_sensor_last_reading_age_seconds{press="S1-P01",sensor="mould_temp",site="S1"}' in text
    other = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_s2}"}).get_data(as_text=True)
    assert "S1-P01" not in other and 'site="S1"' not in other  # a token sees its own site only


def test_metrics_for_signed_in_admins_only_and_collectors_can_be_added(world, client, auth):
    from prometheus_client.core import GaugeMetricFamily

    from api.metrics import _collectors, register_collector

    auth.login("technician")
    assert client.get("/metrics").status_code == 403
    auth.logout()
    auth.login("admin")

    @register_collector
    def queue_depth(ctx):
        yield GaugeMetricFamily("toolmaint_test_queue_backlog", "test", value=3)

    @register_collector
    def broken(ctx):
        raise RuntimeError("boom")

    try:
        text = client.get("/metrics").get_data(as_text=True)
    finally:
        _collectors.remove(queue_depth)
        _collectors.remove(broken)
    assert "toolmaint_test_queue_backlog 3.0" in text
    assert 'toolmaint_metrics_collector_failed{collector="broken"} 1.0' in text
    assert "# TYPE toolmaint_ingest_readings_total counter" in text  # the ingest families are still there
