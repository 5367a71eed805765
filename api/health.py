"""Liveness and readiness probes for load balancers and the process supervisor."""

from __future__ import annotations

from flask import Flask, jsonify
from sqlalchemy import text

from data.db import db


def init_app(server: Flask) -> None:
    """Add /healthz (the process answers) and /readyz (the database answers)."""

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
