"""Condition-monitoring sensors on presses (over MQTT), their readings, hourly rollups and alerts.

MQTT topics: toolmaint/<site code>/<press code>/<sensor key>, payload {"ts", "value", "unit"}
(the listener, ingest/mqtt.py, forwards them to POST /api/v1/sensor-readings; data/sensor_store.py
stores them).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data.models.base import Audited, Base, BigIntPK, SiteOwned, utcnow
from data.models.equipment import Press


class Sensor(SiteOwned, Audited, Base):
    """One measured quantity on a press (mould temperature, cooling-water flow, hydraulic pressure)."""

    __tablename__ = "sensors"
    __table_args__ = (UniqueConstraint("press_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    press_id: Mapped[int] = mapped_column(ForeignKey("presses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120), default="")
    unit: Mapped[str] = mapped_column(String(16), default="")
    low_threshold: Mapped[float | None] = mapped_column(Float)
    high_threshold: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    press: Mapped[Press] = relationship()


class SensorReading(SiteOwned, Base):
    """One raw sensor value; (sensor, ts) is unique so a redelivered MQTT message counts once."""

    __tablename__ = "sensor_readings"
    __table_args__ = (UniqueConstraint("sensor_id", "ts"), Index("ix_sensor_readings_ts", "ts"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id", ondelete="CASCADE"))
    ts: Mapped[dt.datetime] = mapped_column()
    value: Mapped[float] = mapped_column(Float)


class SensorHourly(SiteOwned, Base):
    """Hourly min / mean / max of a sensor (mean = total / n)."""

    __tablename__ = "sensor_hourly"

    sensor_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[dt.datetime] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)


class SensorAlert(SiteOwned, Base):
    """A reading outside a sensor's thresholds (an excursion), with the mould mounted at the time."""

    __tablename__ = "sensor_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id", ondelete="CASCADE"), index=True)
    mould_id: Mapped[int | None] = mapped_column(ForeignKey("moulds.id", ondelete="SET NULL"), index=True)
    ts: Mapped[dt.datetime] = mapped_column(index=True)
    value: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(8))  # "high" or "low"
    threshold: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[dt.datetime | None] = mapped_column()
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column()
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SensorState(SiteOwned, Base):
    """A sensor's latest reading and its open excursion (kept apart from Sensor, which is audited)."""

    __tablename__ = "sensor_state"

    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id", ondelete="CASCADE"), primary_key=True)
    last_ts: Mapped[dt.datetime | None] = mapped_column()
    last_value: Mapped[float | None] = mapped_column(Float)
    last_received_at: Mapped[dt.datetime | None] = mapped_column()
    readings: Mapped[int] = mapped_column(BigInteger, default=0)
    open_alert_id: Mapped[int | None] = mapped_column(ForeignKey("sensor_alerts.id", ondelete="SET NULL"))
