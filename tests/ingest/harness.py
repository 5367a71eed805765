"""Real services for the edge-process tests: the app on a restartable port, the simulator in a thread,
the poller and listener as processes, a private Mosquitto, and waiting for the ground truth."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from ingest.config import SimulatorConfig
from ingest.simulator import Simulator
from tests.conftest import ROOT, free_port


def wait_until(check: Callable[[], Any], timeout: float = 30.0, what: str = "condition", every: float = 0.2) -> Any:
    """Poll check() until it returns something truthy; fail with what it last returned."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last: {last!r}")


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


class ApiServer:
    """The app served on one port in a thread; stop() makes the API unreachable, start() brings it back."""

    def __init__(self, app) -> None:
        self.app, self.port = app, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = self._thread = None
        self.start()

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None


class LoopThread:
    """An asyncio loop in a background thread, for servers a test drives from its own thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def call(self, fn: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Run a coroutine function in the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(fn(), self.loop).result(timeout)

    def close(self) -> None:
        self.call(_cancel_the_rest)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


class SimThread:
    """The simulator's event loop in a background thread (the OPC UA server lives there)."""

    def __init__(self, cfg: SimulatorConfig) -> None:
        self.sim = Simulator(cfg)
        self.sim.paused = True
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._stop = self.call(self._make_event)
        self._task = asyncio.run_coroutine_threadsafe(self.sim.run(self._stop), self.loop)
        self.call(self._ready)

    async def _make_event(self) -> asyncio.Event:
        return asyncio.Event()

    async def _ready(self) -> None:
        while self.sim.server is None:
            await asyncio.sleep(0.05)

    def call(self, fn: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Run a coroutine function in the simulator's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(fn(), self.loop).result(timeout)

    def restart_server(self, down_s: float) -> None:
        """Stop the OPC UA server, wait, start a new one (the presses go on counting meanwhile)."""
        self.call(self.sim.stop_server)
        time.sleep(down_s)
        self.call(self.sim.start_server)

    def reset(self) -> None:
        """Stand still and forget the ground truth (before a test sets its baseline)."""
        self.sim.paused = True
        self.sim.hold_changes = False
        time.sleep(0.3)
        with self.sim._lock:
            self.sim.shots.clear()
            self.sim.cycles.clear()
            self.sim.published.clear()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        try:
            self._task.result(15)
            self.call(_cancel_the_rest)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)


async def _cancel_the_rest() -> None:
    """Let the loop end cleanly: cancel what the OPC UA server left running."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Proc:
    """An edge process (python -m ingest.opcua / ingest.mqtt) with its log in a file."""

    def __init__(self, module: str, config: Path, log: Path) -> None:
        self.module, self.config, self.log = module, config, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Proc:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", self.module, "--config", str(self.config),
                                          "--log-level", "INFO"], cwd=ROOT, env=env, stdout=out,
                                         stderr=subprocess.STDOUT)
        return self

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Mosquitto:
    """A private broker on a free port, with persistence, that a test may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.port = free_port()
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "mosquitto.conf"
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "persistence true",
                 f"persistence_location {self.dir}/", "autosave_interval 1", "max_queued_messages 100000"]
        if os.geteuid() == 0:
            lines.insert(0, "user root")
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with open(self.dir / "mosquitto.log", "ab") as out:
            self.proc = subprocess.Popen([self.binary, "-c", str(self.conf)], stdout=out, stderr=subprocess.STDOUT)
        wait_until(lambda: port_open(self.port), 10, "mosquitto to listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None
