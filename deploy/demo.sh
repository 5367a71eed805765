#!/usr/bin/env bash
# `make demo`: migrate, seed demo data on the first run, and serve the app with its in-process worker.
set -euo pipefail
cd "$(dirname "$0")/.."
export APP_MODE=demo
PORT="${PORT:-8050}"
BIN=.venv/bin

$BIN/flask --app app db upgrade
$BIN/flask --app app seed-demo

cat <<MSG

  Tool Maintenance demo: http://127.0.0.1:${PORT}
  Sign in with any of these accounts, password "demo":
    admin        administrator, all sites
    manager      manager, all sites
    engineer     reliability engineer, all sites
    technician   technician, North Plant (NTH)
    technician2  technician, South Plant (STH)
  Stop with Ctrl-C.

MSG
exec $BIN/gunicorn --config deploy/gunicorn.conf.py --bind "127.0.0.1:${PORT}" "app:server"
