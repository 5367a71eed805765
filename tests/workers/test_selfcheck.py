"""Self-checks against real conditions: disk, database revision, queue, storage (S3 via moto), ingest, cameras,
backups, notifications; the periodic task and the detailed readiness endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from data import selfcheck
from data.models import Notification, NotificationStatus, Press, Sensor, utcnow
from data.selfcheck import FAIL, OK, WARN, QueueStats
from tests.conftest import free_port

HEALTHY_QUEUE = QueueStats(pending=0, scheduled=0, heartbeat_age=5.0, immediate=False)


def by_name(checks):
    return {c.name: c for c in checks}


def test_a_healthy_install_passes_every_check(app, ctx, world, settings, tmp_path):
    from data.backup import create_backup

    cfg = settings(backup_dir=tmp_path / "backups", disk_min_free_pct=0, smtp_host="127.0.0.1",
                   mail_outbox_dir=None)
    create_backup(cfg)
    checks = by_name(selfcheck.run_checks(HEALTHY_QUEUE))
    assert set(checks) == {"disk", "database", "queue", "storage", "ingest", "cameras", "backups", "notifications"}
    assert {n: c.status for n, c in checks.items() if c.status != OK} == {}
    assert checks["database"].details["revision"] == checks["database"].details["head"]
    assert "storage" in checks["disk"].details and "backups" in checks["disk"].details
    assert selfcheck.worst(checks.values()) == OK


def test_disk_threshold_warns_or_fails(app, ctx, settings):
    settings(disk_min_free_pct=100)
    check = selfcheck.check_disk()
    assert check.status in (WARN, FAIL) and "Low disk space" in check.message
    settings(disk_min_free_pct=0)
    assert selfcheck.check_disk().status == OK


def test_database_behind_the_code_fails_with_what_to_do(app, ctx, database):
    with database.owner_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    try:
        check = selfcheck.check_database()
        assert check.status == FAIL and "revision 0003" in check.message and "db upgrade" in check.message
    finally:
        with database.owner_engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    assert selfcheck.check_database().status == OK


def test_queue_backlog_and_a_dead_worker(app, ctx, settings):
    from workers.queue import huey
    from workers.tasks_selfcheck import queue_stats
    from workers.tasks_system import ping

    settings(queue_max_backlog=2)
    huey.immediate = False  # a real queue (SQLite file) that nothing consumes
    try:
        for i in range(3):
            ping(str(i))
        stats = queue_stats()
        assert stats.pending == 3 and not stats.immediate
        check = selfcheck.check_queue(stats)
        assert check.status == FAIL and "No worker is running" in check.message  # no heartbeat yet
        huey.put("consumer-heartbeat", __import__("time").time() - 10)
        check = selfcheck.check_queue(queue_stats())
        assert check.status == WARN and "3 tasks wait" in check.message
    finally:
        huey.storage.flush_all()
        huey.immediate = True
    assert selfcheck.check_queue(queue_stats()).status == OK  # immediate mode in tests


def test_object_storage_reachable_or_not(app, ctx, settings):
    from moto.server import ThreadedMotoServer

    from data.storage import reset_storage

    settings(s3_endpoint=f"127.0.0.1:{free_port()}", s3_access_key="k", s3_secret_key="s", s3_secure=False)
    reset_storage()
    try:
        check = selfcheck.check_storage()
        assert check.status == FAIL and ("did not answer" in check.message or "not usable" in check.message)
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
        server.start()
        try:
            settings(s3_endpoint=f"127.0.0.1:{port}")
            reset_storage()
            check = selfcheck.check_storage()
            assert check.status == OK and "S3" in check.message
        finally:
            server.stop()
    finally:
        reset_storage()


def test_ingest_freshness_per_press_sensor_and_edge_process(app, ctx, world, settings):
    from data.models import CounterState, IngestAgent, SensorState, ServiceToken

    settings(ingest_stale_minutes=30)
    now = utcnow()
    s1 = world["sites"]["S1"]
    assert selfcheck.check_ingest(now).status == OK  # nobody streams: hand-entered shots are fine
    streaming = Press(site_id=s1, code="S1-P02", name="Streams", opcua_endpoint="opc.tcp://10.0.0.2:4840")
    quiet = Press(site_id=s1, code="S1-P03", name="Quiet", opcua_endpoint="opc.tcp://10.0.0.3:4840")
    ctx.add_all([streaming, quiet])
    ctx.flush()
    ctx.add(CounterState(site_id=s1, press_id=streaming.id, counter="total", last_ts=now - dt.timedelta(hours=3),
                         last_received_at=now - dt.timedelta(minutes=5), last_value=1000))  # idle, but reporting
    ctx.add(CounterState(site_id=s1, press_id=world["presses"]["S1"], counter="total",
                         last_ts=now - dt.timedelta(hours=2), last_received_at=now - dt.timedelta(hours=2)))
    sensor = Sensor(site_id=s1, press_id=streaming.id, key="mould_temp")
    ctx.add(sensor)
    token = ServiceToken(site_id=s1, name="edge", prefix="tm_x", token_hash="0" * 64, scopes="ingest")
    ctx.add(token)
    ctx.flush()
    ctx.add(SensorState(site_id=s1, sensor_id=sensor.id, last_ts=now - dt.timedelta(hours=1),
                        last_received_at=now - dt.timedelta(hours=1), last_value=60.0))
    ctx.add(IngestAgent(site_id=s1, token_id=token.id, name="opcua-hall-2", kind="opcua",
                        last_seen_at=now - dt.timedelta(minutes=45)))
    ctx.commit()
    check = selfcheck.check_ingest(now)
    assert check.status == WARN
    assert [s["press"] for s in check.details["stale_presses"]] == ["S1-P01"]
    assert check.details["silent_presses"] == ["S1-P03"] and check.details["fresh_presses"] == 1
    assert check.details["stale_sensors"][0]["sensor"] == "mould_temp"
    assert [a["agent"] for a in check.details["quiet_edge_processes"]] == ["opcua-hall-2"]
    assert "1 press(es) silent for more than 30 min (S1-P01)" in check.message
    assert "edge process(es) have not reported" in check.message


def test_camera_devices(app, ctx, settings, tmp_path):
    assert selfcheck.check_cameras().status == OK  # none configured
    (tmp_path / "video0").write_text("a file, not a device")
    settings(camera_devices=("/dev/null", "/dev/toolmaint-no-such-video9", str(tmp_path / "video0")))
    check = selfcheck.check_cameras()
    assert check.status == FAIL
    assert check.details == {"/dev/null": "present", "/dev/toolmaint-no-such-video9": "missing",
                             str(tmp_path / "video0"): "not a device"}
    settings(camera_devices=("/dev/null",))
    assert selfcheck.check_cameras().status == OK


def test_backup_age(app, ctx, world, settings, tmp_path):
    from data.backup import create_backup

    cfg = settings(backup_dir=tmp_path / "b")
    assert selfcheck.check_backups().status == WARN
    create_backup(cfg, now=utcnow() - dt.timedelta(hours=30))
    assert selfcheck.check_backups().status == WARN
    assert selfcheck.check_backups(utcnow() + dt.timedelta(days=4)).status == FAIL
    create_backup(cfg)
    assert selfcheck.check_backups().status == OK


def test_notification_health(app, ctx, world, settings):
    settings(smtp_host="", mail_outbox_dir=None)
    assert "not configured" in selfcheck.check_notifications().message
    settings(smtp_host="127.0.0.1")
    assert selfcheck.check_notifications().status == OK
    ctx.add(Notification(site_id=world["sites"]["S1"], kind="failure_alert", event_key="failure:1", channel="email",
                         address="a@b.test", subject="s", body="b", status=NotificationStatus.FAILED, attempts=6,
                         last_error="550"))
    ctx.commit()
    check = selfcheck.check_notifications()
    assert check.status == WARN and "1 notification(s) failed" in check.message


def test_periodic_selfcheck_stores_results_for_the_status_page(app, ctx, world):
    from workers.tasks_selfcheck import selfcheck as periodic

    assert periodic.call_local() in (OK, WARN)
    stored = selfcheck.stored_results()
    assert [r.name for r in stored] == ["disk", "database", "queue", "storage", "ingest", "cameras", "backups",
                                        "notifications"]
    assert periodic.task_class().validate_datetime(dt.datetime(2026, 1, 1, 12, 5))


@pytest.mark.parametrize("who, status", [(None, 401), ("technician", 403), ("manager", 403), ("admin", 200)])
def test_detailed_readiness_needs_an_admin(client, auth, world, who, status):
    if who:
        auth.login(who)
    resp = client.get("/readyz/details")
    assert resp.status_code == status
    if status == 200:
        body = resp.get_json()
        assert body["status"] in (OK, WARN)
        assert {c["name"] for c in body["checks"]} >= {"database", "queue", "storage", "ingest", "disk"}
    else:
        assert "error" in resp.get_json()


def test_detailed_readiness_with_the_status_token_and_a_failing_check(client, world, settings):
    assert client.get("/readyz/details", headers={"Authorization": "Bearer anything"}).status_code == 401
    settings(status_token="s3cret-monitoring-token-1234567890")
    headers = {"Authorization": "Bearer s3cret-monitoring-token-1234567890"}
    assert client.get("/readyz/details", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/readyz/details", headers=headers).status_code == 200
    settings(camera_devices=("/dev/toolmaint-no-such-video9",))
    resp = client.get("/readyz/details", headers=headers)
    assert resp.status_code == 503 and resp.get_json()["status"] == FAIL
    assert client.get("/readyz").status_code == 200  # the plain probe only asks the database


def test_metrics_carry_queue_outbox_and_selfcheck_gauges(client, auth, world):
    from workers.tasks_selfcheck import selfcheck as periodic

    periodic.call_local()
    auth.login("admin")
    text = client.get("/metrics").get_data(as_text=True)
    assert "toolmaint_queue_pending 0.0" in text
    assert 'toolmaint_notifications{status="failed"} 0.0' in text
    assert 'toolmaint_selfcheck_status{check="database"} 0.0' in text
