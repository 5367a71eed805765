"""PM templates (checklists per mould family) and maintenance logs with their results and parts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Audited, Base, SiteOwned, utcnow
from data.models.enums import CheckResult, MaintenanceKind, str_enum
from data.models.equipment import Mould
from data.models.sites_users import User


class PMTemplate(Audited, Base):
    """The PM checklist used for every mould of one family."""

    __tablename__ = "pm_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    items: Mapped[list[PMTemplateItem]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        order_by="PMTemplateItem.position",
        lazy="selectin",
    )


class PMTemplateItem(Audited, Base):
    """One line of a PM checklist."""

    __tablename__ = "pm_template_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("pm_templates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(255))

    template: Mapped[PMTemplate] = relationship(back_populates="items")


maintenance_log_technicians = Table(
    "maintenance_log_technicians",
    Base.metadata,
    Column("log_id", ForeignKey("maintenance_logs.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True),
)


class MaintenanceLog(SiteOwned, Audited, Base):
    """A preventive or corrective job done on a mould."""

    __tablename__ = "maintenance_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    mould_id: Mapped[int] = mapped_column(ForeignKey("moulds.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[MaintenanceKind] = mapped_column(str_enum(MaintenanceKind, "maintenance_kind"))
    performed_at: Mapped[dt.datetime] = mapped_column(index=True)
    shot_count: Mapped[int | None] = mapped_column(BigInteger)
    labour_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    downtime_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal("0"))
    parts_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    labour_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    work_done: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    mould: Mapped[Mould] = relationship()
    technicians: Mapped[list[User]] = relationship(secondary=maintenance_log_technicians)
    checklist: Mapped[list[ChecklistResult]] = relationship(
        back_populates="log", cascade="all, delete-orphan", order_by="ChecklistResult.position"
    )
    parts: Mapped[list[PartUsed]] = relationship(back_populates="log", cascade="all, delete-orphan")


class ChecklistResult(SiteOwned, Base):
    """The result of one checklist item in a maintenance log."""

    __tablename__ = "checklist_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("maintenance_logs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    item: Mapped[str] = mapped_column(String(255))
    result: Mapped[CheckResult] = mapped_column(str_enum(CheckResult, "check_result"))
    note: Mapped[str] = mapped_column(Text, default="")

    log: Mapped[MaintenanceLog] = relationship(back_populates="checklist")


class PartUsed(SiteOwned, Base):
    """A spare part used in a maintenance log."""

    __tablename__ = "parts_used"

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("maintenance_logs.id", ondelete="CASCADE"), index=True)
    part_number: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("1"))
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))

    log: Mapped[MaintenanceLog] = relationship(back_populates="parts")
