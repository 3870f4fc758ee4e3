"""The sandbox over HTTP: ``orchestrator sandbox serve`` on its own, and under ``/sandbox`` in ``orchestrator serve``.

Both run as subprocesses; the ``openstack`` command reaches the sandbox of
``serve`` through the ``sandbox`` cloud of the clouds.yaml serve writes, and
``[cloud] sandbox_url``'s connections reach a standalone one.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from orchestrator.clients import connect, http_sandbox_connections, password_session
from tests.integration.conftest import OPENSTACK_CLI, Processes, clean_environment, free_port, wait_for_http

PASSWORD = "sandbox"


@pytest.fixture
def processes(tmp_path) -> Iterator[Processes]:
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.close()


def start_sandbox(processes: Processes, name: str, data: Path, port: int):
    """``orchestrator sandbox serve`` on ``port``, once it answers."""
    sandbox = processes.start(name, "sandbox", "serve", "--port", port, "--data-dir", data, env=clean_environment())
    wait_for_http(f"http://127.0.0.1:{port}/identity/v3", sandbox)
    return sandbox


def test_sandbox_serve_prints_how_to_reach_it_and_keeps_its_objects_across_a_restart(processes, tmp_path):
    data, port = tmp_path / "data", free_port()
    root = f"http://127.0.0.1:{port}"
    sandbox = start_sandbox(processes, "sandbox", data, port)
    said = sandbox.wait_for(r"Users:", timeout=10) and sandbox.output()
    assert f"auth URL: {root}/identity/v3" in said, said
    assert f"admin / {PASSWORD}" in said and f"demo / {PASSWORD}" in said, said

    admin = connect(password_session(f"{root}/identity/v3", "admin", PASSWORD, "admin"))
    admin.identity.create_project(name="kept", domain_id="default")
    endpoints = {e["url"] for entry in admin.session.auth.get_access(admin.session).service_catalog.catalog
                 for e in entry["endpoints"]}
    assert f"{root}/compute/v2.1" in endpoints, endpoints
    admin.close()
    assert sandbox.terminate() == 0, sandbox.output()
    assert (data / "sandbox.db").exists()

    start_sandbox(processes, "sandbox-again", data, port)
    admin = connect(password_session(f"{root}/identity/v3", "admin", PASSWORD, "admin"))
    assert admin.identity.find_project("kept") is not None
    admin.close()


def test_cloud_sandbox_url_connections_act_as_the_admin_with_member_rights_in_a_project_of_their_own(
        processes, tmp_path):
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    start_sandbox(processes, "sandbox", tmp_path / "data", port)
    connections = http_sandbox_connections(root, PASSWORD)
    try:
        alpha = connections.for_project("alpha")
        assert connections.for_project("alpha") is alpha  # made once, then kept
        assert [p.name for p in alpha.identity.projects()] == ["alpha"]  # a member sees its own project only
        access = alpha.session.auth.get_access(alpha.session)
        assert (access.project_name, access.username, access.role_names) == ("alpha", "admin", ["member"])
        beta = connections.for_project("beta")
        assert beta.session.get_project_id() != alpha.session.get_project_id()
    finally:
        connections.close()


def test_cloud_name_connections_use_the_clouds_yaml_credentials_for_every_project(processes, tmp_path,
                                                                                   monkeypatch):
    from orchestrator.clients import NamedCloudConnection

    port = free_port()
    start_sandbox(processes, "sandbox", tmp_path / "data", port)
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"mine": {
        "auth_type": "password", "identity_api_version": 3, "region_name": "RegionOne",
        "auth": {"auth_url": f"http://127.0.0.1:{port}/identity/v3", "username": "demo", "password": PASSWORD,
                 "project_name": "demo", "user_domain_id": "default", "project_domain_id": "default"}}}}))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    named = NamedCloudConnection("mine")
    try:
        connection = named.for_project("alpha")
        assert named.for_project("beta") is connection
        assert [p.name for p in connection.identity.projects()] == ["demo"]
    finally:
        named.close()


def test_serve_with_cloud_acts_on_that_cloud_of_clouds_yaml(processes, tmp_path):
    """``orchestrator serve --cloud NAME``: stacks are made in cloud NAME (here a standalone sandbox), as its user."""
    sandbox_port, api_port = free_port(), free_port()
    auth_url = f"http://127.0.0.1:{sandbox_port}/identity/v3"
    start_sandbox(processes, "sandbox", tmp_path / "sandbox", sandbox_port)
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"mine": {
        "auth_type": "password", "identity_api_version": 3, "region_name": "RegionOne",
        "auth": {"auth_url": auth_url, "username": "demo", "password": PASSWORD, "project_name": "demo",
                 "user_domain_id": "default", "project_domain_id": "default"}}}}))
    data = tmp_path / "data"
    served = processes.start("serve", "serve", "--cloud", "mine", "--data-dir", data, "--port", api_port,
                             env=clean_environment(OS_CLIENT_CONFIG_FILE=str(clouds)))
    wait_for_http(f"http://127.0.0.1:{api_port}/", served)
    assert set(yaml.safe_load((data / "clouds.yaml").read_text())["clouds"]) == {"orchestrator"}  # no sandbox here
    template = tmp_path / "network.yaml"
    template.write_text(yaml.safe_dump({
        "heat_template_version": "2018-08-31",
        "resources": {"net": {"type": "OS::Neutron::Net", "properties": {"name": "made-by-serve"}}}}))
    openstack(data, "orchestrator", "stack", "create", "-t", str(template), "net", "--wait", "--poll", "1")
    demo = connect(password_session(auth_url, "demo", PASSWORD, "demo"))
    try:
        (network,) = [n for n in demo.network.networks() if n.name == "made-by-serve"]
        assert network.project_id == demo.current_project_id
        openstack(data, "orchestrator", "stack", "delete", "net", "--yes", "--wait")
        assert demo.network.find_network("made-by-serve") is None
    finally:
        demo.close()
    assert served.terminate() == 0, served.output()


def test_the_cloud_settings_choose_the_engines_connections(tmp_path):
    from orchestrator.clients import CloudConnections, NamedCloudConnection, cloud_factory
    from orchestrator.config import load_settings

    def configured(**environ: str):
        return load_settings(environ={"HOME": str(tmp_path), **{f"ORCHESTRATOR_CLOUD__{k.upper()}": v
                                                               for k, v in environ.items()}})

    assert cloud_factory(configured()) is None
    assert isinstance(cloud_factory(configured(sandbox_url="http://127.0.0.1:8100")), CloudConnections)
    named = cloud_factory(configured(name="mycloud"))
    assert isinstance(named, NamedCloudConnection) and named.name == "mycloud"


# -- orchestrator serve ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def serve(tmp_path_factory) -> Iterator[tuple[Path, int]]:
    """``orchestrator serve`` with its sandbox: the data directory and the port."""
    folder = tmp_path_factory.mktemp("serve")
    started = Processes(folder)
    data, port = folder / "data", free_port()
    try:
        process = started.start("serve", "serve", "--data-dir", data, "--port", port, env=clean_environment())
        wait_for_http(f"http://127.0.0.1:{port}/sandbox/identity/v3", process)
        yield data, port
    finally:
        started.close()


def openstack(data: Path, cloud: str, *args: str) -> str:
    """``openstack --os-cloud CLOUD ARGS…`` with serve's clouds.yaml; what it printed."""
    done = subprocess.run([OPENSTACK_CLI, "--os-cloud", cloud, *args], capture_output=True, text=True, timeout=120,
                          env=clean_environment(OS_CLIENT_CONFIG_FILE=str(data / "clouds.yaml")))
    assert done.returncode == 0, f"openstack {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def listed(data: Path, *args: str) -> list[dict]:
    return json.loads(openstack(data, "sandbox", *args, "-f", "json"))


def test_serve_writes_a_sandbox_cloud_into_clouds_yaml(serve):
    data, port = serve
    clouds = yaml.safe_load((data / "clouds.yaml").read_text())["clouds"]
    assert set(clouds) == {"orchestrator", "sandbox"}
    assert clouds["sandbox"] == {
        "auth_type": "password", "identity_api_version": 3, "region_name": "RegionOne",
        "auth": {"auth_url": f"http://127.0.0.1:{port}/sandbox/identity/v3", "username": "demo",
                 "password": PASSWORD, "project_name": "demo", "user_domain_id": "default",
                 "project_domain_id": "default"}}


def test_the_openstack_cli_issues_a_token_and_lists_the_catalog_and_projects(serve):
    data, port = serve
    token = json.loads(openstack(data, "sandbox", "token", "issue", "-f", "json"))
    assert token["id"] and token["project_id"] and token["user_id"]
    catalog = listed(data, "catalog", "list")
    assert {entry["Type"] for entry in catalog} >= {"identity", "compute", "image", "network", "block-storage",
                                                    "load-balancer"}
    urls = " ".join(str(entry["Endpoints"]) for entry in catalog)
    assert f"http://127.0.0.1:{port}/sandbox/compute/v2.1" in urls, urls
    assert [project["Name"] for project in listed(data, "project", "list")] == ["demo"]


def test_the_orchestration_api_still_answers_beside_the_sandbox(serve):
    data, _ = serve
    stacks = json.loads(openstack(data, "orchestrator", "stack", "list", "-f", "json"))
    assert stacks == []


# -- every service through the CLI ------------------------------------------------------------------

@pytest.mark.parametrize("command", [("server", "list"), ("network", "list"), ("volume", "list"),
                                     ("floating", "ip", "list"), ("loadbalancer", "list"), ("flavor", "list"),
                                     ("image", "list")])
def test_the_openstack_cli_lists_every_service(serve, command):
    data, _ = serve
    assert isinstance(listed(data, *command), list)


def test_a_stack_made_through_the_api_acts_on_the_same_sandbox(serve):
    data, _ = serve
    template = data.parent / "network.yaml"
    template.write_text(yaml.safe_dump({
        "heat_template_version": "2018-08-31",
        "resources": {"net": {"type": "OS::Neutron::Net", "properties": {"name": "from-a-stack"}}}}))
    openstack(data, "orchestrator", "stack", "create", "-t", str(template), "net", "--wait", "--poll", "1")
    assert "from-a-stack" in [network["Name"] for network in listed(data, "network", "list")]
    openstack(data, "orchestrator", "stack", "delete", "net", "--yes", "--wait")
    assert "from-a-stack" not in [network["Name"] for network in listed(data, "network", "list")]


def test_a_flavor_missing_from_the_sandbox_fails_stack_create(serve):
    data, _ = serve
    template = data.parent / "server.yaml"
    template.write_text(yaml.safe_dump({
        "heat_template_version": "2018-08-31",
        "parameters": {"flavor": {"type": "string", "constraints": [{"custom_constraint": "nova.flavor"}]}},
        "resources": {}}))
    done = subprocess.run([OPENSTACK_CLI, "--os-cloud", "orchestrator", "stack", "create", "-t", str(template),
                           "--parameter", "flavor=m1.huge", "huge"], capture_output=True, text=True, timeout=120,
                          env=clean_environment(OS_CLIENT_CONFIG_FILE=str(data / "clouds.yaml")))
    assert done.returncode != 0
    assert "Error validating value 'm1.huge'" in done.stderr, done.stderr


def test_the_three_tier_example_through_the_cli_creates_and_deletes_leaving_nothing(serve):
    """templates/web_app_lb.yaml, as a user would run it: created, shown, deleted; the sandbox is empty after."""
    data, _ = serve
    example = Path(__file__).parents[2] / "templates" / "web_app_lb.yaml"
    openstack(data, "orchestrator", "stack", "create", "-t", str(example), "shop", "--wait", "--poll", "1")
    shown = json.loads(openstack(data, "orchestrator", "stack", "show", "shop", "-f", "json"))
    assert shown["stack_status"] == "CREATE_COMPLETE", shown["stack_status_reason"]
    outputs = {o["output_key"]: o["output_value"] for o in shown["outputs"]}
    [balancer] = listed(data, "loadbalancer", "list")
    assert (balancer["provisioning_status"], balancer["vip_address"]) == ("ACTIVE", outputs["vip_address"])
    assert outputs["url"] == f"http://{outputs['lb_address']}/"
    assert sorted(s["Name"] for s in listed(data, "server", "list")) == [
        "shop-app", "shop-db", "shop-web-1", "shop-web-2"]
    assert sorted(v["Status"] for v in listed(data, "volume", "list")) == ["in-use"] * 3

    openstack(data, "orchestrator", "stack", "delete", "shop", "--yes", "--wait")
    for command in (("server", "list"), ("volume", "list"), ("loadbalancer", "list"), ("floating", "ip", "list")):
        assert listed(data, *command) == [], command
    assert [p for p in listed(data, "port", "list", "--long") if not p["Device Owner"].startswith("network:dhcp")] \
        == []
