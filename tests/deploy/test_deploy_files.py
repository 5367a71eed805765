"""The deployment files are valid for the tools that will read them (validated with the real tools)."""

from __future__ import annotations

import subprocess
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def run(*cmd: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a command and fail with its output when it fails."""
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_docker_compose_config_is_valid(tmp_path):
    # docker-compose reads .env beside the compose file: validate a copy with a filled-in .env.
    (tmp_path / "docker-compose.yml").write_text((DEPLOY / "docker-compose.yml").read_text())
    (tmp_path / ".env").write_text("SECRET_KEY=x\nOWNER_DB_PASSWORD=a\nAPP_DB_PASSWORD=b\nS3_ACCESS_KEY=c\n"
                                   "S3_SECRET_KEY=d\n")
    out = run("docker-compose", "-f", str(tmp_path / "docker-compose.yml"), "config").stdout
    for service in ("postgres", "redis", "minio", "mosquitto", "web", "worker", "nginx"):
        assert f"  {service}:" in out
    assert "app:server" in out and "python -m workers" not in out  # the worker runs as a list command
    assert "- workers" in out


def test_nginx_config_is_valid(tmp_path):
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-keyout", str(tmp_path / "toolmaint.key"), "-out", str(tmp_path / "toolmaint.crt"))
    site = (DEPLOY / "nginx" / "toolmaint.conf").read_text().replace("/etc/ssl/toolmaint", str(tmp_path))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n")
    run("nginx", "-t", "-q", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path))


def test_prometheus_config_is_valid(tmp_path):
    token = tmp_path / "toolmaint.token"
    token.write_text("tm_example\n")
    conf = (DEPLOY / "prometheus" / "prometheus.yml").read_text().replace("/etc/prometheus/toolmaint.token",
                                                                         str(token))
    (tmp_path / "prometheus.yml").write_text(conf)
    run("promtool", "check", "config", str(tmp_path / "prometheus.yml"))


def test_shell_scripts_parse():
    for script in DEPLOY.glob("*.sh"):
        run("bash", "-n", str(script))


def test_systemd_units_name_real_entry_points():
    for unit in (DEPLOY / "systemd").glob("*.service"):
        text = unit.read_text()
        assert "[Service]" in text and "ExecStart=" in text and "EnvironmentFile=/etc/toolmaint/env" in text
    web = (DEPLOY / "systemd" / "toolmaint-web.service").read_text()
    assert "app:server" in web and "db upgrade" in web
