"""Housekeeping tasks: the consumer's heartbeat, which the status page reads to see it is alive."""

from __future__ import annotations

import logging
import time

from huey import crontab

from workers.queue import huey

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "consumer-heartbeat"


@huey.periodic_task(crontab(minute="*"))
def heartbeat() -> float:
    """Record that a consumer is running (every minute)."""
    now = time.time()
    huey.put(HEARTBEAT_KEY, now)
    return now


@huey.task()
def ping(value: str) -> str:
    """Echo a value: used to check that tasks run end to end."""
    return value
