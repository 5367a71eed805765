"""The web's gatekeeping: sign-in and sign-out, sessions with idle timeout, and the guards that call
the authorisation helper for every page, callback and route."""

from __future__ import annotations

from flask import Flask


def init_app(server: Flask) -> None:
    """Attach Flask-Login, the rate limiter, the sign-in routes and the request guards."""
    from auth import guard, routes, session

    session.init_app(server)
    routes.init_app(server)
    guard.init_app(server)
