"""The failure-code catalogue (ISO 14224 style) and failure reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Audited, Base, SiteOwned, utcnow
from data.models.enums import Severity, str_enum
from data.models.equipment import Mould, Press


class FailureCode(Audited, Base):
    """One coded failure: what was seen (mode), how (mechanism), why (cause), where (component)."""

    __tablename__ = "failure_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    mode: Mapped[str] = mapped_column(String(64), index=True)
    mechanism: Mapped[str] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(String(64))
    component: Mapped[str] = mapped_column(String(64))
    default_severity: Mapped[Severity] = mapped_column(str_enum(Severity, "severity"), default=Severity.MEDIUM)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)


class FailureReport(SiteOwned, Audited, Base):
    """A failure seen on a mould, coded from the catalogue."""

    __tablename__ = "failure_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    mould_id: Mapped[int] = mapped_column(ForeignKey("moulds.id", ondelete="RESTRICT"), index=True)
    press_id: Mapped[int | None] = mapped_column(ForeignKey("presses.id", ondelete="SET NULL"))
    failure_code_id: Mapped[int] = mapped_column(ForeignKey("failure_codes.id", ondelete="RESTRICT"), index=True)
    severity: Mapped[Severity] = mapped_column(str_enum(Severity, "severity"))
    cavity: Mapped[str] = mapped_column(String(16), default="")
    occurred_at: Mapped[dt.datetime] = mapped_column(index=True)
    shot_count: Mapped[int | None] = mapped_column(BigInteger)
    downtime_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    repair_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    description: Mapped[str] = mapped_column(Text, default="")
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    mould: Mapped[Mould] = relationship()
    press: Mapped[Press | None] = relationship()
    code: Mapped[FailureCode] = relationship(lazy="joined")
