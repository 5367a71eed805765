"""Writes an audit entry (who, when, which record, old and new values) for every audited change."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from data.models import AuditEntry
from data.models.base import utcnow
from data.scope import current_scope

REDACTED = {"password_hash", "token_hash"}


def _json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _columns(obj: Any) -> list[str]:
    return [c.key for c in inspect(obj).mapper.column_attrs]


def _snapshot(obj: Any) -> dict[str, Any]:
    return {k: ("***" if k in REDACTED else _json(getattr(obj, k))) for k in _columns(obj)}


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    old, new = {}, {}
    for key in _columns(obj):
        hist = state.attrs[key].history
        if hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before == after:
                continue
            old[key] = "***" if key in REDACTED else _json(before)
            new[key] = "***" if key in REDACTED else _json(after)
    return old, new


def _record_id(obj: Any) -> str:
    return "/".join(str(v) for v in inspect(obj).identity or ())


@event.listens_for(Session, "after_flush")
def _write_audit(session: Session, _ctx) -> None:
    """Collect the flush's audited changes and insert them in the same transaction."""
    rows = []
    now = utcnow()
    user_id = current_scope().user_id
    for kind, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if not getattr(obj, "__audited__", False):
                continue
            if kind == "update":
                if not session.is_modified(obj, include_collections=False):
                    continue
                old, new = _changes(obj)
                if not new:
                    continue
            elif kind == "create":
                old, new = None, _snapshot(obj)
            else:
                old, new = _snapshot(obj), None
            rows.append(
                {
                    "at": now,
                    "user_id": user_id,
                    "site_id": getattr(obj, "site_id", None),
                    "action": kind,
                    "table_name": obj.__tablename__,
                    "record_id": _record_id(obj),
                    "old": old,
                    "new": new,
                }
            )
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def audit_entries(table: str | None = None, page: int = 1, per_page: int = 50) -> tuple[list, int]:
    """One page of the audit log, newest first, optionally for one table: (entry, user name) rows and the total."""
    from sqlalchemy import func, select

    from data.db import db
    from data.models import User

    where = [AuditEntry.table_name == table] if table else []
    total = db.session.scalar(select(func.count(AuditEntry.id)).where(*where)) or 0
    rows = db.session.execute(
        select(AuditEntry, User.username)
        .outerjoin(User, User.id == AuditEntry.user_id)
        .where(*where)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((max(1, page) - 1) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), int(total)


def audited_tables() -> list[str]:
    """Names of the tables whose changes are audited (for the filter)."""
    from data.models import Base

    return sorted(m.class_.__tablename__ for m in Base.registry.mappers if getattr(m.class_, "__audited__", False))
