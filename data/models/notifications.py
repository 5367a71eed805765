"""The notification outbox (one row per event, recipient and channel) and the PM bands the digest compares with."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.models.base import Base, BigIntPK, SiteOwned, utcnow
from data.models.enums import str_enum


class Channel(enum.StrEnum):
    """How a notification reaches a person."""

    EMAIL = "email"
    SMS = "sms"


class NotificationStatus(enum.StrEnum):
    """Life of an outbox row: pending (waiting or retrying), sending (claimed), sent, failed, cancelled."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Notification(SiteOwned, Base):
    """One message for one recipient on one channel; (event_key, channel, address) is unique, so each
    event is notified once however often it is published."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_key", "channel", "address"),
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(120))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    attachment_key: Mapped[str | None] = mapped_column(String(255))
    attachment_name: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[NotificationStatus] = mapped_column(
        str_enum(NotificationStatus, "notification_status"), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column()
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column()


class PMBandState(SiteOwned, Base):
    """The PM band a mould was in at the last daily digest, so the next digest lists only moulds that moved."""

    __tablename__ = "pm_band_states"

    mould_id: Mapped[int] = mapped_column(ForeignKey("moulds.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[str] = mapped_column(String(10))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
