"""Action items: create, assign, start, close with a verification note; lists such as "my actions".

Technicians work the actions of their sites that are theirs or nobody's (starting an unassigned
one makes it theirs); managers also assign owners, change titles and due dates, and reopen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from data import authz, events
from data.db import db
from data.maintenance import site_members
from data.models import ActionItem, ActionKind, ActionStatus, Mould, Site, User, utcnow
from data.moulds import load_mould
from data.validation import FieldErrors, Fields, Page, paged, saved_before

WORK = "work_actions"
ASSIGN = "assign_actions"
STATUS_LABELS = {ActionStatus.OPEN.value: "Open", ActionStatus.IN_PROGRESS.value: "In progress",
                 ActionStatus.CLOSED.value: "Closed"}
KIND_LABELS = {ActionKind.CORRECTIVE.value: "Corrective", ActionKind.PREVENTIVE.value: "Preventive"}
Owner = aliased(User)
SORTS = {"due": ActionItem.due_date, "created": ActionItem.created_at, "status": ActionItem.status,
         "title": ActionItem.title, "owner": Owner.display_name, "mould": Mould.code}


def new_action(f: Fields, user: Any, site_id: int, today: dt.date, prefix: str = "") -> ActionItem:
    """An unsaved action item from fields (prefixed, e.g. 'action_' inside a failure report)."""
    title = f.text(f"{prefix}title", "Title", required=True, max_len=200)
    description = f.text(f"{prefix}description", "Description", max_len=4000)
    kind = f.choice(f"{prefix}kind", "Kind", KIND_LABELS, required=False, default=ActionKind.CORRECTIVE.value)
    due = f.date(f"{prefix}due_date", "Due date")
    if due is not None and due < today:
        f.error(f"{prefix}due_date", f"The due date {due:%Y-%m-%d} is in the past.")
    owner_id = _owner(f, f"{prefix}owner_id", user, site_id)
    return ActionItem(site_id=site_id, title=title, description=description, kind=ActionKind(kind or "corrective"),
                      due_date=due, owner_id=owner_id, created_by_id=user.id, status=ActionStatus.OPEN)


def _owner(f: Fields, name: str, user: Any, site_id: int) -> int | None:
    ids = f.ids(name, "Owner")
    if not ids:
        return None
    owner_id = ids[0]
    if owner_id != user.id and not authz.can(user, ASSIGN, site_id):
        f.error(name, "Only managers can give an action to someone else; leave it with yourself or nobody.")
    elif owner_id not in site_members([owner_id], site_id):
        f.error(name, "The owner must be an active user of the mould's site.")
    return owner_id


def create_action(user: Any, raw: dict[str, Any], today: dt.date | None = None) -> tuple[ActionItem, bool]:
    """Create an action item (optionally for a mould); idempotent by client_key; commits."""
    today = today or utcnow().date()
    f = Fields(raw)
    key = f.client_key()
    existing = saved_before(ActionItem, key)
    if existing is not None:
        return existing, False
    mould = None
    site_id = None
    if raw.get("mould_id") not in (None, ""):
        try:
            mould = load_mould(user, WORK, raw.get("mould_id"))
            site_id = mould.site_id
        except FieldErrors as exc:
            f.errors.update(exc.errors)
    else:
        site_id = _site(f, user, raw.get("site_id"))
    if site_id is None:
        f.check()
        raise FieldErrors({"mould_id": "Choose the mould (or the site) the action is for."})
    action = new_action(f, user, site_id, today)
    f.check()
    action.mould_id = mould.id if mould else None
    action.client_key = key
    db.session.add(action)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = saved_before(ActionItem, key)
        if existing is None:
            raise
        return existing, False
    events.publish(events.ACTION_CHANGED, action_id=action.id, site_id=action.site_id, status=action.status.value)
    return action, True


def _site(f: Fields, user: Any, raw_site: Any) -> int | None:
    try:
        site_id = int(raw_site)
    except (TypeError, ValueError):
        return None
    if not authz.can(user, WORK, site_id) or db.session.get(Site, site_id) is None:
        f.error("site_id", "That site is not one of yours.")
        return None
    return site_id


def get_action(action_id: Any) -> ActionItem | None:
    """An action item in scope, or None."""
    try:
        return db.session.get(ActionItem, int(action_id))
    except (TypeError, ValueError):
        return None


def update_action(user: Any, action_id: Any, raw: dict[str, Any], now: dt.datetime | None = None) -> ActionItem:
    """Change status, owner, due date, title or description, or close with a verification note; commits.

    Only the keys present in raw are changed. Replaying the same change is harmless.
    """
    now = now or utcnow()
    action = get_action(action_id)
    if action is None:
        raise FieldErrors({"action": "This action item does not exist or is not at one of your sites."})
    authz.require(user, WORK, action)
    manager = authz.can(user, ASSIGN, action)
    f = Fields(raw)
    if not manager and action.owner_id not in (None, user.id):
        raise FieldErrors({"action": "This action belongs to someone else: ask a manager to reassign it."})
    changes: dict[str, Any] = {}
    if "title" in raw or "description" in raw or "due_date" in raw or "kind" in raw:
        if not manager:
            raise FieldErrors({"title": "Only managers can change an action's title, description, kind or due date."})
        if "title" in raw:
            changes["title"] = f.text("title", "Title", required=True, max_len=200)
        if "description" in raw:
            changes["description"] = f.text("description", "Description", max_len=4000)
        if "kind" in raw:
            changes["kind"] = ActionKind(f.choice("kind", "Kind", KIND_LABELS) or action.kind.value)
        if "due_date" in raw:
            due = f.date("due_date", "Due date")
            if due is not None and due < now.date() and due != action.due_date:
                f.error("due_date", f"The due date {due:%Y-%m-%d} is in the past.")
            changes["due_date"] = due
    if "owner_id" in raw:
        changes["owner_id"] = _owner(f, "owner_id", user, action.site_id)
    status = f.choice("status", "Status", STATUS_LABELS, required=False) if "status" in raw else None
    note = f.text("verification_note", "Verification note", max_len=4000)
    if status == ActionStatus.CLOSED.value and action.status is not ActionStatus.CLOSED:
        if not note:
            f.error("verification_note", "Say how the action was verified before closing it.")
        changes.update(status=ActionStatus.CLOSED, verification_note=note, closed_at=now, closed_by_id=user.id)
    elif status in (ActionStatus.OPEN.value, ActionStatus.IN_PROGRESS.value):
        if action.status is ActionStatus.CLOSED:
            if not manager:
                f.error("status", "Only managers can reopen a closed action.")
            changes.update(closed_at=None, closed_by_id=None)
        changes["status"] = ActionStatus(status)
        if action.owner_id is None and "owner_id" not in changes and status == ActionStatus.IN_PROGRESS.value:
            changes["owner_id"] = user.id  # starting an unassigned action takes it
    f.check()
    changed = False
    for key, value in changes.items():
        if getattr(action, key) != value:
            setattr(action, key, value)
            changed = True
    if changed:
        action.updated_at = now
        db.session.commit()
        events.publish(events.ACTION_CHANGED, action_id=action.id, site_id=action.site_id, status=action.status.value)
    return action


def list_actions(user: Any, mine: bool = False, status: str | None = "active", search: str = "",
                 site_ids: Iterable[int] | None = None, sort: str | None = "due", page: int = 1,
                 per_page: int = 20) -> Page:
    """Action items in scope: (action, owner name, mould code, overdue) rows, filtered and paged."""
    today = utcnow().date()
    overdue = case(((ActionItem.status != ActionStatus.CLOSED) & (ActionItem.due_date < today), True), else_=False)
    stmt = (select(ActionItem, Owner.display_name, Mould.code, overdue.label("overdue"))
            .outerjoin(Owner, Owner.id == ActionItem.owner_id).outerjoin(Mould, Mould.id == ActionItem.mould_id))
    if mine:
        stmt = stmt.where(ActionItem.owner_id == user.id)
    if status == "active":
        stmt = stmt.where(ActionItem.status != ActionStatus.CLOSED)
    elif status == "overdue":
        stmt = stmt.where(ActionItem.status != ActionStatus.CLOSED, ActionItem.due_date < today)
    elif status in STATUS_LABELS:
        stmt = stmt.where(ActionItem.status == status)
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(ActionItem.title).like(like), func.lower(Mould.code).like(like)))
    if site_ids is not None:
        stmt = stmt.where(ActionItem.site_id.in_(tuple(site_ids)))
    return paged(stmt, SORTS, sort, page, per_page, tiebreak=ActionItem.id)
