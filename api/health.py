"""Liveness and readiness probes for load balancers and the process supervisor, and the detailed
readiness report (every self-check, live) for monitoring and admins."""

from __future__ import annotations

import hmac

from flask import Flask, jsonify
from flask_login import current_user
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

from api.auth import bearer_token
from api.metrics import MetricsContext, register_collector
from config import get_config
from data import authz
from data.db import db
from data.models import utcnow
from data.notifications import outbox_counts
from data.scope import system_scope
from data.selfcheck import FAIL, RANK, run_checks, stored_results, worst


def _refusal():
    """None for a signed-in admin or `Authorization: Bearer <STATUS_TOKEN>`; else a JSON 401/403 response."""
    raw = bearer_token()
    if raw is not None:
        expected = get_config().status_token
        if expected and hmac.compare_digest(raw.encode(), expected.encode()):
            return None
        return jsonify(error="The bearer token is not the STATUS_TOKEN.", status=401), 401
    if not current_user.is_authenticated:
        return jsonify(error="Sign in as an admin, or send 'Authorization: Bearer <STATUS_TOKEN>'.", status=401), 401
    if not authz.can(current_user, "admin"):
        return jsonify(error=f"Your role ({current_user.role}) may not see the detailed status.", status=403), 403
    return None


def init_app(server: Flask) -> None:
    """Add /healthz (the process answers), /readyz (the database answers) and /readyz/details."""

    @server.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @server.get("/readyz")
    def readyz():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not ready"
            db.session.rollback()
            return jsonify(status="unavailable", database=str(exc.__class__.__name__)), 503
        return jsonify(status="ok", database="ok")

    @server.get("/readyz/details")
    def readyz_details():
        """Every self-check, run now: 200 when none fails (warnings included), 503 otherwise."""
        refused = _refusal()
        if refused is not None:
            return refused
        from workers.tasks_selfcheck import queue_stats

        with system_scope():
            checks = run_checks(queue_stats())
        status = worst(checks)
        body = {"status": status, "checked_at": utcnow().isoformat(), "checks": [c.as_dict() for c in checks]}
        return jsonify(body), 503 if status == FAIL else 200


@register_collector
def worker_metrics(_ctx: MetricsContext):
    """Queue backlog and worker heartbeat, the notification outbox (sites in scope), the latest self-checks."""
    from workers.tasks_selfcheck import queue_stats

    stats = queue_stats()
    yield GaugeMetricFamily("toolmaint_queue_pending", "Tasks waiting in the queue", value=stats.pending)
    yield GaugeMetricFamily("toolmaint_queue_scheduled", "Tasks scheduled for later", value=stats.scheduled)
    if stats.heartbeat_age is not None:
        yield GaugeMetricFamily("toolmaint_worker_heartbeat_age_seconds", "Seconds since the worker's heartbeat",
                                value=stats.heartbeat_age)
    outbox = GaugeMetricFamily("toolmaint_notifications", "Notifications in the outbox by status", labels=["status"])
    for status, n in outbox_counts().items():
        outbox.add_metric([status], n)
    yield outbox
    checks = GaugeMetricFamily("toolmaint_selfcheck_status", "Latest self-check result: 0 ok, 1 warn, 2 fail",
                               labels=["check"])
    for result in stored_results():
        checks.add_metric([result.name], RANK.get(result.status, 2))
    yield checks
