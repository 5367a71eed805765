"""GET /metrics in the Prometheus text format, for a token with the "metrics" scope (or a signed-in admin).

This module holds the one registry. Other parts add their metrics with

    from api.metrics import MetricsContext, register_collector

    @register_collector
    def queue_metrics(ctx: MetricsContext):
        yield GaugeMetricFamily("toolmaint_queue_backlog", "Tasks waiting", value=...)

Collectors run at scrape time inside the request (database access allowed; the request's site
scope applies: a token sees its site, an admin all sites; ctx.site_ids says which) and yield
prometheus_client metric families.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from api.auth import api_auth
from data.models import utcnow
from data.scope import current_scope

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricsContext:
    """What a collector gets: the scrape time and the sites in scope (None: all sites)."""

    now: dt.datetime
    site_ids: frozenset[int] | None


Collector = Callable[[MetricsContext], Iterable[Metric]]
_collectors: list[Collector] = []
_context: contextvars.ContextVar[MetricsContext | None] = contextvars.ContextVar("metrics_context", default=None)


def register_collector(fn: Collector) -> Collector:
    """Add a collector to /metrics (idempotent; usable as a decorator)."""
    if fn not in _collectors:
        _collectors.append(fn)
    return fn


class _Bridge:
    """Calls the registered collectors with this scrape's context."""

    def collect(self) -> Iterable[Metric]:
        ctx = _context.get() or MetricsContext(utcnow(), frozenset())
        for fn in list(_collectors):
            name = getattr(fn, "__name__", repr(fn))
            try:
                families = list(fn(ctx))
            except Exception:  # one broken collector must not hide the others
                logger.exception("Metrics collector %s failed", name)
                failed = GaugeMetricFamily("toolmaint_metrics_collector_failed", "A collector raised an error",
                                           labels=["collector"])
                failed.add_metric([name], 1)
                families = [failed]
            yield from families


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(_Bridge())


def render(site_ids: frozenset[int] | None, now: dt.datetime | None = None) -> bytes:
    """The exposition text for the given sites (None: all)."""
    token = _context.set(MetricsContext(now or utcnow(), site_ids))
    try:
        return generate_latest(REGISTRY)
    finally:
        _context.reset(token)


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


@register_collector
def ingest_metrics(ctx: MetricsContext) -> Iterable[Metric]:
    """Readings accepted/rejected, last reading per press and sensor, edge-process spools."""
    from data import ingest_health as health

    readings = CounterMetricFamily("toolmaint_ingest_readings", "Readings received by the ingest API",
                                   labels=["site", "stream", "outcome", "reason"])
    sites = None if ctx.site_ids is None else ctx.site_ids | {health.NO_SITE}
    for site, stream, outcome, reason, n in health.counts_by_site(sites):
        readings.add_metric([site, stream, outcome, reason], n)
    yield readings

    press = ["site", "press", "counter"]
    press_age = _gauge("toolmaint_ingest_press_last_reading_age_seconds",
                       "Seconds since the newest counter reading of a press", press)
    press_ts = _gauge("toolmaint_ingest_press_last_reading_timestamp_seconds",
                      "Time of the newest counter reading of a press (Unix seconds)", press)
    for row in health.press_status(ctx.now, ctx.site_ids):
        labels = [row["site"], row["press"], row["counter"]]
        press_age.add_metric(labels, row["age_s"])
        press_ts.add_metric(labels, row["last_ts"].timestamp())
    yield press_age
    yield press_ts

    sensor = ["site", "press", "sensor"]
    sensor_age = _gauge("toolmaint_ingest_sensor_last_reading_age_seconds",
                        "Seconds since the newest reading of a sensor", sensor)
    excursion = _gauge("toolmaint_sensor_in_excursion", "1 while a sensor is outside its limits", sensor)
    for row in health.sensor_status(ctx.now, ctx.site_ids):
        labels = [row["site"], row["press"], row["sensor"]]
        if row["age_s"] is not None:
            sensor_age.add_metric(labels, row["age_s"])
        excursion.add_metric(labels, 1 if row["in_alert"] else 0)
    yield sensor_age
    yield excursion

    agent = ["site", "agent", "kind"]
    spool = _gauge("toolmaint_ingest_spool_depth", "Readings an edge process holds and has not delivered yet", agent)
    dead = _gauge("toolmaint_ingest_dead_letters", "Readings an edge process set aside after the API refused them",
                  agent)
    seen = _gauge("toolmaint_ingest_agent_last_report_age_seconds", "Seconds since an edge process last reported",
                  agent)
    connected = _gauge("toolmaint_ingest_agent_sources_connected",
                       "Sources (OPC UA endpoints, MQTT brokers) an edge process is connected to", agent)
    for row in health.agent_status(ctx.now, ctx.site_ids):
        labels = [row["site"], row["name"], row["kind"]]
        spool.add_metric(labels, row["spool_depth"])
        dead.add_metric(labels, row["dead_letters"])
        seen.add_metric(labels, row["age_s"])
        connected.add_metric(labels, row["connected"])
    yield from (spool, dead, seen, connected)


def init_app(server: Flask) -> None:
    """Add GET /metrics (outside /api/v1, where Prometheus looks by default)."""

    @server.get("/metrics")
    @api_auth("metrics", "admin")
    def metrics():
        scope = current_scope()
        body = render(None if scope.all_sites else frozenset(scope.site_ids))
        return Response(body, mimetype=CONTENT_TYPE_LATEST)
