"""Ingest health: readings accepted and rejected, recent rejections, and the edge processes (agents).

IngestCount and IngestRejection are operational telemetry read by admins and the metrics endpoint,
like the audit log: site_id is informational (0 when the caller had no valid token), not a scope.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, BigIntPK, SiteOwned, utcnow


class IngestCount(Base):
    """How many readings of a stream were accepted, duplicate or rejected (by reason) in an hour."""

    __tablename__ = "ingest_counts"

    hour: Mapped[dt.datetime] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stream: Mapped[str] = mapped_column(String(16), primary_key=True)  # counters | sensors
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)  # accepted | duplicate | rejected
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)  # '' unless rejected
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)  # concurrent writers, other rows
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class IngestRejection(Base):
    """One rejected request or reading, with the message the caller got (the latest few hundred are kept)."""

    __tablename__ = "ingest_rejections"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    site_id: Mapped[int] = mapped_column(Integer, default=0)
    stream: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    token_name: Mapped[str] = mapped_column(String(64), default="")
    items: Mapped[int] = mapped_column(Integer, default=1)
    message: Mapped[str] = mapped_column(Text, default="")


class IngestAgent(SiteOwned, Base):
    """An edge process (OPC UA poller, MQTT listener) as it last reported itself with a batch."""

    __tablename__ = "ingest_agents"
    __table_args__ = (UniqueConstraint("token_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("service_tokens.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="")
    version: Mapped[str] = mapped_column(String(32), default="")
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    spool_depth: Mapped[int] = mapped_column(BigInteger, default=0)
    dead_letters: Mapped[int] = mapped_column(BigInteger, default=0)
    connected: Mapped[int] = mapped_column(Integer, default=0)  # sources (endpoints/brokers) connected now
    sources: Mapped[int] = mapped_column(Integer, default=0)  # sources configured
    detail: Mapped[str] = mapped_column(Text, default="")
