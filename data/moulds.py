"""Moulds: create, change, list and delete them, and the shot-count checks every form makes against them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, or_, select

from data import authz
from data.db import db
from data.models import FailureReport, MaintenanceLog, Mould, MouldStatus, Site
from data.scope import system_scope
from data.shot_counts import shots_since
from data.validation import DeleteRefused, FieldErrors, Fields, Page, paged

STATUS_LABELS = {
    MouldStatus.IN_PRODUCTION.value: "In production",
    MouldStatus.IN_TOOL_ROOM.value: "In tool room",
    MouldStatus.WAITING_FOR_REPAIR.value: "Waiting for repair",
    MouldStatus.RETIRED.value: "Retired",
}
SORTS = {"code": Mould.code, "name": Mould.name, "family": Mould.family, "status": Mould.status,
         "site": Mould.site_id, "lifetime_shots": Mould.lifetime_shots, "shots_since_pm": Mould.shots_since_pm}
MAX_CAVITIES = 512
MAX_SHOTS = 10**12


def load_mould(user: Any, action: str, mould_id: Any, field: str = "mould_id") -> Mould:
    """The mould the user may act on, or FieldErrors saying why not (unknown, or another site's)."""
    try:
        mould_id = int(mould_id)
    except (TypeError, ValueError):
        raise FieldErrors({field: "Choose the mould."}) from None
    mould = db.session.get(Mould, mould_id)
    if mould is None:
        with system_scope():  # only to tell "another site" from "no such mould"; nothing is returned
            site_id = db.session.scalar(select(Mould.site_id).where(Mould.id == mould_id))
        if site_id is None:
            raise FieldErrors({field: f"There is no mould #{mould_id}: choose one from the list."})
        mould_site = site_id
    else:
        mould_site = mould.site_id
    try:
        authz.require(user, action, mould_site)
    except authz.Forbidden as exc:
        raise FieldErrors({field: f"{exc} Choose a mould of your own site."}) from None
    if mould is None:  # allowed by role but outside the request's scope
        raise FieldErrors({field: "That mould belongs to a site you do not have access to."})
    return mould


def recorded_count_at(mould: Mould, when: dt.datetime, exclude_log: int | None = None) -> int:
    """The highest shot count known for the mould at `when`: its counter then, or an earlier log or report."""
    counter = int(mould.lifetime_shots or 0) - shots_since(mould.id, when)
    log_max = db.session.scalar(
        select(func.max(MaintenanceLog.shot_count)).where(
            MaintenanceLog.mould_id == mould.id, MaintenanceLog.performed_at <= when,
            MaintenanceLog.id != (exclude_log or 0))
    )
    report_max = db.session.scalar(
        select(func.max(FailureReport.shot_count)).where(FailureReport.mould_id == mould.id,
                                                         FailureReport.occurred_at <= when)
    )
    return max(counter, int(log_max or 0), int(report_max or 0))


def check_shot_count(f: Fields, field: str, mould: Mould, when: dt.datetime, count: int | None) -> None:
    """Refuse a shot count below the mould's last recorded count (the message names both and the mould)."""
    if count is None:
        return
    last = recorded_count_at(mould, when)
    if count < last:
        f.error(field, f"Shot count {count:,} is below the last recorded {last:,} for {mould.code}.")


def site_choices(user: Any, action: str) -> dict[int, Site]:
    """Sites the user may do action at, by id."""
    sites = {s.id: s for s in db.session.scalars(select(Site))}
    return {sid: s for sid, s in sites.items() if authz.can(user, action, sid)}


def parse_cavity_list(f: Fields, name: str, cavities: int | None) -> str:
    """Blocked cavities as '3, 5': whole numbers within 1..cavities, no repeats."""
    raw = f.text(name, "Blocked cavities", max_len=120)
    if not raw:
        return ""
    numbers = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            f.error(name, f"Blocked cavities must be cavity numbers separated by commas, like '3, 5' (not {part!r}).")
            return raw
        numbers.append(int(part))
    if cavities and any(n < 1 or n > cavities for n in numbers):
        f.error(name, f"Blocked cavities must be between 1 and {cavities}.")
    elif cavities and len(set(numbers)) >= cavities:
        f.error(name, "At least one cavity must stay open.")
    return ", ".join(str(n) for n in sorted(set(numbers)))


def blocked_cavities(mould: Mould) -> set[int]:
    """The cavity numbers blocked off on a mould."""
    return {int(p) for p in (mould.blocked_cavities or "").replace(" ", "").split(",") if p.isdigit()}


def mould_values(f: Fields, sites: Mapping[int, Site] | Mapping[str, Site], creating: bool) -> dict[str, Any]:
    """Validate a mould's fields (form or import row); `sites` maps the allowed site ids (or codes)."""
    values: dict[str, Any] = {}
    site_key = f.raw.get("site_id")
    site = None
    if site_key in (None, ""):
        f.error("site_id", "Choose the site.")
    else:
        site = sites.get(site_key)
        if site is None:
            try:
                site = sites.get(int(site_key))
            except (TypeError, ValueError):
                site = None
        if site is None:
            f.error("site_id", f"Site {site_key!r} is unknown or not one of yours.")
    values["site_id"] = site.id if site else None
    values["code"] = f.text("code", "Code", required=True, max_len=32)
    values["name"] = f.text("name", "Name", required=True, max_len=120)
    values["family"] = f.text("family", "Family", max_len=64)
    values["part_numbers"] = f.text("part_numbers", "Part numbers", max_len=255)
    values["customer"] = f.text("customer", "Customer", max_len=120)
    values["cavities"] = f.integer("cavities", "Cavities", required=True, minimum=1, maximum=MAX_CAVITIES)
    values["blocked_cavities"] = parse_cavity_list(f, "blocked_cavities", values["cavities"])
    values["status"] = f.choice("status", "Status", STATUS_LABELS, required=False,
                                default=MouldStatus.IN_TOOL_ROOM.value)
    values["home_location"] = f.text("home_location", "Home location", max_len=120)
    values["steel"] = f.text("steel", "Steel", max_len=64)
    values["maker"] = f.text("maker", "Maker", max_len=120)
    values["design_life_shots"] = f.integer("design_life_shots", "Design life", minimum=1, maximum=MAX_SHOTS)
    values["pm_interval_shots"] = f.integer("pm_interval_shots", "PM interval (shots)", minimum=1, maximum=MAX_SHOTS)
    values["pm_interval_days"] = f.integer("pm_interval_days", "PM interval (days)", minimum=1, maximum=3650)
    warn = f.integer("pm_warning_pct", "Warning band", minimum=1, maximum=99)
    values["pm_warning_pct"] = 85 if warn is None else warn
    values["notes"] = f.text("notes", "Notes", max_len=4000)
    if creating:
        lifetime = f.integer("lifetime_shots", "Lifetime shots so far", minimum=0, maximum=MAX_SHOTS)
        values["lifetime_shots"] = lifetime or 0
        since = f.integer("shots_since_pm", "Shots since last PM", minimum=0, maximum=MAX_SHOTS)
        values["shots_since_pm"] = since or 0
        if since and lifetime is not None and since > lifetime:
            f.error("shots_since_pm", "Shots since last PM cannot be more than the lifetime shots.")
    return values


def code_taken(model: type, code: str, exclude_id: int | None = None) -> bool:
    """True if another row of model (at any site) already uses this code."""
    with system_scope():
        other = db.session.scalar(select(model.id).where(func.lower(model.code) == code.lower()))
    return other is not None and other != exclude_id


def list_moulds(search: str = "", status: str | None = None, site_ids: Iterable[int] | None = None,
                sort: str | None = "code", page: int = 1, per_page: int = 25) -> Page:
    """Moulds in scope matching a search over code, name, family, customer and part numbers."""
    stmt = select(Mould, Site.code.label("site_code")).join(Site, Site.id == Mould.site_id)
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(*(func.lower(c).like(like) for c in (Mould.code, Mould.name, Mould.family,
                                                                      Mould.customer, Mould.part_numbers))))
    if status:
        stmt = stmt.where(Mould.status == status)
    if site_ids is not None:
        stmt = stmt.where(Mould.site_id.in_(tuple(site_ids)))
    return paged(stmt, SORTS, sort, page, per_page, tiebreak=Mould.id)


def mould_form_values(mould: Mould) -> dict[str, Any]:
    """A mould's fields as the edit form shows them."""
    return {
        "site_id": mould.site_id, "code": mould.code, "name": mould.name, "family": mould.family,
        "part_numbers": mould.part_numbers, "customer": mould.customer, "cavities": mould.cavities,
        "blocked_cavities": mould.blocked_cavities, "status": mould.status.value,
        "home_location": mould.home_location, "steel": mould.steel, "maker": mould.maker,
        "design_life_shots": mould.design_life_shots, "pm_interval_shots": mould.pm_interval_shots,
        "pm_interval_days": mould.pm_interval_days, "pm_warning_pct": mould.pm_warning_pct, "notes": mould.notes,
        "lifetime_shots": mould.lifetime_shots, "shots_since_pm": mould.shots_since_pm,
    }


def save_mould(user: Any, mould_id: int | None, raw: Mapping[str, Any]) -> Mould:
    """Create (mould_id None) or change a mould; FieldErrors if any field is wrong; commits."""
    authz.require(user, "edit_master")
    mould = None
    if mould_id is not None:
        mould = db.session.get(Mould, int(mould_id))
        if mould is None:
            raise FieldErrors({"code": "This mould no longer exists (or is not at one of your sites)."})
        authz.require(user, "edit_master", mould)
    f = Fields(raw)
    values = mould_values(f, site_choices(user, "edit_master"), creating=mould is None)
    if values["code"] and code_taken(Mould, values["code"], mould.id if mould else None):
        f.error("code", f"A mould with code {values['code']} already exists.")
    if mould is not None and values["status"] == MouldStatus.RETIRED.value and mould.current_press_id:
        f.error("status", f"{mould.code} is mounted on a press: unmount it before retiring it.")
    f.check()
    if mould is None:
        mould = Mould(**values)
        db.session.add(mould)
    else:
        for key, value in values.items():
            setattr(mould, key, value)
    db.session.commit()
    return mould


def delete_mould(user: Any, mould_id: int) -> str:
    """Delete a mould that has no history; DeleteRefused (suggesting retirement) if it has; commits."""
    mould = db.session.get(Mould, int(mould_id))
    if mould is None:
        raise DeleteRefused("This mould no longer exists.")
    authz.require(user, "edit_master", mould)
    logs = db.session.scalar(select(func.count()).where(MaintenanceLog.mould_id == mould.id)) or 0
    reports = db.session.scalar(select(func.count()).where(FailureReport.mould_id == mould.id)) or 0
    if logs or reports:
        raise DeleteRefused(f"{mould.code} has {logs} maintenance logs and {reports} failure reports, which must be "
                            "kept: set its status to Retired instead.")
    if mould.current_press_id:
        raise DeleteRefused(f"{mould.code} is mounted on a press: unmount it first.")
    code = mould.code
    db.session.delete(mould)
    db.session.commit()
    return code
