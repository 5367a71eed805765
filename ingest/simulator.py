"""A simulated plant: `python -m ingest.simulator [--config FILE]`.

An asyncua server with N presses shaped as EUROMAP 77 (IMM_MES_InterfaceType instances, built in
code: no NodeSet files needed) that cycle at their cycle times, change moulds between jobs
(MouldId changes, JobCycleCounter resets), and count on a 32- or 64-bit MachineCycleCounter that
can start near its top so it wraps; plus an MQTT publisher of sensor readings (mould temperature,
cooling-water flow, hydraulic pressure) with occasional excursions, on
<topic_prefix>/<site>/<press>/<sensor> with payload {"ts", "value", "unit"}.

It knows its ground truth: shots per mould and sensor readings published. It writes them to
truth_path (JSON) every second, prints them on SIGUSR1 and when it stops, and keeps its counters
in state_path so a restart continues where it stopped (as a real machine's counters do).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import math
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncua import Server, ua

from ingest.cli import arguments, load, stop_on_signals
from ingest.config import MqttSettings, SimPress, SimulatorConfig, load_simulator
from ingest.euromap77 import MachineNodes, add_machine, write

logger = logging.getLogger("ingest.simulator")

# key: (unit, typical value, noise, excursion offset)
SENSOR_MODEL = {
    "mould_temp": ("°C", 52.0, 0.8, 15.0),
    "cooling_flow": ("l/min", 14.0, 0.4, -7.5),
    "hydraulic_pressure": ("bar", 165.0, 4.0, 60.0),
    "oil_temp": ("°C", 45.0, 0.6, 20.0),
}
LOCAL_NS = "urn:toolmaint:simulator"


@dataclass
class PressState:
    """One simulated machine: its counters, the mould on it and when it next cycles."""

    cfg: SimPress
    machine_count: int
    job_count: int = 0
    mould_index: int = 0
    job_left: int = 0
    next_cycle: float = 0.0
    changing_until: float | None = None
    nodes: MachineNodes | None = None

    @property
    def mould(self) -> str:
        """The mould mounted now."""
        return self.cfg.moulds[self.mould_index % len(self.cfg.moulds)]


class Simulator:
    """The presses, the OPC UA server they appear on, the MQTT publisher, and the ground truth."""

    def __init__(self, cfg: SimulatorConfig) -> None:
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)
        self.presses = [PressState(p, machine_count=p.counter_start % (1 << p.counter_bits)) for p in cfg.presses]
        self.shots: Counter[str] = Counter()
        self.cycles: Counter[str] = Counter()
        self.published: Counter[str] = Counter()
        self.hold_changes = False  # tests: no mould change while a fault is injected
        self.paused = False  # tests: the presses stand still (no cycles, no changes)
        self.server: Server | None = None
        self.mqtt = None
        self._lock = threading.Lock()
        self._excursions: dict[str, int] = {}
        self._load_state()
        for p in self.presses:
            if p.job_left <= 0:
                p.job_left = self.rng.randint(*p.cfg.job_cycles)

    # -- ground truth and state -----------------------------------------------------------------------------
    def truth(self) -> dict[str, Any]:
        """Shots per mould, cycles per press and sensor readings published per topic."""
        with self._lock:
            return {"shots": dict(self.shots), "cycles": dict(self.cycles), "sensor_readings": dict(self.published),
                    "mounted": {p.cfg.code: p.mould for p in self.presses},
                    "counters": {p.cfg.code: p.machine_count for p in self.presses},
                    "updated": dt.datetime.now(dt.UTC).isoformat()}

    def _load_state(self) -> None:
        path = self.cfg.state_path
        if path is None or not path.exists():
            return
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            logger.warning("Cannot read the simulator state %s (%s); starting afresh", path, exc)
            return
        for p in self.presses:
            s = state.get("presses", {}).get(p.cfg.code)
            if s:
                p.machine_count, p.job_count = int(s["machine_count"]), int(s["job_count"])
                p.mould_index, p.job_left = int(s["mould_index"]), int(s["job_left"])
        self.shots.update(state.get("shots", {}))
        self.cycles.update(state.get("cycles", {}))
        self.published.update(state.get("sensor_readings", {}))

    def save(self) -> None:
        """Write the state and the ground truth files (atomically)."""
        truth = self.truth()
        if self.cfg.state_path is not None:
            state = {**truth, "presses": {p.cfg.code: {"machine_count": p.machine_count, "job_count": p.job_count,
                                                       "mould_index": p.mould_index, "job_left": p.job_left}
                                          for p in self.presses}}
            _write_json(self.cfg.state_path, state)
        if self.cfg.truth_path is not None:
            _write_json(self.cfg.truth_path, truth)

    def print_truth(self) -> None:
        """Print the ground truth as a small table."""
        t = self.truth()
        lines = ["Simulator ground truth", "  shots per mould:"]
        lines += [f"    {m:12} {n:>10,}" for m, n in sorted(t["shots"].items())]
        lines += ["  sensor readings published:"]
        lines += [f"    {topic:48} {n:>8,}" for topic, n in sorted(t["sensor_readings"].items())]
        print("\n".join(lines), flush=True)

    # -- OPC UA -----------------------------------------------------------------------------------------------
    async def start_server(self) -> None:
        """Build the address space with the current counters and start serving."""
        server = Server()
        await server.init()
        server.set_endpoint(self.cfg.opcua_endpoint)
        server.set_server_name("Tool Maintenance press simulator")
        local = await server.register_namespace(LOCAL_NS)
        folder = await server.nodes.objects.add_folder(ua.NodeId("Machines", local), ua.QualifiedName("Machines",
                                                                                                      local))
        for p in self.presses:
            p.nodes = await add_machine(server, folder, p.cfg.code, machine_counter=p.cfg.machine_counter,
                                        counter_bits=p.cfg.counter_bits, mould=p.mould,
                                        counter_start=p.machine_count)
            now = dt.datetime.now(dt.UTC)
            await write(p.nodes.job_counter, p.job_count, p.nodes.counter_type, now)
            await write(p.nodes.mould_id, p.mould, ua.VariantType.String, now - dt.timedelta(milliseconds=1))
        await server.start()
        self.server = server
        logger.info("OPC UA server on %s with %d presses", self.cfg.opcua_endpoint, len(self.presses))

    async def stop_server(self) -> None:
        """Stop serving (the presses keep counting)."""
        server, self.server = self.server, None
        for p in self.presses:
            p.nodes = None
        if server is not None:
            await server.stop()

    async def _publish(self, p: PressState, now: dt.datetime, mould_changed: bool, reset: bool) -> None:
        n = p.nodes
        if n is None or self.server is None:
            return
        if mould_changed:
            await write(n.mould_id, p.mould, ua.VariantType.String, now)
            now += dt.timedelta(milliseconds=1)
        if reset:
            await write(n.job_counter, p.job_count, n.counter_type, now)
            return
        if n.machine_counter is not None:
            await write(n.machine_counter, p.machine_count, n.counter_type, now)
        await write(n.job_counter, p.job_count, n.counter_type, now)
        await write(n.last_cycle_time, p.cfg.cycle_s * 1000.0, ua.VariantType.Double, now)

    async def step(self, now_mono: float) -> None:
        """Advance every press to now: finish mould changes, run due cycles."""
        if self.paused:
            for p in self.presses:
                p.next_cycle = 0.0
            return
        for p in self.presses:
            if p.changing_until is not None:
                if now_mono < p.changing_until or self.hold_changes:  # a held change waits half-done
                    continue
                p.changing_until = None
                with self._lock:
                    p.mould_index += 1
                    p.job_count = 0
                    p.job_left = self.rng.randint(*p.cfg.job_cycles)
                p.next_cycle = now_mono + p.cfg.cycle_s
                logger.info("%s: mould %s mounted, job counter reset", p.cfg.code, p.mould)
                await self._publish(p, dt.datetime.now(dt.UTC), mould_changed=len(p.cfg.moulds) > 1, reset=True)
                continue
            if not p.next_cycle:
                p.next_cycle = now_mono + self.rng.uniform(0, p.cfg.cycle_s)
            if now_mono < p.next_cycle:
                continue
            with self._lock:
                p.machine_count = (p.machine_count + 1) % (1 << p.cfg.counter_bits)
                p.job_count += 1
                p.job_left -= 1
                self.shots[p.mould] += 1
                self.cycles[p.cfg.code] += 1
            p.next_cycle += p.cfg.cycle_s * self.rng.uniform(0.97, 1.03)
            await self._publish(p, dt.datetime.now(dt.UTC), mould_changed=False, reset=False)
            if p.job_left <= 0 and not self.hold_changes:
                p.changing_until = now_mono + p.cfg.change_s

    # -- MQTT -------------------------------------------------------------------------------------------------
    def start_mqtt(self) -> None:
        """Connect the sensor publisher (it reconnects by itself and resends unacknowledged readings)."""
        settings = self.cfg.mqtt
        if settings is None:
            return
        import paho.mqtt.client as mqtt

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=settings.client_id or "", clean_session=True)
        client.max_queued_messages_set(0)
        if settings.username:
            client.username_pw_set(settings.username, settings.password or None)
        if settings.tls:
            client.tls_set()
        client.reconnect_delay_set(0.5, 10)
        client.on_connect = lambda c, u, f, rc, p: logger.info("MQTT publisher connected to %s:%d (%s)",
                                                               settings.host, settings.port, rc)
        client.on_disconnect = lambda c, u, f, rc, p: logger.warning("MQTT publisher disconnected (%s)", rc)
        client.connect_async(settings.host, settings.port, settings.keepalive)
        client.loop_start()
        self.mqtt = client

    def stop_mqtt(self) -> None:
        """Stop the publisher."""
        if self.mqtt is not None:
            self.mqtt.loop_stop()
            self.mqtt.disconnect()
            self.mqtt = None

    def sensor_value(self, press: str, key: str, t: float) -> float:
        """The next value of a sensor: a daily swing, noise, and now and then an excursion."""
        unit, base, noise, excursion = SENSOR_MODEL.get(key, ("", 10.0, 0.2, 5.0))
        value = base + noise * 2 * math.sin(2 * math.pi * (t % 86400) / 86400) + self.rng.gauss(0, noise)
        slot = f"{press}/{key}"
        left = self._excursions.get(slot, 0)
        if left == 0 and self.rng.random() < self.cfg.excursion_chance:
            left = self.rng.randint(3, 8)
        if left:
            self._excursions[slot] = left - 1
            value += excursion * self.rng.uniform(0.8, 1.2)
        return round(value, 2)

    def publish_sensors(self, settings: MqttSettings) -> None:
        """Publish one reading per sensor per press (QoS 1; queued while the broker is away)."""
        if self.mqtt is None:
            return
        now = dt.datetime.now(dt.UTC)
        ts = now.isoformat().replace("+00:00", "Z")
        for p in self.presses:
            for key in p.cfg.sensors:
                topic = f"{settings.topic_prefix}/{settings.site}/{p.cfg.code}/{key}"
                unit = SENSOR_MODEL.get(key, ("",))[0]
                payload = json.dumps({"ts": ts, "value": self.sensor_value(p.cfg.code, key, now.timestamp()),
                                      "unit": unit})
                info = self.mqtt.publish(topic, payload, qos=settings.qos)
                if info.rc not in (0, 4):  # 4: not connected now; paho keeps QoS 1 messages and sends them later
                    logger.warning("MQTT publish to %s failed (%s)", topic, info.rc)
                    continue
                with self._lock:
                    self.published[topic] += 1

    # -- main loop --------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, serve: bool = True) -> None:
        """Run until stop is set (the OPC UA server only when serve is True)."""
        if serve:
            await self.start_server()
        self.start_mqtt()
        tick = max(0.01, min(0.1, min(p.cfg.cycle_s for p in self.presses) / 5))
        next_sensor = time.monotonic()
        next_save = time.monotonic() + 1
        try:
            while not stop.is_set():
                now = time.monotonic()
                await self.step(now)
                if self.cfg.mqtt is not None and now >= next_sensor and not self.paused:
                    self.publish_sensors(self.cfg.mqtt)
                    next_sensor = now + self.cfg.mqtt_interval_s
                if now >= next_save:
                    self.save()
                    next_save = now + 1
                try:
                    await asyncio.wait_for(stop.wait(), tick)
                except TimeoutError:
                    pass
        finally:
            self.save()
            self.stop_mqtt()
            await self.stop_server()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def quick_config(presses: int, endpoint: str, mqtt_host: str | None, site: str, cycle_s: float) -> SimulatorConfig:
    """A configuration without a file: presses SIM-P01..., moulds SIM-T01..., sensors on MQTT if a host is given."""
    sims = [SimPress(code=f"SIM-P{i:02d}", moulds=[f"SIM-T{2 * i - 1:02d}", f"SIM-T{2 * i:02d}"], cycle_s=cycle_s,
                     counter_bits=32 if i == 1 else 64, counter_start=(1 << 32) - 500 if i == 1 else 0)
            for i in range(1, presses + 1)]
    mqtt = MqttSettings(host=mqtt_host, site=site, client_id="toolmaint-simulator") if mqtt_host else None
    return SimulatorConfig(presses=sims, opcua_endpoint=endpoint, mqtt=mqtt)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""

    def more(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--presses", type=int, default=3, help="without --config: this many presses")
        parser.add_argument("--endpoint", default="opc.tcp://127.0.0.1:4840/toolmaint/simulator")
        parser.add_argument("--mqtt-host", default=None, help="publish sensor readings to this broker")
        parser.add_argument("--site", default="SIM", help="site code in the MQTT topics")
        parser.add_argument("--cycle-s", type=float, default=10.0)

    args = arguments("python -m ingest.simulator", __doc__, argv, config_required=False, more=more)
    cfg = load(load_simulator, args.config) if args.config else quick_config(
        args.presses, args.endpoint, args.mqtt_host, args.site, args.cycle_s)
    if cfg is None:
        return 2
    sim = Simulator(cfg)

    async def run() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop)
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, sim.print_truth)
        await sim.run(stop)

    asyncio.run(run())
    sim.print_truth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
