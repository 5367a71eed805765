#!/usr/bin/env bash
# `make demo`: migrate, seed demo data on the first run, and serve the app with its in-process worker;
# next to it a simulated plant (EUROMAP 77 presses over OPC UA, sensors over MQTT), the OPC UA poller and
# the MQTT listener, so the North Plant's shot counters move. All of them stop when the app stops.
set -euo pipefail
cd "$(dirname "$0")/.."
export APP_MODE=demo
PORT="${PORT:-8050}"
BIN=.venv/bin
INSTANCE="${INSTANCE_PATH:-instance}"
LOGS="$INSTANCE/logs"
mkdir -p "$LOGS"

$BIN/flask --app app db upgrade
$BIN/flask --app app seed-demo

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { $BIN/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

PIDS=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# The simulator's OPC UA server: 4840 (the OPC UA port) unless something else listens there.
OPCUA_PORT="${OPCUA_PORT:-4840}"
if port_open "$OPCUA_PORT"; then OPCUA_PORT=$(free_port); fi

# Sensor data needs an MQTT broker: use the one on 127.0.0.1:1883, start Mosquitto if it is installed, else go on
# without sensors.
MQTT_PORT="${MQTT_PORT:-1883}"
MQTT_ARGS=(--mqtt-host 127.0.0.1 --mqtt-port "$MQTT_PORT")
if ! port_open "$MQTT_PORT"; then
  if command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; then
    conf="$INSTANCE/ingest-mosquitto.conf"
    { [ "$(id -u)" -eq 0 ] && echo "user root"; echo "listener $MQTT_PORT 127.0.0.1"; echo "allow_anonymous true"; } > "$conf"
    "$(command -v mosquitto || echo /usr/sbin/mosquitto)" -c "$conf" >"$LOGS/mosquitto.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 20); do port_open "$MQTT_PORT" && break; sleep 0.25; done
  fi
  if ! port_open "$MQTT_PORT"; then
    echo "  No MQTT broker on 127.0.0.1:$MQTT_PORT and Mosquitto could not be started:"
    echo "  the demo runs without live sensor data (install mosquitto to see it)."
    MQTT_ARGS=()
  fi
fi

$BIN/python -m ingest.demo --instance "$INSTANCE" --api-url "http://127.0.0.1:${PORT}" --opcua-port "$OPCUA_PORT" \
  "${MQTT_ARGS[@]}"

$BIN/gunicorn --config deploy/gunicorn.conf.py --bind "127.0.0.1:${PORT}" "app:server" &
WEB=$!
PIDS+=($WEB)
$BIN/python -m ingest.simulator --config "$INSTANCE/ingest/simulator.toml" >"$LOGS/simulator.log" 2>&1 &
PIDS+=($!)
$BIN/python -m ingest.opcua --config "$INSTANCE/ingest/opcua.toml" >"$LOGS/opcua-poller.log" 2>&1 &
PIDS+=($!)
if [ ${#MQTT_ARGS[@]} -gt 0 ]; then
  $BIN/python -m ingest.mqtt --config "$INSTANCE/ingest/mqtt.toml" >"$LOGS/mqtt-listener.log" 2>&1 &
  PIDS+=($!)
fi

cat <<MSG

  Tool Maintenance demo: http://127.0.0.1:${PORT}
  Sign in with any of these accounts, password "demo":
    admin        administrator, all sites
    manager      manager, all sites
    engineer     reliability engineer, all sites
    technician   technician, North Plant (NTH)
    technician2  technician, South Plant (STH)
  Live data: simulated presses on opc.tcp://127.0.0.1:${OPCUA_PORT} (OPC UA poller)$([ ${#MQTT_ARGS[@]} -gt 0 ] && echo ", sensors over MQTT on 127.0.0.1:${MQTT_PORT}")
  Their logs are in $LOGS/; admins see them on Admin > Ingest health.
  Stop with Ctrl-C.

MSG
wait "$WEB"
