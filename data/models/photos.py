"""Photo metadata; the image files live in the storage layer under storage keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Audited, Base, SiteOwned, utcnow
from data.models.enums import PhotoStatus, str_enum


class Photo(SiteOwned, Audited, Base):
    """A photo attached to a maintenance log or a failure report."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    mould_id: Mapped[int | None] = mapped_column(ForeignKey("moulds.id", ondelete="SET NULL"), index=True)
    maintenance_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("maintenance_logs.id", ondelete="CASCADE"), index=True
    )
    failure_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("failure_reports.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(255))
    web_key: Mapped[str | None] = mapped_column(String(255))
    thumb_key: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64), default="image/jpeg")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[PhotoStatus] = mapped_column(str_enum(PhotoStatus, "photo_status"), default=PhotoStatus.PENDING)
    caption: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
