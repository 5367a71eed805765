"""Shared fixtures: a migrated database per run (SQLite or PostgreSQL), the app, clients, users, browsers.

The backend comes from TEST_DATABASE (sqlite, the default, or postgresql). On PostgreSQL each run
creates its own database and a login role for the app that does not own the tables, so row-level
security is in force exactly as in production; both are dropped at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="toolmaint-test-"))
os.environ.update(APP_MODE="test", HUEY_IMMEDIATE="true", INSTANCE_PATH=str(_TMP / "instance"), LOG_LEVEL="WARNING")
os.environ.pop("REDIS_URL", None)
os.environ.pop("DATABASE_URL", None)
os.environ.pop("DATABASE_OWNER_URL", None)

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
PASSWORD = "Correct-Horse-42"


def pg_admin_url() -> str:
    """A superuser URL for creating test databases and roles (see deploy/ensure-services.sh)."""
    url = os.environ.get("TEST_PG_ADMIN_URL")
    saved = ROOT / "instance" / "test-pg-url"
    if not url and saved.exists():
        url = saved.read_text().strip()
    return url or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    """A TCP port nobody listens on now (browser tests run their own server)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Database:
    """The test database: URLs for the owner (migrations, cleanup) and for the app's role."""

    def __init__(self) -> None:
        self.tag = secrets.token_hex(4)
        if BACKEND == "postgresql":
            admin = make_url(pg_admin_url())
            self.admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
            self.name = f"toolmaint_test_{self.tag}"
            self.role = f"toolmaint_app_{self.tag}"
            role_pw = secrets.token_urlsafe(16)
            with self.admin_engine.connect() as c:
                # DDL takes no bind parameters; the password is URL-safe base64, so quoting is enough.
                c.execute(text(f"CREATE ROLE \"{self.role}\" LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{role_pw}'"))
                c.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.owner_url = admin.set(database=self.name).render_as_string(hide_password=False)
            self.app_url = admin.set(database=self.name, username=self.role, password=role_pw).render_as_string(
                hide_password=False)
        elif BACKEND == "sqlite":
            self.name = str(_TMP / f"test-{self.tag}.db")
            self.owner_url = self.app_url = f"sqlite:///{self.name}"
        else:
            raise pytest.UsageError(f"TEST_DATABASE must be sqlite or postgresql, not {BACKEND!r}")
        self.owner_engine = create_engine(self.owner_url)

    def truncate(self) -> None:
        """Empty every table (as the owner, so row-level security does not hide rows)."""
        from data.models import Base

        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with self.owner_engine.begin() as c:
            if BACKEND == "postgresql":
                c.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                c.execute(text("PRAGMA foreign_keys=OFF"))
                for t in tables:
                    c.execute(text(f"DELETE FROM {t}"))
                c.execute(text("PRAGMA foreign_keys=ON"))

    def drop(self) -> None:
        """Remove the database (and on PostgreSQL the app role)."""
        self.owner_engine.dispose()
        if BACKEND == "postgresql":
            with self.admin_engine.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
                c.execute(text(f'DROP ROLE IF EXISTS "{self.role}"'))
            self.admin_engine.dispose()


def pytest_collection_modifyitems(config, items):
    """Tests marked postgresql run only in the PostgreSQL pass of the suite, tests marked sqlite only in the SQLite
    pass (they test what one backend does differently); each pass deselects the other's."""
    other = "sqlite" if BACKEND == "postgresql" else "postgresql"
    keep = [i for i in items if i.get_closest_marker(other) is None]
    dropped = [i for i in items if i.get_closest_marker(other) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_setup_options():
    """Chromium flags for headless runs as root on a machine with no outside network."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in ("--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--no-first-run", "--disable-gpu", "--window-size=1280,900",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@pytest.fixture(scope="session")
def database():
    """The run's database, dropped at the end."""
    database = Database()
    yield database
    database.drop()


@pytest.fixture(scope="session")
def app(database):
    """The app on the test database, migrated with the real Alembic migrations."""
    from flask_migrate import upgrade

    from app import create_app

    server = create_app({"mode": "test", "database_url": database.app_url, "database_owner_url": database.owner_url,
                         "instance_path": _TMP / "instance", "storage_dir": _TMP / "storage",
                         "huey_immediate": True})
    with server.app_context():
        upgrade()
    return server


@pytest.fixture(autouse=True)
def _clean(request):
    """Every test starts from empty tables and a fresh rate limiter."""
    yield
    if "database" in request.fixturenames or "app" in request.fixturenames:
        db = request.getfixturevalue("database")
        from auth.routes import limiter
        from data.db import db as flask_db

        app = request.getfixturevalue("app")
        with app.app_context():
            flask_db.session.remove()
        db.truncate()
        try:
            limiter.reset()
        except Exception:  # the limiter was never initialised in this test
            pass


@pytest.fixture
def ctx(app):
    """An app context with the system scope (all sites): for arranging data and checking results."""
    from data.db import db
    from data.scope import system_scope

    with app.app_context(), system_scope():
        yield db.session
        db.session.remove()


@pytest.fixture
def world(app):
    """Two sites, a press and a mould on each, and a user per role (password PASSWORD).

    technician belongs to S1, technician2 to S2, everyone else to both.
    """
    from data.db import db
    from data.models import Mould, Press
    from data.scope import system_scope
    from data.users import create_site, create_user

    with app.app_context(), system_scope():
        s1 = create_site("S1", "Site One")
        s2 = create_site("S2", "Site Two")
        users = {}
        for name, role, sites in (("admin", "admin", ["S1", "S2"]), ("manager", "manager", ["S1", "S2"]),
                                  ("engineer", "engineer", ["S1", "S2"]), ("technician", "technician", ["S1"]),
                                  ("technician2", "technician", ["S2"])):
            users[name] = create_user(name, PASSWORD, role, sites, enforce_policy=False).id
        p1 = Press(site_id=s1.id, code="S1-P01", name="Press one")
        p2 = Press(site_id=s2.id, code="S2-P01", name="Press two")
        db.session.add_all([p1, p2])
        db.session.flush()
        m1 = Mould(site_id=s1.id, code="T-1", name="Mould one", family="housings", pm_interval_shots=100_000,
                   shots_since_pm=95_000, lifetime_shots=500_000)
        m2 = Mould(site_id=s2.id, code="T-2", name="Mould two", family="housings", pm_interval_shots=100_000,
                   shots_since_pm=10_000, lifetime_shots=200_000)
        db.session.add_all([m1, m2])
        db.session.commit()
        data = {"sites": {"S1": s1.id, "S2": s2.id}, "users": users, "presses": {"S1": p1.id, "S2": p2.id},
                "moulds": {"S1": m1.id, "S2": m2.id}}
        db.session.remove()
    return data


class Auth:
    """Signs a test client in and out through the real login form."""

    def __init__(self, client) -> None:
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        """The CSRF token from a form page."""
        import re

        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD):
        """Post the login form; returns the response."""
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": self.csrf()})

    def logout(self):
        """Post the logout form; returns the response."""
        token = self.csrf("/logout")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def client(app):
    """A Flask test client."""
    return app.test_client()


@pytest.fixture
def auth(client):
    """Login helper bound to the client."""
    return Auth(client)


def dash_post(client, output: str, inputs: list[dict], state: list[dict] | None = None,
              changed: list[str] | None = None):
    """Call a Dash callback the way the browser does (POST /_dash-update-component).

    output is Dash's callback key: "id.prop", or "..id1.prop1...id2.prop2.." for several outputs;
    pattern-matching ids appear as their JSON (as Dash writes them) and are sent as objects.
    """
    def parse(part: str) -> dict:
        ident, prop = part.rsplit(".", 1)
        return {"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop}

    outputs = [parse(part) for part in (output[2:-2].split("...") if output.startswith("..") else [output])]
    body = {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": changed or [f"{i['id']}.{i['property']}" for i in inputs],
    }
    return client.post("/_dash-update-component", json=body)


@pytest.fixture
def browser_server(app):
    """Start the app on a free port in a thread for a browser test; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)
