"""Presses (injection moulding machines), moulds (tools) and which mould was on which press."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Audited, Base, SiteOwned, utcnow
from data.models.enums import MouldStatus, str_enum


class Press(SiteOwned, Audited, Base):
    """An injection moulding machine (IMM) at a site."""

    __tablename__ = "presses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    manufacturer: Mapped[str | None] = mapped_column(String(120))
    model: Mapped[str | None] = mapped_column(String(120))
    serial_number: Mapped[str | None] = mapped_column(String(64))
    tonnage: Mapped[int | None] = mapped_column(Integer)
    opcua_endpoint: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Press {self.code}>"


class Mould(SiteOwned, Audited, Base):
    """A mould (tool): its identity, PM intervals and its shot counters."""

    __tablename__ = "moulds"
    __table_args__ = (
        CheckConstraint("cavities >= 1", name="cavities_positive"),
        CheckConstraint("pm_interval_shots IS NULL OR pm_interval_shots > 0", name="pm_shots_positive"),
        CheckConstraint("pm_interval_days IS NULL OR pm_interval_days > 0", name="pm_days_positive"),
        CheckConstraint("pm_warning_pct > 0 AND pm_warning_pct < 100", name="pm_warning_pct_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    family: Mapped[str] = mapped_column(String(64), default="", index=True)
    part_numbers: Mapped[str] = mapped_column(String(255), default="")
    customer: Mapped[str] = mapped_column(String(120), default="")
    cavities: Mapped[int] = mapped_column(Integer, default=1)
    blocked_cavities: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[MouldStatus] = mapped_column(
        str_enum(MouldStatus, "mould_status"), default=MouldStatus.IN_TOOL_ROOM
    )
    home_location: Mapped[str] = mapped_column(String(120), default="")
    steel: Mapped[str] = mapped_column(String(64), default="")
    maker: Mapped[str] = mapped_column(String(120), default="")
    design_life_shots: Mapped[int | None] = mapped_column(BigInteger)
    pm_interval_shots: Mapped[int | None] = mapped_column(BigInteger)
    pm_interval_days: Mapped[int | None] = mapped_column(Integer)
    pm_warning_pct: Mapped[int] = mapped_column(Integer, default=85)
    lifetime_shots: Mapped[int] = mapped_column(BigInteger, default=0)
    shots_since_pm: Mapped[int] = mapped_column(BigInteger, default=0)
    last_pm_at: Mapped[dt.datetime | None] = mapped_column()
    current_press_id: Mapped[int | None] = mapped_column(ForeignKey("presses.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    current_press: Mapped[Press | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Mould {self.code}>"


class MouldMount(SiteOwned, Audited, Base):
    """One period during which a mould was mounted on a press (open while unmounted_at is null)."""

    __tablename__ = "mould_mounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    mould_id: Mapped[int] = mapped_column(ForeignKey("moulds.id", ondelete="CASCADE"), index=True)
    press_id: Mapped[int] = mapped_column(ForeignKey("presses.id", ondelete="CASCADE"), index=True)
    mounted_at: Mapped[dt.datetime] = mapped_column(index=True)
    unmounted_at: Mapped[dt.datetime | None] = mapped_column()
    source: Mapped[str] = mapped_column(String(16), default="manual")

    mould: Mapped[Mould] = relationship()
    press: Mapped[Press] = relationship()
