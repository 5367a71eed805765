"""Site isolation: which sites the current user (or job) may read and write.

Every ORM query is filtered by the current scope (an event adds `with_loader_criteria` for
site-owned models), every flush refuses rows outside it, and on PostgreSQL the same scope is
written into per-transaction settings that row-level security policies read, so raw SQL as the
app's role cannot see other sites either.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """The sites visible to the code running now, and who is acting (for the audit log)."""

    site_ids: frozenset[int] = frozenset()
    all_sites: bool = False
    user_id: int | None = None

    def allows(self, site_id: int | None) -> bool:
        """True if rows of site_id may be read or written in this scope."""
        return self.all_sites or (site_id is not None and site_id in self.site_ids)

    def narrowed(self, site_ids: Iterable[int] | None) -> frozenset[int]:
        """The requested site ids that this scope allows (all allowed sites when None)."""
        if site_ids is None:
            return self.site_ids
        wanted = frozenset(int(s) for s in site_ids)
        return wanted if self.all_sites else wanted & self.site_ids

    @classmethod
    def for_sites(cls, site_ids: Iterable[int], user_id: int | None = None) -> "Scope":
        """A scope limited to the given sites."""
        return cls(frozenset(int(s) for s in site_ids), False, user_id)


NO_SITES = Scope()
SYSTEM = Scope(all_sites=True)

_current: contextvars.ContextVar[Scope] = contextvars.ContextVar("site_scope", default=NO_SITES)


class OutOfScope(PermissionError):
    """Code tried to write a row of a site outside the current scope."""


def current_scope() -> Scope:
    """The scope in force; nothing is visible until one is set."""
    return _current.get()


def set_scope(scope: Scope) -> contextvars.Token:
    """Make scope current (pair with reset_scope); prefer the using_scope context manager."""
    return _current.set(scope)


def reset_scope(token: contextvars.Token) -> None:
    """Restore the scope that was current before set_scope returned token."""
    _current.reset(token)


@contextmanager
def using_scope(scope: Scope) -> Iterator[Scope]:
    """Run a block with scope current (the db module re-applies it to an open transaction)."""
    from data import db

    token = _current.set(scope)
    db.apply_scope_to_open_transaction()
    try:
        yield scope
    finally:
        _current.reset(token)
        db.apply_scope_to_open_transaction()


def system_scope() -> contextmanager:
    """All sites: for CLI commands, migrations of data and cross-site background jobs."""
    return using_scope(SYSTEM)
