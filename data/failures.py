"""Failure reports: the coded catalogue the form picks from, and recording a report (with an optional action)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from data import events
from data.actions import new_action
from data.db import db
from data.models import FailureCode, FailureReport, Severity, utcnow
from data.moulds import blocked_cavities, check_shot_count, load_mould
from data.photos import attach, photo_keys, photos_to_attach
from data.validation import FieldErrors, Fields, saved_before

ACTION = "report_failure"
SEVERITY_LABELS = {Severity.LOW.value: "Low", Severity.MEDIUM.value: "Medium", Severity.HIGH.value: "High",
                   Severity.CRITICAL.value: "Critical"}
# Failure-code levels in the order the form asks for them.
LEVELS = ("mode", "mechanism", "cause", "component")


def catalogue_tree() -> list[dict[str, Any]]:
    """Active failure codes with their four levels and default severity (the form cascades over them)."""
    codes = db.session.scalars(select(FailureCode).where(FailureCode.active.is_(True)).order_by(
        FailureCode.mode, FailureCode.mechanism, FailureCode.cause, FailureCode.component)).all()
    return [{"id": c.id, "code": c.code, "mode": c.mode, "mechanism": c.mechanism, "cause": c.cause,
             "component": c.component, "severity": c.default_severity.value, "description": c.description}
            for c in codes]


def _cavity(f: Fields, mould: Any) -> str:
    raw = f.raw.get("cavity")
    if raw in (None, "", "all"):
        return ""
    number = f.integer("cavity", "Cavity", minimum=1)
    if number is None:
        return ""
    if number > mould.cavities:
        f.error("cavity", f"{mould.code} has {mould.cavities} cavities; there is no cavity {number}.")
    elif number in blocked_cavities(mould):
        f.error("cavity", f"Cavity {number} is blocked off on {mould.code}.")
    return str(number)


def _code(f: Fields) -> FailureCode | None:
    ids = f.ids("failure_code_id", "Failure code")
    if not ids:
        f.error("failure_code_id", "Pick the failure: mode, then mechanism, cause and component.")
        return None
    code = db.session.get(FailureCode, ids[0])
    if code is None or not code.active:
        f.error("failure_code_id", "That failure code is no longer in the catalogue: pick another.")
        return None
    return code


def record_report(user: Any, raw: dict[str, Any], now: dt.datetime | None = None) -> tuple[FailureReport, bool]:
    """Validate and save a failure report (and its inline action item); returns (report, created).

    Idempotent by raw['client_key']; FieldErrors with a message per field, and nothing written, otherwise.
    """
    now = now or utcnow()
    f = Fields(raw)
    key = f.client_key()
    existing = saved_before(FailureReport, key)
    if existing is not None:
        return existing, False
    mould = None
    try:
        mould = load_mould(user, ACTION, raw.get("mould_id"))
    except FieldErrors as exc:
        f.errors.update(exc.errors)
    code = _code(f)
    severity = f.choice("severity", "Severity", SEVERITY_LABELS, required=False,
                        default=code.default_severity.value if code else None)
    occurred_at = f.moment("occurred_at", "When it happened", now)
    shot_count = f.integer("shot_count", "Shot count", minimum=0, maximum=10**12)
    downtime = f.decimal("downtime_hours", "Downtime hours", maximum=10000, default=Decimal("0"))
    description = f.text("description", "Description", required=True, max_len=4000)
    keys = photo_keys(f)
    action = None
    photos = []
    cavity = ""
    if mould is not None:
        cavity = _cavity(f, mould)
        if occurred_at is not None and "shot_count" not in f.errors:
            check_shot_count(f, "shot_count", mould, occurred_at, shot_count)
        photos = photos_to_attach(f, keys, user, mould.site_id)
        if f.boolean("add_action"):
            action = new_action(f, user, mould.site_id, now.date(), prefix="action_")
    if severity is None and "severity" not in f.errors:
        f.error("severity", "Choose the severity.")
    f.check()

    report = FailureReport(site_id=mould.site_id, mould_id=mould.id, press_id=mould.current_press_id,
                           failure_code_id=code.id, severity=Severity(severity), cavity=cavity,
                           occurred_at=occurred_at, shot_count=shot_count, downtime_hours=downtime,
                           description=description, reported_by_id=user.id, client_key=key)
    db.session.add(report)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = saved_before(FailureReport, key)
        if existing is None:
            raise
        return existing, False
    attach(photos, mould.id, report_id=report.id)
    if action is not None:
        action.mould_id, action.failure_report_id = mould.id, report.id
        action.client_key = f"{key}:a" if key else None
        action.description = action.description or f"From failure report #{report.id}: {description[:200]}"
        db.session.add(action)
    db.session.commit()
    events.publish(events.FAILURE_REPORTED, report_id=report.id, site_id=report.site_id,
                   severity=report.severity.value)
    if action is not None:
        events.publish(events.ACTION_CHANGED, action_id=action.id, site_id=action.site_id,
                       status=action.status.value)
    return report, True
