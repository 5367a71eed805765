"""Backups and restores on the real backend: restore into a fresh database, compare counts and checksums."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import secrets
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from data.backup import MAIN_TABLES, BackupError, compare, fingerprint, list_backups, prune, restore_backup
from data.models import ActionItem, FailureCode, FailureReport, Severity, utcnow
from tests.conftest import BACKEND, pg_admin_url


@pytest.fixture
def backups(settings, tmp_path):
    """Backups go to a fresh directory, kept for 14 days."""
    return settings(backup_dir=tmp_path / "backups", backup_keep_days=14)


@pytest.fixture
def filled(ctx, world):
    """Some records of every main kind on top of the world fixture."""
    code = FailureCode(code="FL-1", mode="Flash", mechanism="Wear", cause="Maintenance", component="Parting line",
                       default_severity=Severity.MEDIUM, description="Flash at the parting line — ü")
    ctx.add(code)
    ctx.flush()
    for i in range(30):
        site = "S1" if i % 2 else "S2"
        report = FailureReport(site_id=world["sites"][site], mould_id=world["moulds"][site], failure_code_id=code.id,
                               severity=Severity.HIGH, occurred_at=utcnow() - dt.timedelta(days=i),
                               shot_count=100_000 + i, downtime_hours=Decimal("1.25"), description=f"report {i}")
        ctx.add(report)
        ctx.flush()
        ctx.add(ActionItem(site_id=report.site_id, title=f"Fix {i}", failure_report_id=report.id,
                           due_date=dt.date.today()))
    ctx.commit()
    return world


@pytest.fixture
def fresh_database():
    """An empty database of the test backend, dropped afterwards; yields its URL."""
    tag = secrets.token_hex(4)
    if BACKEND == "postgresql":
        admin = make_url(pg_admin_url())
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        name = f"toolmaint_restore_{tag}"
        with engine.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin.set(database=name).render_as_string(hide_password=False)
        with engine.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
    else:
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp(prefix="toolmaint-restore-"))
        yield f"sqlite:///{folder / f'restore-{tag}.db'}"


def prints_of(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return fingerprint(conn)
    finally:
        engine.dispose()


def test_backup_then_restore_into_a_fresh_database_matches(app, database, filled, backups, fresh_database):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output
    [info] = list_backups(backups)
    assert info.backend == BACKEND and info.path.suffix == (".dump" if BACKEND == "postgresql" else ".gz")
    manifest = info.manifest()
    assert manifest["revision"] == ["0005"] or manifest["revision"]  # the schema revision is recorded
    assert manifest["tables"]["failure_reports"]["rows"] == 30 and "sha256" in manifest["tables"]["moulds"]

    result = runner.invoke(args=["restore", str(info.path), "--database-url", fresh_database, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Verified: row counts and checksums match" in result.output

    # Compare independently of the restore's own check: every table's rows, and the main tables' checksums.
    source, restored = prints_of(database.owner_url), prints_of(fresh_database)
    assert {t: p["rows"] for t, p in restored.items()} == {t: p["rows"] for t, p in source.items()}
    for table in MAIN_TABLES:
        if table in source:
            assert restored[table].get("sha256") == source[table].get("sha256"), table
    assert restored["failure_reports"]["rows"] == 30 and restored["action_items"]["rows"] == 30
    engine = create_engine(fresh_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT description FROM failure_codes")).scalar() == \
            "Flash at the parting line — ü"
    engine.dispose()


def test_restore_over_the_configured_database_brings_data_back(app, database, ctx, filled, backups):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup"]).exit_code == 0
    [info] = list_backups(backups)
    ctx.execute(text("DELETE FROM action_items"))
    ctx.commit()
    assert ctx.scalar(select(ActionItem.id)) is None
    refused = runner.invoke(args=["restore", str(info.path)], input="n\n")
    assert refused.exit_code == 1 and "will be replaced" in refused.output
    assert ctx.scalar(select(ActionItem.id)) is None
    ctx.close()
    result = runner.invoke(args=["restore", str(info.path)], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Verified" in result.output
    assert len(ctx.scalars(select(ActionItem)).all()) == 30
    if BACKEND == "postgresql":
        # The app's role got its rights back, and row-level security still isolates the sites.
        engine = create_engine(database.app_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT set_config('app.site_ids', :s, false)"), {"s": str(filled["sites"]["S1"])})
            assert set(conn.execute(text("SELECT DISTINCT site_id FROM failure_reports")).scalars()) == {
                filled["sites"]["S1"]}
        engine.dispose()


def test_retention_deletes_old_backups_but_keeps_the_newest(app, filled, backups):
    backups.backup_dir.mkdir(parents=True)
    suffix = "dump" if BACKEND == "postgresql" else "sqlite3.gz"
    now = utcnow()
    old = []
    for days in (30, 20, 15):
        stamp = (now - dt.timedelta(days=days)).strftime("%Y%m%dT%H%M%SZ")
        path = backups.backup_dir / f"toolmaint-{stamp}.{suffix}"
        path.write_bytes(b"old")
        path.with_name(f"toolmaint-{stamp}.json").write_text("{}")
        old.append(path)
    (backups.backup_dir / "notes.txt").write_text("not a backup: left alone")
    assert sorted(prune(backups, now)) == old[:2]  # the newest one is kept even when it is old
    assert app.test_cli_runner().invoke(args=["backup"]).exit_code == 0
    names = [b.path.name for b in list_backups(backups)]
    assert len(names) == 1 and old[2].name not in names  # the new backup replaced the last old one
    assert not old[2].with_name(old[2].name.split(".")[0] + ".json").exists()
    assert (backups.backup_dir / "notes.txt").exists()


def test_bad_restores_are_refused_with_a_clear_message(app, filled, backups, tmp_path):
    runner = app.test_cli_runner()
    other = "x.sqlite3.gz" if BACKEND == "postgresql" else "x.dump"
    (tmp_path / other).write_bytes(b"whatever")
    result = runner.invoke(args=["restore", str(tmp_path / other), "--yes"])
    assert result.exit_code == 1 and "backup; the target database is" in result.output
    (tmp_path / "odd.txt").write_text("hello")
    result = runner.invoke(args=["restore", str(tmp_path / "odd.txt"), "--yes"])
    assert result.exit_code == 1 and "expected a .dump (PostgreSQL) or .sqlite3.gz (SQLite)" in result.output
    assert runner.invoke(args=["restore", str(tmp_path / "missing.dump"), "--yes"]).exit_code == 2
    if BACKEND == "sqlite":
        (tmp_path / "junk.sqlite3.gz").write_bytes(gzip.compress(b"this is not a database" * 100))
        with pytest.raises(BackupError, match="does not hold a SQLite database"):
            restore_backup(tmp_path / "junk.sqlite3.gz", f"sqlite:///{tmp_path / 'target.db'}")


def test_a_tampered_manifest_is_reported_as_a_mismatch(app, database, filled, backups, fresh_database):
    assert app.test_cli_runner().invoke(args=["backup"]).exit_code == 0
    [info] = list_backups(backups)
    manifest = info.manifest()
    manifest["tables"]["moulds"]["sha256"] = "0" * 64
    manifest["tables"]["action_items"]["rows"] += 1
    info.manifest_path.write_text(json.dumps(manifest))
    result = app.test_cli_runner().invoke(args=["restore", str(info.path), "--database-url", fresh_database,
                                                "--yes"])
    assert result.exit_code == 1
    assert "MISMATCH action_items: 30 rows, the backup has 31" in result.output
    assert "MISMATCH moulds: the rows differ" in result.output
    assert compare({"t": {"rows": 1}}, {}) == ["t: missing after restore"]


def test_nightly_backup_runs_at_the_configured_utc_time():
    from workers.tasks_backup import nightly_backup

    validate = nightly_backup.task_class().validate_datetime
    assert validate(dt.datetime(2026, 3, 1, 2, 30)) and not validate(dt.datetime(2026, 3, 1, 3, 30))
