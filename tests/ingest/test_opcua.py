"""The OPC UA poller against a real asyncua server (the simulator, in this process), delivering through the
real API, with faults: the OPC UA server restarts, the API is unreachable, the poller is killed with -9.
Each test ends with the shots per mould in the database equal to the simulator's ground truth, exactly."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from data.counters import from_signed64
from data.models import CounterState, Mould, MouldMount, Press
from ingest.config import SimPress, SimulatorConfig
from tests.conftest import free_port
from tests.ingest.harness import ApiServer, Proc, SimThread, wait_until

PRESSES = [
    # 32-bit machine counter just below its top (it wraps), two moulds
    SimPress("S1-P01", ["T-1", "T-7"], cycle_s=0.12, job_cycles=(25, 45), change_s=0.3, counter_bits=32,
             counter_start=2**32 - 40, sensors=()),
    # no MachineCycleCounter: the poller uses JobCycleCounter, which resets at every job
    SimPress("S1-P02", ["T-8", "T-9"], cycle_s=0.15, job_cycles=(20, 35), change_s=0.3, machine_counter=False,
             sensors=()),
    SimPress("S1-P03", ["T-10"], cycle_s=0.2, job_cycles=(30, 50), change_s=0.2, counter_start=123_456, sensors=()),
]


@pytest.fixture(scope="module")
def sim():
    port = free_port()
    s = SimThread(SimulatorConfig(presses=PRESSES, opcua_endpoint=f"opc.tcp://127.0.0.1:{port}/sim", mqtt=None))
    s.port = port
    yield s
    s.close()


class Plant:
    """One test's world: the presses and moulds in the database, the API, the poller and the ground truth."""

    def __init__(self, app, ctx, sim: SimThread, token: str, tmp: Path) -> None:
        self.app, self.ctx, self.sim, self.tmp = app, ctx, sim, tmp
        self.api = ApiServer(app)
        self.config = tmp / "poller.toml"
        self.config.write_text(f"""
name = "test-poller"
[api]
url = "{self.api.url}"
token = "{token}"
timeout = 3
batch_size = 50
retry_max_s = 1
heartbeat_s = 1
[spool]
path = "{tmp / 'spool.db'}"
fsync = false
[opcua]
publishing_interval_ms = 100
reconnect_max_s = 1
[[endpoints]]
url = "opc.tcp://127.0.0.1:{sim.port}/sim"
""")
        self.poller = Proc("ingest.opcua", self.config, tmp / "poller.log")
        self.initial: dict[str, int] = {}

    def counters(self) -> dict[str, int]:
        """What each simulated press's watched counter shows now."""
        return {p.cfg.code: (p.machine_count if p.cfg.machine_counter else p.job_count) for p in self.sim.sim.presses}

    def stored(self) -> dict[str, int]:
        self.ctx.rollback()
        rows = self.ctx.execute(select(Press.code, CounterState.last_value)
                                .join(Press, Press.id == CounterState.press_id))
        return {code: from_signed64(v) for code, v in rows if v is not None}

    def lifetimes(self) -> dict[str, int]:
        self.ctx.rollback()
        return dict(self.ctx.execute(select(Mould.code, Mould.lifetime_shots)).all())

    def baseline(self) -> None:
        """Presses standing still: wait for the poller's first readings, then let the presses run."""
        wait_until(lambda: self.stored() == self.counters(), 60, "the baseline readings",)
        self.initial = self.lifetimes()
        self.sim.reset()
        self.sim.sim.paused = False

    def settle(self, timeout: float = 60) -> None:
        """Stop the presses and wait until the database has every press's last count."""
        self.sim.sim.paused = True
        time.sleep(0.3)
        wait_until(lambda: self.stored() == self.counters(), timeout, "the last readings to arrive")

    def assert_ground_truth(self) -> dict[str, int]:
        truth = self.sim.sim.truth()["shots"]
        now = self.lifetimes()
        got = {code: now[code] - self.initial.get(code, 0) for code in now}
        assert {c: n for c, n in got.items() if n} == {c: n for c, n in truth.items() if n}, \
            self.poller.output()[-3000:]
        assert sum(truth.values()) > 50  # the presses really ran
        return truth

    def wait_watching(self, times: int) -> None:
        """Wait until the poller has (re)subscribed `times` times in all, and the first values are in."""
        wait_until(lambda: self.poller.output().count(": watching ") >= times, 60, f"subscription #{times}")
        time.sleep(0.5)

    def close(self) -> None:
        self.poller.stop()
        self.api.stop()


@pytest.fixture
def plant_env(app, ctx, plant, ingest_token, sim, tmp_path):
    s1 = plant["sites"]["S1"]
    ctx.add_all([Press(site_id=s1, code=c, name=c) for c in ("S1-P02", "S1-P03")])
    ctx.add_all([Mould(site_id=s1, code=c, name=c) for c in ("T-7", "T-8", "T-9", "T-10")])
    ctx.commit()
    sim.reset()
    env = Plant(app, ctx, sim, ingest_token, tmp_path)
    yield env
    env.close()


def test_poller_counts_every_shot_through_mould_changes_resets_and_a_wrap(plant_env, ctx):
    env = plant_env
    env.poller.start()
    env.baseline()
    start_p01 = env.counters()["S1-P01"]
    time.sleep(7)
    env.settle()
    truth = env.assert_ground_truth()
    assert len([m for m in ("T-1", "T-7") if truth.get(m)]) == 2  # S1-P01 changed moulds
    assert len([m for m in ("T-8", "T-9") if truth.get(m)]) == 2  # S1-P02's job counter reset in between
    assert env.counters()["S1-P01"] < start_p01  # its UInt32 counter wrapped
    mounts = ctx.execute(select(MouldMount.mould_id).where(MouldMount.source == "opcua")).all()
    assert len(mounts) >= 4  # MouldId changes updated the mounting history
    assert "watching" in env.poller.output()


def test_opcua_server_restart_mid_run(plant_env, sim):
    env = plant_env
    env.poller.start()
    env.baseline()
    time.sleep(2)
    sim.sim.hold_changes = True  # a mould change while nobody watches cannot be attributed exactly
    sim.restart_server(down_s=2.5)
    env.wait_watching(2)  # mould changes only once the poller watches again
    sim.sim.hold_changes = False
    time.sleep(2)
    env.settle()
    env.assert_ground_truth()
    assert "connection lost" in env.poller.output() or "not reachable" in env.poller.output()


def test_api_unreachable_for_a_while(plant_env):
    env = plant_env
    env.poller.start()
    env.baseline()
    time.sleep(1.5)
    env.api.stop()
    time.sleep(3.5)  # the poller keeps reading and spools
    env.api.start()
    time.sleep(1)
    env.settle()
    env.assert_ground_truth()
    assert "unreachable" in env.poller.output()


def test_kill_9_the_poller_and_start_it_again(plant_env, sim):
    env = plant_env
    env.poller.start()
    env.baseline()
    time.sleep(2)
    env.api.stop()  # let readings pile up in the spool, so the kill hits a non-empty spool
    time.sleep(2)
    sim.sim.hold_changes = True
    env.poller.kill9()
    spooled = sqlite_count(env.tmp / "spool.db")
    time.sleep(1)
    env.api.start()
    env.poller.start()
    env.wait_watching(2)
    sim.sim.hold_changes = False
    time.sleep(1.5)
    env.settle()
    env.assert_ground_truth()
    assert spooled > 0  # readings were waiting in the spool when the poller was killed


def sqlite_count(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM queue").fetchone()[0]


def test_poller_reads_by_polling_when_configured(plant_env):
    env = plant_env
    env.config.write_text(env.config.read_text().replace('url = "opc.tcp', 'mode = "poll"\nurl = "opc.tcp')
                          .replace("[opcua]", "[opcua]\npoll_interval_ms = 100"))
    env.poller.start()
    env.baseline()
    time.sleep(4)
    env.settle()
    env.assert_ground_truth()


def test_bad_configuration_is_reported_clearly(tmp_path):
    from ingest.config import ConfigError, load_poller

    bad = tmp_path / "p.toml"
    bad.write_text('[api]\nurl = "ftp://x"\ntoken = "t"\n[[endpoints]]\nurl = "opc.tcp://h:4840"\n')
    with pytest.raises(ConfigError, match="must start with http"):
        load_poller(bad)
    bad.write_text('[api]\nurl = "http://x"\ntoken = "t"\n[[endpoints]]\nurl = "opc.tcp://h:4840"\ncountr = 1\n')
    with pytest.raises(ConfigError, match="unknown key"):
        load_poller(bad)
    bad.write_text('[api]\nurl = "http://x"\n[[endpoints]]\nurl = "opc.tcp://h:4840"\n')
    with pytest.raises(ConfigError, match="token_file"):
        load_poller(bad)
    proc = Proc("ingest.opcua", tmp_path / "missing.toml", tmp_path / "log").start()
    assert proc.proc.wait(30) == 2 and "no such configuration file" in proc.output()


def test_iso_timestamps_are_utc():
    from ingest.opcua import iso

    assert iso(dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == "2026-01-01T11:00:00Z"
