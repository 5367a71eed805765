"""Authentication for /api routes: a service-account bearer token, or the browser's session."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, g, request
from flask_login import current_user

from data import authz
from data.scope import Scope, set_scope
from data.tokens import authenticate_token


def bearer_token() -> str | None:
    """The token from an `Authorization: Bearer ...` header, if any."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def api_auth(token_scope: str | None, action: str | None) -> Callable[[Callable], Callable]:
    """Allow a route to a token with token_scope (data limited to its site) or a user allowed action.

    Either may be None to refuse that kind of caller. Sets g.token or relies on the session's scope.
    """

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            raw = bearer_token()
            if raw is not None:
                token = authenticate_token(raw, token_scope) if token_scope else None
                if token is None:
                    abort(401, description="The bearer token is unknown, revoked or not allowed here.")
                g.token = token
                set_scope(Scope.for_sites({token.site_id}))  # reset by the guard's teardown
                return fn(*args, **kwargs)
            if action is None or not current_user.is_authenticated:
                abort(401, description="Sign in, or send a service token as 'Authorization: Bearer <token>'.")
            try:
                authz.require(current_user, action)
            except authz.Forbidden as exc:
                abort(403, description=str(exc))
            return fn(*args, **kwargs)

        return wrapper

    return decorate
