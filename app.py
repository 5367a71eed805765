"""The application factory: a Flask server with the Dash pages app on it.

`flask --app app ...` calls create_app(); gunicorn serves `app:server`, created on first access.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dash
from flask import Flask
from flask_migrate import Migrate

from config import Config, get_config, load_config, set_config

ROOT = Path(__file__).resolve().parent
logger = logging.getLogger(__name__)
migrate = Migrate()

_app: Flask | None = None


def _configure_logging(cfg: Config) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root.setLevel(cfg.log_level)


def _flask_settings(cfg: Config) -> dict[str, Any]:
    from data.db import engine_options

    return {
        "SECRET_KEY": cfg.secret_key,
        "SQLALCHEMY_DATABASE_URI": cfg.database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(cfg.database_url),
        "MAX_CONTENT_LENGTH": cfg.max_request_mb * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": cfg.secure_cookies,
        "SESSION_COOKIE_NAME": "toolmaint_session",
        "TESTING": cfg.mode == "test",
    }


def create_app(config: Config | Mapping[str, Any] | None = None, start_worker: bool = True) -> Flask:
    """Build the Flask server with Dash on it; config is a Config or overrides of the environment."""
    global _app
    cfg = config if isinstance(config, Config) else load_config(config)
    cfg.check_secret()
    set_config(cfg)
    _configure_logging(cfg)
    from data.storage import reset_storage

    reset_storage()

    server = Flask(__name__, instance_path=str(cfg.instance_path), instance_relative_config=False)
    server.config.update(_flask_settings(cfg))
    server.extensions["toolmaint_config"] = cfg
    cfg.instance_path.mkdir(parents=True, exist_ok=True)
    if cfg.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind nginx: take the client address and scheme from X-Forwarded-* (rate limits, secure cookies).
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=cfg.trusted_proxies, x_proto=cfg.trusted_proxies,
                                   x_host=cfg.trusted_proxies)

    from data import audit  # noqa: F401 - registers the audit listener
    from data.db import db

    db.init_app(server)
    migrate.init_app(server, db, directory=str(ROOT / "migrations"))

    import api
    import auth
    import cli

    auth.init_app(server)
    api.init_app(server)
    cli.init_app(server)

    dash_app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="pages",
        assets_folder=str(ROOT / "assets"),
        serve_locally=True,
        suppress_callback_exceptions=True,
        title="Tool Maintenance",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    from auth.guard import register_callbacks
    from components.shell import layout as shell_layout

    dash_app.layout = shell_layout
    register_callbacks(dash_app)
    server.dash_app = dash_app

    from workers.tasks import load_all

    load_all()  # the web process enqueues tasks, and task modules subscribe to domain events

    if cfg.demo and start_worker and not cfg.huey_immediate:
        from workers.consumer import start_in_thread

        start_in_thread()
    # Everything built so far lives as long as the process; frozen, a full collection during a request
    # need not re-scan it (otherwise ~250 ms pauses that dominate dashboard callbacks' p95).
    gc.freeze()
    _app = server
    return server


def worker_app() -> Flask:
    """The app whose context background tasks run in: this process's app, or a new one."""
    global _app
    if _app is None:
        _app = create_app(get_config(), start_worker=False)
    return _app


def __getattr__(name: str) -> Any:
    """`app:server` for gunicorn: the WSGI app, created on first access from the environment."""
    if name == "server":
        return worker_app()
    raise AttributeError(name)
