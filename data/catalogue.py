"""The failure-code catalogue (admins): list, create, change, deactivate and delete codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select

from data import authz
from data.db import db
from data.failures import SEVERITY_LABELS
from data.models import FailureCode, FailureReport, Severity
from data.validation import DeleteRefused, FieldErrors, Fields, Page, paged

EDIT = "edit_catalogue"
SORTS = {"code": FailureCode.code, "mode": FailureCode.mode, "mechanism": FailureCode.mechanism,
         "cause": FailureCode.cause, "component": FailureCode.component, "severity": FailureCode.default_severity}


def list_codes(search: str = "", active: bool | None = None, sort: str | None = "code", page: int = 1,
               per_page: int = 25) -> Page:
    """Failure codes matching a search over every level."""
    stmt = select(FailureCode)
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(*(func.lower(c).like(like) for c in (FailureCode.code, FailureCode.mode,
                                                                      FailureCode.mechanism, FailureCode.cause,
                                                                      FailureCode.component))))
    if active is not None:
        stmt = stmt.where(FailureCode.active.is_(active))
    return paged(stmt, SORTS, sort, page, per_page, tiebreak=FailureCode.id)


def code_form_values(code: FailureCode) -> dict[str, Any]:
    """A code's fields as the edit form shows them."""
    return {"code": code.code, "mode": code.mode, "mechanism": code.mechanism, "cause": code.cause,
            "component": code.component, "default_severity": code.default_severity.value,
            "description": code.description, "active": code.active}


def save_code(user: Any, code_id: int | None, raw: Mapping[str, Any]) -> FailureCode:
    """Create or change a failure code; FieldErrors per field; commits."""
    authz.require(user, EDIT)
    row = None
    if code_id is not None:
        row = db.session.get(FailureCode, int(code_id))
        if row is None:
            raise FieldErrors({"code": "This failure code no longer exists."})
    f = Fields(raw)
    values = {
        "code": f.text("code", "Code", required=True, max_len=32),
        "mode": f.text("mode", "Failure mode", required=True, max_len=64),
        "mechanism": f.text("mechanism", "Mechanism", required=True, max_len=64),
        "cause": f.text("cause", "Cause", required=True, max_len=64),
        "component": f.text("component", "Component", required=True, max_len=64),
        "default_severity": f.choice("default_severity", "Default severity", SEVERITY_LABELS),
        "description": f.text("description", "Description", max_len=4000),
        "active": f.boolean("active", default=True),
    }
    if values["code"]:
        other = db.session.scalar(select(FailureCode.id).where(func.lower(FailureCode.code) == values["code"].lower()))
        if other is not None and (row is None or other != row.id):
            f.error("code", f"Code {values['code']} is already in the catalogue.")
    levels = (values["mode"], values["mechanism"], values["cause"], values["component"])
    if all(levels):
        same = db.session.scalar(select(FailureCode.code).where(
            FailureCode.mode == levels[0], FailureCode.mechanism == levels[1], FailureCode.cause == levels[2],
            FailureCode.component == levels[3], FailureCode.id != (row.id if row else 0)))
        if same:
            f.error("mode", f"Code {same} already has this mode, mechanism, cause and component.")
    f.check()
    values["default_severity"] = Severity(values["default_severity"])
    if row is None:
        row = FailureCode(**values)
        db.session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    db.session.commit()
    return row


def delete_code(user: Any, code_id: int) -> str:
    """Delete an unused code; DeleteRefused (suggesting to deactivate) when reports use it; commits."""
    authz.require(user, EDIT)
    row = db.session.get(FailureCode, int(code_id))
    if row is None:
        raise DeleteRefused("This failure code no longer exists.")
    from data.scope import system_scope

    with system_scope():  # reports of every site count: a code used anywhere must stay
        used = db.session.scalar(select(func.count()).where(FailureReport.failure_code_id == row.id)) or 0
    if used:
        raise DeleteRefused(f"{row.code} is used by {used} failure reports: deactivate it instead, so it is no "
                            "longer offered but old reports keep their code.")
    code = row.code
    db.session.delete(row)
    db.session.commit()
    return code
