"""Field-by-field validation of form input, and paged, sorted lists, shared by every form service.

A service reads raw values (strings from a browser, JSON numbers from the offline queue) through a
Fields reader, which collects one message per field; `check()` raises FieldErrors with all of them
so the page can show each message next to its field and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from data.db import db

# Clocks on tablets drift: a time up to this far ahead of the server still counts as "now".
CLOCK_SKEW = dt.timedelta(minutes=10)
CLIENT_KEY_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,60}$")


class FieldErrors(ValueError):
    """Input was refused; `errors` maps each bad field to a message that says why."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class DeleteRefused(ValueError):
    """A record cannot be deleted (it is still used); the message says what to do instead."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Fields:
    """Reads and converts raw form values, collecting a message per bad field."""

    def __init__(self, raw: Mapping[str, Any] | None) -> None:
        self.raw = dict(raw or {})
        self.errors: dict[str, str] = {}

    def error(self, name: str, message: str) -> None:
        """Record a message for a field (the first one wins)."""
        self.errors.setdefault(name, message)

    def check(self) -> None:
        """Raise FieldErrors if any field was refused."""
        if self.errors:
            raise FieldErrors(self.errors)

    def text(self, name: str, label: str, required: bool = False, max_len: int = 255, default: str = "") -> str:
        """A trimmed string."""
        value = self.raw.get(name)
        if _blank(value):
            if required:
                self.error(name, f"{label} is required.")
            return default
        value = str(value).strip()
        if len(value) > max_len:
            self.error(name, f"{label} is too long: at most {max_len} characters (you have {len(value)}).")
        return value

    def integer(self, name: str, label: str, required: bool = False, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        """A whole number (thousands separators allowed)."""
        value = self.raw.get(name)
        if _blank(value):
            if required:
                self.error(name, f"{label} is required.")
            return None
        if isinstance(value, bool):
            self.error(name, f"{label} must be a whole number.")
            return None
        if isinstance(value, float):
            if not value.is_integer():
                self.error(name, f"{label} must be a whole number, not {value:g}.")
                return None
            number = int(value)
        elif isinstance(value, int):
            number = value
        else:
            cleaned = str(value).strip().replace(",", "").replace("_", "").replace(" ", "")
            if not re.fullmatch(r"[+-]?\d+", cleaned):
                self.error(name, f"{label} must be a whole number, not {str(value).strip()!r}.")
                return None
            number = int(cleaned)
        if minimum is not None and number < minimum:
            self.error(name, f"{label} must be at least {minimum:,}.")
        elif maximum is not None and number > maximum:
            self.error(name, f"{label} must be at most {maximum:,}.")
        return number

    def decimal(self, name: str, label: str, required: bool = False, minimum: Decimal | int = 0,
                maximum: Decimal | int | None = None, places: int = 2, default: Decimal | None = None
                ) -> Decimal | None:
        """A decimal number (a comma as decimal mark is accepted)."""
        value = self.raw.get(name)
        if _blank(value):
            if required:
                self.error(name, f"{label} is required.")
            return default
        text = str(value).strip().replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            self.error(name, f"{label} must be a number, not {str(value).strip()!r}.")
            return None
        if not number.is_finite():
            self.error(name, f"{label} must be a number.")
            return None
        if number < Decimal(minimum):
            self.error(name, f"{label} must be at least {minimum}.")
        elif maximum is not None and number > Decimal(maximum):
            self.error(name, f"{label} must be at most {maximum}.")
        return number.quantize(Decimal(1).scaleb(-places))

    def choice(self, name: str, label: str, options: Iterable[str], required: bool = True,
               default: str | None = None) -> str | None:
        """One of a fixed set of values."""
        value = self.raw.get(name)
        allowed = [str(o) for o in options]
        if _blank(value):
            if required:
                self.error(name, f"Choose the {label.lower()}.")
            return default
        if str(value) not in allowed:
            self.error(name, f"{label} must be one of: {', '.join(allowed)}.")
            return None
        return str(value)

    def moment(self, name: str, label: str, now: dt.datetime, required: bool = True,
               not_before: dt.datetime | None = None) -> dt.datetime | None:
        """An ISO date-time (with offset, or taken as UTC), not in the future."""
        value = self.raw.get(name)
        if _blank(value):
            if required:
                self.error(name, f"{label} is required.")
            return None
        try:
            when = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            self.error(name, f"{label} must be a date and time, like 2026-03-01 14:30.")
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        when = when.astimezone(dt.UTC)
        if when > now + CLOCK_SKEW:
            self.error(name, f"{label} is in the future ({when:%Y-%m-%d %H:%M} UTC): enter when it happened.")
        elif not_before is not None and when < not_before:
            self.error(name, f"{label} must not be before {not_before:%Y-%m-%d}.")
        return when

    def date(self, name: str, label: str, required: bool = False) -> dt.date | None:
        """An ISO date (YYYY-MM-DD)."""
        value = self.raw.get(name)
        if _blank(value):
            if required:
                self.error(name, f"{label} is required.")
            return None
        try:
            return dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            self.error(name, f"{label} must be a date like 2026-03-01.")
            return None

    def boolean(self, name: str, default: bool = False) -> bool:
        """A yes/no value (checkbox, switch, 'true'/'false')."""
        value = self.raw.get(name)
        if _blank(value):
            return default
        if isinstance(value, list):  # a Dash checklist with one option
            return bool(value)
        return str(value).strip().lower() in {"1", "true", "yes", "on", "y"}

    def ids(self, name: str, label: str) -> list[int]:
        """A list of record ids."""
        value = self.raw.get(name)
        if _blank(value):
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        out = []
        for v in value:
            try:
                out.append(int(v))
            except (TypeError, ValueError):
                self.error(name, f"{label}: {v!r} is not a valid choice.")
        return out

    def client_key(self, name: str = "client_key") -> str | None:
        """The idempotency key of a submission (set by the browser; optional)."""
        value = self.raw.get(name)
        if _blank(value):
            return None
        value = str(value).strip()
        if not CLIENT_KEY_RE.match(value):
            self.error(name, "The submission key is malformed; reload the page and submit again.")
            return None
        return value


@dataclass(frozen=True)
class Page:
    """One page of a sorted list, with what the pager needs."""

    rows: list
    total: int
    page: int
    pages: int


def paged(stmt: Select, sort_columns: Mapping[str, Any], sort: str | None, page: int | None = 1,
          per_page: int = 25, tiebreak: Any = None) -> Page:
    """Run stmt sorted by a whitelisted column ('name' or '-name' for descending), one page of it."""
    total = int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, int(page or 1)), pages)
    key = (sort or "").lstrip("-")
    column = sort_columns.get(key) or next(iter(sort_columns.values()))
    order = [column.desc() if (sort or "").startswith("-") else column.asc()]
    if tiebreak is not None:
        order.append(tiebreak)
    rows = db.session.execute(stmt.order_by(*order).offset((page - 1) * per_page).limit(per_page)).all()
    return Page(list(rows), total, page, pages)


def saved_before(model: Any, key: str | None) -> Any | None:
    """The record an earlier try of the same submission saved (by its idempotency key), if any."""
    if not key:
        return None
    return db.session.scalar(select(model).where(model.client_key == key))
