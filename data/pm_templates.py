"""PM templates (admins): the checklist each mould family gets at preventive maintenance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from data import authz
from data.db import db
from data.models import PMTemplate, PMTemplateItem
from data.validation import DeleteRefused, FieldErrors, Fields, Page, paged

EDIT = "edit_catalogue"
MAX_ITEMS = 60
SORTS = {"family": PMTemplate.family, "name": PMTemplate.name, "created": PMTemplate.created_at}


def list_templates(search: str = "", sort: str | None = "family", page: int = 1, per_page: int = 25) -> Page:
    """Templates with their number of items."""
    count = (select(PMTemplateItem.template_id, func.count().label("n")).group_by(PMTemplateItem.template_id)
             .subquery())
    stmt = select(PMTemplate, func.coalesce(count.c.n, 0).label("items")).outerjoin(
        count, count.c.template_id == PMTemplate.id)
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(func.lower(PMTemplate.family).like(like) | func.lower(PMTemplate.name).like(like))
    return paged(stmt, SORTS | {"items": count.c.n}, sort, page, per_page, tiebreak=PMTemplate.id)


def template_form_values(t: PMTemplate) -> dict[str, Any]:
    """A template as the edit form shows it (items one per line)."""
    return {"family": t.family, "name": t.name, "items": "\n".join(i.text for i in t.items)}


def save_template(user: Any, template_id: int | None, raw: Mapping[str, Any]) -> PMTemplate:
    """Create or change a template; items come one per line; FieldErrors per field; commits."""
    authz.require(user, EDIT)
    row = None
    if template_id is not None:
        row = db.session.get(PMTemplate, int(template_id))
        if row is None:
            raise FieldErrors({"family": "This template no longer exists."})
    f = Fields(raw)
    family = f.text("family", "Mould family", required=True, max_len=64)
    name = f.text("name", "Name", required=True, max_len=120)
    lines = [line.strip(" \t-*•") for line in str(raw.get("items") or "").splitlines()]
    items = [line for line in lines if line]
    if not items:
        f.error("items", "List at least one checklist item, one per line.")
    elif len(items) > MAX_ITEMS:
        f.error("items", f"At most {MAX_ITEMS} items ({len(items)} given).")
    long = [i + 1 for i, text in enumerate(items) if len(text) > 255]
    if long:
        f.error("items", f"Item {long[0]} is longer than 255 characters.")
    dupes = {t for t in items if items.count(t) > 1}
    if dupes:
        f.error("items", f"'{sorted(dupes)[0]}' is listed twice.")
    if family:
        other = db.session.scalar(select(PMTemplate.id).where(func.lower(PMTemplate.family) == family.lower()))
        if other is not None and (row is None or other != row.id):
            f.error("family", f"Family {family} already has a template: edit that one.")
    f.check()
    if row is None:
        row = PMTemplate(family=family, name=name)
        db.session.add(row)
    row.family, row.name = family, name
    current = [i.text for i in row.items]
    if current != items:
        row.items = [PMTemplateItem(position=i, text=text) for i, text in enumerate(items)]
    db.session.commit()
    return row


def delete_template(user: Any, template_id: int) -> str:
    """Delete a template (logs keep the checklist results they recorded); commits."""
    authz.require(user, EDIT)
    row = db.session.get(PMTemplate, int(template_id))
    if row is None:
        raise DeleteRefused("This template no longer exists.")
    family = row.family
    db.session.delete(row)
    db.session.commit()
    return family
