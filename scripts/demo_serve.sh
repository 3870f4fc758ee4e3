# Sourced by the demos: start `orchestrator serve` in the background on $PORT with its data in $DATA (both
# defaulted), stop it when the demo exits, wait until it answers, and point the openstack client at it.
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
