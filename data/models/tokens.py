"""Service-account tokens for edge processes and scripted exports, scoped to one site."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Audited, Base, SiteOwned, utcnow


class ServiceToken(SiteOwned, Audited, Base):
    """A bearer token (only its SHA-256 is stored) allowed some scopes on one site."""

    __tablename__ = "service_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(120), default="ingest")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()

    @property
    def scope_list(self) -> list[str]:
        """The scopes as a list (ingest, export)."""
        return [s for s in self.scopes.split(",") if s]
