"""The MQTT listener: `python -m ingest.mqtt --config FILE` (TOML, see README "Ingest").

Subscribes with QoS 1 to <topic_prefix>/<site>/<press>/<sensor> (payload JSON {"ts", "value",
"unit"}; ts is optional and defaults to the time of receipt) in a persistent session, so the
broker keeps readings for it while it is away. Each message is written to the local spool before
it is acknowledged, and delivered to POST /api/v1/sensor-readings from there. Messages that
cannot be read (not JSON, wrong topic shape) are kept as dead letters and counted; readings the
API refuses (e.g. NaN, an unknown press) too. Reconnects and re-subscribes after a broker restart.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import signal
import sys
import threading
from typing import Any

import paho.mqtt.client as mqtt

from ingest import __version__
from ingest.cli import arguments, load
from ingest.client import Forwarder
from ingest.config import ListenerConfig, load_listener
from ingest.spool import Spool

logger = logging.getLogger("ingest.mqtt")

STREAM = "sensors"
PATH = "/api/v1/sensor-readings"
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Listener:
    """One broker connection feeding the spool, and the forwarder that empties it."""

    def __init__(self, cfg: ListenerConfig, spool: Spool | None = None) -> None:
        self.cfg = cfg
        self.spool = spool or Spool(cfg.spool.path, cfg.spool.fsync)
        self.forwarder = Forwarder(self.spool, cfg.api, STREAM, PATH, self.agent_info)
        self.connected = False
        self.received = 0
        self.unreadable = 0
        s = cfg.mqtt
        self.filter = f"{s.topic_prefix}/{s.site}/+/+"
        # A persistent session (the broker queues QoS 1 messages while we are away) with manual
        # acknowledgements: a message is acknowledged only once it is in the spool.
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=s.client_id, clean_session=False,
                                  manual_ack=True)
        if s.username:
            self.client.username_pw_set(s.username, s.password or None)
        if s.tls:
            self.client.tls_set()
        self.client.reconnect_delay_set(1, 30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.message_callback_add(self.filter, self._on_message)

    def agent_info(self) -> dict[str, Any]:
        """How this listener describes itself to the API (shown on the ingest health page)."""
        s = self.cfg.mqtt
        return {"name": self.cfg.name, "kind": "mqtt", "version": __version__,
                "spool_depth": self.spool.depth(STREAM), "dead_letters": self.spool.dead_count(),
                "connected": int(self.connected), "sources": 1,
                "detail": f"{s.host}:{s.port} {self.filter}; {self.received} messages, {self.unreadable} unreadable"}

    def start(self) -> None:
        """Connect (in the background, retrying) and start delivering."""
        s = self.cfg.mqtt
        self.forwarder.start()
        self.client.connect_async(s.host, s.port, s.keepalive)
        self.client.loop_start()
        logger.info("MQTT listener %r: %s:%d, topics %s, delivering to %s", self.cfg.name, s.host, s.port,
                    self.filter, self.cfg.api.url)

    def stop(self) -> None:
        """Disconnect and stop delivering (spooled readings stay for the next start)."""
        self.client.disconnect()
        self.client.loop_stop()
        self.forwarder.stop()

    # -- callbacks (paho's network thread; they must not block) ------------------------------------------------
    def _on_connect(self, client, _userdata, flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            logger.error("MQTT broker %s refused the connection: %s", self.cfg.mqtt.host, reason_code)
            return
        self.connected = True
        client.subscribe(self.filter, qos=self.cfg.mqtt.qos)  # here, so a reconnect subscribes again
        logger.info("Connected to MQTT broker %s:%d (session present: %s); subscribed to %s", self.cfg.mqtt.host,
                    self.cfg.mqtt.port, flags.session_present, self.filter)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        if self.connected:
            logger.warning("Disconnected from MQTT broker (%s); reconnecting", reason_code)
        self.connected = False

    def _on_message(self, client, _userdata, msg: mqtt.MQTTMessage) -> None:
        self.received += 1
        try:
            try:
                item = parse_message(self.cfg.mqtt.topic_prefix, msg.topic, msg.payload)
            except ValueError as exc:
                self.unreadable += 1
                logger.warning("Unreadable message on %s: %s", msg.topic, exc)
                self.spool.bury_raw(STREAM, f"{msg.topic} {msg.payload[:2000]!r}", "unreadable", str(exc))
            else:
                self.spool.put(STREAM, [item])
        except Exception:  # not acknowledged: the broker delivers it again after the next reconnect
            logger.exception("Cannot write to the spool %s; message on %s not acknowledged", self.spool.path,
                             msg.topic)
            return
        client.ack(msg.mid, msg.qos)


def parse_message(prefix: str, topic: str, payload: bytes) -> dict[str, Any]:
    """A sensor reading for the API from an MQTT message; ValueError says why a message is unreadable."""
    rest = topic[len(prefix) + 1:] if topic.startswith(prefix + "/") else ""
    parts = rest.split("/")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"topic {topic!r} is not {prefix}/<site>/<press>/<sensor>")
    _site, press, sensor = parts
    if not KEY_RE.match(sensor):
        raise ValueError(f"sensor {sensor!r} in the topic must be lower-case letters, digits and _")
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"payload is not JSON ({exc})") from None
    if isinstance(body, (int, float)) and not isinstance(body, bool):
        body = {"value": body}
    if not isinstance(body, dict) or "value" not in body:
        raise ValueError('payload must be {"ts": ..., "value": ..., "unit": ...} (value required)')
    item: dict[str, Any] = {"press": press, "sensor": sensor, "value": body["value"],
                            "ts": body.get("ts") or dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")}
    if body.get("unit") is not None:
        item["unit"] = body["unit"]
    return item


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = arguments("python -m ingest.mqtt", __doc__, argv)
    cfg = load(load_listener, args.config)
    if cfg is None:
        return 2
    listener = Listener(cfg)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    listener.start()
    stop.wait()
    listener.stop()
    logger.info("Stopped; %d readings wait in the spool for the next start", listener.spool.depth(STREAM))
    return 0


if __name__ == "__main__":
    sys.exit(main())
