"""Configuration: read once from the environment; no secret outside demo and tests."""

from __future__ import annotations

import pytest

from config import ConfigError, load_config


def test_production_refuses_to_start_without_secret(tmp_path):
    cfg = load_config(env={"INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        cfg.check_secret()
    from app import create_app

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(cfg)


def test_short_secret_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="too short"):
        load_config(env={"SECRET_KEY": "abc", "INSTANCE_PATH": str(tmp_path)}).check_secret()


def test_demo_generates_and_keeps_a_secret(tmp_path):
    first = load_config(env={"APP_MODE": "demo", "INSTANCE_PATH": str(tmp_path)})
    second = load_config(env={"APP_MODE": "demo", "INSTANCE_PATH": str(tmp_path)})
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_defaults_for_one_machine(tmp_path):
    cfg = load_config(env={"SECRET_KEY": "x" * 40, "INSTANCE_PATH": str(tmp_path)})
    assert cfg.database_url == f"sqlite:///{tmp_path / 'toolmaint.db'}"
    assert cfg.database_owner_url == cfg.database_url
    assert cfg.redis_url == "" and cfg.s3_endpoint == "" and cfg.storage_dir == tmp_path / "storage"
    assert cfg.session_idle_minutes == 30


@pytest.mark.parametrize("env, message", [
    ({"APP_MODE": "staging"}, "APP_MODE must be one of"),
    ({"SESSION_IDLE_MINUTES": "soon"}, "SESSION_IDLE_MINUTES must be a whole number"),
    ({"SESSION_IDLE_MINUTES": "0"}, "at least 1"),
    ({"LOG_LEVEL": "LOUD"}, "not a logging level"),
])
def test_bad_values_say_what_is_wrong(env, message, tmp_path):
    with pytest.raises(ConfigError, match=message):
        load_config(env={"INSTANCE_PATH": str(tmp_path), **env})


def test_dotenv_file_is_read_without_overriding_the_environment(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("SESSION_IDLE_MINUTES=7\nLOG_LEVEL=DEBUG\n")
    monkeypatch.setenv("DOTENV_PATH", str(env_file))
    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    monkeypatch.delenv("SESSION_IDLE_MINUTES", raising=False)
    cfg = load_config()
    assert cfg.session_idle_minutes == 7 and cfg.log_level == "ERROR"
