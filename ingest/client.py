"""Delivery of spooled readings to the ingest API: oldest first, with backoff, never dropping good readings.

The forwarder runs in its own thread. It sends the oldest items of its stream with the edge
process's status ("agent": spool depth, dead letters, connections), deletes them from the spool
once the API answers 200, and otherwise:

* API unreachable, 5xx or 503: keeps everything, retries with exponential backoff (up to retry_max_s);
* 401/403 (token wrong or revoked): keeps everything, logs what to do, retries slowly;
* 413: halves the batch;
* 422: moves exactly the items the API names to the dead letters (with its message) and sends
  the rest again; 400 (the batch itself malformed, a bug): moves the batch to the dead letters.

With nothing to send it reports the agent's status every heartbeat_s.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from ingest.config import ApiSettings
from ingest.spool import Spool

logger = logging.getLogger(__name__)

USER_AGENT = "toolmaint-ingest/1"


class Forwarder:
    """Drains one stream of a spool into one API endpoint."""

    def __init__(self, spool: Spool, api: ApiSettings, stream: str, path: str, agent: Callable[[], dict[str, Any]],
                 extra: dict[str, Any] | None = None, transport: httpx.BaseTransport | None = None) -> None:
        self.spool, self.api, self.stream, self.path = spool, api, stream, path
        self.agent, self.extra = agent, extra or {}
        self.batch_size = api.batch_size
        self.delivered = 0
        self.refused = 0
        self.state = "starting"
        self.last_error = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_report = 0.0
        self._delay = 0.0
        self._send_agent = True
        self._http = httpx.Client(base_url=api.url, timeout=api.timeout, transport=transport,
                                  headers={"Authorization": f"Bearer {api.token}", "User-Agent": USER_AGENT})

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> Forwarder:
        """Run in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name=f"forward-{self.stream}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current request."""
        self._stop.set()
        self.spool.added.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._http.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                waited = self.step()
            except Exception:  # never let the delivery thread die; the spool keeps the data
                logger.exception("Unexpected error while forwarding %s", self.stream)
                waited = False
                self._backoff("error")
            if not waited and self._delay:
                self._stop.wait(self._delay)

    # -- one attempt ----------------------------------------------------------------------------------------
    def step(self) -> bool:
        """Send one batch (or a heartbeat); True if it waited for new items instead."""
        batch = self.spool.peek(self.stream, self.batch_size)
        if not batch:
            if time.monotonic() - self._last_report >= self.api.heartbeat_s:
                self._post([])
            self.spool.added.wait(min(1.0, self.api.heartbeat_s))
            self.spool.added.clear()
            return True
        self._post(batch)
        return False

    def _body(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {"readings": items, **self.extra}
        if self._send_agent:
            agent = dict(self.agent())
            # What still waits once this batch is in (the batch is in the spool until the API has it).
            agent["spool_depth"] = max(0, int(agent.get("spool_depth", 0)) - len(items))
            body["agent"] = agent
        return body

    def _post(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        items = [item for _id, item in batch]
        # Python's encoder writes NaN as NaN (httpx's refuses it): the API then refuses that reading by
        # name, so a NaN from a sensor is counted and set aside instead of blocking the queue.
        content = json.dumps(self._body(items), separators=(",", ":")).encode()
        try:
            resp = self._http.post(self.path, content=content, headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            self._fail("unreachable", f"the API at {self.api.url} is unreachable ({exc.__class__.__name__}: {exc})")
            return
        self._last_report = time.monotonic()
        code = resp.status_code
        if code == 200:
            self.spool.ack([i for i, _ in batch])
            self.delivered += len(batch)
            if self.state != "ok":
                logger.info("Delivering %s to %s (%d waiting)", self.stream, self.api.url,
                            self.spool.depth(self.stream))
            self.state, self._delay, self.batch_size = "ok", 0.0, self.api.batch_size
            return
        body = _json(resp)
        message = str(body.get("error") or resp.text[:300])
        if code == 413 and len(batch) > 1:
            self.batch_size = max(1, len(batch) // 2)
            logger.warning("The API refused a batch of %d as too large; sending %d at a time", len(batch),
                           self.batch_size)
        elif code == 422:
            self._refused_items(batch, body, message)
        elif code == 400:
            self._bury(batch, {i: ("malformed", message) for i in range(len(batch))})
        elif code in (401, 403):
            self._fail("unauthorised", f"the API refused the token ({code}: {message}); create a new one with "
                                       "`flask --app app token create ... --scope ingest` and update the config",
                       slow=True)
        else:
            self._fail("server_error", f"the API answered {code}: {message}")

    def _refused_items(self, batch: list[tuple[int, dict[str, Any]]], body: dict[str, Any], message: str) -> None:
        errors = body.get("errors") or []
        named: dict[int, tuple[str, str]] = {}
        for e in errors:
            idx = e.get("index", -1)
            if isinstance(idx, int) and 0 <= idx < len(batch) and idx not in named:
                named[idx] = (str(e.get("code", "invalid")), f"{e.get('field', '')}: {e.get('message', '')}")
        if named:
            self._bury(batch, named)
            return
        if self._send_agent and any(str(e.get("field", "")).startswith("agent") for e in errors):
            logger.error("The API refused this process's status report (%s); sending readings without it", message)
            self._send_agent = False
            return
        self._bury(batch, {i: ("invalid", message) for i in range(len(batch))})

    def _bury(self, batch: list[tuple[int, dict[str, Any]]], named: dict[int, tuple[str, str]]) -> None:
        refused = [(batch[i][0], batch[i][1], reason, msg) for i, (reason, msg) in sorted(named.items())]
        self.spool.bury(self.stream, refused)
        self.refused += len(refused)
        for _id, item, reason, msg in refused[:5]:
            logger.warning("The API refused a %s reading (%s: %s): %s", self.stream, reason, msg, item)
        if len(refused) > 5:
            logger.warning("... and %d more refused readings (kept as dead letters in %s)", len(refused) - 5,
                           self.spool.path)

    def _fail(self, state: str, message: str, slow: bool = False) -> None:
        if state != self.state or message != self.last_error:
            log = logger.error if state == "unauthorised" else logger.warning
            log("Cannot deliver %s: %s; %d readings kept in the spool", self.stream, message,
                self.spool.depth(self.stream))
        self.state, self.last_error = state, message
        self._backoff(state, slow)

    def _backoff(self, _state: str, slow: bool = False) -> None:
        cap = self.api.retry_max_s
        self._delay = cap if slow else min(cap, max(0.5, self._delay * 2 or 0.5))
        self._delay *= random.uniform(0.8, 1.0)


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
