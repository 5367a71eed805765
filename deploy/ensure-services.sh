#!/usr/bin/env bash
# Install (Debian/Ubuntu) and start what the test suite needs, if missing: PostgreSQL, Redis,
# Mosquitto, Chromium + chromedriver, poppler. Idempotent: does nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v mosquitto >/dev/null || need+=(mosquitto)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v pdftotext >/dev/null || need+=(poppler-utils)
# Validators for the files in deploy/ (tests/deploy): nginx -t, docker-compose config, promtool.
command -v nginx >/dev/null || { need+=(nginx); new_nginx=1; }
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v promtool >/dev/null || need+=(prometheus)
command -v openssl >/dev/null || need+=(openssl)
# WeasyPrint renders with Pango; Debian's slim images may lack it.
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing: ${need[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
  # Only the validators are wanted: don't leave new web and monitoring servers running.
  if [ "${new_nginx:-0}" = 1 ]; then $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true; fi
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi

# PostgreSQL
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "Starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# A superuser the tests can reach over TCP: use postgres@127.0.0.1 when trust auth allows it,
# else create a dedicated role with a generated password and remember its URL (git-ignored).
mkdir -p instance
if ! PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
  if [ ! -s instance/test-pg-url ]; then
    pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
    $SUDO -u postgres psql -q -d postgres -c "DO \$\$BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'toolmaint_ci') THEN
        CREATE ROLE toolmaint_ci LOGIN SUPERUSER PASSWORD '$pw';
      ELSE ALTER ROLE toolmaint_ci PASSWORD '$pw'; END IF; END\$\$;"
    echo "postgresql+psycopg://toolmaint_ci:$pw@127.0.0.1:5432/postgres" > instance/test-pg-url
    chmod 600 instance/test-pg-url
  fi
fi

# Redis
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  echo "Starting Redis"
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

# Mosquitto
if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  echo "Starting Mosquitto"
  conf=/etc/mosquitto/mosquitto.conf
  if [ "$(id -u)" -eq 0 ] && ! grep -q '^user root' "$conf"; then
    # Started by hand as root, Mosquitto drops to a user that may not exist in containers.
    conf=$(mktemp /tmp/mosquitto-XXXX.conf); printf 'user root\nlistener 1883 127.0.0.1\nallow_anonymous true\n' > "$conf"
  fi
  $SUDO mosquitto -d -c "$conf"
  for _ in $(seq 20); do (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && break; sleep 0.5; done
fi
echo "Services ready: PostgreSQL, Redis, Mosquitto, Chromium $(chromium --version 2>/dev/null | awk '{print $2}')"
