"""Maintenance logs: what the form needs to know, and recording a log in one transaction.

A preventive log resets the mould's shots since PM: last_pm_at becomes the time of the work and
shots_since_pm the shots counted after it (data.shot_counts.shots_since), so counter readings that
arrive late still land on the right side of the PM.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from data import events
from data.db import db
from data.models import (
    ChecklistResult,
    CheckResult,
    MaintenanceKind,
    MaintenanceLog,
    Membership,
    Mould,
    MouldStatus,
    PartUsed,
    PMTemplate,
    Role,
    Site,
    User,
    utcnow,
)
from data.moulds import check_shot_count, load_mould
from data.photos import attach, photo_keys, photos_to_attach
from data.shot_counts import shots_since
from data.validation import FieldErrors, Fields, saved_before

ACTION = "log_maintenance"
MAX_PARTS = 50
MAX_TEXT = 4000
CHECK_LABELS = {CheckResult.OK.value: "OK", CheckResult.ATTENTION.value: "Attention",
                CheckResult.NOT_OK.value: "Not OK"}


def mould_options(site_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Moulds in scope (not retired) with what the forms prefill from them."""
    stmt = (select(Mould, Site.code).join(Site, Site.id == Mould.site_id)
            .where(Mould.status != MouldStatus.RETIRED).order_by(Mould.code))
    if site_ids is not None:
        stmt = stmt.where(Mould.site_id.in_(tuple(site_ids)))
    return [
        {"id": m.id, "code": m.code, "name": m.name, "site_id": m.site_id, "site": site_code, "family": m.family,
         "cavities": m.cavities, "blocked": m.blocked_cavities, "lifetime_shots": int(m.lifetime_shots or 0),
         "press": m.current_press.code if m.current_press else None}
        for m, site_code in db.session.execute(stmt)
    ]


def people_by_site(site_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Active users with their sites (technicians and owners are picked from the mould's site)."""
    users = db.session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.display_name)).all()
    wanted = None if site_ids is None else set(site_ids)
    out = []
    for u in users:
        sites = sorted(u.site_ids)
        if wanted is not None and not (set(sites) & wanted):
            continue
        out.append({"id": u.id, "name": u.display_name or u.username, "sites": sites, "role": u.role.value})
    return out


def checklists() -> dict[str, list[str]]:
    """PM checklist items per mould family."""
    return {t.family: [i.text for i in t.items] for t in db.session.scalars(select(PMTemplate))}


def form_reference(site_ids: Iterable[int] | None = None) -> dict[str, Any]:
    """Everything the maintenance form needs in the browser, so it also works offline."""
    return {"moulds": mould_options(site_ids), "people": people_by_site(site_ids), "checklists": checklists()}


def site_members(user_ids: Iterable[int], site_id: int) -> dict[int, User]:
    """The active users among user_ids who may work at site_id (members, or admins)."""
    ids = tuple(set(user_ids))
    if not ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True))).all()
    member = set(db.session.scalars(select(Membership.user_id).where(Membership.site_id == site_id,
                                                                    Membership.user_id.in_(ids))))
    return {u.id: u for u in users if u.id in member or u.role == Role.ADMIN}


def _checklist(f: Fields, kind: str | None) -> list[ChecklistResult]:
    raw = f.raw.get("checklist") or []
    if not isinstance(raw, list):
        f.error("checklist", "The checklist is malformed; reload the form.")
        return []
    items = []
    missing = 0
    for i, row in enumerate(raw[:200]):
        row = row if isinstance(row, dict) else {}
        text = str(row.get("item") or "").strip()[:255]
        result = row.get("result")
        note = str(row.get("note") or "").strip()
        if not text:
            continue
        if result in (None, ""):
            missing += 1
            f.error(f"checklist.{i}", "Choose OK, Attention or Not OK.")
            continue
        if result not in CHECK_LABELS:
            f.error(f"checklist.{i}", "Choose OK, Attention or Not OK.")
            continue
        if result != CheckResult.OK.value and not note:
            f.error(f"checklist.{i}", "Say what you found (a note is needed when the result is not OK).")
        if len(note) > MAX_TEXT:
            f.error(f"checklist.{i}", f"The note is too long: at most {MAX_TEXT} characters.")
        items.append(ChecklistResult(position=i, item=text, result=CheckResult(result), note=note))
    if missing and kind == MaintenanceKind.PREVENTIVE.value:
        f.error("checklist", f"Give a result for every checklist item ({missing} still open).")
    return items


def _parts(f: Fields) -> list[PartUsed]:
    raw = f.raw.get("parts") or []
    if not isinstance(raw, list) or len(raw) > MAX_PARTS:
        f.error("parts", f"At most {MAX_PARTS} parts per log.")
        return []
    parts = []
    for i, row in enumerate(raw):
        row = row if isinstance(row, dict) else {}
        if not any(str(row.get(k) or "").strip() for k in ("part_number", "description", "quantity", "unit_cost")):
            continue  # an empty row the user added and left
        sub = Fields(row)
        number = sub.text("part_number", "Part number", max_len=64)
        desc = sub.text("description", "Description", max_len=255)
        qty = sub.decimal("quantity", "Quantity", required=True, minimum=Decimal("0.01"), maximum=100000)
        cost = sub.decimal("unit_cost", "Unit cost", minimum=0, maximum=10**9, default=Decimal("0"))
        if not number and not desc:
            sub.error("part_number", "Give the part number or a description.")
        for name, message in sub.errors.items():
            f.error(f"parts.{i}.{name}", message)
        if not sub.errors:
            parts.append(PartUsed(part_number=number, description=desc, quantity=qty, unit_cost=cost))
    return parts


def record_log(user: Any, raw: dict[str, Any], now: dt.datetime | None = None) -> tuple[MaintenanceLog, bool]:
    """Validate and save a maintenance log; returns (log, created). Idempotent by raw['client_key'].

    Raises FieldErrors with a message per field; nothing is written then.
    """
    now = now or utcnow()
    f = Fields(raw)
    key = f.client_key()
    existing = saved_before(MaintenanceLog, key)
    if existing is not None:
        return existing, False
    mould = None
    try:
        mould = load_mould(user, ACTION, raw.get("mould_id"))
    except FieldErrors as exc:
        f.errors.update(exc.errors)
    kind = f.choice("kind", "Kind of work", [k.value for k in MaintenanceKind])
    performed_at = f.moment("performed_at", "Date and time of the work", now)
    shot_count = f.integer("shot_count", "Shot count at service", minimum=0, maximum=10**12)
    labour = f.decimal("labour_hours", "Labour hours", maximum=1000, default=Decimal("0"))
    downtime = f.decimal("downtime_hours", "Downtime hours", maximum=10000, default=Decimal("0"))
    labour_cost = f.decimal("labour_cost", "Labour cost", maximum=10**9, default=Decimal("0"))
    work_done = f.text("work_done", "Work done", required=kind == MaintenanceKind.CORRECTIVE.value,
                       max_len=MAX_TEXT)
    notes = f.text("notes", "Notes", max_len=MAX_TEXT)
    tech_ids = f.ids("technician_ids", "Technicians") or [user.id]
    checklist = _checklist(f, kind)
    parts = _parts(f)
    keys = photo_keys(f)
    technicians: dict[int, User] = {}
    photos = []
    if mould is not None:
        if performed_at is not None and "shot_count" not in f.errors:
            check_shot_count(f, "shot_count", mould, performed_at, shot_count)
        technicians = site_members(tech_ids, mould.site_id)
        if set(tech_ids) - set(technicians):
            f.error("technician_ids", "Choose technicians who work at the mould's site.")
        photos = photos_to_attach(f, keys, user, mould.site_id)
    f.check()

    # Lock the mould row (only it: the press is outer-joined) so ingest's counter updates wait for this PM.
    mould = db.session.scalars(select(Mould).where(Mould.id == mould.id).with_for_update(of=Mould)
                               .execution_options(populate_existing=True)).one()
    parts_cost = sum((p.quantity * p.unit_cost for p in parts), Decimal("0"))
    for item in (*checklist, *parts):
        item.site_id = mould.site_id
    log = MaintenanceLog(
        site_id=mould.site_id, mould_id=mould.id, kind=MaintenanceKind(kind), performed_at=performed_at,
        shot_count=shot_count, labour_hours=labour, downtime_hours=downtime, labour_cost=labour_cost,
        parts_cost=parts_cost.quantize(Decimal("0.01")), work_done=work_done, notes=notes, created_by_id=user.id,
        client_key=key, technicians=[technicians[i] for i in dict.fromkeys(tech_ids)], checklist=checklist,
        parts=parts,
    )
    db.session.add(log)
    try:
        db.session.flush()
    except IntegrityError:  # the same submission arrived twice at once: the first one wins
        db.session.rollback()
        existing = saved_before(MaintenanceLog, key)
        if existing is None:
            raise
        return existing, False
    attach(photos, mould.id, log_id=log.id)
    if log.kind is MaintenanceKind.PREVENTIVE and (mould.last_pm_at is None or performed_at >= mould.last_pm_at):
        mould.last_pm_at = performed_at
        mould.shots_since_pm = shots_since(mould.id, performed_at)
    db.session.commit()
    events.publish(events.MAINTENANCE_LOGGED, log_id=log.id, site_id=log.site_id, mould_id=log.mould_id,
                   kind=log.kind.value)
    return log, True
