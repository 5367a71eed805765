"""Creating users and sites, checking sign-in credentials, and the scope a user works in."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import func, select

from data.authz import allowed_site_ids
from data.db import db
from data.models import Membership, Role, Site, User, utcnow
from data.passwords import check_strength, hash_password, needs_rehash, verify_password
from data.scope import Scope

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class UserError(ValueError):
    """A user could not be created or changed; the message says why."""


def find_user(username: str) -> User | None:
    """The user with this name (case-insensitive), or None."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def create_site(code: str, name: str, timezone: str = "UTC") -> Site:
    """Add a site; codes are unique."""
    code = code.strip()
    if not code or not name.strip():
        raise UserError("A site needs a code and a name.")
    if db.session.scalar(select(Site.id).where(Site.code == code)) is not None:
        raise UserError(f"A site with code {code!r} already exists.")
    site = Site(code=code, name=name.strip(), timezone=timezone)
    db.session.add(site)
    db.session.flush()
    return site


def create_user(
    username: str,
    password: str,
    role: Role | str = Role.TECHNICIAN,
    site_codes: Iterable[str] = (),
    display_name: str = "",
    email: str | None = None,
    enforce_policy: bool = True,
) -> User:
    """Add a user with a hashed password and site memberships (caller commits)."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise UserError(
            "User name must be 2-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    try:
        role = Role(role)
    except ValueError:
        raise UserError(f"Unknown role {role!r}: use one of {', '.join(r.value for r in Role)}.") from None
    if find_user(username) is not None:
        raise UserError(f"User {username!r} already exists.")
    if enforce_policy:
        check_strength(password, username)
    codes = [c.strip() for c in site_codes if c.strip()]
    sites = db.session.scalars(select(Site).where(Site.code.in_(codes))).all() if codes else []
    missing = sorted(set(codes) - {s.code for s in sites})
    if missing:
        raise UserError(f"Unknown site code(s): {', '.join(missing)}.")
    user = User(
        username=username,
        display_name=display_name or username,
        email=email,
        role=role,
        password_hash=hash_password(password),
    )
    user.memberships = [Membership(site_id=s.id) for s in sites]
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user whose name and password match, else None (same cost either way)."""
    user = find_user(username or "")
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def scope_for(user: User) -> Scope:
    """The data scope for a signed-in user: admins see all sites, others their memberships."""
    sites = allowed_site_ids(user)
    if sites is None:
        return Scope(all_sites=True, user_id=user.id)
    return Scope.for_sites(sites, user_id=user.id)


def visible_sites() -> list[Site]:
    """Sites in the current scope, by code (the site switcher's choices)."""
    return list(db.session.scalars(select(Site).order_by(Site.code)))
