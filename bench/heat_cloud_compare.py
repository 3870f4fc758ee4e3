"""Ours against real Heat on the same cloud: one template created through each, times and cloud objects compared.

    python bench/heat_cloud_compare.py --cloud minicloud-demo [--template bench/heat_compare_stack.yaml]
        [--parameter image=tiny --parameter flavor=m1.tiny --parameter public_net=public] [--runs 1]

The cloud (of clouds.yaml; ``OS_CLIENT_CONFIG_FILE`` as usual) must offer
Heat's orchestration endpoint.  Ours runs as ``orchestrator serve --cloud
NAME`` acting with the same cloud's credentials.  For each, the stack is
created with the real ``openstack stack create --wait``, the project's
objects are counted by kind (what the stack made), and the stack is deleted.
Printed: create and delete seconds (median of ``--runs``) and the objects
each made; the two sets of objects must match.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import openstack

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.runner import free_port  # noqa: E402

OPENSTACK = str(Path(sys.executable).with_name("openstack"))
ORCHESTRATOR = str(Path(sys.executable).with_name("orchestrator"))
KINDS = {
    "servers": lambda c: c.compute.servers(), "ports": lambda c: c.network.ports(),
    "networks": lambda c: c.network.networks(), "subnets": lambda c: c.network.subnets(),
    "routers": lambda c: c.network.routers(), "floating IPs": lambda c: c.network.ips(),
    "security groups": lambda c: c.network.security_groups(), "volumes": lambda c: c.block_storage.volumes(),
    "load balancers": lambda c: c.load_balancer.load_balancers(), "listeners": lambda c: c.load_balancer.listeners(),
    "pools": lambda c: c.load_balancer.pools(), "health monitors": lambda c: c.load_balancer.health_monitors(),
}


def _counts(connection) -> Counter:
    return Counter({kind: len(list(listing(connection))) for kind, listing in KINDS.items()})


def _cli(cloud: str, *args: str, env: dict | None = None) -> None:
    done = subprocess.run([OPENSTACK, "--os-cloud", cloud, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise SystemExit(f"openstack {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def _run(cloud: str, connection, template: str, parameters: list[str], name: str,
         env: dict | None = None) -> tuple[float, float, Counter]:
    before = _counts(connection)
    options = [item for parameter in parameters for item in ("--parameter", parameter)]
    started = time.perf_counter()
    try:
        _cli(cloud, "stack", "create", "-t", template, *options, name, "--wait", env=env)
    except SystemExit:
        subprocess.run([OPENSTACK, "--os-cloud", cloud, "stack", "delete", name, "--yes", "--wait"],
                       capture_output=True, env={**os.environ, **(env or {})})  # leave the cloud as it was
        raise
    created = time.perf_counter()
    made = _counts(connection) - before
    _cli(cloud, "stack", "delete", name, "--yes", "--wait", env=env)
    deleted = time.perf_counter()
    return created - started, deleted - created, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloud", required=True)
    parser.add_argument("--template", default="bench/heat_compare_stack.yaml")
    parser.add_argument("--parameter", action="append", default=[])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    connection = openstack.connect(cloud=args.cloud)

    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        serve = subprocess.Popen([ORCHESTRATOR, "serve", "--cloud", args.cloud, "--data-dir", data, "--port",
                                  str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not Path(data, "clouds.yaml").exists():
                time.sleep(0.2)
            ours_env = {"OS_CLIENT_CONFIG_FILE": str(Path(data, "clouds.yaml"))}
            results = {"ours": [], "heat": []}
            for run in range(args.runs):
                results["ours"].append(_run("orchestrator", connection, args.template, args.parameter,
                                            f"ours{run}", ours_env))
                results["heat"].append(_run(args.cloud, connection, args.template, args.parameter, f"heat{run}"))
        finally:
            serve.terminate()
            serve.wait(timeout=60)
    for who, runs in results.items():
        create = statistics.median(r[0] for r in runs)
        delete = statistics.median(r[1] for r in runs)
        print(f"{who:5} create {create:6.1f} s  delete {delete:6.1f} s  made {dict(sorted(runs[0][2].items()))}")
    same = results["ours"][0][2] == results["heat"][0][2]
    print("same cloud objects" if same else "DIFFERENT cloud objects")


if __name__ == "__main__":
    main()
