"""TOML configuration of the edge processes (OPC UA poller, MQTT listener, simulator), checked on load.

Every problem is reported with the file, the key and what to write instead; see README "Ingest"
for complete examples. Relative paths are relative to the configuration file's folder.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COUNTER_CHOICES = ("auto", "machine_cycle", "job_cycle")
MODES = ("subscribe", "poll")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,31}$")


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or has a wrong value; the message says where."""


@dataclass(frozen=True)
class ApiSettings:
    """Where and how readings are delivered."""

    url: str
    token: str
    timeout: float = 10.0
    batch_size: int = 500
    retry_max_s: float = 30.0
    heartbeat_s: float = 15.0


@dataclass(frozen=True)
class SpoolSettings:
    """The local SQLite file that holds readings until the API has them."""

    path: Path
    fsync: bool = True


@dataclass(frozen=True)
class Endpoint:
    """One OPC UA server and how its machines map to presses."""

    url: str
    counter: str = "auto"
    mode: str = "subscribe"
    presses: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PollerConfig:
    """python -m ingest.opcua --config FILE."""

    name: str
    api: ApiSettings
    spool: SpoolSettings
    endpoints: list[Endpoint]
    publishing_interval_ms: int = 500
    poll_interval_ms: int = 1000
    reconnect_max_s: float = 30.0
    request_timeout_s: float = 4.0
    unknown_mould: str = "unattributed"


@dataclass(frozen=True)
class MqttSettings:
    """A broker and what to subscribe to."""

    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = ""
    username: str = ""
    password: str = ""
    tls: bool = False
    keepalive: int = 30
    topic_prefix: str = "toolmaint"
    site: str = "+"
    qos: int = 1


@dataclass(frozen=True)
class ListenerConfig:
    """python -m ingest.mqtt --config FILE."""

    name: str
    api: ApiSettings
    spool: SpoolSettings
    mqtt: MqttSettings


@dataclass(frozen=True)
class SimPress:
    """One simulated injection moulding machine."""

    code: str
    moulds: list[str]
    cycle_s: float = 20.0
    job_cycles: tuple[int, int] = (200, 600)
    change_s: float = 30.0
    machine_counter: bool = True
    counter_bits: int = 64
    counter_start: int = 0
    sensors: tuple[str, ...] = ("mould_temp", "cooling_flow", "hydraulic_pressure")


@dataclass(frozen=True)
class SimulatorConfig:
    """python -m ingest.simulator --config FILE."""

    presses: list[SimPress]
    opcua_endpoint: str = "opc.tcp://127.0.0.1:4840/toolmaint/simulator"
    mqtt: MqttSettings | None = None
    mqtt_interval_s: float = 5.0
    excursion_chance: float = 0.01
    state_path: Path | None = None
    truth_path: Path | None = None
    seed: int = 7


class _Section:
    """Typed access to one table of the TOML document with precise error messages."""

    def __init__(self, data: dict[str, Any], where: str, base: Path) -> None:
        self.data, self.where, self.base = data, where, base
        self.used: set[str] = set()

    def _get(self, key: str, default: Any, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise ConfigError(f"{self.where}: '{key}' is missing")
            return default
        return self.data[key]

    def str(self, key: str, default: str = "", required: bool = False) -> str:
        v = self._get(key, default, required)
        if not isinstance(v, str):
            raise ConfigError(f"{self.where}: '{key}' must be a text in quotes, got {v!r}")
        return v.strip()

    def num(self, key: str, default: float, minimum: float = 0.0, maximum: float = 1e9) -> float:
        v = self._get(key, default, False)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not minimum <= v <= maximum:
            raise ConfigError(f"{self.where}: '{key}' must be a number from {minimum:g} to {maximum:g}, got {v!r}")
        return float(v)

    def int(self, key: str, default: int, minimum: int = 0, maximum: int = 2**64 - 1) -> int:
        v = self._get(key, default, False)
        if isinstance(v, bool) or not isinstance(v, int) or not minimum <= v <= maximum:
            raise ConfigError(f"{self.where}: '{key}' must be a whole number from {minimum} to {maximum}, got {v!r}")
        return v

    def bool(self, key: str, default: bool) -> bool:
        v = self._get(key, default, False)
        if not isinstance(v, bool):
            raise ConfigError(f"{self.where}: '{key}' must be true or false, got {v!r}")
        return v

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        v = self.str(key, default)
        if v not in choices:
            raise ConfigError(f"{self.where}: '{key}' must be one of {', '.join(choices)}, got {v!r}")
        return v

    def path(self, key: str, default: str | None = None, required: bool = False) -> Path | None:
        v = self.str(key, default or "", required)
        if not v:
            return None
        p = Path(v).expanduser()
        return p if p.is_absolute() else (self.base / p).resolve()

    def table(self, key: str, required: bool = False) -> _Section:
        v = self._get(key, {}, required)
        if not isinstance(v, dict):
            raise ConfigError(f"{self.where}: [{key}] must be a table")
        return _Section(v, f"{self.where} [{key}]", self.base)

    def tables(self, key: str) -> list[_Section]:
        v = self._get(key, [], False)
        if not isinstance(v, list) or not all(isinstance(t, dict) for t in v):
            raise ConfigError(f"{self.where}: [[{key}]] must be a list of tables")
        return [_Section(t, f"{self.where} [[{key}]] #{i + 1}", self.base) for i, t in enumerate(v)]

    def done(self) -> None:
        """Refuse keys nobody reads (usually typos)."""
        extra = sorted(set(self.data) - self.used)
        if extra:
            raise ConfigError(f"{self.where}: unknown key(s) {', '.join(extra)}")


def _read(path: str | Path) -> _Section:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such configuration file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    return _Section(data, str(p), p.resolve().parent)


def _api(s: _Section) -> ApiSettings:
    url = s.str("url", required=True).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{s.where}: 'url' must start with http:// or https://, got {url!r}")
    token = s.str("token")
    token_file = s.path("token_file")
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{s.where}: cannot read token_file {token_file}: {exc.strerror}") from None
    if not token:
        raise ConfigError(f"{s.where}: give 'token' or 'token_file' (create one with "
                          "`flask --app app token create NAME --site CODE --scope ingest`)")
    out = ApiSettings(url=url, token=token, timeout=s.num("timeout", 10.0, 0.5, 300),
                      batch_size=s.int("batch_size", 500, 1, 5000), retry_max_s=s.num("retry_max_s", 30.0, 1, 3600),
                      heartbeat_s=s.num("heartbeat_s", 15.0, 1, 3600))
    s.done()
    return out


def _spool(s: _Section, default_name: str) -> SpoolSettings:
    out = SpoolSettings(path=s.path("path", default_name), fsync=s.bool("fsync", True))
    s.done()
    return out


def _name(s: _Section, default: str) -> str:
    name = s.str("name", default)
    if not name or len(name) > 64:
        raise ConfigError(f"{s.where}: 'name' must be 1 to 64 characters")
    return name


def load_poller(path: str | Path) -> PollerConfig:
    """Read and check an OPC UA poller configuration."""
    root = _read(path)
    endpoints = []
    for e in root.tables("endpoints"):
        url = e.str("url", required=True)
        if not url.startswith("opc.tcp://"):
            raise ConfigError(f"{e.where}: 'url' must start with opc.tcp://, got {url!r}")
        presses_raw = e.table("presses").data
        presses = {}
        for k, v in presses_raw.items():
            if not isinstance(v, str) or not CODE_RE.match(v):
                raise ConfigError(f"{e.where} [presses]: {k!r} must map to a press code, got {v!r}")
            presses[str(k)] = v
        endpoints.append(Endpoint(url=url, counter=e.choice("counter", "auto", COUNTER_CHOICES),
                                  mode=e.choice("mode", "subscribe", MODES), presses=presses))
        e.done()
    if not endpoints:
        raise ConfigError(f"{root.where}: add at least one [[endpoints]] table with the url of an OPC UA server")
    opc = root.table("opcua")
    cfg = PollerConfig(
        name=_name(root, "opcua-poller"), api=_api(root.table("api", required=True)),
        spool=_spool(root.table("spool"), "opcua-spool.db"), endpoints=endpoints,
        publishing_interval_ms=opc.int("publishing_interval_ms", 500, 50, 60_000),
        poll_interval_ms=opc.int("poll_interval_ms", 1000, 100, 600_000),
        reconnect_max_s=opc.num("reconnect_max_s", 30.0, 1, 3600),
        request_timeout_s=opc.num("request_timeout_s", 4.0, 0.5, 120),
        unknown_mould=opc.choice("unknown_mould", "unattributed", ("unattributed", "reject")),
    )
    opc.done()
    root.done()
    return cfg


def _mqtt(s: _Section, default_client: str) -> MqttSettings:
    prefix = s.str("topic_prefix", "toolmaint").strip("/")
    if not prefix or any(c in prefix for c in "+#"):
        raise ConfigError(f"{s.where}: 'topic_prefix' must be a topic path without wildcards, got {prefix!r}")
    site = s.str("site", "+")
    if site != "+" and not CODE_RE.match(site):
        raise ConfigError(f"{s.where}: 'site' must be a site code or + for every site, got {site!r}")
    out = MqttSettings(host=s.str("host", "127.0.0.1"), port=s.int("port", 1883, 1, 65535),
                       client_id=s.str("client_id", default_client), username=s.str("username"),
                       password=s.str("password"), tls=s.bool("tls", False),
                       keepalive=s.int("keepalive", 30, 5, 3600), topic_prefix=prefix, site=site,
                       qos=s.int("qos", 1, 0, 2))
    s.done()
    return out


def load_listener(path: str | Path) -> ListenerConfig:
    """Read and check an MQTT listener configuration."""
    root = _read(path)
    name = _name(root, "mqtt-listener")
    cfg = ListenerConfig(name=name, api=_api(root.table("api", required=True)),
                         spool=_spool(root.table("spool"), "mqtt-spool.db"),
                         mqtt=_mqtt(root.table("mqtt"), f"toolmaint-{name}"))
    root.done()
    return cfg


def load_simulator(path: str | Path) -> SimulatorConfig:
    """Read and check a simulator configuration."""
    root = _read(path)
    presses = []
    for p in root.tables("presses"):
        code = p.str("code", required=True)
        moulds = p._get("moulds", None, True)
        if not CODE_RE.match(code):
            raise ConfigError(f"{p.where}: 'code' must be a press code, got {code!r}")
        if not isinstance(moulds, list) or not moulds or not all(isinstance(m, str) and CODE_RE.match(m)
                                                                  for m in moulds):
            raise ConfigError(f"{p.where}: 'moulds' must be a list of mould codes (the first is mounted at start)")
        jobs = p._get("job_cycles", [200, 600], False)
        if (not isinstance(jobs, list) or len(jobs) != 2 or not all(isinstance(j, int) and j > 0 for j in jobs)
                or jobs[0] > jobs[1]):
            raise ConfigError(f"{p.where}: 'job_cycles' must be [fewest, most] cycles per job, e.g. [200, 600]")
        bits = p.int("counter_bits", 64, 32, 64)
        if bits not in (32, 64):
            raise ConfigError(f"{p.where}: 'counter_bits' must be 32 or 64")
        sensors = p._get("sensors", ["mould_temp", "cooling_flow", "hydraulic_pressure"], False)
        if not isinstance(sensors, list) or not all(isinstance(x, str) for x in sensors):
            raise ConfigError(f"{p.where}: 'sensors' must be a list of sensor keys")
        presses.append(SimPress(code=code, moulds=list(moulds), cycle_s=p.num("cycle_s", 20.0, 0.05, 3600),
                                job_cycles=(jobs[0], jobs[1]), change_s=p.num("change_s", 30.0, 0, 86400),
                                machine_counter=p.bool("machine_counter", True), counter_bits=bits,
                                counter_start=p.int("counter_start", 0, 0, 2**bits - 1), sensors=tuple(sensors)))
        p.done()
    if not presses:
        raise ConfigError(f"{root.where}: add at least one [[presses]] table")
    opc = root.table("opcua")
    endpoint = opc.str("endpoint", "opc.tcp://127.0.0.1:4840/toolmaint/simulator")
    opc.done()
    mq = root.table("mqtt")
    enabled = mq.bool("enabled", True)
    interval = mq.num("interval_s", 5.0, 0.05, 3600)
    excursion = mq.num("excursion_chance", 0.01, 0, 1)
    mqtt = _mqtt(mq, "toolmaint-simulator") if enabled else None
    if not enabled:
        mq.used |= set(mq.data)
        mq.done()
    cfg = SimulatorConfig(presses=presses, opcua_endpoint=endpoint, mqtt=mqtt, mqtt_interval_s=interval,
                          excursion_chance=excursion, state_path=root.path("state_path"),
                          truth_path=root.path("truth_path"), seed=root.int("seed", 7, 0, 2**32))
    root.done()
    return cfg
