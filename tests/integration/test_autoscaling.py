"""Autoscaling end to end on the sandbox, through our API: templates/autoscaling.yaml as a user runs it.

``orchestrator serve`` (API, worker and sandbox, the sandbox's alarm
evaluator every second) in a subprocess; the stack is created with the real
``openstack`` CLI; the sandbox's servers are made busy with ``orchestrator
sandbox load``.  The alarms in the sandbox's Aodh call the policies' signed
URLs, the policies resize the group, and each new server joins the load
balancer's pool.  Every step is checked in the cloud, not only in the stack.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import openstack
import pytest

from tests.integration.conftest import (OPENSTACK_CLI, ORCHESTRATOR, Processes, clean_environment, free_port,
                                        wait_for_http)

EXAMPLE = Path(__file__).resolve().parents[2] / "templates" / "autoscaling.yaml"
#: seconds a policy waits between two resizes (the template's cooldown parameter)
COOLDOWN = 4
#: how long one step may take: the cooldown, an evaluation, a server build, the member's turn in the pool
STEP_TIMEOUT = 60


@pytest.fixture(scope="module")
def serve(tmp_path_factory) -> Iterator[tuple[Path, int]]:
    """``orchestrator serve`` with the sandbox's evaluator every second: the data directory and the port."""
    folder = tmp_path_factory.mktemp("autoscaling")
    started = Processes(folder)
    data, port = folder / "data", free_port()
    try:
        process = started.start("serve", "serve", "--data-dir", data, "--port", port,
                                env=clean_environment(ORCHESTRATOR_SANDBOX__ALARM_EVALUATION_SECONDS="1"))
        wait_for_http(f"http://127.0.0.1:{port}/sandbox/identity/v3", process)
        yield data, port
    finally:
        started.close()


def run(command: list[str], data: Path) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env=clean_environment(OS_CLIENT_CONFIG_FILE=str(data / "clouds.yaml")))
    assert done.returncode == 0, f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def connection(data: Path, cloud: str) -> Any:
    config = openstack.config.OpenStackConfig(config_files=[str(data / "clouds.yaml")])
    return openstack.connection.Connection(config=config.get_one(cloud))


class Scene:
    """The stack and the cloud under it, as the test looks at them."""

    def __init__(self, data: Path, port: int, name: str):
        self.data, self.port, self.name = data, port, name
        self.api = connection(data, "orchestrator")
        self.cloud = connection(data, "sandbox")
        self.stack = self.api.orchestration.find_stack(name, ignore_missing=False)

    def outputs(self) -> dict[str, Any]:
        stack = self.api.orchestration.get_stack(self.stack.id)
        return {output["output_key"]: output.get("output_value") for output in stack.outputs or []}

    def servers(self) -> list[Any]:
        """The sandbox's servers that are not on their way out."""
        return [server for server in self.cloud.compute.servers() if server.task_state != "deleting"]

    def pool_addresses(self) -> list[str]:
        [pool] = list(self.cloud.load_balancer.pools())
        return sorted(member.address for member in self.cloud.load_balancer.members(pool))

    def load(self, level: int) -> None:
        run([ORCHESTRATOR, "sandbox", "load", "--url", f"http://127.0.0.1:{self.port}/sandbox", self.stack.id,
             str(level)], self.data)

    def signals(self, policy: str) -> list[Any]:
        """The SIGNAL events of ``policy``: the signals it acted on."""
        return [event for event in self.api.orchestration.stack_events(self.stack, resource_name=policy)
                if (event.resource_status or "").startswith("SIGNAL")]

    def size_becomes(self, size: int) -> float:
        """Wait until the group has ``size`` members, every one an ACTIVE server in the pool; when it did."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            outputs = self.outputs()
            if outputs.get("current_size") == size:
                servers = self.servers()
                addresses = sorted(outputs.get("server_addresses") or [])
                if len(servers) == size and all(s.status == "ACTIVE" for s in servers) \
                        and len(addresses) == size and self.pool_addresses() == addresses:
                    return time.monotonic()
            time.sleep(0.25)
        raise AssertionError(f"the group did not reach {size} members in {STEP_TIMEOUT} s: outputs "
                             f"{self.outputs()}, servers {[(s.name, s.status) for s in self.servers()]}, "
                             f"pool {self.pool_addresses()}")


def wait_until(condition: Callable[[], bool], what: str, timeout: float = STEP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def test_the_group_grows_with_the_load_to_max_and_shrinks_back_to_min(serve):
    data, port = serve
    run([OPENSTACK_CLI, "--os-cloud", "orchestrator", "stack", "create", "-t", str(EXAMPLE), "web", "--wait",
         "--poll", "1", "--parameter", "granularity=1", "--parameter", f"cooldown={COOLDOWN}"], data)
    scene = Scene(data, port, "web")
    assert scene.stack.status == "CREATE_COMPLETE", scene.stack.status_reason
    scene.size_becomes(1)
    [first] = scene.servers()
    assert first.metadata["metering.server_group"] == scene.stack.id
    alarms = {alarm["name"]: alarm for alarm in scene.cloud.session.get(
        "/v2/alarms", endpoint_filter={"service_type": "alarming"}).json()}
    assert len(alarms) == 2, alarms

    # busy: one more server per cooldown, up to max_size, each a member of the pool
    scene.load(90)
    grown = [scene.size_becomes(size) for size in (2, 3, 4)]
    for earlier, later in zip(grown, grown[1:]):
        assert later - earlier >= COOLDOWN - 0.5, f"two resizes {later - earlier:.1f} s apart, within the cooldown"
    time.sleep(COOLDOWN + 2)  # the alarm still fires: the group stays at max_size
    assert scene.outputs()["current_size"] == 4 and len(scene.servers()) == 4
    signals = scene.signals("scale_out_policy")
    assert len(signals) == 3, [(e.resource_status, e.resource_status_reason) for e in signals]
    assert all("alarm state changed from" in e.resource_status_reason and " to alarm (" in e.resource_status_reason
               for e in signals), [e.resource_status_reason for e in signals]

    # idle: one server less per cooldown, down to min_size; the removed ones leave the pool and the cloud
    at_max = {server.id for server in scene.servers()}
    scene.load(5)
    for size in (3, 2, 1):
        scene.size_becomes(size)
    [last] = scene.servers()
    assert last.id in at_max
    assert len(scene.signals("scale_in_policy")) == 3

    run([OPENSTACK_CLI, "--os-cloud", "orchestrator", "stack", "delete", "web", "--yes", "--wait"], data)
    wait_until(lambda: scene.servers() == [], "the servers to go")
    assert list(scene.cloud.load_balancer.load_balancers()) == []
    assert scene.cloud.session.get("/v2/alarms", endpoint_filter={"service_type": "alarming"}).json() == []
