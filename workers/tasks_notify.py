"""Notification tasks: react to domain events, deliver the outbox, retry with backoff, run each site's
morning round (overdue actions, escalations, PM digest) at DIGEST_TIME in the site's local time."""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import select

from config import get_config
from data import alerting, events, notifications, rounds
from data.db import db
from data.models import Site, utcnow
from data.scope import system_scope
from workers.queue import huey, in_app_context

logger = logging.getLogger(__name__)

ROUND_CHECK_MINUTES = 5


def _deliver_later(ids: list[int]) -> None:
    for notification_id in ids:
        deliver_notification(notification_id)


@huey.task()
@in_app_context
def deliver_notification(notification_id: int) -> str | None:
    """Send one outbox row (a no-op if it is not due or another worker has it)."""
    with system_scope():
        status = notifications.deliver(notification_id)
    return status.value if status else None


@huey.task()
@in_app_context
def notify_failure(report_id: int) -> list[int]:
    """Queue and send the alerts for a high or critical failure report."""
    with system_scope():
        ids = alerting.failure_reported(report_id)
    _deliver_later(ids)
    return ids


@huey.task()
@in_app_context
def notify_action(action_id: int, status: str | None = None) -> list[int]:
    """Tell the owner of a newly assigned action item; cancel reminders of a closed one."""
    with system_scope():
        ids = alerting.action_changed(action_id, status)
    _deliver_later(ids)
    return ids


@huey.task()
@in_app_context
def notify_sensor_alert(alert_id: int) -> list[int]:
    """Queue and send the notices of a sensor excursion."""
    with system_scope():
        ids = alerting.sensor_alert(alert_id)
    _deliver_later(ids)
    return ids


@huey.periodic_task(crontab(minute="*"))
@in_app_context
def retry_due_notifications() -> int:
    """Every minute: send what is due (first attempts that were not sent, retries after their backoff)."""
    with system_scope():
        ids = notifications.due_ids()
    _deliver_later(ids)
    return len(ids)


def run_morning_rounds(now=None) -> dict[str, list[int]]:
    """Run the morning round of every site whose DIGEST_TIME slot has passed and has not run yet."""
    cfg = get_config()
    now = now or utcnow()
    done: dict[str, list[int]] = {}
    with system_scope():
        sites = db.session.scalars(select(Site).order_by(Site.code)).all()
        for site in sites:
            slot = rounds.latest_slot(now, rounds.site_zone(site.timezone), cfg.digest_time)
            key = f"morning:{site.id}:{slot:%Y-%m-%d}"
            if not rounds.due(now, slot) or not rounds.mark_run(key):
                continue
            try:
                done[site.code] = alerting.morning_round(site.id, now)
            except Exception:
                rounds.unmark_run(key)  # try again at the next check
                logger.exception("Morning round of site %s failed", site.code)
    for ids in done.values():
        _deliver_later(ids)
    return done


@huey.periodic_task(crontab(minute=f"*/{ROUND_CHECK_MINUTES}"))
@in_app_context
def morning_rounds() -> dict[str, list[int]]:
    """Every few minutes: run the morning rounds that are due."""
    return run_morning_rounds()


def _on_failure(report_id: int, site_id: int | None = None, severity: str | None = None, **_payload) -> None:
    if str(severity or "").lower() in {s.value for s in alerting.ALERT_SEVERITIES}:
        notify_failure(report_id)


def _on_action(action_id: int, site_id: int | None = None, status: str | None = None, **_payload) -> None:
    notify_action(action_id, str(status) if status is not None else None)


def _on_sensor_alert(alert_id: int, site_id: int | None = None, **_payload) -> None:
    notify_sensor_alert(alert_id)


events.subscribe(events.FAILURE_REPORTED, _on_failure)
events.subscribe(events.ACTION_CHANGED, _on_action)
events.subscribe(events.SENSOR_ALERT, _on_sensor_alert)
