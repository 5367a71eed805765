"""Guards that call data.authz.require on the server for every page layout, callback and route.

Callbacks are declared with `secured_callback(action, ...)` instead of `dash.callback`: the
declaration is kept in a registry and attached to each Dash app the factory builds, and the
request hook refuses any call to `/_dash-update-component` whose callback has no declared
action (deny by default). Page layouts are wrapped with `page_layout(action)`.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from dash import html
from flask import Flask, abort, g, jsonify, redirect, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from auth.session import idle_expired
from data import authz
from data.db import apply_scope_to_open_transaction
from data.scope import NO_SITES, reset_scope, set_scope
from data.users import scope_for

logger = logging.getLogger(__name__)

DASH_CALLBACK_PATH = "/_dash-update-component"
# Paths anyone may fetch: sign-in, static files, health probes, and the token-authenticated API
# (whose routes check their own credentials).
PUBLIC_PREFIXES = (
    "/login",
    "/assets/",
    "/_dash-component-suites/",
    "/_favicon.ico",
    "/favicon.ico",
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/",
    "/sw.js",
)
# Callbacks that Dash itself registers for multi-page routing (pages check their own access).
DASH_ROUTER_OUTPUT = ".._pages_content.children..._pages_store.data.."
DASH_TITLE_OUTPUT = "_pages_dummy.children"  # browser-side: sets document.title


@dataclass(frozen=True)
class CallbackSpec:
    """One declared callback: the action it needs and what to pass to Dash."""

    action: str | None
    args: tuple
    kwargs: dict
    func: Callable[..., Any] | str


_SPECS: list[CallbackSpec] = []


def secured_callback(action: str, *args: Any, **kwargs: Any) -> Callable[[Callable], Callable]:
    """Declare a server callback that only users allowed `action` may call."""
    authz.ACTIONS[action]  # fail at import for an unknown action

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def guarded(*a: Any, **kw: Any) -> Any:
            try:
                authz.require(current_user, action)
            except authz.Forbidden as exc:
                abort(403, description=str(exc))
            return fn(*a, **kw)

        guarded.required_action = action
        _SPECS.append(CallbackSpec(action, args, kwargs, guarded))
        return guarded

    return decorate


def clientside_callback(js: str, *args: Any, **kwargs: Any) -> None:
    """Declare a browser-side callback (no server code runs, so no permission applies)."""
    _SPECS.append(CallbackSpec(None, args, kwargs, js))


def register_callbacks(dash_app: Any, package: str = "callbacks") -> dict[str, str]:
    """Import every module of the callbacks package and attach the declared callbacks to dash_app."""
    pkg = importlib.import_module(package)
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        importlib.import_module(info.name)
    actions: dict[str, str] = {}
    browser_side: set[str] = set()
    for spec in _SPECS:
        before = set(dash_app.callback_map)
        if spec.action is None:
            dash_app.clientside_callback(spec.func, *spec.args, **spec.kwargs)
            browser_side |= set(dash_app.callback_map) - before
            continue
        dash_app.callback(*spec.args, **spec.kwargs)(spec.func)
        for key in set(dash_app.callback_map) - before:
            actions[key] = spec.action
    dash_app.server.extensions["callback_actions"] = actions
    dash_app.server.extensions["clientside_callbacks"] = browser_side
    return actions


def page_layout(action: str) -> Callable[[Callable], Callable]:
    """Wrap a page's layout function so only users allowed `action` see it."""
    authz.ACTIONS[action]

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def layout(*args: Any, **kwargs: Any) -> Any:
            try:
                authz.require(current_user, action)
            except authz.Forbidden as exc:
                return forbidden_view(str(exc))
            return fn(*args, **kwargs)

        layout.required_action = action
        return layout

    return decorate


def forbidden_view(message: str) -> html.Div:
    """What a page shows a user who may not see it."""
    return html.Div(
        [
            html.H2("Not available", className="h4"),
            html.P(message),
            html.A("Back to the home page", href="/", className="btn btn-primary"),
        ],
        className="alert alert-warning mt-4",
        role="alert",
        id="forbidden",
    )


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/_dash")) or request.is_json


def _error(status: int, message: str):
    if _wants_json():
        return jsonify(error=message, status=status), status
    from flask import render_template

    return render_template("error.html", status=status, message=message), status


def _is_public(path: str) -> bool:
    return path == "/login" or path.startswith(PUBLIC_PREFIXES)


def _callback_action() -> str | None:
    """The action the requested callback needs; aborts for malformed or unknown callbacks."""
    try:
        body = json.loads(request.get_data(cache=True) or b"")
    except ValueError:
        abort(400, description="The callback request is not valid JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        abort(400, description="The callback request has no output.")
    output = body["output"]
    if output == DASH_ROUTER_OUTPUT:
        return None
    action = g.callback_actions.get(output)
    if action is None:
        abort(403, description="This callback is not available.")
    return action


def init_app(server: Flask) -> None:
    """Install the request hook and error handlers on the Flask server."""
    cfg = server.extensions["toolmaint_config"]

    @server.before_request
    def _guard():
        g.scope_token = set_scope(NO_SITES)
        expired = idle_expired(cfg)
        if current_user.is_authenticated:
            g.scope = scope_for(current_user)
            set_scope(g.scope)
            apply_scope_to_open_transaction()  # the user was loaded before the scope was known
        if _is_public(request.path):
            return None
        if not current_user.is_authenticated:
            message = "Your session expired: please sign in again." if expired else "Please sign in."
            if request.path == DASH_CALLBACK_PATH or _wants_json():
                return _error(401, message)
            target = quote(request.full_path.rstrip("?"), safe="/?=&")
            return redirect(f"/login?next={target}" + ("&expired=1" if expired else ""))
        if request.path == DASH_CALLBACK_PATH and request.method == "POST":
            g.callback_actions = server.extensions.get("callback_actions", {})
            action = _callback_action()
            if action is not None and not authz.can(current_user, action):
                return _error(403, f"Your role ({current_user.role}) may not use this.")
        return None

    @server.teardown_request
    def _leave_scope(_exc) -> None:
        token = g.pop("scope_token", None)
        if token is not None:
            reset_scope(token)

    @server.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return _error(exc.code or 500, exc.description or exc.name)

    @server.errorhandler(authz.Forbidden)
    def _forbidden(exc: authz.Forbidden):
        return _error(403, str(exc))

    @server.errorhandler(Exception)
    def _unexpected(exc: Exception):
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _error(500, "Something went wrong on the server. It has been logged; please try again.")
