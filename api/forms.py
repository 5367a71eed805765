"""JSON endpoints the technician forms submit to (directly, or replayed from the browser's offline queue).

Each submission carries an idempotency key (client_key): a replay of a submission the server already
has returns the stored record with 200 instead of creating a second one. Refused input gets 422 with
a message per field. Also serves the service worker script from the site root (/sw.js).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, abort, jsonify, request, send_file
from flask_login import current_user

from api import bp
from api.auth import api_auth
from data import authz
from data.actions import create_action, update_action
from data.failures import record_report
from data.maintenance import record_log
from data.validation import FieldErrors

SW_PATH = Path(__file__).resolve().parent / "static" / "sw.js"
# Browsers cannot send this header cross-site without a CORS preflight (which this app never allows),
# so requiring it on session-authenticated writes stops cross-site request forgery.
CLIENT_HEADER = "X-Requested-With"
CLIENT_VALUE = "toolmaint"


def browser_write(fn: Callable) -> Callable:
    """Refuse session-authenticated writes that do not come from this app's own scripts."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get(CLIENT_HEADER) != CLIENT_VALUE:
            abort(403, description=f"Send the {CLIENT_HEADER}: {CLIENT_VALUE} header (the app's forms do).")
        submitted_by = request.headers.get("X-Submitted-By")
        if submitted_by and submitted_by != current_user.username:
            abort(409, description=f"This was queued by {submitted_by}: sign in as {submitted_by} to send it.")
        return fn(*args, **kwargs)

    return wrapper


def json_body() -> dict[str, Any]:
    """The request's JSON object, or 400."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="Send a JSON object.")
    return body


def refused(exc: FieldErrors):
    """422 with one message per field."""
    return jsonify(error="Some fields need attention.", errors=exc.errors, status=422), 422


def saved(payload: dict[str, Any], created: bool):
    """201 for a new record, 200 for a replay of one the server already has."""
    return jsonify(payload | {"duplicate": not created}), 201 if created else 200


@bp.post("/maintenance-logs")
@api_auth(None, "log_maintenance")
@browser_write
def post_maintenance_log():
    """Record a maintenance log (photos uploaded before, referenced by their keys)."""
    try:
        log, created = record_log(current_user, json_body())
    except FieldErrors as exc:
        return refused(exc)
    return saved({"id": log.id, "kind": "maintenance_log", "message": f"Maintenance log #{log.id} saved."}, created)


@bp.post("/failure-reports")
@api_auth(None, "report_failure")
@browser_write
def post_failure_report():
    """Record a failure report (and its inline action item)."""
    try:
        report, created = record_report(current_user, json_body())
    except FieldErrors as exc:
        return refused(exc)
    return saved({"id": report.id, "kind": "failure_report", "message": f"Failure report #{report.id} saved."},
                 created)


@bp.post("/action-items")
@api_auth(None, "work_actions")
@browser_write
def post_action_item():
    """Create an action item."""
    try:
        action, created = create_action(current_user, json_body())
    except FieldErrors as exc:
        return refused(exc)
    return saved({"id": action.id, "kind": "action_item", "message": f"Action #{action.id} created."}, created)


@bp.patch("/action-items/<int:action_id>")
@api_auth(None, "work_actions")
@browser_write
def patch_action_item(action_id: int):
    """Change an action item's status, owner or dates, or close it with a verification note."""
    try:
        action = update_action(current_user, action_id, json_body())
    except FieldErrors as exc:
        return refused(exc)
    except authz.Forbidden as exc:
        abort(403, description=str(exc))
    return jsonify(id=action.id, status=action.status.value, message=f"Action #{action.id} updated.")


@bp.get("/me")
@api_auth(None, "view")
def me():
    """Who is signed in (the offline queue checks it before replaying)."""
    return jsonify(username=current_user.username, role=current_user.role.value)


def init_app(server: Flask) -> None:
    """Serve the service worker from the site root, so its scope is the whole app."""

    @server.get("/sw.js")
    def service_worker():
        resp = send_file(SW_PATH, mimetype="application/javascript", max_age=0)
        resp.headers["Cache-Control"] = "no-cache"
        resp.headers["Service-Worker-Allowed"] = "/"
        return resp
