"""The one Huey instance: RedisHuey when REDIS_URL is set, else SqliteHuey in instance/."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from config import Config, get_config

logger = logging.getLogger(__name__)


def make_huey(cfg: Config, name: str = "toolmaint") -> Huey:
    """Build the queue the configuration asks for."""
    if cfg.redis_url:
        return RedisHuey(name, url=cfg.redis_url, immediate=cfg.huey_immediate, utc=True)
    cfg.instance_path.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(cfg.instance_path / "queue.db"), immediate=cfg.huey_immediate, utc=True)


huey = make_huey(get_config())


def in_app_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a task body inside the Flask app context (reusing one if the caller already has it)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from flask import has_app_context

        if has_app_context():
            return fn(*args, **kwargs)
        from app import worker_app

        with worker_app().app_context():
            return fn(*args, **kwargs)

    return wrapper
