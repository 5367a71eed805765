"""Nightly backup at BACKUP_TIME (UTC) into BACKUP_DIR, with retention; and a backup on request."""

from __future__ import annotations

import logging

from huey import crontab

from config import get_config
from data.backup import create_backup
from workers.queue import huey, in_app_context

logger = logging.getLogger(__name__)

_hour, _minute = (int(v) for v in get_config().backup_time.split(":"))


@huey.periodic_task(crontab(minute=str(_minute), hour=str(_hour)))
@in_app_context
def nightly_backup() -> str:
    """Back up the database (pg_dump or SQLite online backup) and delete backups past their retention."""
    info = create_backup()
    return info.path.name


@huey.task()
@in_app_context
def backup_now() -> str:
    """A backup on request (the Status page's button)."""
    return create_backup().path.name
