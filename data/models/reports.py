"""Generated PDF management reviews, kept in object storage and listed for download."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Audited, Base, SiteOwned, utcnow
from data.models.sites_users import Site, User


class Report(SiteOwned, Audited, Base):
    """One site review PDF for a period: where it is stored and who asked for it."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="on_demand")  # "scheduled" or "on_demand"
    period_start: Mapped[dt.date] = mapped_column()
    period_end: Mapped[dt.date] = mapped_column(index=True)
    paper: Mapped[str] = mapped_column(String(8), default="A4")
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    job_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    site: Mapped[Site] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(lazy="joined")
