"""Scaling reaction time: load raised → the new member ACTIVE in the load balancer's pool.

``orchestrator serve`` (API, worker and sandbox in one process, as the demo
runs it) with the sandbox's alarm evaluator every second; one stack of
templates/autoscaling.yaml (granularity 1 s, one evaluation period, cooldown
0).  Each run raises the load of the group's servers to 90 % and times:

* ``alarm``: until the high-CPU alarm goes to ``alarm`` (the metering and the
  evaluator: a full 1 s data point above the threshold, then an evaluation);
* ``detect``: until the scale-out policy's SIGNAL event (``alarm`` plus the
  webhook to our API);
* ``react``: from that signal until the new server is ACTIVE and a member of
  the pool (the resize job, the server's build, the pool member);

then drops the load to 5 % and waits for the group to shrink back to one
member before the next run.  Our own share of ``react`` is what is left
after the sandbox's server build (``--build``, 1 s by default) and the
load balancer's own time to take a member.

    .venv/bin/python bench/scaling_bench.py --runs 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import openstack
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.runner import ROOT, free_port  # noqa: E402

KEYS = ("alarm", "detect", "react", "total")
ORCHESTRATOR = str(Path(sys.executable).with_name("orchestrator"))
OPENSTACK = str(Path(sys.executable).with_name("openstack"))
EXAMPLE = ROOT / "templates" / "autoscaling.yaml"


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 120, step: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(step)


class Served:
    """``orchestrator serve`` in a process of its own, and connections to its API and its sandbox."""

    def __init__(self, folder: str, build: float):
        self.port, self.data = free_port(), Path(folder) / "data"
        environment = {name: value for name, value in os.environ.items()
                       if not name.startswith(("ORCHESTRATOR_", "OS_"))}
        environment.update(ORCHESTRATOR_SANDBOX__ALARM_EVALUATION_SECONDS="1",
                           ORCHESTRATOR_SANDBOX__BUILD_SECONDS=str(build))
        self.environment = {**environment, "OS_CLIENT_CONFIG_FILE": str(self.data / "clouds.yaml")}
        self.process = subprocess.Popen([ORCHESTRATOR, "serve", "--data-dir", str(self.data), "--port",
                                         str(self.port)], env=environment, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, "orchestrator serve to answer", timeout=60, step=0.1)
        config = openstack.config.OpenStackConfig(config_files=[str(self.data / "clouds.yaml")])
        self.api = openstack.connection.Connection(config=config.get_one("orchestrator"))
        self.cloud = openstack.connection.Connection(config=config.get_one("sandbox"))

    def _answers(self) -> bool:
        try:
            requests.get(f"http://127.0.0.1:{self.port}/sandbox/identity/v3", timeout=1)
        except requests.ConnectionError:
            if self.process.poll() is not None:
                raise RuntimeError("orchestrator serve exited") from None
            return False
        return (self.data / "clouds.yaml").exists()

    def command(self, *args: str) -> None:
        subprocess.run(list(args), env=self.environment, cwd=ROOT, check=True, capture_output=True, timeout=300)

    def load(self, stack_id: str, level: int) -> None:
        self.command(ORCHESTRATOR, "sandbox", "load", "--url", f"http://127.0.0.1:{self.port}/sandbox", stack_id,
                     str(level))

    def members_in_service(self) -> set[str]:
        """Addresses of pool members whose server is ACTIVE."""
        active = {address["addr"] for server in self.cloud.compute.servers() if server.status == "ACTIVE"
                  for entries in (server.addresses or {}).values() for address in entries}
        return {member.address for pool in self.cloud.load_balancer.pools()
                for member in self.cloud.load_balancer.members(pool)
                if member.provisioning_status == "ACTIVE" and member.address in active}

    def signals(self, stack: Any, policy: str) -> int:
        return sum(1 for event in self.api.orchestration.stack_events(stack, resource_name=policy)
                   if (event.resource_status or "").startswith("SIGNAL"))

    def alarm_changed(self, name_part: str) -> float:
        """When the alarm whose name holds ``name_part`` last changed state (epoch seconds)."""
        alarms = self.cloud.session.get("/v2/alarms", endpoint_filter={"service_type": "alarming"}).json()
        [alarm] = [alarm for alarm in alarms if name_part in alarm["name"]]
        return datetime.fromisoformat(alarm["state_timestamp"]).replace(tzinfo=timezone.utc).timestamp()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def measure(runs: int, build: float) -> list[dict[str, float]]:
    results = []
    with tempfile.TemporaryDirectory() as folder:
        served = Served(folder, build)
        try:
            served.command(OPENSTACK, "--os-cloud", "orchestrator", "stack", "create", "-t", str(EXAMPLE), "bench",
                           "--wait", "--poll", "1", "--parameter", "granularity=1", "--parameter", "cooldown=0")
            stack = served.api.orchestration.find_stack("bench", ignore_missing=False)
            wait_for(lambda: len(served.members_in_service()) == 1, "the first member")
            for _ in range(runs):
                before, signals = served.members_in_service(), served.signals(stack, "scale_out_policy")
                raised = time.time()
                served.load(stack.id, 90)
                wait_for(lambda: served.signals(stack, "scale_out_policy") > signals, "the scale-out signal")
                signalled = time.time()
                wait_for(lambda: served.members_in_service() - before, "the new member")
                in_service = time.time()
                alarmed = served.alarm_changed("cpu_high_alarm")
                results.append({"alarm": alarmed - raised, "detect": signalled - raised,
                                "react": in_service - signalled, "total": in_service - raised})
                served.load(stack.id, 5)
                wait_for(lambda: len(served.members_in_service()) == 1, "the group to shrink back to one member")
                time.sleep(1)  # the removed member's server and pool member are gone for good
            served.command(OPENSTACK, "--os-cloud", "orchestrator", "stack", "delete", "bench", "--yes", "--wait")
        finally:
            served.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--build", type=float, default=1.0, help="seconds a sandbox server takes to boot")
    args = parser.parse_args()
    results = measure(args.runs, args.build)
    print(f"{'':<8} " + " ".join(f"{key:>7}" for key in KEYS) + f"   (seconds; {len(results)} runs; evaluator "
          f"every 1 s, granularity 1 s, server build {args.build} s)")
    for label, pick in (("median", statistics.median), ("min", min), ("max", max)):
        print(f"{label:<8} " + " ".join(f"{pick(r[key] for r in results):7.2f}" for key in KEYS))


if __name__ == "__main__":
    main()
