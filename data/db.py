"""The Flask-SQLAlchemy handle, engine settings, and the hooks that enforce the site scope."""

from __future__ import annotations

import logging

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from data import sqlite_wal
from data.models import Base, Site, SiteOwned
from data.scope import OutOfScope, current_scope

logger = logging.getLogger(__name__)

db = SQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})

RLS_SITES_SETTING = "app.site_ids"
RLS_ALL_SETTING = "app.all_sites"


def engine_options(database_url: str) -> dict:
    """Pool settings per backend (SQLite tolerates concurrent writers only with a busy timeout)."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL for concurrent readers (checkpointed in the background: data/sqlite_wal.py), enforced foreign keys, a busy
    timeout for writers."""
    if type(dbapi_conn).__module__.startswith("sqlite3"):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        sqlite_wal.configure(dbapi_conn)
        cur.close()


def apply_scope(conn: Connection) -> None:
    """Write the current scope into PostgreSQL's per-transaction settings read by RLS policies."""
    if conn.dialect.name != "postgresql":
        return
    scope = current_scope()
    conn.execute(
        text("SELECT set_config(:k1, :ids, true), set_config(:k2, :all, true)"),
        {
            "k1": RLS_SITES_SETTING,
            "ids": ",".join(str(s) for s in sorted(scope.site_ids)),
            "k2": RLS_ALL_SETTING,
            "all": "on" if scope.all_sites else "off",
        },
    )


@event.listens_for(Session, "after_begin")
def _scope_new_transaction(session: Session, _tx, conn: Connection) -> None:
    apply_scope(conn)


def apply_scope_to_open_transaction() -> None:
    """Re-apply the scope when it changes while the request's session has a transaction open."""
    try:
        session = db.session()
    except RuntimeError:  # no app context: nothing open to update
        return
    if session.in_transaction():
        apply_scope(session.connection())


@event.listens_for(Session, "do_orm_execute")
def _filter_by_scope(state: ORMExecuteState) -> None:
    """Add the site filter to every ORM SELECT, UPDATE and DELETE."""
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = current_scope()
    if scope.all_sites:
        return
    ids = tuple(sorted(scope.site_ids))
    state.statement = state.statement.options(
        with_loader_criteria(SiteOwned, lambda cls: cls.site_id.in_(ids), include_aliases=True),
        with_loader_criteria(Site, lambda cls: cls.id.in_(ids), include_aliases=True),
    )


@event.listens_for(Session, "before_flush")
def _check_scope_on_write(session: Session, _ctx, _instances) -> None:
    """Refuse to insert, change or delete a row of a site outside the scope."""
    scope = current_scope()
    if scope.all_sites:
        return
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, SiteOwned):
            site_ids = {obj.site_id}
            hist = inspect(obj).attrs.site_id.history
            site_ids.update(hist.deleted or ())
            for site_id in site_ids:
                if not scope.allows(site_id):
                    raise OutOfScope(f"{type(obj).__name__} of site {site_id} is outside your sites")
        elif isinstance(obj, Site) and obj.id is not None and not scope.allows(obj.id):
            raise OutOfScope(f"site {obj.id} is outside your sites")
