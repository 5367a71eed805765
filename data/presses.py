"""Presses and mounting: create, change, list and delete presses; mount and unmount moulds on them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from data import authz
from data.db import db
from data.models import CounterReading, Mould, MouldMount, MouldStatus, Press, Site, utcnow
from data.moulds import code_taken, load_mould, site_choices
from data.validation import DeleteRefused, FieldErrors, Fields, Page, paged

EDIT = "edit_master"
SORTS = {"code": Press.code, "name": Press.name, "site": Press.site_id, "tonnage": Press.tonnage,
         "manufacturer": Press.manufacturer}


def list_presses(search: str = "", site_ids: Iterable[int] | None = None, sort: str | None = "code",
                 page: int = 1, per_page: int = 25) -> Page:
    """Presses in scope with their site code and the mould on them now."""
    current = aliased(Mould)
    stmt = (select(Press, Site.code.label("site_code"), current.code.label("mould_code"))
            .join(Site, Site.id == Press.site_id).outerjoin(current, current.current_press_id == Press.id))
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Press.code).like(like), func.lower(Press.name).like(like),
                              func.lower(Press.manufacturer).like(like)))
    if site_ids is not None:
        stmt = stmt.where(Press.site_id.in_(tuple(site_ids)))
    return paged(stmt, SORTS | {"mould": current.code}, sort, page, per_page, tiebreak=Press.id)


def press_form_values(press: Press) -> dict[str, Any]:
    """A press's fields as the edit form shows them."""
    return {"site_id": press.site_id, "code": press.code, "name": press.name, "manufacturer": press.manufacturer,
            "model": press.model, "serial_number": press.serial_number, "tonnage": press.tonnage,
            "opcua_endpoint": press.opcua_endpoint, "active": press.active}


def save_press(user: Any, press_id: int | None, raw: Mapping[str, Any]) -> Press:
    """Create or change a press; FieldErrors per field; commits."""
    authz.require(user, EDIT)
    press = None
    if press_id is not None:
        press = db.session.get(Press, int(press_id))
        if press is None:
            raise FieldErrors({"code": "This press no longer exists (or is not at one of your sites)."})
        authz.require(user, EDIT, press)
    f = Fields(raw)
    sites = site_choices(user, EDIT)
    site_id = f.integer("site_id", "Site", required=True)
    if site_id is not None and site_id not in sites:
        f.error("site_id", "Choose one of your sites.")
    values = {
        "site_id": site_id,
        "code": f.text("code", "Code", required=True, max_len=32),
        "name": f.text("name", "Name", max_len=120),
        "manufacturer": f.text("manufacturer", "Manufacturer", max_len=120) or None,
        "model": f.text("model", "Model", max_len=120) or None,
        "serial_number": f.text("serial_number", "Serial number", max_len=64) or None,
        "tonnage": f.integer("tonnage", "Clamp force (t)", minimum=1, maximum=100_000),
        "opcua_endpoint": f.text("opcua_endpoint", "OPC UA endpoint", max_len=255) or None,
        "active": f.boolean("active", default=True),
    }
    if values["opcua_endpoint"] and not values["opcua_endpoint"].startswith("opc.tcp://"):
        f.error("opcua_endpoint", "An OPC UA endpoint starts with opc.tcp://, like opc.tcp://10.0.0.21:4840.")
    if values["code"] and code_taken(Press, values["code"], press.id if press else None):
        f.error("code", f"A press with code {values['code']} already exists.")
    if press is not None and site_id != press.site_id and site_id is not None:
        if db.session.scalar(select(func.count()).where(Mould.current_press_id == press.id)):
            f.error("site_id", "A mould is mounted on this press: unmount it before moving the press to another site.")
    f.check()
    if press is None:
        press = Press(**values)
        db.session.add(press)
    else:
        for key, value in values.items():
            setattr(press, key, value)
    db.session.commit()
    return press


def delete_press(user: Any, press_id: int) -> str:
    """Delete a press without history; DeleteRefused (suggesting to deactivate) otherwise; commits."""
    press = db.session.get(Press, int(press_id))
    if press is None:
        raise DeleteRefused("This press no longer exists.")
    authz.require(user, EDIT, press)
    mounts = db.session.scalar(select(func.count()).where(MouldMount.press_id == press.id)) or 0
    readings = db.session.scalar(select(func.count()).where(CounterReading.press_id == press.id)) or 0
    if mounts or readings:
        raise DeleteRefused(f"{press.code} has {mounts} mounting records and {readings} counter readings, which "
                            "must be kept: mark it inactive instead.")
    code = press.code
    db.session.delete(press)
    db.session.commit()
    return code


def _open_mount(where) -> MouldMount | None:
    return db.session.scalar(select(MouldMount).where(where, MouldMount.unmounted_at.is_(None))
                             .order_by(MouldMount.mounted_at.desc()).limit(1))


def mount(user: Any, raw: Mapping[str, Any], now: dt.datetime | None = None) -> MouldMount:
    """Mount a mould on a press from a time on: closes what was on the press and where the mould was; commits."""
    now = now or utcnow()
    f = Fields(raw)
    mould = None
    try:
        mould = load_mould(user, EDIT, raw.get("mould_id"))
    except FieldErrors as exc:
        f.errors.update(exc.errors)
    press_id = f.integer("press_id", "Press", required=True)
    press = db.session.get(Press, press_id) if press_id is not None else None
    if press_id is not None and press is None:
        f.error("press_id", "That press does not exist or is not at one of your sites.")
    at = f.moment("mounted_at", "Mounted at", now)
    if mould is not None and press is not None:
        if press.site_id != mould.site_id:
            f.error("press_id", f"{press.code} is at another site than {mould.code}.")
        if not press.active:
            f.error("press_id", f"{press.code} is marked inactive.")
        if mould.status is MouldStatus.RETIRED:
            f.error("mould_id", f"{mould.code} is retired.")
        if mould.current_press_id == press.id:
            f.error("mould_id", f"{mould.code} is already on {press.code}.")
    f.check()
    on_press = _open_mount(MouldMount.press_id == press.id)
    mould_open = _open_mount(MouldMount.mould_id == mould.id)
    for existing in (on_press, mould_open):
        if existing is not None and at <= existing.mounted_at:
            f.error("mounted_at", f"Must be after {existing.mounted_at:%Y-%m-%d %H:%M} UTC, when the current "
                                  "mounting began.")
    f.check()
    for existing in {m.id: m for m in (on_press, mould_open) if m is not None}.values():
        existing.unmounted_at = at
        previous = db.session.get(Mould, existing.mould_id)
        if previous is not None and previous.id != mould.id:
            previous.current_press_id = None
            if previous.status is MouldStatus.IN_PRODUCTION:
                previous.status = MouldStatus.IN_TOOL_ROOM
    new = MouldMount(site_id=mould.site_id, mould_id=mould.id, press_id=press.id, mounted_at=at, source="manual")
    db.session.add(new)
    mould.current_press_id = press.id
    mould.status = MouldStatus.IN_PRODUCTION
    db.session.commit()
    return new


def unmount(user: Any, raw: Mapping[str, Any], now: dt.datetime | None = None) -> MouldMount:
    """Take a mould off its press at a time; it goes back to the tool room; commits."""
    now = now or utcnow()
    f = Fields(raw)
    mould = load_mould(user, EDIT, raw.get("mould_id"))
    at = f.moment("unmounted_at", "Unmounted at", now)
    current = _open_mount(MouldMount.mould_id == mould.id)
    if current is None:
        f.error("mould_id", f"{mould.code} is not mounted on a press.")
    elif at is not None and at <= current.mounted_at:
        f.error("unmounted_at", f"Must be after {current.mounted_at:%Y-%m-%d %H:%M} UTC, when it was mounted.")
    f.check()
    current.unmounted_at = at
    mould.current_press_id = None
    if mould.status is MouldStatus.IN_PRODUCTION:
        mould.status = MouldStatus.IN_TOOL_ROOM
    db.session.commit()
    return current


MOUNT_SORTS = {"mounted_at": MouldMount.mounted_at, "unmounted_at": MouldMount.unmounted_at,
               "mould": Mould.code, "press": Press.code}


def list_mounts(current_only: bool = False, site_ids: Iterable[int] | None = None, search: str = "",
                sort: str | None = "-mounted_at", page: int = 1, per_page: int = 25) -> Page:
    """Mounting records (mount, mould code, press code), newest first by default."""
    stmt = (select(MouldMount, Mould.code.label("mould_code"), Press.code.label("press_code"))
            .join(Mould, Mould.id == MouldMount.mould_id).join(Press, Press.id == MouldMount.press_id))
    if current_only:
        stmt = stmt.where(MouldMount.unmounted_at.is_(None))
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Mould.code).like(like), func.lower(Press.code).like(like)))
    if site_ids is not None:
        stmt = stmt.where(MouldMount.site_id.in_(tuple(site_ids)))
    return paged(stmt, MOUNT_SORTS, sort, page, per_page, tiebreak=MouldMount.id.desc())


def press_options(site_ids: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Active presses in scope for pickers."""
    stmt = select(Press).where(Press.active.is_(True)).order_by(Press.code)
    if site_ids is not None:
        stmt = stmt.where(Press.site_id.in_(tuple(site_ids)))
    return [{"label": f"{p.code} · {p.name}" if p.name else p.code, "value": p.id}
            for p in db.session.scalars(stmt)]
