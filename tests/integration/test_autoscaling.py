"""Autoscaling end to end on the sandbox, through our API: the example templates as a user runs them.

``orchestrator serve`` (API, worker and sandbox, the sandbox's Aodh and
Zabbix evaluators every second) in a subprocess; the stacks are created with
the real ``openstack`` CLI; the sandbox's servers are made busy with
``orchestrator sandbox load``.  In templates/autoscaling.yaml the alarms in
the sandbox's Aodh call the policies' signed URLs, the policies resize the
group, and each new server joins the load balancer's pool; in
templates/zabbix_autoscaling.yaml a Zabbix trigger's action calls them, and
each new server registers itself as a Zabbix host.  Every step is checked in
the cloud (and in Zabbix), not only in the stack.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import openstack
import pytest
from zabbix_utils import ZabbixAPI

from tests.integration.conftest import (OPENSTACK_CLI, ORCHESTRATOR, Processes, clean_environment, free_port,
                                        wait_for_http)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "templates" / "autoscaling.yaml"
ZABBIX_EXAMPLE = REPO / "templates" / "zabbix_autoscaling.yaml"
ZABBIX_ENVIRONMENT = REPO / "environments" / "zabbix_sandbox.yaml"
#: seconds a policy waits between two resizes (the template's cooldown parameter)
COOLDOWN = 4
#: how long one step may take: the cooldown, an evaluation, a server build, the member's turn in the pool
STEP_TIMEOUT = 60


@pytest.fixture(scope="module")
def serve(tmp_path_factory) -> Iterator[tuple[Path, int]]:
    """``orchestrator serve`` with the sandbox's evaluators every second: the data directory and the port."""
    folder = tmp_path_factory.mktemp("autoscaling")
    started = Processes(folder)
    data, port = folder / "data", free_port()
    try:
        process = started.start("serve", "serve", "--data-dir", data, "--port", port,
                                env=clean_environment(ORCHESTRATOR_SANDBOX__ALARM_EVALUATION_SECONDS="1",
                                                      ORCHESTRATOR_SANDBOX__ZABBIX_EVALUATION_SECONDS="1"))
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

    def load(self, level: int, target: str | None = None) -> None:
        """Make ``target`` (a server, or a group: by default the servers of this stack's group) busy."""
        run([ORCHESTRATOR, "sandbox", "load", "--url", f"http://127.0.0.1:{self.port}/sandbox",
             target or self.stack.id, str(level)], self.data)

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


#: the Zabbix objects a stack may make, by the field that holds their ids
ZABBIX_OBJECTS = {"host": "hostid", "hostgroup": "groupid", "item": "itemid", "trigger": "triggerid",
                  "action": "actionid", "script": "scriptid"}


def zabbix_objects(zabbix: Any) -> dict[str, set[str]]:
    """The ids of every Zabbix object of ``ZABBIX_OBJECTS``'s kinds."""
    return {kind: {item[key] for item in getattr(zabbix, kind).get(output=[key])}
            for kind, key in ZABBIX_OBJECTS.items()}


def test_a_zabbix_trigger_grows_the_group_and_the_new_server_becomes_a_zabbix_host(serve):
    data, port = serve
    zabbix_url = f"http://127.0.0.1:{port}/sandbox/zabbix"
    zabbix = ZabbixAPI(url=zabbix_url, user="Admin", password="zabbix")
    before = zabbix_objects(zabbix)
    # environments/zabbix_sandbox.yaml with this service's port: the plugins read the Zabbix server from the
    # environment's parameter_defaults, which member stacks inherit
    environment = data.parent / "zabbix_environment.yaml"
    environment.write_text(ZABBIX_ENVIRONMENT.read_text().replace("http://127.0.0.1:8004/sandbox/zabbix", zabbix_url))
    run([OPENSTACK_CLI, "--os-cloud", "orchestrator", "stack", "create", "-t", str(ZABBIX_EXAMPLE), "zweb",
         "-e", str(environment), "--parameter", "period=3s", "--parameter", "max_size=2", "--parameter", "cooldown=0",
         "--wait", "--poll", "1"], data)
    scene = Scene(data, port, "zweb")
    assert scene.stack.status == "CREATE_COMPLETE", scene.stack.status_reason
    [group] = zabbix.hostgroup.get(filter={"name": scene.outputs()["zabbix_group"]})

    def hosts() -> dict[str, str]:
        return {host["hostid"]: host["name"] for host in zabbix.host.get(groupids=[group["groupid"]],
                                                                         output=["hostid", "name"])}

    [server] = scene.servers()
    assert set(scene.outputs()["zabbix_hosts"]) <= set(hosts()) and server.name in hosts().values()

    scene.load(95, target=server.name)
    wait_until(lambda: scene.outputs()["current_size"] == 2, "the Zabbix action to grow the group")
    wait_until(lambda: len(scene.servers()) == 2 and all(s.status == "ACTIVE" for s in scene.servers()),
               "the new server")
    [new] = [other for other in scene.servers() if other.id != server.id]
    wait_until(lambda: new.name in hosts().values(), "the new server's Zabbix host")
    assert len(scene.signals("scale_out_policy")) >= 1

    run([OPENSTACK_CLI, "--os-cloud", "orchestrator", "stack", "delete", "zweb", "--yes", "--wait"], data)
    assert zabbix_objects(zabbix) == before, "the stack left Zabbix objects behind"
    wait_until(lambda: scene.servers() == [], "the servers to go")
