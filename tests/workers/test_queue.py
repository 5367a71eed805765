"""The queue is chosen by configuration, and a real consumer runs tasks on Redis and on SQLite."""

from __future__ import annotations

import threading
import uuid

import pytest
from huey import RedisHuey, SqliteHuey

from config import load_config
from workers.queue import huey, make_huey


def test_tests_run_tasks_inline():
    from workers.tasks_system import ping

    assert huey.immediate is True
    assert ping("hello")() == "hello"


@pytest.mark.parametrize("backend", ["redis", "sqlite"])
def test_consumer_runs_a_task(backend, tmp_path):
    env = {"INSTANCE_PATH": str(tmp_path)}
    if backend == "redis":
        env["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    q = make_huey(load_config(env=env), name=f"toolmaint-test-{uuid.uuid4().hex[:8]}")  # apart from other runs
    assert isinstance(q, RedisHuey if backend == "redis" else SqliteHuey)
    done = threading.Event()

    @q.task()
    def add(a, b):
        done.set()
        return a + b

    consumer = q.create_consumer(workers=1, worker_type="thread", periodic=False)
    consumer._set_signal_handlers = lambda: None
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        result = add(2, 3)
        assert result.get(blocking=True, timeout=10) == 5
        assert done.is_set()
    finally:
        consumer.stop(graceful=True)
        thread.join(timeout=10)
        q.storage.flush_all()


def test_demo_mode_runs_the_consumer_inside_the_app_process(app):
    """What `make demo` relies on: a consumer thread of the web process takes tasks off the app's queue."""
    from workers.consumer import start_in_thread, stop_thread
    from workers.tasks_system import ping

    huey.immediate = False
    try:
        thread = start_in_thread(workers=1, periodic=False)  # no scheduled jobs in a test
        assert thread.is_alive() and start_in_thread() is thread  # idempotent
        assert ping("from the queue").get(blocking=True, timeout=10) == "from the queue"
    finally:
        stop_thread()
        huey.storage.flush_all()
        huey.immediate = True
