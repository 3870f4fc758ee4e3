#!/usr/bin/env bash
# The main job, end to end on the embedded default: start `orchestrator serve`
# (API + worker, SQLite, in-process queue), create a stack from
# templates/hello.yaml with the unmodified openstack CLI, show it, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
DATA=${DEMO_DATA_DIR:-$(mktemp -d)}
PORT=${DEMO_PORT:-8004}

"$VENV/bin/orchestrator" serve --data-dir "$DATA" --port "$PORT" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -f "$DATA/clouds.yaml" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

export OS_CLIENT_CONFIG_FILE="$DATA/clouds.yaml"
openstack() { "$VENV/bin/openstack" --os-cloud orchestrator "$@"; }
NAME="hello-$(date +%H%M%S)"
openstack stack create -t templates/hello.yaml --parameter greeting=Hi "$NAME" --wait
openstack stack show "$NAME"
openstack stack output show "$NAME" --all
