"""In-process domain events: services publish after they commit, workers subscribe (e.g. notifications).

Keeps data/ free of worker imports: a subscriber registers itself when its module is imported,
and the app factory imports every worker task module.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

# Event names and their payloads (keyword arguments):
FAILURE_REPORTED = "failure_reported"  # report_id, site_id, severity
ACTION_CHANGED = "action_changed"  # action_id, site_id, status
MAINTENANCE_LOGGED = "maintenance_logged"  # log_id, site_id, mould_id, kind
PHOTO_UPLOADED = "photo_uploaded"  # photo_id, site_id
SENSOR_ALERT = "sensor_alert"  # alert_id, site_id

_subscribers: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def subscribe(event: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    """Call handler(**payload) whenever event is published (idempotent per handler)."""
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)
    return handler


def publish(event: str, **payload: Any) -> None:
    """Tell every subscriber; a failing subscriber is logged and never undoes the caller's work."""
    for handler in list(_subscribers.get(event, ())):
        try:
            handler(**payload)
        except Exception:
            logger.exception("Subscriber %s failed on %s %s", getattr(handler, "__name__", handler), event, payload)
