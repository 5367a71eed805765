"""Users and sites (admins): list, create, change, deactivate and delete them."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, or_, select

from data import authz
from data.db import db
from data.models import (
    ActionItem,
    FailureReport,
    MaintenanceLog,
    Membership,
    Mould,
    Photo,
    Press,
    Role,
    Site,
    User,
    maintenance_log_technicians,
)
from data.passwords import WeakPassword, check_strength, hash_password
from data.users import USERNAME_RE
from data.validation import DeleteRefused, FieldErrors, Fields, Page, paged

USERS = "manage_users"
SITES = "manage_sites"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLE_LABELS = {r.value: r.value.title() for r in Role}
USER_SORTS = {"username": User.username, "name": User.display_name, "role": User.role,
              "last_login": User.last_login_at, "created": User.created_at}
SITE_SORTS = {"code": Site.code, "name": Site.name, "timezone": Site.timezone}


def list_users(search: str = "", role: str | None = None, active: bool | None = None, sort: str | None = "username",
               page: int = 1, per_page: int = 25) -> Page:
    """Users matching a search over user name, display name and e-mail."""
    stmt = select(User)
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.username).like(like), func.lower(User.display_name).like(like),
                              func.lower(User.email).like(like)))
    if role:
        stmt = stmt.where(User.role == role)
    if active is not None:
        stmt = stmt.where(User.is_active.is_(active))
    return paged(stmt, USER_SORTS, sort, page, per_page, tiebreak=User.id)


def user_form_values(user: User) -> dict[str, Any]:
    """A user's fields as the edit form shows them (never the password)."""
    return {"username": user.username, "display_name": user.display_name, "email": user.email or "",
            "phone": user.phone or "", "role": user.role.value, "site_ids": sorted(user.site_ids),
            "is_active": user.is_active, "password": ""}


def _other_active_admins(user_id: int | None) -> int:
    return db.session.scalar(select(func.count()).where(User.role == Role.ADMIN, User.is_active.is_(True),
                                                        User.id != (user_id or 0))) or 0


def save_user(actor: Any, user_id: int | None, raw: Mapping[str, Any]) -> User:
    """Create or change a user (role, sites, active, password); FieldErrors per field; commits."""
    authz.require(actor, USERS)
    user = None
    if user_id is not None:
        user = db.session.get(User, int(user_id))
        if user is None:
            raise FieldErrors({"username": "This user no longer exists."})
    f = Fields(raw)
    username = user.username if user else f.text("username", "User name", required=True, max_len=64).lower()
    if user is None and username and not USERNAME_RE.match(username):
        f.error("username", "2-64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or "
                            "digit.")
    elif user is None and username and db.session.scalar(select(User.id).where(func.lower(User.username) == username)):
        f.error("username", f"User {username} already exists.")
    display = f.text("display_name", "Display name", max_len=120) or username
    email = f.text("email", "E-mail", max_len=254) or None
    if email and not EMAIL_RE.match(email):
        f.error("email", "That is not an e-mail address.")
    phone = f.text("phone", "Phone", max_len=32) or None
    if phone and not re.fullmatch(r"\+?[0-9 ()-]{5,32}", phone):
        f.error("phone", "Use digits, spaces and an optional leading +, like +49 170 1234567.")
    role = f.choice("role", "Role", ROLE_LABELS)
    site_ids = f.ids("site_ids", "Sites")
    known = set(db.session.scalars(select(Site.id)))
    if set(site_ids) - known:
        f.error("site_ids", "One of the sites no longer exists.")
    if role and role != Role.ADMIN.value and not site_ids:
        f.error("site_ids", "Choose at least one site: users other than admins see only their sites' data.")
    active = f.boolean("is_active", default=True)
    password = str(raw.get("password") or "")
    if user is None and not password:
        f.error("password", "Set a first password (the user can be told it in person).")
    if password:
        try:
            check_strength(password, username)
        except WeakPassword as exc:
            f.error("password", str(exc))
    if user is not None and user.id == getattr(actor, "id", None):
        if not active:
            f.error("is_active", "You cannot deactivate your own account.")
        if role and role != Role.ADMIN.value:
            f.error("role", "You cannot take away your own admin role.")
    if user is not None and user.role == Role.ADMIN and (role != Role.ADMIN.value or not active) \
            and not _other_active_admins(user.id):
        f.error("role", "This is the last active admin: make someone else admin first.")
    f.check()
    if user is None:
        user = User(username=username, password_hash=hash_password(password))
        db.session.add(user)
    elif password:
        user.password_hash = hash_password(password)
    user.display_name, user.email, user.phone, user.role, user.is_active = display, email, phone, Role(role), active
    current = {m.site_id: m for m in user.memberships}
    wanted = set(site_ids)
    user.memberships = [current.get(sid) or Membership(site_id=sid) for sid in sorted(wanted)]
    db.session.commit()
    return user


def delete_user(actor: Any, user_id: int) -> str:
    """Delete a user who has recorded nothing; DeleteRefused (suggesting to deactivate) otherwise; commits."""
    authz.require(actor, USERS)
    user = db.session.get(User, int(user_id))
    if user is None:
        raise DeleteRefused("This user no longer exists.")
    if user.id == getattr(actor, "id", None):
        raise DeleteRefused("You cannot delete your own account.")
    if user.role == Role.ADMIN and not _other_active_admins(user.id):
        raise DeleteRefused("This is the last active admin.")
    from data.scope import system_scope

    with system_scope():
        used = sum(db.session.scalar(select(func.count()).where(cond)) or 0 for cond in (
            MaintenanceLog.created_by_id == user.id, FailureReport.reported_by_id == user.id,
            ActionItem.owner_id == user.id, ActionItem.created_by_id == user.id, Photo.uploaded_by_id == user.id))
        used += db.session.scalar(select(func.count()).select_from(maintenance_log_technicians).where(
            maintenance_log_technicians.c.user_id == user.id)) or 0
    if used:
        raise DeleteRefused(f"{user.username} appears in {used} records (logs, reports, actions or photos): "
                            "deactivate the account instead, so the history keeps their name.")
    name = user.username
    db.session.delete(user)
    db.session.commit()
    return name


def list_sites(search: str = "", sort: str | None = "code", page: int = 1, per_page: int = 25) -> Page:
    """Sites with their number of moulds and users."""
    moulds = select(Mould.site_id, func.count().label("n")).group_by(Mould.site_id).subquery()
    users = select(Membership.site_id, func.count().label("n")).group_by(Membership.site_id).subquery()
    stmt = (select(Site, func.coalesce(moulds.c.n, 0).label("moulds"), func.coalesce(users.c.n, 0).label("users"))
            .outerjoin(moulds, moulds.c.site_id == Site.id).outerjoin(users, users.c.site_id == Site.id))
    if search:
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Site.code).like(like), func.lower(Site.name).like(like)))
    return paged(stmt, SITE_SORTS, sort, page, per_page, tiebreak=Site.id)


def site_form_values(site: Site) -> dict[str, Any]:
    """A site's fields as the edit form shows them."""
    return {"code": site.code, "name": site.name, "timezone": site.timezone}


def save_site(actor: Any, site_id: int | None, raw: Mapping[str, Any]) -> Site:
    """Create or change a site; FieldErrors per field; commits."""
    authz.require(actor, SITES)
    site = None
    if site_id is not None:
        site = db.session.get(Site, int(site_id))
        if site is None:
            raise FieldErrors({"code": "This site no longer exists."})
    f = Fields(raw)
    code = f.text("code", "Code", required=True, max_len=32)
    name = f.text("name", "Name", required=True, max_len=120)
    tz = f.text("timezone", "Time zone", required=True, max_len=64)
    if tz and tz not in zoneinfo.available_timezones():
        f.error("timezone", f"{tz} is not a time zone name; use one like Europe/Berlin or America/Chicago.")
    if code:
        other = db.session.scalar(select(Site.id).where(func.lower(Site.code) == code.lower()))
        if other is not None and (site is None or other != site.id):
            f.error("code", f"A site with code {code} already exists.")
    f.check()
    if site is None:
        site = Site(code=code, name=name, timezone=tz)
        db.session.add(site)
    else:
        site.code, site.name, site.timezone = code, name, tz
    db.session.commit()
    return site


def delete_site(actor: Any, site_id: int) -> str:
    """Delete an empty site; DeleteRefused while it has moulds, presses or members; commits."""
    authz.require(actor, SITES)
    site = db.session.get(Site, int(site_id))
    if site is None:
        raise DeleteRefused("This site no longer exists.")
    moulds = db.session.scalar(select(func.count()).where(Mould.site_id == site.id)) or 0
    presses = db.session.scalar(select(func.count()).where(Press.site_id == site.id)) or 0
    members = db.session.scalar(select(func.count()).where(Membership.site_id == site.id)) or 0
    if moulds or presses or members:
        raise DeleteRefused(f"{site.code} still has {moulds} moulds, {presses} presses and {members} members: "
                            "move or delete them first.")
    code = site.code
    db.session.delete(site)
    db.session.commit()
    return code


def timezone_options() -> list[str]:
    """Time zone names for the site form."""
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
