"""Keystone mode on the cloud's own Keystone: users' tokens, and stacks that act through their users' trusts.

``orchestrator serve --keystone SERVICE_CLOUD`` validates the tokens users
send against the cloud's Keystone, and each stack acts with the trust its
user gave the service user (the credentials of SERVICE_CLOUD) when creating
it.  The user drives it with the real ``openstack`` command and a token of
their own (password login against Keystone; the CLI takes our endpoint with
``--os-auth-type admin_token``, since it ignores clouds.yaml's
``orchestration_endpoint_override``), and checks the cloud with openstacksdk
as themselves.

On a real cloud two more clouds of clouds.yaml are needed: the service user
(``OS_TEST_SERVICE_CLOUD``) and a user of another project
(``OS_TEST_OTHER_CLOUD``); ``scripts/minicloud.sh`` makes both
(``minicloud-orchestrator``, ``minicloud-alt``).  On the sandbox served for
the suite, the test makes them through the sandbox's Keystone, as its admin.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import openstack.connection
import pytest
import requests
import yaml
from openstack.config.loader import OpenStackConfig

from tests.integration.conftest import OPENSTACK_CLI, Processes, clean_environment, free_port, wait_for_http

from .conftest import SERVICE_FOLDERS, Cloud

STACK = "kt-stack"


@dataclass
class Identity:
    """A user logged in to the cloud's Keystone: their token, user and project."""

    token: str
    user_id: str
    project_id: str


@dataclass
class KeystoneService:
    """``orchestrator serve --keystone``: its URL, its data folder, and the clouds.yaml of the users."""

    url: str
    data: Path
    clouds_yaml: Path
    service_cloud: str
    other_cloud: str

    def login(self, cloud_name: str) -> Identity:
        """A token for the user of ``cloud_name``, from the real CLI (password login against Keystone)."""
        done = subprocess.run([OPENSTACK_CLI, "--os-cloud", cloud_name, "token", "issue", "-f", "json"],
                              capture_output=True, text=True, timeout=120,
                              env=clean_environment(OS_CLIENT_CONFIG_FILE=str(self.clouds_yaml)))
        assert done.returncode == 0, done.stderr
        issued = json.loads(done.stdout)
        return Identity(issued["id"], issued["user_id"], issued["project_id"])

    def openstack(self, who: Identity, *args: str, project: str | None = None) -> subprocess.CompletedProcess:
        """``openstack ARGS…`` with ``who``'s token against our API, in their project (or ``project``)."""
        return subprocess.run([OPENSTACK_CLI, "--os-auth-type", "admin_token", "--os-token", who.token,
                               "--os-endpoint", f"{self.url}/v1/{project or who.project_id}", *args],
                              capture_output=True, text=True, timeout=600, env=clean_environment())

    def call(self, who: Identity, method: str, path: str, project: str | None = None,
             follow: bool = False) -> requests.Response:
        return requests.request(method, f"{self.url}/v1/{project or who.project_id}/{path}", timeout=30,
                                headers={"X-Auth-Token": who.token, "Accept": "application/json"},
                                allow_redirects=follow)

    def wait_gone(self, who: Identity, name: str, timeout: float = 120) -> None:
        """Until the stack is deleted (``stack delete --wait`` polls every 5 s; this, every half second)."""
        deadline = time.monotonic() + timeout
        while (response := self.call(who, "GET", f"stacks/{name}", follow=True)).status_code != 404:
            stack = response.json()["stack"]
            assert stack["stack_status"] == "DELETE_IN_PROGRESS", stack["stack_status_reason"]
            assert time.monotonic() < deadline, f"stack {name} still there after {timeout} s"
            time.sleep(0.5)

    def trust_of(self, stack_id: str) -> str:
        """The trust our service stored with the stack."""
        with sqlite3.connect(self.data / "orchestrator.db") as database:
            return database.execute("SELECT trust_id FROM stack WHERE id = ?", (stack_id,)).fetchone()[0]


def _connection(clouds_yaml: Path, name: str) -> Any:
    return openstack.connection.Connection(config=OpenStackConfig(config_files=[str(clouds_yaml)]).get_one(cloud=name))


def _sandbox_users(cloud: Cloud, folder: Path) -> tuple[Path, str, str]:
    """The sandbox's service user and a user of another project, made as its admin; their clouds.yaml."""
    clouds = yaml.safe_load(cloud.clouds_yaml.read_text())
    entry = clouds["clouds"][cloud.name]
    for name, user, project in (("sandbox-admin", "admin", "admin"),
                                ("sandbox-orchestrator", "orchestrator", "service"), ("sandbox-alt", "alt", "alt")):
        clouds["clouds"][name] = {**entry, "auth": {**entry["auth"], "username": user, "project_name": project}}
    written = folder / "clouds-keystone.yaml"
    written.write_text(yaml.safe_dump(clouds))
    admin = _connection(written, "sandbox-admin")
    try:
        identity = admin.identity
        member = identity.find_role("member", ignore_missing=False)
        for user, project in (("orchestrator", "service"), ("alt", "alt")):
            made = identity.find_project(project) or identity.create_project(name=project, domain_id="default")
            person = identity.find_user(user) or identity.create_user(
                name=user, password=entry["auth"]["password"], default_project_id=made.id)
            identity.assign_project_role_to_user(made, person, member)
    finally:
        admin.close()
    return written, "sandbox-orchestrator", "sandbox-alt"


@pytest.fixture(scope="module")
def keystone_service(cloud: Cloud, processes_for_session: Processes) -> KeystoneService:
    """Our service in keystone mode against the cloud's Keystone, its service user that of SERVICE_CLOUD."""
    folder = processes_for_session.folder
    if cloud.is_sandbox:
        clouds_yaml, service_cloud, other_cloud = _sandbox_users(cloud, folder)
    else:
        service_cloud, other_cloud = os.environ.get("OS_TEST_SERVICE_CLOUD"), os.environ.get("OS_TEST_OTHER_CLOUD")
        if not service_cloud or not other_cloud:
            pytest.fail("keystone mode on a real cloud needs OS_TEST_SERVICE_CLOUD (the service user's cloud) and "
                        "OS_TEST_OTHER_CLOUD (a user of another project); scripts/minicloud.sh makes "
                        "minicloud-orchestrator and minicloud-alt", pytrace=False)
        clouds_yaml = cloud.clouds_yaml
    data, port = folder / "serve-keystone", free_port()
    served = processes_for_session.start("serve-keystone", "serve", "--keystone", service_cloud, "--data-dir", data,
                                         "--port", port, env=clean_environment(OS_CLIENT_CONFIG_FILE=str(clouds_yaml)))
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/", served)
    SERVICE_FOLDERS.append(data)
    return KeystoneService(url, data, clouds_yaml, service_cloud, other_cloud)


@pytest.fixture
def cleanup(keystone_service: KeystoneService) -> Iterator[list[Identity]]:
    """Whoever is appended here has ``kt-stack`` deleted when the test ends, if a failure left it."""
    owners: list[Identity] = []
    yield owners
    for owner in owners:
        if keystone_service.call(owner, "GET", f"stacks/{STACK}").status_code == 302:
            keystone_service.openstack(owner, "stack", "delete", STACK, "--yes")
            keystone_service.wait_gone(owner, STACK)


def test_a_stack_acts_as_its_user_with_a_trust_that_goes_with_it(cloud: Cloud, keystone_service: KeystoneService,
                                                                 cleanup: list[Identity], tmp_path: Path):
    service = keystone_service
    user = service.login(cloud.name)
    cleanup.append(user)
    template = tmp_path / "stack.yaml"
    template.write_text(yaml.safe_dump({
        "heat_template_version": "2018-08-31",
        "parameters": {"image": {"type": "string"}, "flavor": {"type": "string"}},
        "resources": {
            "net": {"type": "OS::Neutron::Net", "properties": {"name": "kt-net"}},
            "subnet": {"type": "OS::Neutron::Subnet",
                       "properties": {"network": {"get_resource": "net"}, "cidr": "10.62.0.0/24"}},
            "server": {"type": "OS::Nova::Server", "depends_on": ["subnet"], "properties": {
                "name": "kt-server", "image": {"get_param": "image"}, "flavor": {"get_param": "flavor"},
                "networks": [{"network": {"get_resource": "net"}}]}}}}))
    created = service.openstack(user, "stack", "create", "-t", str(template), "--parameter", f"image={cloud.image}",
                                "--parameter", f"flavor={cloud.flavor}", STACK, "--wait", "--poll", "1")
    assert created.returncode == 0, created.stdout + created.stderr
    shown = service.call(user, "GET", f"stacks/{STACK}", follow=True).json()["stack"]
    assert shown["stack_status"] == "CREATE_COMPLETE", shown["stack_status_reason"]
    listed = service.call(user, "GET", f"stacks/{STACK}/{shown['id']}/resources").json()["resources"]
    ids = {row["resource_name"]: row["physical_resource_id"] for row in listed}

    # the user's own connection finds everything in their project; none of it is the service user's
    sdk = cloud.connection
    server = sdk.compute.get_server(ids["server"])
    network = sdk.network.get_network(ids["net"])
    assert server.project_id == network.project_id == user.project_id
    if not cloud.is_sandbox:  # Nova records who asked: the trust impersonates the user
        assert server.user_id == user.user_id
    own = _connection(service.clouds_yaml, service.service_cloud)
    try:
        assert own.current_project_id != user.project_id
        held = {s.id for s in own.compute.servers()} | {n.id for n in own.network.networks(
            project_id=own.current_project_id)}
        assert held.isdisjoint(ids.values())
        service_user = own.current_user_id
    finally:
        own.close()

    # the trust: from the user to the service user, in the user's project, impersonating
    trust_id = service.trust_of(shown["id"])
    trust = sdk.identity.get(f"/OS-TRUST/trusts/{trust_id}").json()["trust"]
    assert (trust["trustor_user_id"], trust["trustee_user_id"], trust["project_id"], trust["impersonation"]) == (
        user.user_id, service_user, user.project_id, True)

    # another project's user can neither see nor touch it; a wrong token is not let in
    other = service.login(service.other_cloud)
    assert service.call(other, "GET", f"stacks/{STACK}/{shown['id']}", project=user.project_id).status_code == 403
    assert service.call(other, "GET", f"stacks/{STACK}/{shown['id']}").status_code == 404
    assert service.call(other, "DELETE", f"stacks/{STACK}/{shown['id']}").status_code == 404
    refused = service.openstack(other, "stack", "show", STACK)
    assert refused.returncode != 0 and "not found" in refused.stderr.lower(), refused.stderr
    assert service.call(Identity("not-a-token", user.user_id, user.project_id), "GET", "stacks").status_code == 401

    deleted = service.openstack(user, "stack", "delete", STACK, "--yes")
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    service.wait_gone(user, STACK)
    assert sdk.compute.find_server(ids["server"]) is None and sdk.network.find_network(ids["net"]) is None
    gone = sdk.identity.get(f"/OS-TRUST/trusts/{trust_id}", raise_exc=False)
    assert gone.status_code == 404, gone.text
