"""Self-check task: every SELFCHECK_MINUTES, run the checks and keep the results for the admin Status page."""

from __future__ import annotations

import logging
import time

from huey import crontab

from config import get_config
from data.scope import system_scope
from data.selfcheck import FAIL, Check, QueueStats, run_checks, save_results, worst
from workers.queue import huey, in_app_context
from workers.tasks_system import HEARTBEAT_KEY

logger = logging.getLogger(__name__)


def queue_stats() -> QueueStats:
    """Backlog of the queue and the age of the consumer's last heartbeat."""
    beat = huey.get(HEARTBEAT_KEY, peek=True)
    age = None if beat is None else max(0.0, time.time() - float(beat))
    return QueueStats(pending=huey.pending_count(), scheduled=huey.scheduled_count(), heartbeat_age=age,
                      immediate=huey.immediate)


def run_and_store() -> list[Check]:
    """Run every check now, store the results, and log what fails."""
    with system_scope():
        checks = run_checks(queue_stats())
        save_results(checks)
    for check in checks:
        if check.status == FAIL:
            logger.error("Self-check %s failed: %s", check.name, check.message)
    return checks


@huey.periodic_task(crontab(minute=f"*/{get_config().selfcheck_minutes}"))
@in_app_context
def selfcheck() -> str:
    """Periodic self-check; returns the overall status."""
    return worst(run_and_store())


@huey.task()
@in_app_context
def selfcheck_now() -> str:
    """The same, on request (the Status page's button)."""
    return worst(run_and_store())
