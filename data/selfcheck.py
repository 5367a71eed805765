"""Self-checks: free disk, database and migration state, the queue, object storage, ingest freshness,
camera devices, backups and notifications. Each returns a Check (ok, warn or fail, with a message
that says what to do); the worker stores the latest results for the admin Status page, and the
detailed readiness endpoint runs them live.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import make_url

from config import ROOT, Config, get_config
from data.db import db
from data.models import (
    CounterState,
    IngestAgent,
    Notification,
    NotificationStatus,
    Press,
    SelfCheckResult,
    Sensor,
    SensorState,
    utcnow,
)
from data.storage import get_storage

logger = logging.getLogger(__name__)

OK, WARN, FAIL = "ok", "warn", "fail"
RANK = {OK: 0, WARN: 1, FAIL: 2}
HEARTBEAT_LATE = 180  # seconds without a consumer heartbeat before the worker counts as down
BACKUP_LATE = dt.timedelta(hours=26)
STORAGE_TIMEOUT = 5  # seconds


@dataclass
class Check:
    """The outcome of one check."""

    name: str
    status: str
    message: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class QueueStats:
    """What the queue reports (gathered by the worker package, which owns the Huey instance)."""

    pending: int
    scheduled: int
    heartbeat_age: float | None  # seconds since the consumer's last heartbeat; None if never seen
    immediate: bool


def worst(checks: Iterable[Check]) -> str:
    """The most severe status among checks (ok when there are none)."""
    return max((c.status for c in checks), key=RANK.__getitem__, default=OK)


def _mb(n: float) -> int:
    return int(n / 1024 / 1024)


def disk_paths(cfg: Config) -> dict[str, Path]:
    """The local paths whose free space matters: database file, storage, instance and backup directories."""
    paths: dict[str, Path] = {"instance": cfg.instance_path, "backups": cfg.backup_dir}
    url = make_url(cfg.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        paths["database"] = Path(url.database).parent
    if not cfg.s3_endpoint:
        paths["storage"] = cfg.storage_dir
    return paths


def _existing(path: Path) -> Path:
    """The path or its nearest existing parent (a directory not made yet still lives on some disk)."""
    path = Path(path).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _postgres_data_dir() -> Path | None:
    """The PostgreSQL data directory when the server is on this machine and tells us (superuser or
    pg_read_all_settings); None otherwise."""
    try:
        with db.engine.connect() as conn:
            value = conn.execute(text("SELECT current_setting('data_directory')")).scalar()
    except Exception:  # not allowed for this role: the server's disk is not visible from here
        return None
    path = Path(value) if value else None
    return path if path is not None and path.exists() else None


def check_disk(cfg: Config | None = None) -> Check:
    """Free space on every disk the app writes to: warn below DISK_MIN_FREE_PCT, fail below half of it."""
    cfg = cfg or get_config()
    paths = disk_paths(cfg)
    if cfg.is_postgres:
        data_dir = _postgres_data_dir()
        if data_dir is not None:
            paths["database"] = data_dir
    details, status, low = {}, OK, []
    for name, path in paths.items():
        usage = shutil.disk_usage(_existing(path))
        pct = usage.free / usage.total * 100 if usage.total else 0.0
        details[name] = {"path": str(path), "free_mb": _mb(usage.free), "total_mb": _mb(usage.total),
                         "free_pct": round(pct, 1)}
        if pct < cfg.disk_min_free_pct / 2:
            status = FAIL
            low.append(f"{name} {pct:.0f}% free")
        elif pct < cfg.disk_min_free_pct:
            status = max(status, WARN, key=RANK.__getitem__)
            low.append(f"{name} {pct:.0f}% free")
    if cfg.is_postgres and "database" not in paths:
        details["database"] = {"note": "the PostgreSQL server's disk is not visible to this role; watch it there"}
    if low:
        return Check("disk", status, f"Low disk space: {', '.join(low)}. Free space or grow the disk "
                                     f"(threshold {cfg.disk_min_free_pct}%).", details)
    smallest = min((d["free_pct"] for d in details.values() if "free_pct" in d), default=100.0)
    return Check("disk", OK, f"Enough free space (lowest {smallest:.0f}% free).", details)


def migration_heads() -> set[str]:
    """The head revision(s) of the migrations shipped with this code."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory(str(ROOT / "migrations")).get_heads())


def check_database() -> Check:
    """The database answers, and its schema is at the migrations' head."""
    started = time.perf_counter()
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
            except Exception:
                current = set()
    except Exception as exc:
        return Check("database", FAIL, f"The database does not answer: {type(exc).__name__}: {exc}".strip()[:500])
    ms = round((time.perf_counter() - started) * 1000, 1)
    heads = migration_heads()
    details = {"latency_ms": ms, "revision": sorted(current), "head": sorted(heads),
               "backend": db.engine.dialect.name}
    if current != heads:
        have = ", ".join(sorted(current)) or "none"
        return Check("database", FAIL, f"The schema is at revision {have} but this code needs "
                                       f"{', '.join(sorted(heads))}: run `flask --app app db upgrade`.", details)
    return Check("database", OK, f"{details['backend']} answers in {ms} ms; schema at {', '.join(sorted(heads))}.",
                 details)


def check_queue(stats: QueueStats, cfg: Config | None = None) -> Check:
    """Tasks waiting, and whether a worker is taking them (its heartbeat)."""
    cfg = cfg or get_config()
    age = None if stats.heartbeat_age is None else round(stats.heartbeat_age, 1)
    details = {"pending": stats.pending, "scheduled": stats.scheduled, "heartbeat_age_s": age,
               "immediate": stats.immediate}
    if stats.immediate:
        return Check("queue", OK, "Tasks run inline (immediate mode).", details)
    if stats.heartbeat_age is None or stats.heartbeat_age > HEARTBEAT_LATE:
        seen = "never" if stats.heartbeat_age is None else f"{stats.heartbeat_age / 60:.0f} min ago"
        return Check("queue", FAIL, f"No worker is running (last heartbeat {seen}); {stats.pending} task(s) wait. "
                                    "Start it: `python -m workers` (or the toolmaint-worker service).", details)
    if stats.pending > cfg.queue_max_backlog:
        return Check("queue", WARN, f"{stats.pending} tasks wait (more than {cfg.queue_max_backlog}): the worker "
                                    "falls behind; add worker threads or find the slow task.", details)
    return Check("queue", OK, f"Worker alive; {stats.pending} task(s) waiting, {stats.scheduled} scheduled.", details)


def check_storage(cfg: Config | None = None) -> Check:
    """Object storage answers (the local directory is writable, or the S3 bucket is reachable)."""
    cfg = cfg or get_config()
    where = f"S3 {cfg.s3_endpoint}/{cfg.s3_bucket}" if cfg.s3_endpoint else f"directory {cfg.storage_dir}"
    started = time.perf_counter()
    # The S3 client retries with backoff; a check must answer promptly, so wait in a helper thread.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storage-ping")
    try:
        pool.submit(get_storage().ping).result(timeout=STORAGE_TIMEOUT)
    except FutureTimeout:
        return Check("storage", FAIL, f"Object storage ({where}) did not answer within {STORAGE_TIMEOUT} s.",
                     {"where": where})
    except Exception as exc:
        return Check("storage", FAIL, f"Object storage ({where}) is not usable: {exc}"[:500], {"where": where})
    finally:
        pool.shutdown(wait=False)
    ms = round((time.perf_counter() - started) * 1000, 1)
    return Check("storage", OK, f"Object storage ({where}) answers in {ms} ms.", {"where": where, "latency_ms": ms})


def _latest(received, ts):
    """When data last arrived: the receive time, or the reading's own time for older rows."""
    return func.max(func.coalesce(received, ts))


def last_readings() -> tuple[dict[int, dt.datetime], dict[int, dt.datetime]]:
    """When each press's counters and each sensor last delivered a reading (from the ingest state tables)."""
    presses = dict(db.session.execute(
        select(CounterState.press_id, _latest(CounterState.last_received_at, CounterState.last_ts))
        .group_by(CounterState.press_id)).all())
    sensors = dict(db.session.execute(
        select(SensorState.sensor_id, _latest(SensorState.last_received_at, SensorState.last_ts))
        .group_by(SensorState.sensor_id)).all())
    return ({k: v for k, v in presses.items() if v is not None}, {k: v for k, v in sensors.items() if v is not None})


def check_ingest(now: dt.datetime | None = None, cfg: Config | None = None) -> Check:
    """Every press and sensor that reports has reported within INGEST_STALE_MINUTES.

    A press counts as reporting when it has an OPC UA endpoint or has ever sent a reading; presses that never
    report (shots counted by hand) are not a fault. Edge processes (OPC UA pollers, MQTT listeners) must
    check in as often.
    """
    cfg = cfg or get_config()
    now = now or utcnow()
    last_press, last_sensor = last_readings()
    limit = dt.timedelta(minutes=cfg.ingest_stale_minutes)
    agents = db.session.execute(select(IngestAgent.name, IngestAgent.kind, IngestAgent.last_seen_at)
                                .order_by(IngestAgent.name)).all()
    quiet_agents = [{"agent": name, "kind": kind, "last": seen.isoformat(),
                     "minutes": int((now - seen).total_seconds() // 60)}
                    for name, kind, seen in agents if seen is not None and now - seen > limit]
    presses = db.session.execute(select(Press.id, Press.code, Press.opcua_endpoint).where(Press.active.is_(True))
                                 .order_by(Press.code)).all()
    sensors = db.session.execute(select(Sensor.id, Sensor.key, Press.code).join(Press, Press.id == Sensor.press_id)
                                 .where(Press.active.is_(True)).order_by(Press.code, Sensor.key)).all()
    stale, silent, fresh = [], [], 0
    for pid, code, endpoint in presses:
        ts = last_press.get(pid)
        if ts is None:
            if endpoint:
                silent.append(code)
        elif now - ts > limit:
            stale.append({"press": code, "last": ts.isoformat(), "minutes": int((now - ts).total_seconds() // 60)})
        else:
            fresh += 1
    stale_sensors = []
    for sid, key, press_code in sensors:
        ts = last_sensor.get(sid)
        if ts is not None and now - ts > limit:
            stale_sensors.append({"press": press_code, "sensor": key, "last": ts.isoformat(),
                                  "minutes": int((now - ts).total_seconds() // 60)})
    details = {"fresh_presses": fresh, "stale_presses": stale, "silent_presses": silent,
               "stale_sensors": stale_sensors, "sensors_reporting": sum(1 for s in sensors if s[0] in last_sensor),
               "edge_processes": len(agents), "quiet_edge_processes": quiet_agents,
               "stale_after_minutes": cfg.ingest_stale_minutes}
    problems = []
    if quiet_agents:
        problems.append(f"{len(quiet_agents)} edge process(es) have not reported for more than "
                        f"{cfg.ingest_stale_minutes} min ({', '.join(a['agent'] for a in quiet_agents[:5])})")
    if stale:
        problems.append(f"{len(stale)} press(es) silent for more than {cfg.ingest_stale_minutes} min "
                        f"({', '.join(s['press'] for s in stale[:5])}{'…' if len(stale) > 5 else ''})")
    if silent:
        problems.append(f"{len(silent)} press(es) with an OPC UA endpoint never sent a reading "
                        f"({', '.join(silent[:5])}{'…' if len(silent) > 5 else ''})")
    if stale_sensors:
        problems.append(f"{len(stale_sensors)} sensor(s) silent for more than {cfg.ingest_stale_minutes} min")
    if problems:
        return Check("ingest", WARN, "; ".join(problems) + ". Check the edge collector and the network.", details)
    if not fresh and not last_sensor and not agents:
        return Check("ingest", OK, "No press or sensor streams data (shots are entered by hand).", details)
    return Check("ingest", OK, f"{fresh} press(es) and {details['sensors_reporting']} sensor(s) reporting.", details)


def check_cameras(cfg: Config | None = None) -> Check:
    """The camera/video devices named in CAMERA_DEVICES exist and can be opened."""
    cfg = cfg or get_config()
    if not cfg.camera_devices:
        return Check("cameras", OK, "No camera devices configured (photos come from the browser).", {})
    missing, details = [], {}
    for device in cfg.camera_devices:
        try:
            mode = os.stat(device).st_mode
        except OSError:
            details[device] = "missing"
            missing.append(f"{device} is missing")
            continue
        if not stat.S_ISCHR(mode):
            details[device] = "not a device"
            missing.append(f"{device} is not a video device")
        elif not os.access(device, os.R_OK):
            details[device] = "no permission"
            missing.append(f"{device} cannot be read (add the service user to the 'video' group)")
        else:
            details[device] = "present"
    if missing:
        return Check("cameras", FAIL, "; ".join(missing) + ".", details)
    return Check("cameras", OK, f"{len(cfg.camera_devices)} camera device(s) present.", details)


def check_backups(now: dt.datetime | None = None, cfg: Config | None = None) -> Check:
    """The newest backup is recent (nightly at BACKUP_TIME)."""
    from data.backup import list_backups

    cfg = cfg or get_config()
    now = now or utcnow()
    backups = list_backups(cfg)
    if not backups:
        return Check("backups", WARN, f"No backup in {cfg.backup_dir} yet. Run `flask --app app backup` or wait "
                                      f"for the nightly one at {cfg.backup_time} UTC.", {"dir": str(cfg.backup_dir)})
    newest = backups[0]
    age = now - newest.created_at
    details = {"dir": str(cfg.backup_dir), "newest": newest.path.name, "size_mb": round(newest.size / 1e6, 1),
               "count": len(backups), "age_hours": round(age.total_seconds() / 3600, 1)}
    if age > 3 * BACKUP_LATE:
        return Check("backups", FAIL, f"The newest backup is {age.days} day(s) old: nightly backups are failing "
                                      "(see the worker log).", details)
    if age > BACKUP_LATE:
        return Check("backups", WARN, f"The newest backup is {details['age_hours']:.0f} h old.", details)
    return Check("backups", OK, f"Newest backup {newest.path.name} ({details['size_mb']} MB), "
                                f"{len(backups)} kept.", details)


def check_notifications(now: dt.datetime | None = None, cfg: Config | None = None) -> Check:
    """E-mail is configured, nothing has failed, and nothing waits for long."""
    from data.messaging import email_configured

    cfg = cfg or get_config()
    now = now or utcnow()
    failed = db.session.scalar(select(func.count()).where(Notification.status == NotificationStatus.FAILED)) or 0
    stuck = db.session.scalar(select(func.count()).where(
        Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING]),
        Notification.created_at < now - dt.timedelta(hours=1))) or 0
    details = {"failed": failed, "waiting_over_1h": stuck, "email": email_configured(cfg),
               "sms": bool(cfg.sms_gateway_url)}
    if not email_configured(cfg):
        return Check("notifications", WARN, "E-mail is not configured: nobody is notified. Set SMTP_HOST "
                                            "(see README, Reports, notifications and backups).", details)
    if failed:
        return Check("notifications", WARN, f"{failed} notification(s) failed: see the list below and retry "
                                            "once the cause is fixed.", details)
    if stuck:
        return Check("notifications", WARN, f"{stuck} notification(s) have waited over an hour (retrying).", details)
    return Check("notifications", OK, "Notifications are being delivered.", details)


def run_checks(queue: QueueStats, now: dt.datetime | None = None) -> list[Check]:
    """Run every check (a check that raises counts as failed, with the error); call in the system scope."""
    now = now or utcnow()
    runners: list[tuple[str, Callable[[], Check]]] = [
        ("disk", check_disk), ("database", check_database), ("queue", lambda: check_queue(queue)),
        ("storage", check_storage), ("ingest", lambda: check_ingest(now)), ("cameras", check_cameras),
        ("backups", lambda: check_backups(now)), ("notifications", lambda: check_notifications(now)),
    ]
    checks = []
    for name, run in runners:
        try:
            checks.append(run())
        except Exception as exc:
            logger.exception("Self-check %s raised", name)
            db.session.rollback()
            checks.append(Check(name, FAIL, f"The check itself failed: {type(exc).__name__}: {exc}"[:500]))
    return checks


def save_results(checks: list[Check], when: dt.datetime | None = None) -> None:
    """Replace the stored results with these (what the Status page shows). Commits."""
    when = when or utcnow()
    db.session.execute(delete(SelfCheckResult))
    db.session.add_all(SelfCheckResult(name=c.name, status=c.status, message=c.message, details=c.details,
                                       checked_at=when) for c in checks)
    db.session.commit()


def stored_results() -> list[SelfCheckResult]:
    """The latest stored results, in check order."""
    order = ["disk", "database", "queue", "storage", "ingest", "cameras", "backups", "notifications"]
    rows = list(db.session.scalars(select(SelfCheckResult)))
    return sorted(rows, key=lambda r: order.index(r.name) if r.name in order else len(order))
