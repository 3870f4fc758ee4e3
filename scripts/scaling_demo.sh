#!/usr/bin/env bash
# The scaling demo, end to end on the embedded default: start `orchestrator
# serve` (API + worker + the sandbox cloud with its alarm evaluator every
# second), create templates/autoscaling.yaml with the unmodified openstack CLI
# (a group of web servers behind a load balancer, CPU alarms, scale-out and
# scale-in policies), raise the CPU load of the group's servers in the sandbox
# and watch the group grow to max_size, then drop the load and watch it shrink
# back to min_size; delete the stack; stop.
set -euo pipefail
cd "$(dirname "$0")/.."
COOLDOWN=${DEMO_COOLDOWN:-3}
# the sandbox evaluates alarms every second (Aodh: every minute)
export ORCHESTRATOR_SANDBOX__ALARM_EVALUATION_SECONDS=1
source scripts/demo_serve.sh
sandbox() { "$VENV/bin/orchestrator" sandbox "$@"; }
size() { openstack stack output show "$NAME" current_size -f value -c output_value; }
watch_size() {  # until the group has $1 members (at most $2 seconds), printing each change
  local want=$1 deadline=$((SECONDS + $2)) last=""
  while [ $SECONDS -lt $deadline ]; do
    now=$(size)
    [ "$now" != "$last" ] && { echo "  $(date +%T)  current_size = $now"; last=$now; }
    [ "$now" = "$want" ] && return 0
    sleep 1
  done
  echo "the group did not reach $want members in $2 s" >&2
  return 1
}

NAME="scaling-$(date +%H%M%S)"
openstack stack create -t templates/autoscaling.yaml "$NAME" --wait \
  --parameter granularity=1 --parameter cooldown="$COOLDOWN"
STACK_ID=$(openstack stack show "$NAME" -f value -c id)
openstack stack resource list "$NAME"

echo "== CPU load 90 % on the group's servers: one more server per cooldown, up to max_size (4)"
sandbox load --url "http://127.0.0.1:$PORT/sandbox" "$STACK_ID" 90
watch_size 4 120
openstack stack output show "$NAME" server_addresses
echo "== CPU load 5 %: one server less per cooldown, down to min_size (1)"
sandbox load --url "http://127.0.0.1:$PORT/sandbox" "$STACK_ID" 5
watch_size 1 120
openstack stack event list "$NAME" --resource scale_out_policy
openstack stack event list "$NAME" --resource scale_in_policy
openstack stack delete --yes --wait "$NAME"
"$VENV/bin/openstack" --os-cloud sandbox server list
