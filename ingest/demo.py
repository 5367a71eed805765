"""Wire the demo's edge processes: `python -m ingest.demo --instance DIR --api-url URL` (used by deploy/demo.sh).

Creates (once) service tokens for the OPC UA poller and the MQTT listener and keeps them under
DIR/ingest/ (mode 600), and writes the simulator's, poller's and listener's TOML files there: the
simulator plays the first North Plant presses with the moulds mounted on them now (plus idle
moulds to change to), so shots are attributed to demo moulds and the home page's counters move.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

logger = logging.getLogger("ingest.demo")

SITE = "NTH"
PRESSES = 6
CYCLE_S = {"closures": 9.0, "housings": 32.0, "connectors": 15.0, "automotive-trim": 50.0, "medical": 12.0}
TOKENS = {"opcua": "demo-opcua-poller", "mqtt": "demo-mqtt-listener"}


def _token(folder: Path, kind: str, site: str) -> str:
    """The demo token for kind: the one kept in folder if it still works, else a new one."""
    from sqlalchemy import func, select

    from data.db import db
    from data.models import ServiceToken
    from data.tokens import authenticate_token, create_token, revoke_token

    path = folder / f"{kind}.token"
    if path.exists():
        raw = path.read_text().strip()
        if authenticate_token(raw, "ingest") is not None:
            return raw
    name = TOKENS[kind]
    existing = db.session.scalar(select(ServiceToken).where(ServiceToken.name.like(f"{name}%"))
                                 .order_by(ServiceToken.id.desc()))
    if existing is not None and existing.revoked_at is None:
        revoke_token(existing.name)  # its secret is lost (a new database or a deleted file): replace it
    n = db.session.scalar(select(func.count()).select_from(ServiceToken).where(ServiceToken.name.like(f"{name}%")))
    _token_row, raw = create_token(name if not n else f"{name}-{n + 1}", site, ["ingest"])
    db.session.commit()
    path.write_text(raw + "\n")
    path.chmod(0o600)
    logger.info("Created the demo token %s (kept in %s)", _token_row.name, path)
    return raw


def plant(site: str = SITE, presses: int = PRESSES) -> list[dict]:
    """The demo presses the simulator plays: code, moulds (mounted first), cycle time."""
    from sqlalchemy import select

    from data.db import db
    from data.models import Mould, MouldStatus, Press, Site

    site_row = db.session.scalar(select(Site).where(Site.code == site))
    if site_row is None:
        raise SystemExit(f"No site {site!r} in the database: run `flask --app app seed-demo` first.")
    rows = db.session.execute(select(Press, Mould).join(Mould, Mould.current_press_id == Press.id)
                              .where(Press.site_id == site_row.id, Press.active.is_(True))
                              .order_by(Press.code)).all()[:presses]
    idle = list(db.session.scalars(select(Mould).where(Mould.site_id == site_row.id,
                                                       Mould.current_press_id.is_(None),
                                                       Mould.status == MouldStatus.IN_TOOL_ROOM)
                                   .order_by(Mould.code)))
    out = []
    for k, (press, mould) in enumerate(rows):
        spare = [m.code for m in idle[k::len(rows)][:2]] if idle else []
        out.append({"code": press.code, "moulds": [mould.code, *spare],
                    "cycle_s": CYCLE_S.get(mould.family, 20.0) * (0.9 + 0.05 * k)})
    return out


def simulator_toml(presses: list[dict], folder: Path, opcua_port: int, mqtt_host: str | None, mqtt_port: int,
                   site: str = SITE) -> str:
    """The simulator's configuration: one press wraps a 32-bit counter, one counts jobs only."""
    lines = ["# Written by python -m ingest.demo for `make demo`.", "seed = 7",
             f'state_path = "{folder / "simulator-state.json"}"', f'truth_path = "{folder / "simulator-truth.json"}"',
             "", "[opcua]", f'endpoint = "opc.tcp://127.0.0.1:{opcua_port}/toolmaint/simulator"', "", "[mqtt]"]
    if mqtt_host:
        lines += [f'host = "{mqtt_host}"', f"port = {mqtt_port}", 'client_id = "toolmaint-demo-simulator"',
                  f'site = "{site}"', "interval_s = 10", "excursion_chance = 0.01"]
    else:
        lines += ["enabled = false"]
    for k, p in enumerate(presses):
        lines += ["", "[[presses]]", f'code = "{p["code"]}"', f"moulds = {json.dumps(p['moulds'])}",
                  f"cycle_s = {p['cycle_s']:.1f}", "job_cycles = [60, 240]", "change_s = 90"]
        if k == 0:
            lines += ["counter_bits = 32", f"counter_start = {2**32 - 400}  # wraps after 400 cycles"]
        elif k == 1:
            lines += ["machine_counter = false  # only JobCycleCounter: the poller counts jobs (resets per job)"]
        else:
            lines += [f"counter_start = {1_000_000 * (k + 1)}"]
        if k >= 3:
            lines += ["sensors = []"]
    return "\n".join(lines) + "\n"


def _common(folder: Path, api_url: str, kind: str) -> str:
    """The name, [api] and [spool] parts both edge processes' files share."""
    return f"""# Written by python -m ingest.demo for `make demo`.
name = "{TOKENS[kind]}"

[api]
url = "{api_url}"
token_file = "{folder / f'{kind}.token'}"

[spool]
path = "{folder / f'{kind}-spool.db'}"
"""


def poller_toml(folder: Path, api_url: str, opcua_port: int) -> str:
    """The OPC UA poller's configuration."""
    return _common(folder, api_url, "opcua") + f"""
[opcua]
publishing_interval_ms = 500
unknown_mould = "unattributed"

[[endpoints]]
url = "opc.tcp://127.0.0.1:{opcua_port}/toolmaint/simulator"
counter = "auto"
"""


def listener_toml(folder: Path, api_url: str, mqtt_host: str, mqtt_port: int, site: str = SITE) -> str:
    """The MQTT listener's configuration."""
    return _common(folder, api_url, "mqtt") + f"""
[mqtt]
host = "{mqtt_host}"
port = {mqtt_port}
client_id = "toolmaint-demo-listener"
topic_prefix = "toolmaint"
site = "{site}"
"""


def main(argv: list[str] | None = None) -> int:
    """Write the demo's ingest configuration; prints the three files' paths."""
    parser = argparse.ArgumentParser(prog="python -m ingest.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--instance", default="instance")
    parser.add_argument("--api-url", default="http://127.0.0.1:8050")
    parser.add_argument("--opcua-port", type=int, default=4840)
    parser.add_argument("--mqtt-host", default=None, help="a broker for sensor data (leave out: none)")
    parser.add_argument("--mqtt-port", type=int, default=1883)
    args = parser.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(message)s")
    folder = Path(args.instance).resolve() / "ingest"
    folder.mkdir(parents=True, exist_ok=True)

    from app import create_app
    from data.db import db
    from data.scope import system_scope

    app = create_app(start_worker=False)
    with app.app_context(), system_scope():
        presses = plant()
        if not presses:
            raise SystemExit("No North Plant press has a mould mounted: nothing to simulate.")
        _token(folder, "opcua", SITE)
        if args.mqtt_host:
            _token(folder, "mqtt", SITE)
        db.session.remove()
    files = {"simulator": simulator_toml(presses, folder, args.opcua_port, args.mqtt_host, args.mqtt_port),
             "opcua": poller_toml(folder, args.api_url, args.opcua_port)}
    if args.mqtt_host:
        files["mqtt"] = listener_toml(folder, args.api_url, args.mqtt_host, args.mqtt_port)
    for name, text in files.items():
        (folder / f"{name}.toml").write_text(text)
    logger.info("Simulating %s", ", ".join(f"{p['code']} ({', '.join(p['moulds'])})" for p in presses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
