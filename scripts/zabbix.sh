#!/usr/bin/env bash
# Install (once) and start a real Zabbix 6.0 server and its JSON-RPC API on loopback, for the Zabbix
# integration suite (tests/integration/zabbix, `make test-zabbix`).
#
# Usage: scripts/zabbix.sh [start|stop|status]      (default: start)
#
# Debian bookworm's own packages (zabbix-server-pgsql, zabbix-frontend-php, php-cli): zabbix_server on
# 127.0.0.1:10051 and the frontend served by `php -S` on 127.0.0.1:$ZBX_WEB_PORT (8080), the API at
# http://127.0.0.1:$ZBX_WEB_PORT/api_jsonrpc.php (user Admin, password zabbix).
#
# The shared spike scripts start and stop a PostgreSQL cluster of their own; this machine already runs one
# on 127.0.0.1:5432 that the test suites use, so a patched copy of the scripts (under $ZBX_HOME/tooling)
# only makes sure it runs (scripts/services.sh) and never stops it; Zabbix keeps its own database
# `zabbix` there. A cold install takes about a minute, a start about a second.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
SOURCE="${ZABBIX_SOURCE:-}"
for candidate in "$SOURCE" "$REPO/../shared/zabbix" /work/shared/zabbix; do
  [ -n "$candidate" ] && [ -f "$candidate/setup.sh" ] && { SOURCE="$candidate"; break; }
done
export ZBX_HOME="${ZBX_HOME:-/var/lib/orchestrator-zabbix}"
export ZBX_WEB_PORT="${ZBX_WEB_PORT:-8080}"
TOOLING="$ZBX_HOME/tooling"
API="http://127.0.0.1:$ZBX_WEB_PORT/api_jsonrpc.php"

patched_copy() {
  [ -f "$SOURCE/setup.sh" ] || { echo "zabbix: the shared Zabbix scripts were not found" >&2; exit 2; }
  mkdir -p "$TOOLING"
  cp -a "$SOURCE/." "$TOOLING/"
  chmod u+w "$TOOLING"/*
  # PostgreSQL: the machine's cluster, started by services.sh when down, never recorded for stop.sh to stop
  sed -i -e "/^if pg_lsclusters/,/^fi\$/c\\\"$REPO/scripts/services.sh\" postgresql" "$TOOLING/start.sh"
  sed -i -e '/^if \[ -f "\$RUN\/postgres.pid" \]/,/^fi$/d' "$TOOLING/stop.sh"
  # the project's own venv has zabbix-utils: no venv of the spike's
  sed -i -e 's/ python3-venv"/"/' -e '/^if \[ ! -x "\$ZBX_HOME\/venv/,/^fi$/d' -e '/ZBX_HOME\/venv/d' \
    "$TOOLING/setup.sh"
}

answers() {
  curl -s --max-time 5 -H 'Content-Type: application/json-rpc' \
    -d '{"jsonrpc":"2.0","method":"apiinfo.version","params":{},"id":1}' "$API"
}

start() {
  "$REPO/scripts/services.sh" postgresql
  patched_copy
  # idempotent: installs the packages and loads the schema only the first time (about 1 s afterwards)
  "$TOOLING/setup.sh"
  # this machine's PostgreSQL runs without autovacuum: without statistics, linking a template to a host
  # takes minutes instead of half a second
  PGPASSWORD="${ZBX_DB_PASS:-zabbix}" PGOPTIONS="-c client_min_messages=error" \
    psql -X -q -h 127.0.0.1 -U zabbix -d zabbix -c "ANALYZE"
  "$TOOLING/start.sh"
  for _ in $(seq 1 50); do answers | grep -q '"result"' && break; sleep 0.2; done
  echo "Zabbix API: $API ($(answers))"
}

case "${1:-start}" in
  start) start ;;
  stop) [ -x "$TOOLING/stop.sh" ] && "$TOOLING/stop.sh" ;;
  status) answers || { echo "zabbix: no API at $API" >&2; exit 1; }; echo ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
