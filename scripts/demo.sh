#!/usr/bin/env bash
# The main job, end to end on the embedded default: start `orchestrator serve`
# (API + worker + the sandbox cloud, SQLite, in-process queue), create the
# three-tier example (templates/web_app_lb.yaml: a network and router, two web
# servers with volumes behind a load balancer with a floating IP, an app and a
# database server) with the unmodified openstack CLI, watching its events;
# show it, its outputs (the load balancer's address) and what it made in the
# sandbox; stop.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/demo_serve.sh
NAME="demo-$(date +%H%M%S)"
openstack stack create -t templates/web_app_lb.yaml "$NAME" --wait
openstack stack show "$NAME" -c stack_name -c stack_status -c creation_time -c updated_time
openstack stack resource list "$NAME"
openstack stack output show "$NAME" --all
# the same objects, as the sandbox cloud shows them to its `demo` project
sandbox() { "$VENV/bin/openstack" --os-cloud sandbox "$@"; }
sandbox server list
sandbox volume list
sandbox loadbalancer list
sandbox floating ip list
