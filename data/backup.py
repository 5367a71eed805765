"""Backups and restores: pg_dump (custom format) on PostgreSQL, the online-backup API on SQLite.

Each backup `toolmaint-<UTC stamp>.dump` (or `.sqlite3.gz`) gets a manifest beside it (`.json`) with
the schema revision, the row count of every table and a SHA-256 of the main tables' rows, taken from
exactly the data in the file (on PostgreSQL the dump and the fingerprint share one exported snapshot).
A restore compares the restored database with the manifest, so a bad restore is noticed at once.
Backups older than BACKUP_KEEP_DAYS are deleted after each new one (the newest is always kept).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import URL, Connection, make_url

from config import Config, get_config
from data.models import Base, utcnow

logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"^toolmaint-(\d{8}T\d{6}Z)\.(dump|sqlite3\.gz)$")
# Tables whose every row is hashed (the records people enter); the others (raw readings, rollups, the
# audit log, which can hold hundreds of millions of rows) are compared by row count.
MAIN_TABLES = ("sites", "users", "memberships", "presses", "moulds", "mould_mounts", "failure_codes",
               "failure_reports", "maintenance_logs", "maintenance_log_technicians", "checklist_results",
               "parts_used", "action_items", "pm_templates", "pm_template_items", "photos", "reports",
               "service_tokens", "sensors")
PG_TIMEOUT = 6 * 3600


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why."""


@dataclass(frozen=True)
class BackupInfo:
    """One backup file in the backup directory."""

    path: Path
    created_at: dt.datetime
    size: int
    backend: str

    @property
    def manifest_path(self) -> Path:
        """The manifest written beside the backup."""
        return manifest_path(self.path)

    def manifest(self) -> dict | None:
        """The manifest, or None if it is missing or unreadable."""
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return None


@dataclass
class RestoreResult:
    """What a restore did and whether the restored data matches the backup's manifest."""

    target: str
    seconds: float
    verified: bool | None  # None when the backup has no manifest to compare with
    mismatches: list[str] = field(default_factory=list)
    revision: list[str] = field(default_factory=list)


def manifest_path(path: Path) -> Path:
    """`toolmaint-X.dump` -> `toolmaint-X.json`."""
    name = path.name.removesuffix(".gz").removesuffix(".sqlite3").removesuffix(".dump")
    return path.with_name(f"{name}.json")


def backend_of(url: str) -> str:
    """'postgresql' or 'sqlite' for a database URL."""
    name = make_url(url).get_backend_name()
    if name not in ("postgresql", "sqlite"):
        raise BackupError(f"backups support PostgreSQL and SQLite, not {name}")
    return name


# ---------------------------------------------------------------- fingerprints


def _row_bytes(row) -> bytes:
    return json.dumps([None if v is None else str(v) for v in row], ensure_ascii=False).encode()


def fingerprint(conn: Connection, main_tables: tuple[str, ...] = MAIN_TABLES) -> dict[str, dict]:
    """Row count of every model table and a SHA-256 over the ordered rows of the main ones."""
    present = set(inspect(conn).get_table_names())
    out: dict[str, dict] = {}
    for table in Base.metadata.sorted_tables:
        if table.name not in present:
            continue
        count = conn.execute(select(text("count(*)")).select_from(table)).scalar_one()
        entry: dict = {"rows": int(count)}
        if table.name in main_tables:
            digest = hashlib.sha256()
            order = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(select(table).order_by(*order)).yield_per(5000):
                digest.update(_row_bytes(row))
                digest.update(b"\n")
            entry["sha256"] = digest.hexdigest()
        out[table.name] = entry
    return out


def compare(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """Differences between two fingerprints, as sentences (empty when they match)."""
    problems = []
    for table, want in sorted(expected.items()):
        got = actual.get(table)
        if got is None:
            problems.append(f"{table}: missing after restore")
        elif got["rows"] != want["rows"]:
            problems.append(f"{table}: {got['rows']} rows, the backup has {want['rows']}")
        elif "sha256" in want and got.get("sha256") != want["sha256"]:
            problems.append(f"{table}: the rows differ from the backup (checksum)")
    return problems


def _revision(conn: Connection) -> list[str]:
    try:
        return sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except Exception:
        return []


# ---------------------------------------------------------------- PostgreSQL


def _pg_env(url: URL) -> dict[str, str]:
    """libpq environment for a SQLAlchemy URL (the password never appears on a command line)."""
    env = dict(os.environ)
    host = url.host or url.query.get("host")
    for key, value in (("PGHOST", host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[key] = str(value)
    return env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(cmd[0])
    if tool is None:
        raise BackupError(f"{cmd[0]} is not installed (apt-get install postgresql-client)")
    proc = subprocess.run([tool, *cmd[1:]], env=env, capture_output=True, text=True, timeout=PG_TIMEOUT)
    if proc.returncode != 0:
        raise BackupError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")


def _pg_backup(owner_url: str, dest: Path) -> tuple[dict, list[str]]:
    """pg_dump into dest from a snapshot, and the fingerprint and revision of that same snapshot."""
    url = make_url(owner_url)
    engine = create_engine(url.set(drivername="postgresql+psycopg"))
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={dest}"], _pg_env(url))
            prints, revision = fingerprint(conn), _revision(conn)
    finally:
        engine.dispose()
    return prints, revision


def _pg_restore(path: Path, owner_url: str, app_url: str | None) -> None:
    from data.rls import grant_app_role

    url = make_url(owner_url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", f"--dbname={url.database}", str(path)], _pg_env(url))
    app_user = make_url(app_url).username if app_url else None
    if app_user and app_user != url.username:
        engine = create_engine(url.set(drivername="postgresql+psycopg"))
        try:
            with engine.begin() as conn:
                grant_app_role(conn, app_user)  # --no-privileges: give the app role its rights back
        finally:
            engine.dispose()


# ---------------------------------------------------------------- SQLite


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _sqlite_copy(src: Path, dest: Path) -> None:
    """Copy a live SQLite database with the online-backup API (consistent while others write)."""
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    target = sqlite3.connect(dest)
    try:
        with target:
            source.backup(target, pages=4096)
    finally:
        target.close()
        source.close()


def _sqlite_fingerprint(path: Path) -> tuple[dict, list[str]]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return fingerprint(conn), _revision(conn)
    finally:
        engine.dispose()


def _sqlite_backup(db_url: str, dest: Path) -> tuple[dict, list[str]]:
    src = _sqlite_path(db_url)
    if not src.exists():
        raise BackupError(f"the database file {src} does not exist")
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        copy = Path(tmp) / "copy.sqlite3"
        _sqlite_copy(src, copy)
        prints, revision = _sqlite_fingerprint(copy)
        with copy.open("rb") as f_in, gzip.open(dest, "wb", compresslevel=6) as f_out:
            shutil.copyfileobj(f_in, f_out, 1024 * 1024)
    return prints, revision


def _sqlite_restore(path: Path, target_url: str) -> None:
    target = _sqlite_path(target_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        plain = Path(tmp) / "restore.sqlite3"
        try:
            with gzip.open(path, "rb") as f_in, plain.open("wb") as f_out:
                shutil.copyfileobj(f_in, f_out, 1024 * 1024)
        except (OSError, EOFError) as exc:
            raise BackupError(f"{path.name} is not a readable gzip file: {exc}") from exc
        source = sqlite3.connect(plain)
        try:
            ok = source.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            source.close()
            raise BackupError(f"{path.name} does not hold a SQLite database: {exc}") from exc
        if ok != "ok":
            source.close()
            raise BackupError(f"{path.name} is damaged: {ok}")
        dest = sqlite3.connect(target, timeout=60)
        try:
            with dest:
                source.backup(dest)  # replaces the target's pages; other connections see the restored data
        finally:
            dest.close()
            source.close()


# ---------------------------------------------------------------- the public face


def list_backups(cfg: Config | None = None) -> list[BackupInfo]:
    """Backups in BACKUP_DIR, newest first."""
    cfg = cfg or get_config()
    found = []
    if not cfg.backup_dir.is_dir():
        return []
    for path in cfg.backup_dir.iterdir():
        match = NAME_RE.match(path.name)
        if not match or not path.is_file():
            continue
        created = dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        found.append(BackupInfo(path, created, path.stat().st_size,
                                "postgresql" if match.group(2) == "dump" else "sqlite"))
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def prune(cfg: Config | None = None, now: dt.datetime | None = None) -> list[Path]:
    """Delete backups older than BACKUP_KEEP_DAYS (never the newest one); returns what was deleted."""
    cfg = cfg or get_config()
    now = now or utcnow()
    limit = now - dt.timedelta(days=cfg.backup_keep_days)
    deleted = []
    for info in list_backups(cfg)[1:]:
        if info.created_at < limit:
            info.path.unlink(missing_ok=True)
            info.manifest_path.unlink(missing_ok=True)
            deleted.append(info.path)
    if deleted:
        logger.info("Deleted %d backup(s) older than %d days", len(deleted), cfg.backup_keep_days)
    return deleted


def create_backup(cfg: Config | None = None, now: dt.datetime | None = None) -> BackupInfo:
    """Back up the database into BACKUP_DIR with its manifest, then apply the retention."""
    cfg = cfg or get_config()
    now = now or utcnow()
    backend = backend_of(cfg.database_url)
    cfg.backup_dir.mkdir(parents=True, exist_ok=True)
    suffix = "dump" if backend == "postgresql" else "sqlite3.gz"
    final = cfg.backup_dir / f"toolmaint-{now:%Y%m%dT%H%M%SZ}.{suffix}"
    if final.exists():
        raise BackupError(f"{final.name} already exists; wait a second and try again")
    partial = final.with_name(f".{final.name}.partial")
    started = time.perf_counter()
    try:
        if backend == "postgresql":
            prints, revision = _pg_backup(cfg.database_owner_url or cfg.database_url, partial)
        else:
            prints, revision = _sqlite_backup(cfg.database_url, partial)
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    seconds = round(time.perf_counter() - started, 2)
    manifest = {"file": final.name, "backend": backend, "created_at": now.isoformat(), "revision": revision,
                "seconds": seconds, "size": final.stat().st_size, "tables": prints}
    manifest_path(final).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    logger.info("Backup %s written (%.1f MB in %.1f s)", final.name, final.stat().st_size / 1e6, seconds)
    prune(cfg, now)
    return BackupInfo(final, now, final.stat().st_size, backend)


def restore_backup(path: Path, target_url: str | None = None, cfg: Config | None = None) -> RestoreResult:
    """Restore a backup into the configured database (or target_url) and compare it with the manifest.

    On PostgreSQL this runs as the owner (DATABASE_OWNER_URL) in one transaction and grants the app role
    its rights again; on SQLite the file's pages replace the target's. Everything in the target is replaced.
    """
    cfg = cfg or get_config()
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup file {path}")
    owner_url = target_url or cfg.database_owner_url or cfg.database_url
    backend = backend_of(owner_url)
    file_backend = "postgresql" if path.name.endswith(".dump") else "sqlite" if path.name.endswith(".gz") else None
    if file_backend is None:
        raise BackupError(f"{path.name}: expected a .dump (PostgreSQL) or .sqlite3.gz (SQLite) backup")
    if file_backend != backend:
        raise BackupError(f"{path.name} is a {file_backend} backup; the target database is {backend}")
    started = time.perf_counter()
    if backend == "postgresql":
        _pg_restore(path, owner_url, None if target_url else cfg.database_url)
    else:
        _sqlite_restore(path, owner_url)
    engine = create_engine(make_url(owner_url).set(drivername="postgresql+psycopg") if backend == "postgresql"
                           else owner_url)
    try:
        with engine.connect() as conn:
            actual, revision = fingerprint(conn), _revision(conn)
    finally:
        engine.dispose()
    seconds = round(time.perf_counter() - started, 2)
    manifest = BackupInfo(path, utcnow(), path.stat().st_size, backend).manifest()
    target = make_url(owner_url).render_as_string(hide_password=True)
    if manifest is None:
        return RestoreResult(target, seconds, None, [], revision)
    problems = compare(manifest["tables"], actual)
    return RestoreResult(target, seconds, not problems, problems, revision)
