"""The OpenStack integration suite: our service's stacks on a cloud, checked in the cloud with openstacksdk.

Select it with ``-m openstack``.  The cloud is any cloud of clouds.yaml:

- ``OS_CLOUD=NAME`` (with ``OS_CLIENT_CONFIG_FILE`` when clouds.yaml is not
  in a usual place): the stacks are made there, with that cloud's user and
  project, through ``orchestrator serve --cloud NAME`` and the real
  ``openstack stack`` commands.  The suite needs an image, a flavor and an
  external network it may use: found by looking (the smallest flavor, an
  active image, a network with ``router:external``) or named in
  ``OS_TEST_IMAGE``, ``OS_TEST_FLAVOR`` and ``OS_TEST_EXTERNAL_NETWORK``.
- without ``OS_CLOUD``: ``orchestrator sandbox serve`` is started for the
  session and its ``demo`` user (a member, not an admin) is the cloud's.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import openstack.connection
import pytest
import yaml
from openstack.config.loader import OpenStackConfig

from tests.integration.conftest import OPENSTACK_CLI, Processes, clean_environment, free_port, wait_for_http

#: the cloud's object kinds a stack may leave behind, by openstacksdk's listing
INVENTORY = {
    "servers": lambda c: c.compute.servers(), "ports": lambda c: c.network.ports(),
    "networks": lambda c: c.network.networks(), "routers": lambda c: c.network.routers(),
    "floating IPs": lambda c: c.network.ips(), "security groups": lambda c: c.network.security_groups(),
    "volumes": lambda c: c.block_storage.volumes(), "load balancers": lambda c: c.load_balancer.load_balancers(),
}


#: the data folders of the services the suite started: their databases say what the suite made
SERVICE_FOLDERS: list[Path] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many stacks the suite made through our services, and how many cloud objects their resources made."""
    stacks = objects = 0
    for folder in SERVICE_FOLDERS:
        if (folder / "orchestrator.db").exists():
            with sqlite3.connect(folder / "orchestrator.db") as database:
                stacks += database.execute("SELECT count(*) FROM stack").fetchone()[0]
                objects += database.execute(
                    "SELECT count(DISTINCT physical_id) FROM event WHERE action = 'CREATE' AND status = 'COMPLETE' "
                    "AND resource_type LIKE 'OS::%' AND resource_type NOT LIKE 'OS::Heat::%'").fetchone()[0]
    if stacks:
        terminalreporter.write_line(f"OpenStack integration suite: {stacks} stacks (nested ones included) made "
                                    f"{objects} cloud objects through our service")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.openstack)


@dataclass
class Cloud:
    """The cloud under test, and what its templates need from it."""

    name: str
    clouds_yaml: Path | None
    connection: Any
    image: str
    flavor: str
    external_network: str
    #: the sandbox served for the suite (no ``OS_CLOUD``), not a real cloud
    is_sandbox: bool = False

    def inventory(self) -> dict[str, set[str]]:
        """The ids of every object of ``INVENTORY`` the cloud's user sees."""
        return {kind: {item.id for item in listing(self.connection)} for kind, listing in INVENTORY.items()}


def _sandbox_cloud(processes: Processes, folder: Path) -> tuple[str, Path]:
    port = free_port()
    # alarms evaluated every second, not Aodh's every minute: the suite's alarm tests take seconds here
    sandbox = processes.start("sandbox", "sandbox", "serve", "--port", port, "--data-dir", folder / "sandbox",
                              env=clean_environment(ORCHESTRATOR_SANDBOX__ALARM_EVALUATION_SECONDS="1"))
    wait_for_http(f"http://127.0.0.1:{port}/identity/v3", sandbox)
    clouds = folder / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"sandbox-demo": {
        "auth_type": "password", "identity_api_version": 3, "region_name": "RegionOne",
        "auth": {"auth_url": f"http://127.0.0.1:{port}/identity/v3", "username": "demo", "password": "sandbox",
                 "project_name": "demo", "user_domain_id": "default", "project_domain_id": "default"}}}}))
    return "sandbox-demo", clouds


def _chosen(connection: Any) -> tuple[str, str, str]:
    image = os.environ.get("OS_TEST_IMAGE") or next(
        i.name for i in connection.image.images() if i.status == "active")
    flavor = os.environ.get("OS_TEST_FLAVOR") or min(connection.compute.flavors(), key=lambda f: (f.ram, f.vcpus)).name
    external = os.environ.get("OS_TEST_EXTERNAL_NETWORK") or next(
        n.name for n in connection.network.networks(is_router_external=True))
    return image, flavor, external


@pytest.fixture(scope="session")
def processes_for_session(tmp_path_factory) -> Iterator[Processes]:
    started = Processes(tmp_path_factory.mktemp("openstack"))
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="session")
def cloud(processes_for_session: Processes) -> Iterator[Cloud]:
    """The cloud of ``OS_CLOUD``, else a sandbox served for the session."""
    name = os.environ.get("OS_CLOUD")
    clouds_yaml = Path(os.environ["OS_CLIENT_CONFIG_FILE"]) if os.environ.get("OS_CLIENT_CONFIG_FILE") else None
    is_sandbox = not name
    if is_sandbox:
        name, clouds_yaml = _sandbox_cloud(processes_for_session, processes_for_session.folder)
    files = {"config_files": [str(clouds_yaml)]} if clouds_yaml else {}
    connection = openstack.connection.Connection(config=OpenStackConfig(**files).get_one(cloud=name))
    try:
        yield Cloud(name, clouds_yaml, connection, *_chosen(connection), is_sandbox=is_sandbox)
    finally:
        connection.close()


@dataclass
class Service:
    """``orchestrator serve --cloud NAME``, and the real ``openstack`` command against it."""

    data: Path
    cloud: Cloud

    def openstack(self, *args: str) -> str:
        """``openstack --os-cloud orchestrator ARGS…``; what it printed (the test fails if it fails)."""
        done = subprocess.run([OPENSTACK_CLI, "--os-cloud", "orchestrator", *args], capture_output=True, text=True,
                              timeout=600, env=clean_environment(OS_CLIENT_CONFIG_FILE=str(self.data / "clouds.yaml")))
        assert done.returncode == 0, f"openstack {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def stack(self, name: str) -> dict[str, Any]:
        """The stack as ``openstack stack show`` gives it."""
        return json.loads(self.openstack("stack", "show", name, "-f", "json"))

    def physical_ids(self, name: str) -> dict[str, str]:
        """Resource name → physical id of the stack's resources."""
        listed = json.loads(self.openstack("stack", "resource", "list", name, "-f", "json"))
        return {row["resource_name"]: row["physical_resource_id"] for row in listed}


@pytest.fixture(scope="session")
def service(cloud: Cloud, processes_for_session: Processes) -> Service:
    """Our service acting on ``cloud``."""
    data, port = processes_for_session.folder / "serve", free_port()
    environment = {"OS_CLIENT_CONFIG_FILE": str(cloud.clouds_yaml)} if cloud.clouds_yaml else {}
    served = processes_for_session.start("serve", "serve", "--cloud", cloud.name, "--data-dir", data,
                                         "--port", port, env=clean_environment(**environment))
    wait_for_http(f"http://127.0.0.1:{port}/", served)
    SERVICE_FOLDERS.append(data)
    return Service(data, cloud)
