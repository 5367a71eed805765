"""Running the Huey consumer: as its own process (python -m workers) or as a thread in the demo app."""

from __future__ import annotations

import logging
import threading

from huey.consumer import Consumer

from workers.queue import huey
from workers.tasks import load_all

logger = logging.getLogger(__name__)

_thread: threading.Thread | None = None
_consumer: Consumer | None = None


def make_consumer(workers: int = 2, periodic: bool = True) -> Consumer:
    """A consumer for the shared queue with every task module loaded."""
    load_all()
    return huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic, check_worker_health=True)


def start_in_thread(workers: int = 2, periodic: bool = True) -> threading.Thread:
    """Start one consumer in a daemon thread of this process (demo mode); idempotent."""
    global _thread, _consumer
    if _thread is not None and _thread.is_alive():
        return _thread
    _consumer = make_consumer(workers, periodic)
    _consumer._set_signal_handlers = lambda: None  # signals can only be set from the main thread
    _thread = threading.Thread(target=_consumer.run, name="huey-consumer", daemon=True)
    _thread.start()
    logger.info("Huey consumer running in-process with %d workers", workers)
    return _thread


def stop_thread(timeout: float = 10) -> None:
    """Stop the in-process consumer (waits for running tasks to finish)."""
    global _thread, _consumer
    if _consumer is not None:
        _consumer.stop(graceful=True)
    if _thread is not None:
        _thread.join(timeout)
    _thread = _consumer = None
