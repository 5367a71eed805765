"""Sign-in and sign-out pages (plain HTML forms, so they work before any JavaScript loads)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, session
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from auth.session import SEEN_KEY, csrf_ok, csrf_token
from data.db import db
from data.scope import system_scope
from data.users import authenticate

bp = Blueprint("auth", __name__, template_folder="templates")
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

BAD_CREDENTIALS = "Unknown user name or wrong password."
TOO_MANY = "Too many sign-in attempts. Wait a minute, then try again."


def _login_key() -> str:
    """Rate-limit sign-in per address and user name, so one user's typos do not lock out a plant."""
    return f"{get_remote_address()}|{(request.form.get('username') or '').strip().lower()}"


def _safe_next(target: str | None) -> str:
    """Only follow relative redirects within this site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.route("/login", methods=["GET"])
def login():
    """Show the sign-in form."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    expired = request.args.get("expired") == "1"
    return render_template("login.html", csrf=csrf_token(), next=request.args.get("next", ""), expired=expired)


def _login_limits() -> str:
    from flask import current_app

    return current_app.extensions["toolmaint_config"].login_rate_limit


@bp.route("/login", methods=["POST"])
@limiter.limit(_login_limits, key_func=_login_key)
@limiter.limit("30 per minute")
def login_post():
    """Check the credentials and start a session."""
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    nxt = request.form.get("next") or ""
    if not csrf_ok(request.form.get("csrf_token")):
        flash("The sign-in form expired. Please try again.", "warning")
        return render_template("login.html", csrf=csrf_token(), next=nxt, username=username), 400
    if not username or not password:
        flash("Enter your user name and password.", "danger")
        return render_template("login.html", csrf=csrf_token(), next=nxt, username=username), 400
    with system_scope():
        user = authenticate(username, password)
        db.session.commit()
    if user is None:
        flash(BAD_CREDENTIALS, "danger")
        return render_template("login.html", csrf=csrf_token(), next=nxt, username=username), 401
    session.clear()  # a fresh session on sign-in: no fixation
    login_user(user)
    session[SEEN_KEY] = time.time()
    # Made now, not on first use: with cookie sessions, concurrent callback responses could
    # otherwise overwrite the cookie that first carried it.
    csrf_token()
    return redirect(_safe_next(nxt))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out (POST with the CSRF token); a GET shows a confirmation button."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect("/login")
        return render_template("logout.html", csrf=csrf_token())
    if csrf_ok(request.form.get("csrf_token")):
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
        return redirect("/login")
    return redirect("/logout")


def _too_many(exc: RateLimitExceeded):
    if request.path == "/login":
        flash(TOO_MANY, "danger")
        return render_template("login.html", csrf=csrf_token(), next=request.form.get("next", ""),
                               username=request.form.get("username", "")), 429
    from flask import jsonify

    return jsonify(error="Too many requests. Wait a minute, then try again.", status=429), 429


def init_app(server: Flask) -> None:
    """Register the blueprint and the rate limiter (Redis-backed when REDIS_URL is set)."""
    cfg = server.extensions["toolmaint_config"]
    server.config.setdefault("RATELIMIT_STORAGE_URI", cfg.redis_url or "memory://")
    server.config.setdefault("RATELIMIT_KEY_PREFIX", "toolmaint")
    limiter.init_app(server)
    server.register_blueprint(bp)
    server.register_error_handler(RateLimitExceeded, _too_many)
