"""The OPC UA poller: `python -m ingest.opcua --config FILE` (TOML, see README "Ingest").

For each endpoint: connect, find the EUROMAP 77 machines (instances of IMM_MES_InterfaceType,
wherever the server puts them), subscribe to each machine's cycle counter (MachineCycleCounter,
else JobCycleCounter), MouldId and LastCycleTime, and turn every change into a counter reading
(with the MouldId in force). Readings go to the local spool first and from there to the API
(ingest/client.py), so an API outage or a `kill -9` loses nothing that was spooled. Where a server
refuses subscriptions the poller reads the values every poll_interval_ms instead; when a
connection drops it reconnects with exponential backoff and browses again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from asyncua import Client, ua

from ingest import __version__
from ingest.cli import arguments, load, stop_on_signals
from ingest.client import Forwarder
from ingest.config import Endpoint, PollerConfig, load_poller
from ingest.euromap77 import Machine, find_machines
from ingest.spool import Spool

logger = logging.getLogger("ingest.opcua")

STREAM = "counters"
PATH = "/api/v1/readings"
REBROWSE_S = 30.0  # when an endpoint has no machines yet, look again this often
KIND_ORDER = {"mould": 0, "cycle": 1, "counter": 2}  # at equal timestamps: the mould before the count


def iso(ts: dt.datetime) -> str:
    """A timestamp as the API expects it (UTC, Z)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return ts.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Watch:
    """What the poller knows about one machine: its press, counter, the mould in force, last values."""

    machine: Machine
    press: str
    mould: str | None = None
    last_value: int | None = None
    last_ts: dt.datetime | None = None
    cycle_time_ms: float | None = None
    readings: int = 0

    def on_change(self, kind: str, value: Any, ts: dt.datetime) -> dict[str, Any] | None:
        """Apply one change in time order; the reading to send, if any."""
        if kind == "cycle":
            self.cycle_time_ms = float(value) if isinstance(value, (int, float)) else None
            return None
        if kind == "mould":
            mould = value.strip() if isinstance(value, str) and value.strip() else None
            changed = mould != self.mould
            self.mould = mould
            if changed and self.last_value is not None and (self.last_ts is None or ts > self.last_ts):
                return self._reading(self.last_value, ts)  # the new mould from now on, at the same count
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            logger.warning("%s: counter value %r is not a whole number; ignored", self.press, value)
            return None
        if value == self.last_value and ts == self.last_ts:
            return None
        return self._reading(value, ts)

    def _reading(self, value: int, ts: dt.datetime) -> dict[str, Any]:
        self.last_value, self.last_ts = value, ts
        self.readings += 1
        r = {"press": self.press, "counter": self.machine.counter, "ts": iso(ts), "value": value, "source": "opcua"}
        if self.mould is not None:
            r["mould"] = self.mould
        return r


@dataclass
class EndpointState:
    """Connection state of one endpoint, for the status report."""

    endpoint: Endpoint
    connected: bool = False
    polling: bool = False
    watches: list[Watch] = field(default_factory=list)
    error: str = ""


class _Changes:
    """Subscription handler: collects changes; the poller turns them into readings in time order."""

    def __init__(self, poller: Poller, state: EndpointState, index: dict[Any, tuple[Watch, str]]) -> None:
        self.poller, self.state, self.index = poller, state, index
        self.pending: list[tuple[dt.datetime, int, int, Watch, str, Any]] = []
        self.seq = 0

    def datachange_notification(self, node, val, data) -> None:
        self.add(node.nodeid, val, data.monitored_item.Value)

    def add(self, node_id: Any, val: Any, dv: ua.DataValue | None) -> None:
        """Queue one changed value with its timestamps."""
        entry = self.index.get(node_id)
        if entry is None:
            return
        if dv is not None and dv.StatusCode is not None and not dv.StatusCode.is_good():
            logger.warning("%s: %s has a bad status (%s); value ignored", entry[0].press, entry[1], dv.StatusCode)
            return
        ts = (dv.SourceTimestamp or dv.ServerTimestamp) if dv is not None else None
        self.seq += 1
        self.pending.append((_aware(ts), KIND_ORDER[entry[1]], self.seq, entry[0], entry[1], val))

    def status_change_notification(self, status) -> None:
        logger.warning("%s: subscription status %s", self.state.endpoint.url, status)

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = sorted(self.pending, key=lambda p: p[:3]), []
        self.poller.spool_changes([(w, kind, value, ts) for ts, _k, _s, w, kind, value in batch])


def _aware(ts: dt.datetime | None) -> dt.datetime:
    if ts is None:
        return dt.datetime.now(dt.UTC)
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=dt.UTC)


class Poller:
    """Watches every configured endpoint and spools readings; a Forwarder delivers them."""

    def __init__(self, cfg: PollerConfig, spool: Spool | None = None) -> None:
        self.cfg = cfg
        self.spool = spool or Spool(cfg.spool.path, cfg.spool.fsync)
        self.states = [EndpointState(e) for e in cfg.endpoints]
        self.forwarder = Forwarder(self.spool, cfg.api, STREAM, PATH, self.agent_info,
                                   extra={"unknown_mould": cfg.unknown_mould})

    def agent_info(self) -> dict[str, Any]:
        """How this poller describes itself to the API (shown on the ingest health page)."""
        machines = sum(len(s.watches) for s in self.states)
        polling = sum(1 for s in self.states if s.polling and s.connected)
        down = [s.endpoint.url for s in self.states if not s.connected]
        detail = f"{machines} machines on {len(self.states)} endpoints" + (f", {polling} polled" if polling else "")
        if down:
            detail += "; not connected: " + ", ".join(down)
        return {"name": self.cfg.name, "kind": "opcua", "version": __version__,
                "spool_depth": self.spool.depth(STREAM), "dead_letters": self.spool.dead_count(),
                "connected": sum(1 for s in self.states if s.connected), "sources": len(self.states),
                "detail": detail[:500]}

    def spool_changes(self, changes: list[tuple[Watch, str, Any, dt.datetime]]) -> None:
        """Turn ordered changes into readings and spool them in one transaction."""
        readings = [r for w, kind, value, ts in changes if (r := w.on_change(kind, value, ts)) is not None]
        self.spool.put(STREAM, readings)

    async def run(self, stop: asyncio.Event) -> None:
        """Run until stop is set."""
        self.forwarder.start()
        try:
            await asyncio.gather(*(self._endpoint(s, stop) for s in self.states))
        finally:
            self.forwarder.stop()

    async def _endpoint(self, state: EndpointState, stop: asyncio.Event) -> None:
        delay = 1.0
        while not stop.is_set():
            lost = asyncio.Event()
            client = Client(state.endpoint.url, timeout=self.cfg.request_timeout_s, watchdog_intervall=1.0)

            async def on_lost(exc: Exception, lost: asyncio.Event = lost) -> None:
                logger.warning("%s: connection lost (%s)", state.endpoint.url, exc)
                lost.set()

            client.connection_lost_callback = on_lost
            try:
                await client.connect()
                state.connected, state.error = True, ""
                logger.info("%s: connected", state.endpoint.url)
                delay = 1.0
                await self._session(client, state, stop, lost)
            except (TimeoutError, OSError, ua.UaError, ConnectionError) as exc:
                if state.error != str(exc):
                    logger.warning("%s: %s (%s); retrying with backoff", state.endpoint.url,
                                   "not reachable" if not state.connected else "connection failed", exc)
                state.error = str(exc)
            except Exception:
                logger.exception("%s: unexpected error; reconnecting", state.endpoint.url)
            finally:
                state.connected = False
                try:
                    await asyncio.wait_for(client.disconnect(), 3)
                except Exception:  # the server is gone: nothing to close politely
                    pass
            if stop.is_set():
                break
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
            delay = min(delay * 2, self.cfg.reconnect_max_s)

    async def _session(self, client: Client, state: EndpointState, stop: asyncio.Event, lost: asyncio.Event) -> None:
        machines = await find_machines(client, state.endpoint.counter)
        while not machines:
            logger.warning("%s: no EUROMAP 77 machines (IMM_MES_InterfaceType instances) found; looking again in "
                           "%.0f s", state.endpoint.url, REBROWSE_S)
            if await _wait_any(stop, lost, REBROWSE_S):
                return
            machines = await find_machines(client, state.endpoint.counter)
        presses = state.endpoint.presses
        state.watches = [Watch(m, presses.get(m.key) or presses.get(m.browse_name) or m.key) for m in machines]
        logger.info("%s: watching %s", state.endpoint.url,
                    ", ".join(f"{w.machine.browse_name} as {w.press} ({w.machine.counter})" for w in state.watches))
        index: dict[Any, tuple[Watch, str]] = {}
        for w in state.watches:
            index[w.machine.counter_node.nodeid] = (w, "counter")
            if w.machine.mould_node is not None:
                index[w.machine.mould_node.nodeid] = (w, "mould")
            if w.machine.cycle_time_node is not None:
                index[w.machine.cycle_time_node.nodeid] = (w, "cycle")
        handler = _Changes(self, state, index)
        nodes = [client.get_node(n) for n in index]
        state.polling = state.endpoint.mode == "poll" or not await self._subscribe(client, state, handler, nodes)
        if state.polling:
            await self._poll(client, state, handler, nodes, stop, lost)
            return
        interval = self.cfg.publishing_interval_ms / 1000 / 2
        while not await _wait_any(stop, lost, interval):
            handler.flush()
        handler.flush()

    async def _subscribe(self, client: Client, state: EndpointState, handler: _Changes, nodes) -> bool:
        try:
            sub = await client.create_subscription(self.cfg.publishing_interval_ms, handler)
            results = await sub.subscribe_data_change(nodes, queuesize=1000, sampling_interval=0)
        except (TimeoutError, ua.UaError) as exc:
            logger.warning("%s: subscriptions refused (%s); polling every %d ms instead", state.endpoint.url, exc,
                           self.cfg.poll_interval_ms)
            return False
        bad = [r for r in results if isinstance(r, ua.StatusCode)]
        if bad:
            logger.warning("%s: %d monitored items refused (%s); polling every %d ms instead", state.endpoint.url,
                           len(bad), bad[0], self.cfg.poll_interval_ms)
            try:
                await sub.delete()
            except ua.UaError:
                pass
            return False
        return True

    async def _poll(self, client: Client, state: EndpointState, handler: _Changes, nodes, stop: asyncio.Event,
                    lost: asyncio.Event) -> None:
        seen: dict[Any, tuple[Any, Any]] = {}
        while True:
            values = await client.read_attributes(nodes)
            for node, dv in zip(nodes, values, strict=True):
                key = (dv.Value.Value if dv.Value is not None else None, dv.SourceTimestamp)
                if seen.get(node.nodeid) != key:
                    seen[node.nodeid] = key
                    handler.add(node.nodeid, key[0], dv)
            handler.flush()
            if await _wait_any(stop, lost, self.cfg.poll_interval_ms / 1000):
                return


async def _wait_any(stop: asyncio.Event, lost: asyncio.Event, timeout: float) -> bool:
    """Wait up to timeout; True if stop or lost was set."""
    if stop.is_set() or lost.is_set():
        return True
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
    done, pending = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for p in pending:
        p.cancel()
    return bool(done)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = arguments("python -m ingest.opcua", __doc__, argv)
    cfg = load(load_poller, args.config)
    if cfg is None:
        return 2
    poller = Poller(cfg)

    async def run() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop)
        logger.info("OPC UA poller %r: %d endpoints, delivering to %s (spool %s, %d waiting)", cfg.name,
                    len(cfg.endpoints), cfg.api.url, cfg.spool.path, poller.spool.depth(STREAM))
        await poller.run(stop)

    asyncio.run(run())
    logger.info("Stopped; %d readings wait in the spool for the next start", poller.spool.depth(STREAM))
    return 0


if __name__ == "__main__":
    sys.exit(main())
