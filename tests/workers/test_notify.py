"""Notifications through a real SMTP server and an HTTP SMS gateway: who is told, once, retries, preferences."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from data import events
from data.models import (
    ActionItem,
    ActionStatus,
    FailureCode,
    FailureReport,
    Mould,
    Notification,
    NotificationStatus,
    Severity,
    User,
    utcnow,
)
from data.notifications import save_prefs


def make_report(ctx, world, site="S1", severity=Severity.CRITICAL, description="Heater zone 3 dead") -> int:
    """A failure report committed the way the forms service does (then the test publishes the event)."""
    code = ctx.scalar(select(FailureCode).where(FailureCode.code == "HR-1"))
    if code is None:
        code = FailureCode(code="HR-1", mode="Hot-runner zone failure", mechanism="Electrical", cause="Manufacture",
                           component="Hot runner", default_severity=Severity.CRITICAL)
        ctx.add(code)
        ctx.flush()
    report = FailureReport(site_id=world["sites"][site], mould_id=world["moulds"][site], failure_code_id=code.id,
                           press_id=world["presses"][site], severity=severity, occurred_at=utcnow(),
                           shot_count=512_345, downtime_hours=Decimal("6.5"), description=description,
                           reported_by_id=world["users"]["technician"])
    ctx.add(report)
    ctx.commit()
    return report.id


def publish_failure(report_id: int, site_id: int, severity: str) -> None:
    events.publish(events.FAILURE_REPORTED, report_id=report_id, site_id=site_id, severity=severity)


def outbox(ctx) -> list[Notification]:
    ctx.expire_all()
    return list(ctx.scalars(select(Notification).order_by(Notification.id)))


def test_critical_failure_tells_the_sites_managers_by_email_and_sms_once(ctx, contacts, mail):
    smtp, sms = mail
    from data.users import create_user

    other = create_user("s2boss", "x", "manager", ["S2"], email="s2boss@plant.test", enforce_policy=False)
    ctx.commit()
    report_id = make_report(ctx, contacts)
    publish_failure(report_id, contacts["sites"]["S1"], "critical")

    to = sorted(m["To"] for m in smtp.messages)
    assert to == ["admin@plant.test", "manager@plant.test"]  # managers and admins of S1, not S2's or technicians
    assert not smtp.sink.to(other.email)
    msg = smtp.sink.to("manager@plant.test")[0]
    assert msg["Subject"] == "[S1] CRITICAL failure on T-1: Hot-runner zone failure"
    body = msg.get_content()
    assert "Heater zone 3 dead" in body and "512,345" in body and "S1-P01" in body and "6.5 h" in body
    assert [p["to"] for p in sms.posts] == ["+4917000000001"]
    assert sms.posts[0]["text"].startswith("CRITICAL S1 T-1: Hot-runner zone failure")
    assert sms.headers[0]["Authorization"] == "Bearer gw-secret"
    assert {n.status for n in outbox(ctx)} == {NotificationStatus.SENT}

    publish_failure(report_id, contacts["sites"]["S1"], "critical")  # published again: nobody hears twice
    assert len(smtp.messages) == 2 and len(sms.posts) == 1
    assert len(outbox(ctx)) == 3


def test_low_and_medium_failures_notify_nobody(ctx, contacts, mail):
    smtp, sms = mail
    for severity in (Severity.LOW, Severity.MEDIUM):
        report_id = make_report(ctx, contacts, severity=severity)
        publish_failure(report_id, contacts["sites"]["S1"], severity.value)
    assert smtp.messages == [] and sms.posts == [] and outbox(ctx) == []


def test_high_failure_respects_each_users_preferences(ctx, contacts, mail):
    smtp, sms = mail
    manager = ctx.get(User, contacts["users"]["manager"])
    save_prefs(manager, {"failure_alert": ["sms"]})  # text only, no e-mail
    admin = ctx.get(User, contacts["users"]["admin"])
    save_prefs(admin, {"failure_alert": []})  # nothing
    ctx.commit()
    report_id = make_report(ctx, contacts, severity=Severity.HIGH)
    publish_failure(report_id, contacts["sites"]["S1"], "high")
    assert smtp.messages == []
    assert [p["to"] for p in sms.posts] == ["+4917000000001"]
    assert sms.posts[0]["text"].startswith("HIGH S1 T-1")


def test_preferences_refuse_unknown_kinds_and_channels(ctx, contacts):
    from data.notifications import PreferenceError, save_contact

    tech = ctx.get(User, contacts["users"]["technician"])
    with pytest.raises(PreferenceError, match="Unknown notification"):
        save_prefs(tech, {"failure_alert": ["email"]})  # a manager's notification
    with pytest.raises(PreferenceError, match="cannot be sent by sms"):
        save_prefs(tech, {"pm_digest": ["sms"]})
    with pytest.raises(PreferenceError, match="international format"):
        save_contact(tech, "t@plant.test", "0170 1234")
    with pytest.raises(PreferenceError, match="not an e-mail address"):
        save_contact(tech, "not-an-address", None)
    save_contact(tech, " t@plant.test ", "+49 170 1234567")
    assert (tech.email, tech.phone) == ("t@plant.test", "+491701234567")


def test_smtp_outage_is_retried_with_backoff_until_the_server_is_back(ctx, contacts, settings, smtp):
    from workers.tasks_notify import retry_due_notifications

    smtp.stop()
    settings(smtp_host="127.0.0.1", smtp_port=smtp.port, mail_outbox_dir=None, sms_gateway_url="",
             notify_retry_seconds=60, notify_max_attempts=5)
    before = utcnow()
    report_id = make_report(ctx, contacts)
    publish_failure(report_id, contacts["sites"]["S1"], "critical")
    rows = outbox(ctx)
    assert len(rows) == 2 and all(r.status is NotificationStatus.PENDING and r.attempts == 1 for r in rows)
    assert all("unavailable" in r.last_error for r in rows)
    first_wait = rows[0].next_attempt_at - before
    assert dt.timedelta(seconds=59) < first_wait < dt.timedelta(seconds=75)

    assert retry_due_notifications.call_local() == 0  # not due yet: nothing is tried
    for r in rows:  # time passes: the retry is due, and the server is still down
        r.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    ctx.commit()
    assert retry_due_notifications.call_local() == 2
    rows = outbox(ctx)
    assert all(r.attempts == 2 and r.status is NotificationStatus.PENDING for r in rows)
    second_wait = rows[0].next_attempt_at - utcnow()
    assert dt.timedelta(seconds=110) < second_wait < dt.timedelta(seconds=125)  # doubled

    smtp.start()
    for r in rows:
        r.next_attempt_at = utcnow() - dt.timedelta(seconds=1)
    ctx.commit()
    retry_due_notifications.call_local()
    assert sorted(m["To"] for m in smtp.messages) == ["admin@plant.test", "manager@plant.test"]
    assert all(r.status is NotificationStatus.SENT and r.attempts == 3 for r in outbox(ctx))


def test_refused_address_fails_at_once_and_exhausted_retries_fail(ctx, contacts, mail):
    smtp, _sms = mail
    smtp.sink.refuse.add("admin@plant.test")
    report_id = make_report(ctx, contacts)
    publish_failure(report_id, contacts["sites"]["S1"], "critical")
    by_address = {r.address: r for r in outbox(ctx)}
    assert by_address["admin@plant.test"].status is NotificationStatus.FAILED
    assert by_address["admin@plant.test"].attempts == 1 and "550" in by_address["admin@plant.test"].last_error
    assert by_address["manager@plant.test"].status is NotificationStatus.SENT

    smtp.sink.fail_all = True  # 451 try later, for every attempt
    report2 = make_report(ctx, contacts, description="second")
    publish_failure(report2, contacts["sites"]["S1"], "critical")
    from workers.tasks_notify import retry_due_notifications

    for _ in range(5):
        ctx.execute(Notification.__table__.update().where(Notification.status == NotificationStatus.PENDING)
                    .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
        ctx.commit()
        retry_due_notifications.call_local()
    second = [r for r in outbox(ctx) if r.event_key == f"failure:{report2}" and r.channel == "email"]
    assert {r.status for r in second} == {NotificationStatus.FAILED}
    assert {r.attempts for r in second} == {4}  # NOTIFY_MAX_ATTEMPTS
    assert all("451" in r.last_error for r in second)


def test_sms_gateway_refusal_is_permanent_and_outage_is_retried(ctx, contacts, mail):
    _smtp, sms = mail
    sms.status = 400
    report_id = make_report(ctx, contacts)
    publish_failure(report_id, contacts["sites"]["S1"], "critical")
    row = next(r for r in outbox(ctx) if r.channel == "sms")
    assert row.status is NotificationStatus.FAILED and "refused the message (400)" in row.last_error
    sms.status = 503
    report2 = make_report(ctx, contacts)
    publish_failure(report2, contacts["sites"]["S1"], "critical")
    row = next(r for r in outbox(ctx) if r.channel == "sms" and r.event_key == f"failure:{report2}")
    assert row.status is NotificationStatus.PENDING and "503" in row.last_error


def test_demo_outbox_directory_receives_the_email(ctx, contacts, settings, tmp_path):
    settings(smtp_host="", mail_outbox_dir=tmp_path / "outbox", sms_gateway_url="")
    report_id = make_report(ctx, contacts)
    publish_failure(report_id, contacts["sites"]["S1"], "critical")
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    import email
    import email.policy

    msgs = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted(m["To"] for m in msgs) == ["admin@plant.test", "manager@plant.test"]
    assert all("CRITICAL failure on T-1" in m["Subject"] for m in msgs)


def add_action(ctx, world, owner="technician", due_days_ago=1, status=ActionStatus.OPEN, site="S1",
               created_by="manager") -> ActionItem:
    action = ActionItem(site_id=world["sites"][site], title="Replace O-rings on T-1", owner_id=world["users"][owner],
                        created_by_id=world["users"][created_by], status=status, mould_id=world["moulds"][site],
                        due_date=utcnow().date() - dt.timedelta(days=due_days_ago))
    ctx.add(action)
    ctx.commit()
    return action


def test_overdue_action_tells_the_owner_once_then_escalates_to_managers(ctx, contacts, mail, settings):
    from data.alerting import overdue_actions

    smtp, _sms = mail
    settings(escalation_days=3)
    action = add_action(ctx, contacts, due_days_ago=1)
    add_action(ctx, contacts, due_days_ago=5, status=ActionStatus.CLOSED)  # closed: never a reminder
    s1 = contacts["sites"]["S1"]
    today = utcnow().date()

    assert len(overdue_actions(s1, today)) == 1
    from workers.tasks_notify import retry_due_notifications

    retry_due_notifications.call_local()
    assert [m["To"] for m in smtp.messages] == ["technician@plant.test"]
    assert smtp.messages[0]["Subject"] == "[S1] Overdue: Replace O-rings on T-1"
    assert "1 day(s) late" in smtp.messages[0].get_content()

    assert overdue_actions(s1, today + dt.timedelta(days=1)) == []  # the owner is told once
    ids = overdue_actions(s1, today + dt.timedelta(days=2))  # 3 days late: the managers hear of it
    retry_due_notifications.call_local()
    assert len(ids) == 2
    escalations = [m for m in smtp.messages if "Escalation" in m["Subject"]]
    assert sorted(m["To"] for m in escalations) == ["admin@plant.test", "manager@plant.test"]
    assert f"#{action.id}" in escalations[0].get_content() and "3 day(s) late" in escalations[0].get_content()
    assert overdue_actions(s1, today + dt.timedelta(days=3)) == []

    action.due_date = today + dt.timedelta(days=7)  # a new due date starts the reminders again when it passes
    ctx.commit()
    assert overdue_actions(s1, today) == []
    assert len(overdue_actions(s1, today + dt.timedelta(days=8))) == 1


def test_action_assigned_and_closed_events(ctx, contacts, mail, settings):
    smtp, _sms = mail
    settings(escalation_days=30)
    action = add_action(ctx, contacts, due_days_ago=-3)
    events.publish(events.ACTION_CHANGED, action_id=action.id, site_id=action.site_id, status="open")
    assert [m["To"] for m in smtp.messages] == ["technician@plant.test"]
    assert smtp.messages[0]["Subject"] == "[S1] Action assigned to you: Replace O-rings on T-1"
    events.publish(events.ACTION_CHANGED, action_id=action.id, site_id=action.site_id, status="in_progress")
    assert len(smtp.messages) == 1  # same owner: told once

    mine = add_action(ctx, contacts, owner="manager", created_by="manager", due_days_ago=-3)
    events.publish(events.ACTION_CHANGED, action_id=mine.id, site_id=mine.site_id, status="open")
    assert len(smtp.messages) == 1  # nobody is told about what they assigned to themselves

    # An overdue reminder waiting for a retry is cancelled when the item is closed.
    from data.alerting import overdue_actions

    smtp.stop()
    overdue_actions(action.site_id, utcnow().date() + dt.timedelta(days=4))
    from workers.tasks_notify import retry_due_notifications

    retry_due_notifications.call_local()
    reminder = f"action_overdue:{action.id}:"
    pending = [r for r in outbox(ctx) if r.event_key.startswith(reminder)]
    assert len(pending) == 1 and pending[0].status is NotificationStatus.PENDING
    action.status = ActionStatus.CLOSED
    ctx.commit()
    events.publish(events.ACTION_CHANGED, action_id=action.id, site_id=action.site_id, status="closed")
    assert [r.status for r in outbox(ctx) if r.event_key.startswith(reminder)] == [NotificationStatus.CANCELLED]
    assert [r.status for r in outbox(ctx) if r.event_key.startswith(f"action_overdue:{mine.id}:")] == [
        NotificationStatus.PENDING]  # another item's reminder stays


def test_pm_digest_lists_moulds_entering_warning_or_due_once(ctx, contacts, mail):
    from data.alerting import pm_digest

    smtp, _sms = mail
    s1, s2 = contacts["sites"]["S1"], contacts["sites"]["S2"]
    now = utcnow()
    assert pm_digest(s1, now)  # T-1 is at 95 % of its interval: WARNING
    assert pm_digest(s2, now) == []  # T-2 at 10 %: nothing to say
    from workers.tasks_notify import retry_due_notifications

    retry_due_notifications.call_local()
    digests = [m for m in smtp.messages if "PM digest" in m["Subject"]]
    assert sorted(m["To"] for m in digests) == ["admin@plant.test", "engineer@plant.test", "manager@plant.test",
                                                "technician@plant.test"]
    body = digests[0].get_content()
    assert "WARNING (1)" in body and "T-1" in body and "95%" in body and "T-2" not in body

    later = now + dt.timedelta(days=1)
    assert pm_digest(s1, later) == []  # still WARNING: not news
    ctx.get(Mould, contacts["moulds"]["S2"]).shots_since_pm = 104_000  # T-2 jumps to DUE
    ctx.get(Mould, contacts["moulds"]["S1"]).shots_since_pm = 105_000  # T-1 moves from WARNING to DUE
    ctx.commit()
    assert pm_digest(s2, later) and pm_digest(s1, later)
    retry_due_notifications.call_local()
    newest = [m for m in smtp.sink.to("technician2@plant.test") if "PM digest" in m["Subject"]]
    assert len(newest) == 1 and "DUE (1)" in newest[0].get_content() and "T-2" in newest[0].get_content()


def test_morning_round_runs_once_per_local_day_at_digest_time(ctx, contacts, mail, settings):
    from data.models import Site
    from workers.tasks_notify import morning_rounds, run_morning_rounds

    settings(digest_time="07:00")
    site = ctx.get(Site, contacts["sites"]["S1"])
    site.timezone = "Europe/Berlin"
    ctx.commit()
    add_action(ctx, contacts, due_days_ago=1)
    day = dt.date.today()
    at = lambda h, m=0: dt.datetime(day.year, day.month, day.day, h, m, tzinfo=dt.UTC)  # noqa: E731
    assert "S1" not in run_morning_rounds(at(5, 30))  # 06:30 in Berlin: not yet
    done = run_morning_rounds(at(6, 5))  # 07:05 in Berlin
    assert "S1" in done and done["S1"]
    assert run_morning_rounds(at(6, 10)) == {}  # ran today already
    assert "S1" in run_morning_rounds(at(6, 5) + dt.timedelta(days=1))
    assert morning_rounds.task_class().validate_datetime(dt.datetime(2026, 1, 1, 7, 5))
    assert not morning_rounds.task_class().validate_datetime(dt.datetime(2026, 1, 1, 7, 3))


def test_sensor_alert_reaches_only_those_who_opted_in(ctx, contacts, mail):
    from data.models import Sensor, SensorAlert

    smtp, _sms = mail
    engineer = ctx.get(User, contacts["users"]["engineer"])
    save_prefs(engineer, {"sensor_alert": ["email"]})
    sensor = Sensor(site_id=contacts["sites"]["S1"], press_id=contacts["presses"]["S1"], key="mould_temp",
                    name="Mould temperature", unit="°C", high_threshold=80.0)
    ctx.add(sensor)
    ctx.flush()
    alert = SensorAlert(site_id=sensor.site_id, sensor_id=sensor.id, mould_id=contacts["moulds"]["S1"],
                        ts=utcnow(), value=93.5, kind="high", threshold=80.0)
    ctx.add(alert)
    ctx.commit()
    events.publish(events.SENSOR_ALERT, alert_id=alert.id, site_id=alert.site_id)
    assert [m["To"] for m in smtp.messages] == ["engineer@plant.test"]
    assert "S1-P01 Mould temperature high: 93.5 °C" in smtp.messages[0]["Subject"]


def test_a_redis_consumer_sends_the_failure_alert(ctx, contacts, mail):
    """The same task body runs on a real RedisHuey consumer in its own thread (with its own app context)."""
    from config import load_config
    from workers.queue import make_huey
    from workers.tasks_notify import notify_failure

    smtp, _sms = mail
    q = make_huey(load_config(env={"REDIS_URL": "redis://127.0.0.1:6379/15", "INSTANCE_PATH": "/tmp"}),
                  name=f"toolmaint-test-{uuid.uuid4().hex[:8]}")
    remote_notify = q.task(name="notify_failure")(notify_failure.func)
    consumer = q.create_consumer(workers=1, worker_type="thread", periodic=False)
    consumer._set_signal_handlers = lambda: None
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        report_id = make_report(ctx, contacts)
        ids = remote_notify(report_id).get(blocking=True, timeout=20)
        assert len(ids) == 3
        assert smtp.sink.received.wait(10)
        assert sorted(m["To"] for m in smtp.messages) == ["admin@plant.test", "manager@plant.test"]
    finally:
        consumer.stop(graceful=True)
        thread.join(timeout=10)
        q.storage.flush_all()
