"""Benchmark: stacks of OpenStack resources on the sandbox cloud, against their critical path.

    python bench/cloud_bench.py [--scenario NAME ...] [--runs 3] [--build 1.0] [--delete 0.5] [--over-http]

The sandbox's servers, volumes and load balancers take ``--build`` seconds to
become ready and ``--delete`` seconds to go, so a stack's least possible time
is the longest chain of such waits in its graph (its critical path); what the
engine adds beyond that is its own cost (bookkeeping, polling back-off, the
client library) plus the sandbox's work: by default the sandbox runs in the
engine's process (its in-process adapter) and shares its interpreter;
``--over-http`` serves it from a process of its own, as a cloud would be.

Scenarios (each in a fresh process with a fresh database and sandbox):

    servers   a network and subnet, then 50 servers on it:        critical path 1 build
    volumes   50 servers, each with a volume attached:            critical path 1 build + attach
    web       templates/web_app_lb.yaml (3 tiers, load balancer):  critical path 6 builds (the LB's
              create, then listener, pool, health monitor and 2 members, one at a time as
              Octavia allows)

Printed: create and delete wall-clock seconds (median of ``--runs``), the
critical path, and create minus the critical path (the overhead).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.runner import ROOT, create_and_delete, free_port, runs_in_children  # noqa: E402

SERVERS = 50
#: the project of the engine's requests when none is given
DEFAULT_PROJECT = "default"


def _network() -> dict:
    return {
        "net": {"type": "OS::Neutron::Net"},
        "subnet": {"type": "OS::Neutron::Subnet",
                   "properties": {"network": {"get_resource": "net"}, "cidr": "10.20.0.0/22"}},
    }


def _server(index: int) -> dict:
    return {"type": "OS::Nova::Server",
            "properties": {"image": "cirros", "flavor": "m1.tiny", "name": f"s{index}",
                           "networks": [{"subnet": {"get_resource": "subnet"}}]}}


def scenario_template(scenario: str) -> tuple[dict | str, int]:
    """The scenario's template and the number of build waits on its critical path."""
    version = "2018-08-31"
    if scenario == "servers":
        resources = {**_network(), **{f"s{i}": _server(i) for i in range(SERVERS)}}
        return {"heat_template_version": version, "resources": resources}, 1
    if scenario == "volumes":
        resources = _network()
        for i in range(SERVERS):
            resources[f"s{i}"] = _server(i)
            resources[f"v{i}"] = {"type": "OS::Cinder::Volume", "properties": {"size": 1}}
            resources[f"a{i}"] = {"type": "OS::Cinder::VolumeAttachment",
                                  "properties": {"instance_uuid": {"get_resource": f"s{i}"},
                                                 "volume_id": {"get_resource": f"v{i}"}}}
        return {"heat_template_version": version, "resources": resources}, 1
    if scenario == "web":
        return (ROOT / "templates" / "web_app_lb.yaml").read_text(), 6
    raise ValueError(scenario)


def _raise_quotas(session, auth_url: str, project_id: str) -> None:
    """As the sandbox's admin: room for the scenarios' servers and volumes (default quotas allow 10)."""
    from orchestrator.clients import connect, password_session

    admin = connect(password_session(auth_url, "admin", "sandbox", "admin", session))
    admin.compute.update_quota_set(project_id, instances=1000, cores=1000, ram=1_000_000)
    admin.block_storage.update_quota_set(project_id, volumes=1000, gigabytes=10_000)
    admin.network.update_quota(project_id, port=1000)
    admin.close()


@contextmanager
def _sandbox_process(folder: str, build: float, delete: float) -> Iterator[str]:
    """``orchestrator sandbox serve`` in a process of its own, as a cloud would be; its root URL."""
    port = free_port()
    environment = {**os.environ, "ORCHESTRATOR_SANDBOX__BUILD_SECONDS": str(build),
                   "ORCHESTRATOR_SANDBOX__DELETE_SECONDS": str(delete)}
    command = [str(Path(sys.executable).parent / "orchestrator"), "sandbox", "serve", "--port", str(port),
               "--data-dir", folder]
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{root}/identity/v3", timeout=1)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.1)
        yield root
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_scenario(scenario: str, build: float, delete: float, over_http: bool) -> dict:
    """Create then delete the scenario's stack once, after a warm-up stack."""
    from orchestrator.clients import http_sandbox_connections, sandbox_connections
    from orchestrator.config import SandboxSettings
    from orchestrator.db.database import Database
    from orchestrator.engine.cloud_constraints import attach_cloud_constraints
    from orchestrator.engine.context import EngineContext, EngineSettings
    from orchestrator.engine.service import Engine
    from orchestrator.sandbox import create_app
    from orchestrator.sandbox.adapter import IN_PROCESS_URL, mount
    from resources.registry import PluginRegistry

    with tempfile.TemporaryDirectory() as folder, ExitStack() as running:
        if over_http:
            root = running.enter_context(_sandbox_process(folder, build, delete))
            connections, session = http_sandbox_connections(root, "sandbox"), requests.Session()
        else:
            sandbox = create_app(SandboxSettings(build_seconds=build, delete_seconds=delete,
                                                 database_url=f"sqlite:///{folder}/sandbox.db"))
            root, session = IN_PROCESS_URL, mount(requests.Session(), sandbox)
            connections = sandbox_connections(sandbox, "sandbox")
        database = Database(f"sqlite:///{folder}/bench.db")
        database.upgrade()
        context = EngineContext(database, PluginRegistry.discover(), settings=EngineSettings(),
                                cloud_factory=connections)
        attach_cloud_constraints(context)
        engine = Engine(context)
        warm_up = {"heat_template_version": "2018-08-31", "resources": _network()}
        create_and_delete(engine, "warm-up", warm_up)
        _raise_quotas(session, f"{root}/identity/v3", connections.for_project(DEFAULT_PROJECT).current_project_id)

        template, builds = scenario_template(scenario)
        timings = create_and_delete(engine, f"bench-{scenario}", template)
        context.close()
        database.dispose()
    return {"scenario": scenario, **timings, "critical_path": builds * build}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", nargs="*", choices=("servers", "volumes", "web"),
                        default=["servers", "volumes", "web"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--build", type=float, default=1.0, help="seconds a cloud object takes to be ready")
    parser.add_argument("--delete", type=float, default=0.5, help="seconds a cloud object takes to go")
    parser.add_argument("--over-http", action="store_true",
                        help="serve the sandbox from its own process over HTTP (default: in-process)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()

    if args.one:
        print(json.dumps(run_scenario(args.one, args.build, args.delete, args.over_http)))
        return
    print(f"{'scenario':<9} {'create':>8} {'critical':>9} {'overhead':>9} {'delete':>8}  "
          f"(median of {args.runs}; seconds; build {args.build} s, delete {args.delete} s)")
    over_http = ["--over-http"] if args.over_http else []
    for scenario in args.scenario:
        results = runs_in_children(__file__, ["--one", scenario, "--build", str(args.build),
                                              "--delete", str(args.delete), *over_http], args.runs, scenario)
        if not results:
            continue
        create = statistics.median(r["create"] for r in results)
        delete = statistics.median(r["delete"] for r in results)
        critical = results[0]["critical_path"]
        flag = "" if all(r["ok"] for r in results) else "  NOT ALL COMPLETE"
        print(f"{scenario:<9} {create:8.2f} {critical:9.2f} {create - critical:9.2f} {delete:8.2f}{flag}")


if __name__ == "__main__":
    main()
