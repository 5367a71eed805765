"""Settings read once from environment variables (and an optional .env file)."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent
MODES = ("production", "demo", "test")


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message says which and what to do."""


@dataclass(frozen=True)
class Config:
    """Every setting the app, the workers and the ingest processes read."""

    mode: str = "production"
    instance_path: Path = ROOT / "instance"
    database_url: str = ""
    database_owner_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    session_idle_minutes: int = 30
    log_level: str = "INFO"
    storage_dir: Path = ROOT / "instance" / "storage"
    s3_endpoint: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "toolmaint"
    s3_secure: bool = True
    s3_region: str = "us-east-1"
    login_rate_limit: str = "5 per minute"
    max_request_mb: int = 40
    photo_max_mb: int = 20
    photo_max_megapixels: int = 60
    huey_immediate: bool = False
    secure_cookies: bool = False
    trusted_proxies: int = 0
    ingest_database_url: str = ""  # optional role for the ingest API's writes (COPY; see README "Ingest")
    # Notifications, reports, self-checks and backups (workers/tasks_notify, _reports, _selfcheck, _backup)
    base_url: str = "http://127.0.0.1:8050"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: str = "none"
    smtp_timeout: int = 20
    mail_from: str = "Tool Maintenance <toolmaint@localhost>"
    mail_outbox_dir: Path | None = None
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    sms_sender: str = ""
    notify_max_attempts: int = 6
    notify_retry_seconds: int = 60
    escalation_days: int = 3
    digest_time: str = "07:00"
    report_day: str = "mon"
    report_time: str = "06:00"
    report_period_days: int = 7
    report_paper: str = "A4"
    report_processes: int = 1
    report_recipients: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    backup_dir: Path = ROOT / "instance" / "backups"
    backup_keep_days: int = 14
    backup_time: str = "02:30"
    selfcheck_minutes: int = 5
    ingest_stale_minutes: int = 30
    disk_min_free_pct: int = 10
    queue_max_backlog: int = 200
    camera_devices: tuple[str, ...] = ()
    status_token: str = ""

    @property
    def is_postgres(self) -> bool:
        """True when the main database is PostgreSQL."""
        return self.database_url.startswith("postgresql")

    def check_secret(self) -> None:
        """Refuse to serve web sessions without a real SECRET_KEY (outside demo and tests)."""
        if not self.secret_key:
            raise ConfigError(
                "SECRET_KEY is not set. Set it to a long random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
                "or run with APP_MODE=demo for a demo that generates its own."
            )
        if self.mode == "production" and len(self.secret_key) < 32:
            raise ConfigError("SECRET_KEY is too short: use at least 32 random characters.")

    @property
    def demo(self) -> bool:
        """True in demo mode (generated secret, in-process worker, demo data)."""
        return self.mode == "demo"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def _hhmm(name: str, value: str) -> str:
    """A time of day as HH:MM (24 h)."""
    try:
        hour, minute = (int(v) for v in value.strip().split(":"))
    except ValueError:
        raise ConfigError(f"{name} must be a time of day as HH:MM, got {value!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ConfigError(f"{name} must be a time of day as HH:MM, got {value!r}")
    return f"{hour:02d}:{minute:02d}"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _recipients(value: str) -> dict[str, tuple[str, ...]]:
    """REPORT_RECIPIENTS: 'NTH=a@x.com,b@x.com;*=boss@x.com' (site code or * for every site)."""
    out: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        code, sep, addresses = part.partition("=")
        emails = tuple(a.strip() for a in addresses.split(",") if a.strip())
        if not sep or not code.strip() or not emails or any("@" not in a for a in emails):
            raise ConfigError(f"REPORT_RECIPIENTS: write SITE=address,address;*=address, got {part!r}")
        out[code.strip()] = out.get(code.strip(), ()) + emails
    return out


def _worker_settings(env: Mapping[str, str], instance: Path, mode: str) -> dict[str, Any]:
    """Settings of notifications, reports, self-checks and backups, checked."""
    security = env.get("SMTP_SECURITY", "none").strip().lower()
    if security not in ("none", "starttls", "ssl"):
        raise ConfigError(f"SMTP_SECURITY must be none, starttls or ssl, got {security!r}")
    day = env.get("REPORT_DAY", "mon").strip().lower()[:3]
    if day not in WEEKDAYS:
        raise ConfigError(f"REPORT_DAY must be a weekday (mon ... sun), got {env.get('REPORT_DAY')!r}")
    paper = {"a4": "A4", "letter": "Letter"}.get(env.get("REPORT_PAPER", "A4").strip().lower())
    if paper is None:
        raise ConfigError(f"REPORT_PAPER must be A4 or Letter, got {env.get('REPORT_PAPER')!r}")
    outbox = env.get("MAIL_OUTBOX_DIR") or (str(instance / "outbox") if mode == "demo" and
                                            not env.get("SMTP_HOST") else "")
    ints = {name: _int(name.upper(), env.get(name.upper(), str(default))) for name, default in (
        ("smtp_port", 465 if security == "ssl" else 25), ("smtp_timeout", 20), ("notify_max_attempts", 6),
        ("notify_retry_seconds", 60), ("escalation_days", 3), ("report_period_days", 7),
        ("backup_keep_days", 14), ("selfcheck_minutes", 5), ("ingest_stale_minutes", 30),
        ("disk_min_free_pct", 10), ("queue_max_backlog", 200), ("report_processes", min(4, os.cpu_count() or 1)))}
    for name in ("notify_max_attempts", "notify_retry_seconds", "report_period_days", "backup_keep_days",
                 "smtp_timeout", "report_processes"):
        if ints[name] < 1:
            raise ConfigError(f"{name.upper()} must be at least 1")
    if not 1 <= ints["selfcheck_minutes"] <= 59:
        raise ConfigError("SELFCHECK_MINUTES must be between 1 and 59")
    return dict(
        base_url=env.get("BASE_URL", "http://127.0.0.1:8050").rstrip("/"),
        smtp_host=env.get("SMTP_HOST", ""),
        smtp_user=env.get("SMTP_USER", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_security=security,
        mail_from=env.get("MAIL_FROM", "Tool Maintenance <toolmaint@localhost>"),
        mail_outbox_dir=Path(outbox) if outbox else None,
        sms_gateway_url=env.get("SMS_GATEWAY_URL", ""),
        sms_gateway_token=env.get("SMS_GATEWAY_TOKEN", ""),
        sms_sender=env.get("SMS_SENDER", ""),
        digest_time=_hhmm("DIGEST_TIME", env.get("DIGEST_TIME", "07:00")),
        report_day=day,
        report_time=_hhmm("REPORT_TIME", env.get("REPORT_TIME", "06:00")),
        report_paper=paper,
        report_recipients=_recipients(env.get("REPORT_RECIPIENTS", "")),
        backup_dir=Path(env.get("BACKUP_DIR") or instance / "backups"),
        backup_time=_hhmm("BACKUP_TIME", env.get("BACKUP_TIME", "02:30")),
        camera_devices=tuple(d.strip() for d in env.get("CAMERA_DEVICES", "").split(",") if d.strip()),
        status_token=env.get("STATUS_TOKEN", ""),
        **ints,
    )


def _load_dotenv() -> None:
    """Load ROOT/.env (or $DOTENV_PATH) without overriding real environment variables."""
    path = Path(os.environ.get("DOTENV_PATH", ROOT / ".env"))
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def _demo_secret(instance_path: Path) -> str:
    """Return the demo secret kept under instance/, creating it on first use."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_config(overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Build the Config from the environment, then apply overrides (used by tests)."""
    if env is None:
        _load_dotenv()
        env = os.environ
    overrides = dict(overrides or {})
    mode = overrides.get("mode") or env.get("APP_MODE", "production")
    if mode not in MODES:
        raise ConfigError(f"APP_MODE must be one of {', '.join(MODES)}, got {mode!r}")
    instance = Path(overrides.get("instance_path") or env.get("INSTANCE_PATH") or ROOT / "instance")
    default_db = f"sqlite:///{instance / 'toolmaint.db'}"
    cfg = Config(
        mode=mode,
        instance_path=instance,
        database_url=env.get("DATABASE_URL", default_db),
        database_owner_url=env.get("DATABASE_OWNER_URL", ""),
        redis_url=env.get("REDIS_URL", ""),
        secret_key=env.get("SECRET_KEY", ""),
        session_idle_minutes=_int("SESSION_IDLE_MINUTES", env.get("SESSION_IDLE_MINUTES", "30")),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        storage_dir=Path(env.get("STORAGE_DIR") or instance / "storage"),
        s3_endpoint=env.get("S3_ENDPOINT", ""),
        s3_access_key=env.get("S3_ACCESS_KEY", ""),
        s3_secret_key=env.get("S3_SECRET_KEY", ""),
        s3_bucket=env.get("S3_BUCKET", "toolmaint"),
        s3_secure=_bool(env.get("S3_SECURE", "true")),
        s3_region=env.get("S3_REGION", "us-east-1"),
        login_rate_limit=env.get("LOGIN_RATE_LIMIT", "5 per minute"),
        max_request_mb=_int("MAX_REQUEST_MB", env.get("MAX_REQUEST_MB", "40")),
        photo_max_mb=_int("PHOTO_MAX_MB", env.get("PHOTO_MAX_MB", "20")),
        photo_max_megapixels=_int("PHOTO_MAX_MEGAPIXELS", env.get("PHOTO_MAX_MEGAPIXELS", "60")),
        huey_immediate=_bool(env.get("HUEY_IMMEDIATE", "false")),
        secure_cookies=_bool(env.get("SECURE_COOKIES", "false")),
        trusted_proxies=_int("TRUSTED_PROXIES", env.get("TRUSTED_PROXIES", "0")),
        ingest_database_url=env.get("INGEST_DATABASE_URL", ""),
        **_worker_settings(env, instance, mode),
    )
    known = {f.name for f in fields(Config)}
    unknown = set(overrides) - known
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    cfg = replace(cfg, **overrides)
    if not cfg.database_owner_url:
        cfg = replace(cfg, database_owner_url=cfg.database_url)
    if not cfg.secret_key and cfg.mode == "demo":
        cfg = replace(cfg, secret_key=_demo_secret(cfg.instance_path))
    elif not cfg.secret_key and cfg.mode == "test":
        cfg = replace(cfg, secret_key=secrets.token_urlsafe(32))
    if cfg.session_idle_minutes < 1:
        raise ConfigError("SESSION_IDLE_MINUTES must be at least 1")
    if not 1 <= cfg.photo_max_mb < cfg.max_request_mb:
        raise ConfigError(f"PHOTO_MAX_MB must be at least 1 and below MAX_REQUEST_MB ({cfg.max_request_mb})")
    if cfg.photo_max_megapixels < 1:
        raise ConfigError("PHOTO_MAX_MEGAPIXELS must be at least 1")
    if cfg.log_level not in logging.getLevelNamesMapping():
        raise ConfigError(f"LOG_LEVEL {cfg.log_level!r} is not a logging level (DEBUG, INFO, WARNING, ERROR)")
    return cfg


_current: Config | None = None


def get_config() -> Config:
    """Return the process-wide Config, loading it from the environment on first use."""
    global _current
    if _current is None:
        _current = load_config()
    return _current


def set_config(cfg: Config) -> None:
    """Make cfg the process-wide Config (the app factory calls this)."""
    global _current
    _current = cfg
