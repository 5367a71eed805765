"""POST /api/v1/readings (counter readings) and /api/v1/sensor-readings, for edge processes.

Only service tokens with the "ingest" scope may post; the token's site is the only site a batch
may write to. A batch is stored whole or refused whole with a 4xx that lists every problem; a
retried batch changes nothing. Refusals are counted and kept for the ingest health page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from flask import g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from api import bp
from api.auth import api_auth, bearer_token
from data import events
from data.db import db
from data.ingest_health import record_rejection, report_agent
from data.models import ServiceToken, utcnow
from data.readings import MAX_BODY_BYTES, BatchRejected, parse_counter_batch, parse_sensor_batch
from data.scope import system_scope
from data.sensor_store import ingest_sensors
from data.shot_store import ingest_counters, ingest_session, maintain

logger = logging.getLogger(__name__)


def _payload() -> Any:
    """The request's JSON body; BatchRejected when it is too big or not JSON."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise BatchRejected(413, "oversized", f"The request body is {request.content_length:,} bytes; the limit is "
                                              f"{MAX_BODY_BYTES:,}. Send smaller batches.")
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY_BYTES:
        raise BatchRejected(413, "oversized", f"The request body is larger than {MAX_BODY_BYTES:,} bytes. "
                                              "Send smaller batches.")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BatchRejected(400, "malformed", f"The body is not valid JSON: {exc}.") from None


def _token_label() -> str:
    """Which token a refused request came with (its public prefix, or its name if known)."""
    raw = bearer_token()
    if not raw:
        return ""
    with system_scope():
        name = db.session.scalar(select(ServiceToken.name).where(ServiceToken.prefix == raw[:10]))
        db.session.rollback()
    return name or f"{raw[:10]}…"


def _refuse(stream: str, exc: BatchRejected, site_id: int | None, token_name: str):
    db.session.rollback()
    try:
        with system_scope():
            record_rejection(stream, exc, site_id, token_name)
    except Exception:  # counting must never turn a clear 4xx into a 500
        db.session.rollback()
        logger.exception("Could not record an ingest rejection")
    logger.info("Refused %s batch from %s: %s", stream, token_name or "unknown caller", exc.message)
    return jsonify(exc.to_dict()), exc.status


def _ingest(stream: str, parse: Callable, store: Callable):
    """The shared flow: authenticate, parse, store, report the agent, commit; refusals counted."""
    token: ServiceToken = g.token
    now = utcnow()
    try:
        parsed = parse(_payload(), now)
        items, agent = parsed[0], parsed[1]
        options = {"unknown_mould": parsed[2]} if len(parsed) > 2 else {}
        with ingest_session() as session:
            try:
                result = store(session, token.site_id, items, now=now, **options)
                if agent is not None:
                    report_agent(session.connection(), token, agent, now)
                session.commit()
                if parsed is not None and stream == "counters":
                    maintain(session)
            except BaseException:
                session.rollback()
                raise
    except BatchRejected as exc:
        return _refuse(stream, exc, token.site_id, token.name)
    except OperationalError:  # a lock timeout or deadlock between concurrent batches: safe to retry
        logger.warning("Ingest of a %s batch from %s hit a database conflict; asking to retry", stream, token.name,
                       exc_info=True)
        return jsonify(error="The database is busy; nothing was stored. Retry the batch.", status=503), 503, {
            "Retry-After": "2"}
    for alert_id in getattr(result, "new_alerts", ()):
        events.publish(events.SENSOR_ALERT, alert_id=alert_id, site_id=token.site_id)
    return jsonify(result.to_dict()), 200


def _authenticated(stream: str, handler: Callable):
    """Run handler behind the ingest token check; count refused credentials too."""
    try:
        return api_auth("ingest", None)(handler)()
    except HTTPException as exc:
        if exc.code in (401, 403):
            reason = "auth"
            _refuse(stream, BatchRejected(exc.code, reason, exc.description or "Not allowed."), None, _token_label())
        raise


@bp.post("/readings")
def post_readings():
    """Counter readings: {"readings": [{"press", "counter", "ts", "value", "mould"?, "source"?}], "agent"?}."""
    return _authenticated("counters", lambda: _ingest("counters", parse_counter_batch, ingest_counters))


@bp.post("/sensor-readings")
def post_sensor_readings():
    """Sensor readings: {"readings": [{"press", "sensor", "ts", "value", "unit"?}], "agent"?}."""
    return _authenticated("sensors", lambda: _ingest("sensors", parse_sensor_batch, ingest_sensors))
