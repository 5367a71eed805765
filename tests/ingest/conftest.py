"""Fixtures for the ingest tests: service tokens, a poster for the ingest API, and helpers.

Tests that need ../shared/opcua (the official EUROMAP 77 NodeSets; EUROMAP_NODESETS_DIR overrides)
carry the `euromap_nodesets` marker; in a clone without them they are deselected here (not skipped),
like the PostgreSQL-only tests in the SQLite pass.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

# The official NodeSets: ../shared/opcua next to the project, or wherever EUROMAP_NODESETS_DIR says.
SHARED_OPCUA = Path(os.environ.get("EUROMAP_NODESETS_DIR") or Path(__file__).resolve().parents[2].parent / "shared"
                    / "opcua")


def pytest_configure(config):
    config.addinivalue_line("markers", "euromap_nodesets: needs the official EUROMAP 77 NodeSets in ../shared/opcua")


def pytest_collection_modifyitems(config, items):
    """Deselect the NodeSet tests when ../shared/opcua is absent (a user's clone)."""
    if (SHARED_OPCUA / "Opc.Ua.PlasticsRubber.IMM2MES.NodeSet2.xml").is_file():
        return
    dropped = [i for i in items if i.get_closest_marker("euromap_nodesets") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i.get_closest_marker("euromap_nodesets") is None]


def iso(ts: dt.datetime) -> str:
    """An aware datetime as the API expects it."""
    return ts.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def plant(app):
    """Like tests.conftest's world without the users (password hashing is slow): two sites, a press and a
    mould on each, same codes and numbers. Ingest only needs tokens."""
    from data.db import db
    from data.models import Mould, Press
    from data.scope import system_scope
    from data.users import create_site

    with app.app_context(), system_scope():
        s1, s2 = create_site("S1", "Site One"), create_site("S2", "Site Two")
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
        data = {"sites": {"S1": s1.id, "S2": s2.id}, "presses": {"S1": p1.id, "S2": p2.id},
                "moulds": {"S1": m1.id, "S2": m2.id}}
        db.session.remove()
    return data


@pytest.fixture
def make_token(app):
    """make_token(site_code, *scopes) -> raw bearer token (the site must exist: use plant or world)."""

    def make(site: str = "S1", *scopes: str, name: str | None = None) -> str:
        from data.db import db
        from data.scope import system_scope
        from data.tokens import create_token

        with app.app_context(), system_scope():
            _token, raw = create_token(name or f"t-{site}-{'-'.join(scopes or ('ingest',))}", site,
                                       list(scopes or ("ingest",)))
            db.session.commit()
            db.session.remove()
        return raw

    return make


@pytest.fixture
def ingest_token(make_token, plant):
    """A token allowed to post readings for site S1."""
    return make_token("S1", "ingest")


@pytest.fixture
def post(client):
    """post(token, body, path="/api/v1/readings") -> response (body: dict/list is sent as JSON, bytes raw)."""

    def send(token: str | None, body, path: str = "/api/v1/readings"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if isinstance(body, (bytes, str)):
            return client.post(path, data=body, headers=headers, content_type="application/json")
        return client.post(path, json=body, headers=headers)

    return send
