"""Who may do what: the one authorisation helper every page, callback and route calls."""

from __future__ import annotations

from typing import Any, Protocol

from data.models.enums import Role

# The lowest role allowed each action; a role has the rights of every role below it.
ACTIONS: dict[str, Role] = {
    "view": Role.TECHNICIAN,
    "log_maintenance": Role.TECHNICIAN,
    "report_failure": Role.TECHNICIAN,
    "work_actions": Role.TECHNICIAN,
    "analytics": Role.ENGINEER,
    "export": Role.ENGINEER,
    "reports": Role.MANAGER,
    "edit_master": Role.MANAGER,
    "assign_actions": Role.MANAGER,
    "manage_users": Role.ADMIN,
    "manage_sites": Role.ADMIN,
    "edit_catalogue": Role.ADMIN,
    "admin": Role.ADMIN,
}


class Forbidden(PermissionError):
    """The user may not do this; the message is safe to show."""


class Actor(Protocol):
    """What authorisation needs to know about a user (Flask-Login's user or AnonymousUserMixin)."""

    is_authenticated: bool


def role_of(user: Any) -> Role | None:
    """The role of a signed-in, active user; None for anonymous or deactivated users."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not getattr(user, "is_active", False):
        return None
    return Role(user.role)


def allowed_site_ids(user: Any, all_site_ids: frozenset[int] | None = None) -> frozenset[int] | None:
    """Sites the user may see: None means all (admins), else the user's memberships."""
    role = role_of(user)
    if role is None:
        return frozenset()
    if role is Role.ADMIN:
        return None
    return frozenset(user.site_ids)


def _site_of(obj: Any) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, int):
        return obj
    return getattr(obj, "site_id", None)


def can(user: Any, action: str, obj: Any = None) -> bool:
    """True if user may perform action (on obj, a site id or a row with site_id, when given)."""
    try:
        needed = ACTIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None
    role = role_of(user)
    if role is None or role.rank < needed.rank:
        return False
    site_id = _site_of(obj)
    if site_id is None:
        return True
    sites = allowed_site_ids(user)
    return sites is None or site_id in sites


def require(user: Any, action: str, obj: Any = None) -> None:
    """Raise Forbidden unless user may perform action (on obj)."""
    if not can(user, action, obj):
        if role_of(user) is None:
            raise Forbidden("Please sign in.")
        if _site_of(obj) is not None and can(user, action):
            raise Forbidden("That record belongs to a site you do not have access to.")
        raise Forbidden(f"Your role ({role_of(user)}) may not do this ({action.replace('_', ' ')}).")
