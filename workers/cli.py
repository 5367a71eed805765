"""Command-line tools for the background jobs: backup, restore, selfcheck, send-test-mail, review."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click
from flask import Flask
from sqlalchemy.engine import make_url

from config import get_config


@click.command("backup")
@click.option("--list", "list_only", is_flag=True, help="List the backups kept instead of making one.")
def backup_command(list_only):
    """Back up the database into BACKUP_DIR (pg_dump custom format, or SQLite's online backup)."""
    from data.backup import BackupError, create_backup, list_backups

    cfg = get_config()
    if list_only:
        backups = list_backups(cfg)
        if not backups:
            click.echo(f"No backups in {cfg.backup_dir}.")
        for b in backups:
            click.echo(f"{b.path}  {b.size / 1e6:8.1f} MB  {b.created_at:%Y-%m-%d %H:%M} UTC")
        return
    try:
        info = create_backup(cfg)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    manifest = info.manifest() or {}
    rows = sum(t["rows"] for t in manifest.get("tables", {}).values())
    click.echo(f"Backup written: {info.path} ({info.size / 1e6:.1f} MB, {rows:,} rows in "
               f"{len(manifest.get('tables', {}))} tables, {manifest.get('seconds', 0):.1f} s). "
               f"Kept for {cfg.backup_keep_days} days.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--database-url", default=None,
              help="Restore into this database instead of the configured one (it is emptied first).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(file, database_url, yes):
    """Restore FILE (a backup) into the database, replacing everything in it, then verify it."""
    from data.backup import BackupError, restore_backup

    cfg = get_config()
    target = make_url(database_url or cfg.database_owner_url or cfg.database_url)
    if not yes:
        click.confirm(f"Every table in {target.render_as_string(hide_password=True)} will be replaced by the "
                      f"contents of {file.name}. Stop the web app and the worker first. Continue?", abort=True)
    try:
        result = restore_backup(file, database_url, cfg)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {file.name} into {result.target} in {result.seconds:.1f} s "
               f"(schema revision {', '.join(result.revision) or 'unknown'}).")
    if result.verified is None:
        click.echo("The backup has no manifest: row counts and checksums were not compared.")
    elif result.verified:
        click.echo("Verified: row counts and checksums match the backup.")
    else:
        for problem in result.mismatches:
            click.echo(f"MISMATCH {problem}", err=True)
        raise click.ClickException("The restored database does not match the backup's manifest.")
    click.echo("If the backup is from an older version, run `flask --app app db upgrade` next.")


@click.command("selfcheck")
def selfcheck_command():
    """Run the self-checks now, store the results, print them; exit 1 if any fails (for cron or monitoring)."""
    from data.selfcheck import FAIL, worst
    from workers.tasks_selfcheck import run_and_store

    checks = run_and_store()
    for c in checks:
        click.echo(f"{c.status.upper():5} {c.name:14} {c.message}")
    if worst(checks) == FAIL:
        sys.exit(1)


@click.command("send-test-mail")
@click.argument("address")
def send_test_mail_command(address):
    """Send a test e-mail to ADDRESS with the configured SMTP settings (or into the outbox directory)."""
    from data.messaging import SendError, send_email

    cfg = get_config()
    try:
        where = send_email(cfg, address, "Tool Maintenance: test message",
                           f"This is a test message from {cfg.base_url}.\nE-mail notifications work.", name="test")
    except SendError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Sent to {address} via {where}.")


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.command("review")
@click.option("--site", "site_code", required=True, help="Site code.")
@click.option("--start", default=None, help="First day (YYYY-MM-DD); default: REPORT_PERIOD_DAYS before --end.")
@click.option("--end", default=None, help="Last day (YYYY-MM-DD); default: yesterday.")
@click.option("--paper", type=click.Choice(["A4", "Letter"]), default=None, help="Default: REPORT_PAPER.")
@click.option("--email", "send", is_flag=True, help="Also e-mail it to the site's subscribers.")
def review_command(site_code, start, end, paper, send):
    """Make a management review PDF for a site now (stored and listed on the Reports page)."""
    from data.reports import ReportError, check_period, default_period, site_by_code
    from data.scope import system_scope
    from workers.tasks_reports import generate_review, send_and_deliver

    cfg = get_config()
    with system_scope():
        site = site_by_code(site_code)
        if site is None:
            raise click.ClickException(f"Unknown site code {site_code!r}.")
        first, last = default_period(site, cfg)
        first, last = _date(start) or first, _date(end) or last
        try:
            check_period(first, last)
            report = generate_review(site.id, first, last, paper or cfg.report_paper,
                                     progress=lambda pct, msg: click.echo(f"{pct:3d}% {msg}"))
        except ReportError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Review #{report.id}: {report.pages} pages, {report.size_bytes / 1e3:.0f} kB, "
               f"stored as {report.storage_key}.")
    if send:
        click.echo(f"Sent to {len(send_and_deliver(report.id))} recipient(s).")


def init_app(server: Flask) -> None:
    """Register the commands on the Flask CLI."""
    for command in (backup_command, restore_command, selfcheck_command, send_test_mail_command, review_command):
        server.cli.add_command(command)
