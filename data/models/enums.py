"""Fixed vocabularies stored as strings (with CHECK constraints) on both backends."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


class Role(enum.StrEnum):
    """User roles, each including the rights of the ones before it."""

    TECHNICIAN = "technician"
    ENGINEER = "engineer"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in the hierarchy (technician 0 ... admin 3)."""
        return list(Role).index(self)


class MouldStatus(enum.StrEnum):
    """Where a mould is in its life."""

    IN_PRODUCTION = "in_production"
    IN_TOOL_ROOM = "in_tool_room"
    WAITING_FOR_REPAIR = "waiting_for_repair"
    RETIRED = "retired"


class MaintenanceKind(enum.StrEnum):
    """Preventive (planned, resets shots since PM) or corrective (a repair)."""

    PREVENTIVE = "preventive"
    CORRECTIVE = "corrective"


class CheckResult(enum.StrEnum):
    """Outcome of one checklist item."""

    OK = "ok"
    ATTENTION = "attention"
    NOT_OK = "not_ok"


class Severity(enum.StrEnum):
    """Failure severity; high and critical notify people at once."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class ActionStatus(enum.StrEnum):
    """Life of an action item; closing needs a verification note."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class ActionKind(enum.StrEnum):
    """Corrective (fix what happened) or preventive (stop it happening)."""

    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"


class PhotoStatus(enum.StrEnum):
    """Whether a photo's web size and thumbnail have been made."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class JobStatus(enum.StrEnum):
    """State of a background job whose progress a page shows."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def str_enum(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR column type with a CHECK constraint listing the enum's values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
