"""Photo tasks: make the web size and thumbnail of an upload (with progress), and clear abandoned uploads."""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab

from workers.queue import huey, in_app_context

logger = logging.getLogger(__name__)

ABANDONED_AFTER = dt.timedelta(days=2)


@huey.task(retries=2, retry_delay=10)
@in_app_context
def resize_photo(photo_id: int, job_id: str | None = None) -> str | None:
    """Make and store the web size and thumbnail of a photo; progress goes to the job."""
    from data.photos import process_photo
    from data.scope import system_scope

    with system_scope():
        photo = process_photo(photo_id, job_id)
        return photo.status.value if photo is not None else None


@huey.periodic_task(crontab(minute="17", hour="3"))
@in_app_context
def clear_abandoned_photos() -> int:
    """Delete photos that were uploaded for a form that was never submitted (after two days)."""
    from data.photos import delete_unattached
    from data.scope import system_scope

    with system_scope():
        removed = delete_unattached(ABANDONED_AFTER)
    if removed:
        logger.info("Removed %d abandoned photo uploads", removed)
    return removed
