"""Sensor batches into the database: raw series, hourly min/avg/max rollups, excursion alerts.

Sensors are created on their first reading (with the defaults below for the sensors the simulator
and common controllers publish; admins change names and limits on the ingest health page). A
reading outside a sensor's limits opens an alert (SensorAlert, with the mould mounted then) unless
one is open; the alert keeps the excursion's peak value, and the first reading back inside ends
it, so an excursion is one alert, not one per reading. A late reading outside the limits that no
alert covers gets an alert of its own, already ended. The caller publishes SENSOR_ALERT for
result.new_alerts after it commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from data.counters import mould_at
from data.ingest_health import add_counts
from data.models import Press, Sensor, SensorAlert, SensorHourly, SensorReading, SensorState
from data.models.base import utcnow
from data.readings import ItemError, SensorItem, invalid
from data.shot_store import mount_history

# key: (name, unit, low limit, high limit)
DEFAULT_SENSORS: dict[str, tuple[str, str, float | None, float | None]] = {
    "mould_temp": ("Mould temperature", "°C", 40.0, 62.0),
    "cooling_flow": ("Cooling-water flow", "l/min", 9.0, None),
    "hydraulic_pressure": ("Hydraulic pressure", "bar", None, 210.0),
    "oil_temp": ("Hydraulic oil temperature", "°C", None, 60.0),
}

_sr = SensorReading.__table__
_sh = SensorHourly.__table__
_ss = SensorState.__table__


@dataclass
class SensorResult:
    """What a sensor batch did (the API's reply)."""

    received: int
    accepted: int = 0
    duplicates: int = 0
    sensors_created: list[str] = field(default_factory=list)
    new_alerts: list[int] = field(default_factory=list)
    alerts_ended: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON reply."""
        return {"received": self.received, "accepted": self.accepted, "duplicates": self.duplicates,
                "sensors_created": self.sensors_created, "alerts_opened": len(self.new_alerts),
                "alerts_ended": self.alerts_ended}


def limit_breached(value: float, low: float | None, high: float | None) -> tuple[str, float] | None:
    """("high"|"low", limit) when value is outside the limits, else None."""
    if high is not None and value > high:
        return "high", high
    if low is not None and value < low:
        return "low", low
    return None


def _insert(conn):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _sensors(session: Session, site_id: int, items: list[SensorItem]) -> tuple[dict[tuple[str, str], Sensor],
                                                                                  list[str]]:
    """The batch's sensors by (press code, key), created on first sight; unknown presses are refused."""
    codes = sorted({i.press for i in items})
    presses = {p.code: p for p in session.scalars(select(Press).where(Press.site_id == site_id,
                                                                      Press.code.in_(codes)))}
    errors = [ItemError(i.index, "press", "unknown_press",
                        f"unknown press {i.press!r} at this site: add it under Manage, or correct the topic")
              for i in items if i.press not in presses]
    if errors:
        raise invalid(errors, len(items))
    ids = [p.id for p in presses.values()]
    sensors = {(s.press.code, s.key): s for s in session.scalars(select(Sensor).where(Sensor.press_id.in_(ids)))}
    created = []
    for i in items:
        if (i.press, i.sensor) not in sensors:
            name, unit, low, high = DEFAULT_SENSORS.get(i.sensor, (i.sensor.replace("_", " ").capitalize(),
                                                                   i.unit or "", None, None))
            s = Sensor(site_id=site_id, press_id=presses[i.press].id, key=i.sensor, name=name,
                       unit=i.unit or unit, low_threshold=low, high_threshold=high)
            s.press = presses[i.press]
            session.add(s)
            sensors[(i.press, i.sensor)] = s
            created.append(f"{i.press}/{i.sensor}")
    if created:
        session.flush()
    return sensors, created


def ingest_sensors(session: Session, site_id: int, items: list[SensorItem], now: dt.datetime | None = None
                   ) -> SensorResult:
    """Store a validated sensor batch for one site (in the caller's transaction)."""
    now = now or utcnow()
    result = SensorResult(received=len(items))
    if not items:
        return result
    sensors, result.sensors_created = _sensors(session, site_id, items)
    conn = session.connection()
    insert = _insert(conn)
    by_sensor: dict[int, dict[float, SensorItem]] = defaultdict(dict)
    for i in items:
        slot = by_sensor[sensors[(i.press, i.sensor)].id]
        if i.t in slot:
            result.duplicates += 1
        else:
            slot[i.t] = i
    ids = sorted(by_sensor)
    conn.execute(insert(_ss).on_conflict_do_nothing(),
                 [{"sensor_id": s, "site_id": site_id, "readings": 0} for s in ids])
    states = {row.sensor_id: row for row in conn.execute(
        select(_ss).where(_ss.c.sensor_id.in_(ids)).order_by(_ss.c.sensor_id).with_for_update())}
    rows = [{"sensor_id": sid, "site_id": site_id, "ts": i.ts, "value": i.value}
            for sid in ids for i in sorted(by_sensor[sid].values(), key=lambda x: x.t)]
    stored = conn.execute(insert(_sr).on_conflict_do_nothing(index_elements=["sensor_id", "ts"])
                          .returning(_sr.c.sensor_id, _sr.c.ts), rows).all()
    new = defaultdict(list)
    for sid, ts in stored:
        i = by_sensor[sid][ts.timestamp()]
        new[sid].append(i)
    result.accepted = sum(len(v) for v in new.values())
    result.duplicates += len(rows) - result.accepted
    _rollup(conn, site_id, new)
    sensor_by_id = {s.id: s for s in sensors.values()}
    press_ids = {sensor_by_id[sid].press_id for sid in new}
    history = mount_history(conn, press_ids, min(i.ts for v in new.values() for i in v)) if new else {}
    updates = []
    for sid in sorted(new):
        sensor, state = sensor_by_id[sid], states[sid]
        readings = sorted(new[sid], key=lambda x: x.t)
        open_id = _alerts(session, sensor, state, readings, history.get(sensor.press_id, []), result)
        newest = readings[-1]
        later = state.last_ts is None or newest.ts > state.last_ts
        updates.append({"sid": sid, "ts": newest.ts if later else state.last_ts,
                        "v": newest.value if later else state.last_value, "r": now, "n": len(readings),
                        "a": open_id})
    if updates:
        conn.execute(_ss.update().where(_ss.c.sensor_id == bindparam("sid")).values(
            last_ts=bindparam("ts"), last_value=bindparam("v"), last_received_at=bindparam("r"),
            readings=_ss.c.readings + bindparam("n"), open_alert_id=bindparam("a")), updates)
    add_counts(conn, site_id, "sensors", {("accepted", ""): result.accepted, ("duplicate", ""): result.duplicates},
               now)
    return result


def _rollup(conn, site_id: int, new: dict[int, list[SensorItem]]) -> None:
    """Upsert hourly n / total / min / max for the new readings."""
    acc: dict[tuple[int, int], list[float]] = {}
    for sid, readings in new.items():
        for i in readings:
            key = (sid, int(i.t // 3600))
            a = acc.get(key)
            if a is None:
                acc[key] = [1, i.value, i.value, i.value]
            else:
                a[0] += 1
                a[1] += i.value
                a[2] = min(a[2], i.value)
                a[3] = max(a[3], i.value)
    if not acc:
        return
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    least, greatest = (func.least, func.greatest) if conn.dialect.name == "postgresql" else (func.min, func.max)
    stmt = _insert(conn)(_sh)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[_sh.c.sensor_id, _sh.c.bucket],
        set_={"n": _sh.c.n + stmt.excluded.n, "total": _sh.c.total + stmt.excluded.total,
              "min": least(_sh.c.min, stmt.excluded.min), "max": greatest(_sh.c.max, stmt.excluded.max)}),
        [{"sensor_id": sid, "site_id": site_id, "bucket": epoch + dt.timedelta(hours=h), "n": n, "total": total,
          "min": lo, "max": hi} for (sid, h), (n, total, lo, hi) in sorted(acc.items())])


def _alerts(session: Session, sensor: Sensor, state, readings: list[SensorItem], mounts, result: SensorResult
            ) -> int | None:
    """Open and end excursion alerts for a sensor's new readings; returns the alert still open."""
    open_alert = session.get(SensorAlert, state.open_alert_id) if state.open_alert_id else None
    low, high = sensor.low_threshold, sensor.high_threshold
    for i in readings:
        breach = limit_breached(i.value, low, high)
        if state.last_ts is not None and i.ts <= state.last_ts:  # late: only alert if nothing covered it
            if breach and not _covered(session, sensor.id, i.ts):
                _open(session, sensor, i, breach, mounts, result, ended=True)
            continue
        if breach and open_alert is None:
            open_alert = _open(session, sensor, i, breach, mounts, result)
        elif breach and open_alert is not None and _further(i.value, open_alert):
            open_alert.value = i.value  # an alert shows the excursion's peak
        elif not breach and open_alert is not None:
            open_alert.ended_at = i.ts
            result.alerts_ended += 1
            open_alert = None
    session.flush()
    return open_alert.id if open_alert is not None else None


def _open(session: Session, sensor: Sensor, i: SensorItem, breach: tuple[str, float], mounts, result: SensorResult,
          ended: bool = False) -> SensorAlert:
    alert = SensorAlert(site_id=sensor.site_id, sensor_id=sensor.id, mould_id=mould_at(mounts, i.ts), ts=i.ts,
                        value=i.value, kind=breach[0], threshold=breach[1], ended_at=i.ts if ended else None)
    session.add(alert)
    session.flush()
    result.new_alerts.append(alert.id)
    return alert


def _further(value: float, alert: SensorAlert) -> bool:
    return value > alert.value if alert.kind == "high" else value < alert.value


def _covered(session: Session, sensor_id: int, ts: dt.datetime) -> bool:
    return session.scalar(select(func.count()).select_from(SensorAlert).where(
        SensorAlert.sensor_id == sensor_id, SensorAlert.ts <= ts,
        (SensorAlert.ended_at.is_(None)) | (SensorAlert.ended_at >= ts))) > 0


def update_limits(session: Session, sensor_id: int, name: str, low: float | None, high: float | None
                  ) -> dict[str, str]:
    """Change a sensor's name and limits (admins); returns field errors, empty when saved (caller commits)."""
    errors: dict[str, str] = {}
    sensor = session.get(Sensor, sensor_id)
    if sensor is None:
        return {"sensor": "That sensor no longer exists or is not at one of your sites."}
    name = (name or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "Give the sensor a name of 1 to 120 characters."
    if low is not None and high is not None and low >= high:
        errors["low"] = f"The low limit ({low:g}) must be below the high limit ({high:g})."
    if errors:
        return errors
    sensor.name, sensor.low_threshold, sensor.high_threshold = name, low, high
    return {}
