"""Flask-Login sessions: loading the user, the idle timeout, the scope for the request, CSRF tokens."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
import time

from flask import Flask, g, request, session
from flask_login import AnonymousUserMixin, LoginManager, current_user, logout_user

from config import Config
from data.db import db
from data.models import User

login_manager = LoginManager()
login_manager.login_view = "auth.login"

SEEN_KEY = "seen"
SITE_KEY = "site_id"
CSRF_KEY = "csrf"
# Callbacks fired only by these component properties are background polling, not user activity:
# they must not keep an idle session alive.
BACKGROUND_PROPS = ("n_intervals",)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.is_active else None


# Flask-Login needs these on the model; adding them here keeps Flask out of data/.
User.is_authenticated = property(lambda self: True)
User.is_anonymous = property(lambda self: False)
User.get_id = lambda self: str(self.id)


class Anonymous(AnonymousUserMixin):
    """The anonymous user: no role, no sites."""

    role = None
    site_ids = frozenset()


login_manager.anonymous_user = Anonymous


def csrf_token() -> str:
    """The session's CSRF token for plain HTML forms (sign-in, sign-out)."""
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return session[CSRF_KEY]


def csrf_ok(token: str | None) -> bool:
    """True if token matches the session's CSRF token."""
    expected = session.get(CSRF_KEY)
    return bool(expected and token and hmac.compare_digest(expected, token))


def _is_background_poll() -> bool:
    if request.path != "/_dash-update-component":
        return False
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        return False
    changed = body.get("changedPropIds") if isinstance(body, dict) else None
    if not isinstance(changed, list):
        return False
    return bool(changed) and all(str(p).endswith(BACKGROUND_PROPS) for p in changed)


def idle_expired(cfg: Config) -> bool:
    """Check the idle timeout; sign the user out and return True if it has passed."""
    if not current_user.is_authenticated:
        return False
    now = time.time()
    seen = session.get(SEEN_KEY)
    if seen is not None and now - float(seen) > cfg.session_idle_minutes * 60:
        logout_user()
        session.clear()
        g.session_expired = True
        return True
    if seen is None or not _is_background_poll():
        session[SEEN_KEY] = now
    return False


def selected_site_ids() -> frozenset[int] | None:
    """The sites the user chose to view with the site switcher (None: all their sites)."""
    site_id = session.get(SITE_KEY)
    if site_id is None or not current_user.is_authenticated:
        return None
    scope = g.get("scope")
    if scope is None or not scope.allows(site_id):
        return None
    return frozenset({int(site_id)})


def select_site(site_id: int | None) -> None:
    """Remember the site switcher's choice in the session."""
    if site_id is None:
        session.pop(SITE_KEY, None)
    else:
        session[SITE_KEY] = int(site_id)


def init_app(server: Flask) -> None:
    """Register Flask-Login and the session lifetime."""
    login_manager.init_app(server)
    cfg: Config = server.extensions["toolmaint_config"]
    server.permanent_session_lifetime = dt.timedelta(minutes=cfg.session_idle_minutes)
