"""Task modules to import so the consumer knows every task (each issue adds its own module)."""

from __future__ import annotations

import importlib
import pkgutil

import workers

TASK_MODULE_PREFIX = "tasks_"


def load_all() -> list[str]:
    """Import every workers/tasks_*.py module and return their names."""
    names = []
    for info in pkgutil.iter_modules(workers.__path__):
        if info.name.startswith(TASK_MODULE_PREFIX):
            importlib.import_module(f"workers.{info.name}")
            names.append(info.name)
    return names
