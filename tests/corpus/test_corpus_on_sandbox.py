"""Corpus templates whose resource types all have plugins create and delete cleanly on the sandbox.

Every HOT template of the shared corpus is sorted at collection time:

* its types (after its environment's registry, through child templates) all
  have a plugin, and it needs nothing the sandbox lacks: it is run here —
  created on an in-process sandbox through the engine with the real plugins,
  then deleted, leaving nothing behind in the project;
* otherwise it is listed (a skipped case naming why): types without a plugin,
  files the corpus lacks, or a feature the sandbox cannot provide (``NOT_RUN``).

Parameters come from one table of parameter name -> value (``VALUES``); the
values that name cloud objects (an image, a key pair, an existing network…)
are made to exist first.  ``docs/corpus.md`` lists the outcome.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from orchestrator.engine.requests import StackRequest
from orchestrator.engine.signing import SignalSigner, SignalUrls
from orchestrator.sandbox.image import CIRROS
from orchestrator.template.files import gather
from orchestrator.template.validation import Validator
from tests.engine.harness import Harness, discovered_plugins, make_harness
from tests.plugins.test_example_templates import inventory
from tests.sandbox.cloud import SandboxCloud, sandbox_cloud

from .conftest import corpus_root, manifest
from .test_heat_templates import ENVIRONMENT_PAIRS

pytestmark = pytest.mark.corpus

HOT_TEMPLATES = sorted(f["path"] for f in manifest()["files"] if f["kind"] == "hot")

#: each template's own environment (``<name>_env.yaml`` beside it), when it has one
OWN_ENVIRONMENT = {template: env for env, template in ENVIRONMENT_PAIRS.items()
                   if env.removesuffix("_env.yaml") == template.removesuffix(".yaml")}

#: templates whose types all have plugins but that need what the sandbox cannot give, and why
NOT_RUN = {
    **{path: "waits for a signal from software in the server (OS::Heat::WaitCondition signalled by user_data); "
             "the sandbox runs no guest" for path in (
        "hot/native_waitcondition.yaml",
        "hot/Windows/ActiveDirectoryController/ActiveDirectoryDomainController.yaml",
        "hot/Windows/IIS_Drupal/IIS_Drupal.yaml",
        "hot/Windows/MSSQLServer/MSSQL.yaml",
        "hot/Windows/PuppetAgent/puppet-agent.yaml")},
    "hot/multi_region_hello_world.yaml": "nested stacks in other regions (OS::Heat::Stack context.region_name "
                                         "RegionOne and RegionTwo): remote stacks are not supported and the "
                                         "sandbox has one region",
    "hot/external_resource.yaml": "adopts an existing server by external_id (default da5b940a-...), which the "
                                  "sandbox cannot have: it gives servers ids of its own; and the engine's support "
                                  "of external_id is only being added",
}

#: image names templates give literally (not as a parameter): registered as copies of cirros
LITERAL_IMAGES = ("centos-6.5-x86_64-cfntools",)

# -- parameters ----------------------------------------------------------------------------

# Values that name cloud objects: made to exist before the stack (see ``Prerequisites``).
IMAGE, FLAVOR, KEY = "<image>", "<flavor>", "<key>"
PUBLIC_NET, NET, SUBNET, SERVER, POOL = "<public net>", "<net>", "<subnet>", "<server>", "<pool>"
#: placeholders given even when the parameter has a default (defaults name objects the sandbox lacks)
CLOUD_OBJECTS = {IMAGE, FLAVOR, KEY, PUBLIC_NET, NET, SUBNET}

#: parameter name -> value (a placeholder above, or the value itself)
VALUES: dict[str, Any] = {
    **dict.fromkeys(("image", "image_id", "chef_image_name"), IMAGE),
    **dict.fromkeys(("flavor", "instance_type", "chef_flavor_name", "database_flavor"), FLAVOR),
    **dict.fromkeys(("key_name", "ssh_key_name", "key"), KEY),
    **dict.fromkeys(("public_net", "public_net_id", "public_network_id", "external_network_id"), PUBLIC_NET),
    **dict.fromkeys(("private_net_id", "net_id", "private_network_id", "private_network", "network"), NET),
    **dict.fromkeys(("private_subnet_id", "subnet_id", "subnet"), SUBNET),
    "instance_id": SERVER,
    "pool_id": POOL,
    "admin_pass": "Secret12",
    "private_net_name": "corpus-private",
    "private_net_cidr": "10.20.0.0/24",
    "private_net_gateway": "10.20.0.1",
    "private_net_pool_start": "10.20.0.10",
    "private_net_pool_end": "10.20.0.100",
    "server1_name": "web1",
    "server2_name": "web2",
    "lengths": "8,12,16",
    "index": 1,
    "metadata": {"metering.server_group": "corpus"},
    "user_data": "#!/bin/sh\necho hello\n",
}


# -- sorting the corpus --------------------------------------------------------------------


def _types(report, found: set[str]) -> None:
    """The plugin types a validated template and its children use (template resources left out)."""
    if report.definition is not None:
        found.update(r.resolved_type for r in report.definition.resources.values() if r.template is None)
    for child in report.children.values():
        _types(child, found)


def _member_types(files: dict[str, str]) -> set[str]:
    """The plugin types the bundle's other templates declare: the members of groups (``resource: {type: x.yaml}``)
    are templates the validator does not open, since only a group's plugin knows they are templates."""
    found = set()
    for text in files.values():
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if isinstance(document, dict) and "heat_template_version" in document:
            found.update(resource["type"] for resource in (document.get("resources") or {}).values()
                         if isinstance(resource, dict) and isinstance(resource.get("type"), str)
                         and not resource["type"].endswith((".yaml", ".template")))
    return found


def _sort(path: str) -> tuple[str | None, Any]:
    """``(reason it is not run, None)`` or ``(None, bundle)`` for a corpus template."""
    root = corpus_root()
    environments = [str(root / OWN_ENVIRONMENT[path])] if path in OWN_ENVIRONMENT else []
    bundle = gather(str(root / path), environments)
    report = Validator(catalog=discovered_plugins(), allow_unknown_types=True, documents=bundle.documents).validate(
        bundle.template, files=bundle.files, environment_files=bundle.environment_files)
    types = _member_types(bundle.files)
    _types(report, types)
    missing = sorted(t for t in types if not discovered_plugins().has_type(t))
    if missing:
        return f"no plugin for {', '.join(missing)}", None
    if bundle.problems:
        return "gets files the corpus lacks (heat-agents scripts)", None
    if path in NOT_RUN:
        return NOT_RUN[path], None
    if report.all_problems():
        return f"invalid: {report.all_problems()[0].message}", None
    return None, bundle


SORTED = {path: _sort(path) for path in HOT_TEMPLATES}
RUN = sorted(path for path, (reason, _) in SORTED.items() if reason is None)


# -- the sandbox and what a template expects to exist ---------------------------------------


@pytest.fixture
def cloud() -> Iterator[SandboxCloud]:
    with sandbox_cloud() as running:
        yield running


@pytest.fixture
def engine(tmp_path, cloud: SandboxCloud) -> Iterator[Harness]:
    # signal URLs as a served API makes them: alarms need a real URL for their actions
    signals = SignalUrls(SignalSigner("corpus", "http://127.0.0.1:8004"))
    with make_harness(tmp_path, cloud=cloud.connections, services={"signals": signals}) as running:
        yield running


def _wait(what: str, read, ready: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value == ready:
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what} ({value})"
        time.sleep(0.05)


class Prerequisites:
    """The cloud objects a template's parameters name, made on first use in the ``demo`` project."""

    def __init__(self, cloud: SandboxCloud):
        self.cloud = cloud
        self.conn = cloud.connect("demo")
        self._made: dict[str, Any] = {}

    def _once(self, key: str, make) -> Any:
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def image(self, name: str) -> str:
        """An image of that name (a copy of cirros when the template allows only other names)."""
        if self.conn.image.find_image(name) is None:
            self.cloud.app.extensions["sandbox"].store.add(
                "image", {**CIRROS, "id": str(uuid.uuid4()), "name": name})
        return name

    def key(self, name: str) -> str:
        return self._once(f"key {name}", lambda: self.conn.compute.create_keypair(name=name).name)

    def public(self) -> str:
        return self.conn.network.find_network("public").id

    def network(self) -> tuple[str, str]:
        """An existing private network and subnet, routed to ``public`` (for floating IPs)."""
        def make():
            net = self.conn.network.create_network(name="existing-private")
            subnet = self.conn.network.create_subnet(network_id=net.id, ip_version=4, cidr="10.30.0.0/24",
                                                     name="existing-private-subnet")
            router = self.conn.network.create_router(name="existing-router",
                                                     external_gateway_info={"network_id": self.public()})
            self.conn.network.add_interface_to_router(router, subnet=subnet.id)
            return net.id, subnet.id
        return self._once("network", make)

    def server(self) -> str:
        def make():
            server = self.conn.compute.create_server(
                name="existing-server", image_id=self.conn.image.find_image("cirros").id,
                flavor_id=self.conn.compute.find_flavor("m1.tiny").id, networks=[{"uuid": self.network()[0]}])
            _wait("the server", lambda: self.conn.compute.get_server(server.id).status, "ACTIVE")
            return server.id
        return self._once("server", make)

    def pool(self) -> str:
        def make():
            lbs = self.conn.load_balancer
            lb = lbs.create_load_balancer(name="existing-lb", vip_subnet_id=self.network()[1])

            def active():
                _wait("the load balancer", lambda: lbs.get_load_balancer(lb.id).provisioning_status, "ACTIVE")
            active()
            listener = lbs.create_listener(loadbalancer_id=lb.id, protocol="HTTP", protocol_port=80)
            active()
            pool = lbs.create_pool(listener_id=listener.id, protocol="HTTP", lb_algorithm="ROUND_ROBIN")
            active()
            return pool.id
        return self._once("pool", make)

    def value(self, placeholder: Any, schema: dict) -> Any:
        """The value a placeholder stands for, the objects it names made."""
        default, allowed = schema.get("default"), _allowed_values(schema)
        if placeholder == IMAGE:
            return self.image("cirros" if allowed is None or "cirros" in allowed else allowed[0])
        if placeholder == FLAVOR:
            return "m1.small" if allowed is None or "m1.small" in allowed else allowed[0]
        if placeholder == KEY:
            return self.key(default or "heat_key")
        if placeholder == PUBLIC_NET:
            return self.public()
        if placeholder == NET:
            return self.network()[0]
        if placeholder == SUBNET:
            return self.network()[1]
        if placeholder == SERVER:
            return self.server()
        if placeholder == POOL:
            return self.pool()
        return placeholder


def _allowed_values(schema: dict) -> list | None:
    for constraint in schema.get("constraints") or []:
        if "allowed_values" in constraint:
            return list(constraint["allowed_values"])
    return None


def parameters(bundle, made: Prerequisites) -> dict[str, Any]:
    """Values for the parameters the template has no (usable) default for, from ``VALUES``."""
    values = {}
    for name, schema in (bundle.template.data.get("parameters") or {}).items():
        if name not in VALUES:
            continue
        if "default" in schema and VALUES[name] not in CLOUD_OBJECTS:
            continue
        values[name] = made.value(VALUES[name], schema)
    return values


# -- the tests -----------------------------------------------------------------------------


def _cases() -> list:
    return [pytest.param(path, id=path) if reason is None else
            pytest.param(path, id=path, marks=pytest.mark.skip(reason=f"not run: {reason}"))
            for path, (reason, _) in sorted(SORTED.items())]


@pytest.mark.parametrize("path", _cases())
def test_corpus_template_creates_and_deletes_on_the_sandbox(engine: Harness, cloud: SandboxCloud, path: str):
    bundle = SORTED[path][1]
    made = Prerequisites(cloud)
    values = parameters(bundle, made)
    for image in LITERAL_IMAGES:
        made.image(image)
    conn = made.conn
    before = inventory(conn)
    request = StackRequest(name="corpus", template=bundle.template.data, files=bundle.files, parameters=values,
                           environment_files=bundle.environment_files or None, project_id="demo")
    job = engine.engine.create_stack(request)
    engine.run(job)
    row = engine.stack(job.stack_id)
    failed = [(name, state, reason) for name, state, reason in engine.events(job.stack_id) if "FAILED" in state]
    assert (row.action, row.status) == ("CREATE", "COMPLETE"), f"{row.status_reason}\n{failed}"

    assert engine.delete(job.stack_id), engine.stack(job.stack_id).status_reason
    assert engine.state(job.stack_id) == "DELETE_COMPLETE"
    after = inventory(conn)
    left = {kind: ids - before[kind] for kind, ids in after.items() if ids - before[kind]}
    assert not left, f"left in the cloud: {left}"


def test_the_corpus_is_sorted():
    """Every HOT template is either run or listed with a reason; the run list is not empty."""
    assert len(SORTED) == 102
    assert RUN, "no corpus template is run on the sandbox"
    assert set(NOT_RUN) <= set(SORTED)


def test_the_docs_list_the_runs():
    """``docs/corpus.md`` names every template run here."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "corpus.md").read_text()
    assert all(f"`{path}`" in text for path in RUN), [p for p in RUN if f"`{p}`" not in text]
