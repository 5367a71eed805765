"""Action items: corrective and preventive actions with an owner and a due date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Audited, Base, SiteOwned, utcnow
from data.models.enums import ActionKind, ActionStatus, str_enum
from data.models.sites_users import User


class ActionItem(SiteOwned, Audited, Base):
    """Something someone must do, linked to the report or log it came from."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ActionKind] = mapped_column(str_enum(ActionKind, "action_kind"), default=ActionKind.CORRECTIVE)
    status: Mapped[ActionStatus] = mapped_column(
        str_enum(ActionStatus, "action_status"), default=ActionStatus.OPEN, index=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[dt.date | None] = mapped_column(index=True)
    mould_id: Mapped[int | None] = mapped_column(ForeignKey("moulds.id", ondelete="SET NULL"), index=True)
    failure_report_id: Mapped[int | None] = mapped_column(ForeignKey("failure_reports.id", ondelete="SET NULL"))
    maintenance_log_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_logs.id", ondelete="SET NULL"))
    verification_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column()
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
