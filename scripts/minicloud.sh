#!/usr/bin/env bash
# Install (once) and start the real OpenStack Zed control plane of the shared minicloud scripts, on loopback,
# for the OpenStack integration suite; print the clouds.yaml to use.
#
# Usage: scripts/minicloud.sh [start|stop|status]      (default: start)
#
# The shared scripts start MariaDB and RabbitMQ themselves; this machine already runs both (scripts/services.sh),
# so a patched copy of the scripts (under /var/lib/minicloud/tooling) reuses the running servers and starts
# only memcached and the OpenStack services the suite needs: Keystone, Glance, Placement, Nova, Neutron,
# Cinder and Octavia (MINICLOUD_GROUPS changes the list). A cold install takes about 5 minutes, a start about 1.
# Each start also makes (once) the users of the keystone-mode tests: scripts/minicloud_identity.py.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
SOURCE="${MINICLOUD_SOURCE:-}"
for candidate in "$SOURCE" "$REPO/../shared/minicloud" /work/shared/minicloud; do
  [ -n "$candidate" ] && [ -f "$candidate/setup.sh" ] && { SOURCE="$candidate"; break; }
done
[ -f "$SOURCE/setup.sh" ] || { echo "minicloud: the shared minicloud scripts were not found" >&2; exit 2; }
TOOLING=/var/lib/minicloud/tooling
GROUPS_WANTED="${MINICLOUD_GROUPS:-infra keystone glance placement nova neutron cinder octavia telemetry}"
STAMP=/var/lib/minicloud/installed

patched_copy() {
  mkdir -p "$TOOLING"
  cp -a "$SOURCE/." "$TOOLING/"
  # reuse the machine's MariaDB and RabbitMQ: start either only when nothing listens on its port
  sed -i \
    -e 's|^  svc mariadb root |  (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null \|\| svc mariadb root |' \
    -e 's|^  svc rabbitmq rabbitmq |  (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null \|\| svc rabbitmq rabbitmq |' \
    -e '/4369/d' \
    "$TOOLING/start.sh"
  # (the epmd line above would record the running RabbitMQ's epmd, for stop.sh to kill)
  # and keep their configuration: the running RabbitMQ has its own node name
  sed -i -e '/99-minicloud.cnf/d' -e '/rabbitmq-env.conf/d' "$TOOLING/setup.sh"
  # start only the groups the suite needs
  sed -i -e "s|^\"\$MC_DIR/start.sh\"\$|\"\$MC_DIR/start.sh\" $GROUPS_WANTED|" "$TOOLING/setup.sh"
}

start() {
  "$REPO/scripts/services.sh" mariadb rabbitmq
  # OpenStack's services keep many connections each (the shared scripts' own MariaDB allows 1000)
  mysql -e "SET GLOBAL max_connections = 1000"
  patched_copy
  if [ -f "$STAMP" ]; then
    "$TOOLING/start.sh" $GROUPS_WANTED
  else
    "$TOOLING/setup.sh"
    touch "$STAMP"
  fi
  # keystone mode's service user and a second project's user (idempotent), with clouds of their own
  PYTHON="$REPO/.venv/bin/python"; [ -x "$PYTHON" ] || PYTHON=python3
  "$PYTHON" "$REPO/scripts/minicloud_identity.py" "$TOOLING/clouds.yaml"
  echo "clouds.yaml: $TOOLING/clouds.yaml (clouds minicloud-admin, minicloud-demo, minicloud-orchestrator," \
       "minicloud-alt)"
}

case "${1:-start}" in
  start) start ;;
  stop) [ -x "$TOOLING/stop.sh" ] && "$TOOLING/stop.sh" ;;
  status) curl -s -o /dev/null -w "keystone: %{http_code}\n" http://127.0.0.1:5000/v3 ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
