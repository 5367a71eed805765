"""The MQTT listener with Mosquitto: readings stored once, bad messages counted and set aside, and a broker
restart in the middle of a run loses nothing (the sensor readings stored equal what the simulator published)."""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import func, select

from data.models import Press, Sensor, SensorReading, SensorState
from ingest.config import ApiSettings, ListenerConfig, MqttSettings, SimPress, SimulatorConfig, SpoolSettings
from ingest.mqtt import Listener, parse_message
from tests.conftest import free_port
from tests.ingest.conftest import iso
from tests.ingest.harness import ApiServer, Mosquitto, SimThread, wait_until


def listener_config(api: ApiServer, token: str, tmp: Path, port: int, prefix: str, site: str = "S1") -> ListenerConfig:
    return ListenerConfig(
        name="test-listener", api=ApiSettings(url=api.url, token=token, timeout=3, batch_size=200, retry_max_s=1,
                                              heartbeat_s=1),
        spool=SpoolSettings(path=tmp / "mqtt-spool.db", fsync=False),
        mqtt=MqttSettings(host="127.0.0.1", port=port, client_id=f"tm-test-{secrets.token_hex(4)}",
                          topic_prefix=prefix, site=site, keepalive=5))


def forget_session(port: int, client_id: str) -> None:
    """Remove the listener's persistent session from the broker (the shared one keeps them otherwise)."""
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    c.connect("127.0.0.1", port)
    c.loop_start()
    time.sleep(0.3)
    c.disconnect()
    c.loop_stop()


def stored_count(ctx) -> int:
    ctx.rollback()
    return ctx.scalar(select(func.count()).select_from(SensorReading))


def test_message_parsing():
    item = parse_message("a/toolmaint", "a/toolmaint/NTH/NTH-P01/mould_temp", b'{"ts": "2026-01-01T00:00:00Z", '
                                                                             b'"value": 51.5, "unit": "C"}')
    assert item == {"press": "NTH-P01", "sensor": "mould_temp", "value": 51.5, "ts": "2026-01-01T00:00:00Z",
                    "unit": "C"}
    assert parse_message("t", "t/S/P/flow", b"12.5")["value"] == 12.5  # a bare number, stamped on receipt
    for topic, payload, message in [("t/S/P/flow", b"{oops", "not JSON"), ("t/S/P/Flow-1", b"1", "lower-case"),
                                    ("t/S/P/flow", b'{"unit": "x"}', "value required"),
                                    ("t/S/P/x/y", b"1", "is not t/<site>")]:
        with pytest.raises(ValueError, match=message):
            parse_message("t", topic, payload)


def test_listener_on_the_shared_broker_stores_good_readings_and_sets_bad_ones_aside(app, ctx, plant, ingest_token,
                                                                                     tmp_path):
    prefix = f"tm-test-{secrets.token_hex(4)}/toolmaint"
    api = ApiServer(app)
    cfg = listener_config(api, ingest_token, tmp_path, 1883, prefix)
    listener = Listener(cfg)
    listener.start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", 1883)
    pub.loop_start()
    try:
        wait_until(lambda: listener.connected, 10, "the listener to connect")
        time.sleep(0.3)
        from data.models import utcnow

        now = utcnow()
        good = [(f"{prefix}/S1/S1-P01/mould_temp", {"ts": iso(now.replace(microsecond=i)), "value": 50 + i,
                                                    "unit": "°C"}) for i in range(20)]
        bad = [(f"{prefix}/S1/S1-P01/mould_temp", b"{not json"),
               (f"{prefix}/S1/S1-P01/Bad-Key", b"1"),
               (f"{prefix}/S1/S1-P01/mould_temp", b'{"ts": "2026-01-01T00:00:00Z", "value": NaN}'),
               (f"{prefix}/S1/S1-P99/mould_temp", json.dumps({"value": 1}).encode())]
        for topic, body in good + bad:
            pub.publish(topic, body if isinstance(body, bytes) else json.dumps(body), qos=1).wait_for_publish(5)
        wait_until(lambda: stored_count(ctx) == 20 and listener.spool.dead_count() == 4, 30,
                   "20 readings stored and 4 set aside")
        assert listener.connected and listener.forwarder.state == "ok"
        sensor = ctx.scalar(select(Sensor))
        assert sensor.key == "mould_temp" and ctx.get(SensorState, sensor.id).readings == 20
        reasons = {d["reason"] for d in listener.spool.dead_letters()}
        assert reasons == {"unreadable", "invalid_value", "unknown_press"}
        from data.ingest_health import agent_status, totals

        wait_until(lambda: ctx.rollback() or agent_status(utcnow())[0]["dead_letters"] == 4, 10, "the status report")
        assert totals()["sensors"].rejected == {"invalid_value": 1, "unknown_press": 1}
    finally:
        pub.loop_stop()
        listener.stop()
        api.stop()
        forget_session(1883, cfg.mqtt.client_id)


def test_broker_restart_mid_run_loses_nothing(app, ctx, plant, ingest_token, tmp_path):
    broker = Mosquitto(tmp_path / "broker")
    prefix = "toolmaint"
    s1 = plant["sites"]["S1"]
    ctx.add(Press(site_id=s1, code="S1-P02", name="S1-P02"))
    ctx.commit()
    presses = [SimPress(code, ["T-1"], cycle_s=1.0, sensors=("mould_temp", "cooling_flow", "hydraulic_pressure"))
               for code in ("S1-P01", "S1-P02")]
    sim = SimThread(SimulatorConfig(presses=presses, opcua_endpoint=f"opc.tcp://127.0.0.1:{free_port()}/sim",
                                    mqtt=MqttSettings(port=broker.port, site="S1", client_id="tm-sim",
                                                      topic_prefix=prefix),
                                    mqtt_interval_s=0.2, excursion_chance=0.05))
    api = ApiServer(app)
    listener = Listener(listener_config(api, ingest_token, tmp_path, broker.port, prefix))
    try:
        listener.start()
        wait_until(lambda: listener.connected, 10, "the listener to connect")
        wait_until(lambda: sim.sim.mqtt is not None and sim.sim.mqtt.is_connected(), 10, "the simulator to connect")
        sim.sim.paused = False
        time.sleep(2)
        broker.stop()
        time.sleep(2)  # the simulator keeps publishing; its client queues QoS 1 messages
        broker.start()
        time.sleep(2.5)
        sim.sim.paused = True
        time.sleep(0.5)  # a publishing round already under way finishes and is counted
        published = sim.sim.truth()["sensor_readings"]
        total = sum(published.values())
        wait_until(lambda: stored_count(ctx) == total, 60,
                   f"{total} sensor readings stored (spool {listener.spool.depth()}, set aside "
                   f"{listener.spool.dead_letters()})")
        time.sleep(1)
        assert stored_count(ctx) == total  # and not one more
        ctx.rollback()
        rows = ctx.execute(select(Press.code, Sensor.key, func.count(SensorReading.id))
                           .join(Sensor, Sensor.id == SensorReading.sensor_id).join(Press, Press.id == Sensor.press_id)
                           .group_by(Press.code, Sensor.key)).all()
        assert {f"{prefix}/S1/{p}/{k}": n for p, k, n in rows} == published
        assert total > 40
        assert listener.connected
    finally:
        listener.stop()
        api.stop()
        sim.close()
        broker.stop()
