"""Liveness and readiness probes for load balancers and the process supervisor, and the detailed
readiness report (every self-check, live) for monitoring and admins."""

from __future__ import annotations

import hmac

from flask import Flask, jsonify
from flask_login import current_user
from sqlalchemy import text

from api.auth import bearer_token
from config import get_config
from data import authz
from data.db import db
from data.models import utcnow
from data.scope import system_scope
from data.selfcheck import FAIL, run_checks, worst


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
