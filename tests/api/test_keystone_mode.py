"""The API in keystone mode with stacks that act through Keystone trusts, on a sandbox cloud served over HTTP.

The sandbox's Keystone validates the users' tokens and holds the trusts; its
other services hold what the stacks make, so each test can check in which
project an object was made and whether a trust still exists.  Users:
``demo`` and ``demo2`` (members of project demo), ``alt`` (a member of
project alt), ``admin`` (admin of project admin), and ``orchestrator``
(project service), the service user every trust delegates to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Iterator

import pytest
import requests
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3
from sqlalchemy import select, update

from orchestrator.config import CloudSettings, KeystoneSettings, Settings, complete_keystone
from orchestrator.db.models import Stack as StackRow
from orchestrator.sandbox import create_app
from orchestrator.sandbox.identity import add_project, add_user
from tests.sandbox.cloud import FAST_CLOUD, served

from .service import LiveService, assert_heat_error, live_service

PASSWORD = FAST_CLOUD.password
NETWORK = {"net": {"type": "OS::Neutron::Net", "properties": {"name": "kn-net"}},
           "subnet": {"type": "OS::Neutron::Subnet",
                      "properties": {"network": {"get_resource": "net"}, "cidr": "10.70.0.0/24"}}}
SERVER = {"server": {"type": "OS::Nova::Server", "depends_on": ["subnet"], "properties": {
    "image": "cirros", "flavor": "m1.tiny", "networks": [{"network": {"get_resource": "net"}}]}}}


def template(resources: dict) -> dict:
    return {"heat_template_version": "2021-04-16", "resources": resources}


@dataclass
class User:
    """A Keystone user of the sandbox, calling our API with their own token."""

    name: str
    token: str
    user_id: str
    project_id: str
    api: str

    def call(self, method: str, path: str, project: str | None = None, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, f"{self.api}/v1/{project or self.project_id}/{path.lstrip('/')}",
                                headers={"X-Auth-Token": self.token, "Accept": "application/json"}, timeout=30,
                                **kwargs)

    def create(self, name: str, resources: dict) -> str:
        response = self.call("POST", "stacks", json={"stack_name": name, "template": template(resources)})
        assert response.status_code == 201, response.text
        return response.json()["stack"]["id"]

    def wait(self, name: str, stack_id: str, timeout: float = 30) -> dict | None:
        """The stack once it is no longer in progress; ``None`` once deleted."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.call("GET", f"stacks/{name}/{stack_id}")
            if response.status_code == 404:
                return None
            assert response.status_code == 200, response.text
            stack = response.json()["stack"]
            if not stack["stack_status"].endswith("IN_PROGRESS"):
                return stack
            assert time.monotonic() < deadline, stack
            time.sleep(0.05)


@dataclass
class KeystoneDeployment:
    """Our service in keystone + trust mode and the sandbox cloud it acts on."""

    service: LiveService
    sandbox: Any
    users: dict[str, User]

    @property
    def store(self) -> Any:
        return self.sandbox.extensions["sandbox"].store

    def trust(self, trust_id: str) -> dict | None:
        return self.store.get("trust", trust_id)

    def stack_row(self, stack_id: str) -> Any:
        with self.service.engine.context.database.reading() as connection:
            return connection.execute(select(StackRow.__table__).where(StackRow.id == stack_id)).first()

    def set_trust(self, stack_id: str, trust_id: str | None) -> None:
        with self.service.engine.context.database.engine.begin() as connection:
            connection.execute(update(StackRow).where(StackRow.id == stack_id).values(trust_id=trust_id))

    def objects(self, kind: str, project_id: str) -> list[dict]:
        return [body for body in self.store.list(kind)
                if (body.get("project_id") or body.get("tenant_id")) == project_id]


def _add_member(app: Any, user: str, project: str) -> None:
    store = app.extensions["sandbox"].store
    with app.app_context():
        found = store.list("project", where=lambda p: p["name"] == project)
        made = found[0] if found else add_project(project)
        added = add_user(user, PASSWORD, made["id"])
        for role in store.list("role", where=lambda r: r["name"] in ("member", "reader")):
            store.add("assignment", {"user_id": added["id"], "project_id": made["id"], "role_id": role["id"]})


def _login(sandbox_url: str, api: str, name: str, project: str) -> User:
    auth = v3.Password(auth_url=f"{sandbox_url}/identity/v3", username=name, password=PASSWORD,
                       project_name=project, user_domain_id="default", project_domain_id="default")
    session = ksa_session.Session(auth=auth)
    return User(name, session.get_token(), session.get_user_id(), session.get_project_id(), api)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[KeystoneDeployment]:
    app = create_app(FAST_CLOUD)
    for user, project in (("orchestrator", "service"), ("demo2", "demo"), ("alt", "alt")):
        _add_member(app, user, project)
    try:
        with served(app) as sandbox_url:
            settings = complete_keystone(replace(
                Settings(), api=replace(Settings().api, auth="keystone"), cloud=CloudSettings(auth="trust"),
                keystone=KeystoneSettings(auth_url=f"{sandbox_url}/identity/v3", username="orchestrator",
                                          password=PASSWORD)))
            with live_service(tmp_path_factory.mktemp("keystone"), base=settings) as service:
                users = {name: _login(sandbox_url, service.url, name, project) for name, project in (
                    ("demo", "demo"), ("demo2", "demo"), ("alt", "alt"), ("admin", "admin"))}
                yield KeystoneDeployment(service, app, users)
    finally:
        app.extensions["sandbox"].store.close()


def test_tokens_are_validated_by_keystone(deployment):
    demo = deployment.users["demo"]
    assert demo.call("GET", "stacks").status_code == 200
    stranger = replace(demo, token="not-a-token")
    assert_heat_error(stranger.call("GET", "stacks"), 401)


def test_a_stack_acts_as_its_user_in_their_project_with_a_trust_deleted_with_it(deployment):
    demo, alt = deployment.users["demo"], deployment.users["alt"]
    service_project = deployment.store.list("project", where=lambda p: p["name"] == "service")[0]["id"]
    stack_id = demo.create("kn-server", {**NETWORK, **SERVER})
    stack = demo.wait("kn-server", stack_id)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    row = deployment.stack_row(stack_id)
    trust = deployment.trust(row.trust_id)
    assert (trust["trustor_user_id"], trust["project_id"], trust["impersonation"]) == (
        demo.user_id, demo.project_id, True)
    assert row.trustor_id == demo.user_id
    orchestrator = deployment.store.list("user", where=lambda u: u["name"] == "orchestrator")[0]
    assert trust["trustee_user_id"] == orchestrator["id"]
    # made in the user's project, nothing in the service user's own
    assert [n["name"] for n in deployment.objects("network", demo.project_id)] == ["kn-net"]
    assert len(deployment.objects("server", demo.project_id)) == 1
    assert deployment.objects("network", service_project) == deployment.objects("server", service_project) == []
    # another project's user cannot reach the stack, by its project's URL or their own
    assert_heat_error(alt.call("GET", f"stacks/kn-server/{stack_id}", project=demo.project_id), 403)
    assert_heat_error(alt.call("GET", f"stacks/kn-server/{stack_id}"), 404)
    assert_heat_error(alt.call("DELETE", f"stacks/kn-server/{stack_id}"), 404)
    assert alt.call("GET", "stacks").json()["stacks"] == []
    assert demo.call("DELETE", f"stacks/kn-server/{stack_id}").status_code == 204
    assert demo.wait("kn-server", stack_id) is None
    assert deployment.trust(row.trust_id) is None, "the trust goes with the stack"
    assert deployment.objects("network", demo.project_id) == []


def test_checks_made_while_the_user_waits_act_with_their_own_token(deployment):
    demo = deployment.users["demo"]
    bad = {"server": {"type": "OS::Nova::Server", "properties": {"image": "cirros", "flavor": "m1.nope"}}}
    response = demo.call("POST", "stacks", json={"stack_name": "kn-bad-flavor", "template": template(bad)})
    assert_heat_error(response, 400, "StackValidationFailed", "m1.nope")
    validated = demo.call("POST", "validate", json={"template": template(bad)})
    assert_heat_error(validated, 400, message="m1.nope")


def test_a_stack_not_stored_leaves_no_trust(deployment):
    demo = deployment.users["demo"]
    stack_id = demo.create("kn-twice", NETWORK)
    before = len(deployment.store.list("trust"))
    assert_heat_error(demo.call("POST", "stacks", json={"stack_name": "kn-twice", "template": template(NETWORK)}),
                      409, "StackExists")
    assert len(deployment.store.list("trust")) == before
    demo.wait("kn-twice", stack_id)
    demo.call("DELETE", f"stacks/kn-twice/{stack_id}")
    assert demo.wait("kn-twice", stack_id) is None


def test_a_trust_keystone_refuses_is_a_400_and_no_stack(deployment):
    admin, demo = deployment.users["admin"], deployment.users["demo"]
    # an admin may act in demo's project, but holds no role there to delegate
    response = admin.call("POST", "stacks", project=demo.project_id,
                          json={"stack_name": "kn-refused", "template": template(NETWORK)})
    error = assert_heat_error(response, 400, "MissingCredentialError", "Keystone refused to make the stack's trust")
    assert "Could not find role" in error["message"]
    assert_heat_error(demo.call("GET", "stacks/kn-refused"), 404)


def test_nested_stacks_act_with_their_roots_trust(deployment):
    demo = deployment.users["demo"]
    group = {"group": {"type": "OS::Heat::ResourceGroup", "properties": {"count": 2, "resource_def": {
        "type": "OS::Neutron::Net", "properties": {"name": "kn-member"}}}}}
    stack_id = demo.create("kn-group", group)
    assert demo.wait("kn-group", stack_id)["stack_status"] == "CREATE_COMPLETE"
    root = deployment.stack_row(stack_id)
    with deployment.service.engine.context.database.reading() as connection:
        nested = connection.execute(select(StackRow.trust_id).where(StackRow.owner_id == stack_id)).all()
    assert [row.trust_id for row in nested] == [root.trust_id]
    assert len(deployment.objects("network", demo.project_id)) == 2
    demo.call("DELETE", f"stacks/kn-group/{stack_id}")
    assert demo.wait("kn-group", stack_id) is None
    assert deployment.trust(root.trust_id) is None


def test_an_update_by_another_user_of_the_project_gives_the_stack_their_trust(deployment):
    demo, demo2 = deployment.users["demo"], deployment.users["demo2"]
    stack_id = demo.create("kn-shared", NETWORK)
    demo.wait("kn-shared", stack_id)
    first = deployment.stack_row(stack_id).trust_id
    grown = {**NETWORK, "other": {"type": "OS::Neutron::Net", "properties": {"name": "kn-other"}}}
    response = demo2.call("PUT", f"stacks/kn-shared/{stack_id}", json={"template": template(grown)})
    assert response.status_code == 202, response.text
    assert demo2.wait("kn-shared", stack_id)["stack_status"] == "UPDATE_COMPLETE"
    row = deployment.stack_row(stack_id)
    assert row.trust_id != first and row.trustor_id == demo2.user_id
    assert deployment.trust(first) is None, "the replaced trust is deleted"
    assert deployment.trust(row.trust_id)["trustor_user_id"] == demo2.user_id
    # the same user again keeps it
    assert demo2.call("PATCH", f"stacks/kn-shared/{stack_id}", json={}).status_code == 202
    demo2.wait("kn-shared", stack_id)
    assert deployment.stack_row(stack_id).trust_id == row.trust_id
    demo.call("DELETE", f"stacks/kn-shared/{stack_id}")
    assert demo.wait("kn-shared", stack_id) is None
    assert deployment.trust(row.trust_id) is None


def test_a_deleted_trust_fails_the_resource_that_needs_it_saying_so(deployment):
    demo, admin = deployment.users["demo"], deployment.users["admin"]
    stack_id = demo.create("kn-revoked", NETWORK)
    demo.wait("kn-revoked", stack_id)
    trust_id = deployment.stack_row(stack_id).trust_id
    # Keystone's admin deletes the trust behind the service's back
    keystone = f"{deployment.service.settings.api.keystone_url}/OS-TRUST/trusts/{trust_id}"
    assert requests.delete(keystone, headers={"X-Auth-Token": admin.token}, timeout=10).status_code == 204
    grown = {**NETWORK, "other": {"type": "OS::Neutron::Net", "properties": {"name": "kn-other"}}}
    assert demo.call("PUT", f"stacks/kn-revoked/{stack_id}", json={"template": template(grown)}).status_code == 202
    stack = demo.wait("kn-revoked", stack_id)
    assert stack["stack_status"] == "UPDATE_FAILED"
    assert f"Keystone no longer honours trust {trust_id}" in stack["stack_status_reason"]


def test_a_stack_without_a_trust_fails_clearly_and_gets_one_at_its_next_update(deployment):
    demo = deployment.users["demo"]
    stack_id = demo.create("kn-trustless", {"net": NETWORK["net"]})
    demo.wait("kn-trustless", stack_id)
    first = deployment.stack_row(stack_id).trust_id
    deployment.set_trust(stack_id, None)  # as a stack made before the service acted with trusts
    demo.call("DELETE", f"stacks/kn-trustless/{stack_id}")
    stack = demo.wait("kn-trustless", stack_id)
    assert stack["stack_status"] == "DELETE_FAILED"
    assert "stack kn-trustless has no Keystone trust to act with" in stack["stack_status_reason"]
    assert demo.call("PATCH", f"stacks/kn-trustless/{stack_id}", json={}).status_code == 202
    updated = demo.wait("kn-trustless", stack_id)
    assert updated["stack_status"] == "UPDATE_COMPLETE", updated["stack_status_reason"]
    renewed = deployment.stack_row(stack_id).trust_id
    assert renewed and renewed != first
    demo.call("DELETE", f"stacks/kn-trustless/{stack_id}")
    assert demo.wait("kn-trustless", stack_id) is None
    assert deployment.trust(renewed) is None
    deployment.store.remove("trust", first)


def test_abandon_deletes_the_trust_and_adopt_makes_a_new_one(deployment):
    demo = deployment.users["demo"]
    stack_id = demo.create("kn-abandon", NETWORK)
    demo.wait("kn-abandon", stack_id)
    trust_id = deployment.stack_row(stack_id).trust_id
    data = demo.call("DELETE", f"stacks/kn-abandon/{stack_id}/abandon").json()
    assert deployment.trust(trust_id) is None, "nothing acts for a forgotten stack"
    adopted = demo.call("POST", "stacks", json={"stack_name": "kn-adopted", "adopt_stack_data": data})
    assert adopted.status_code == 201, adopted.text
    adopted_id = adopted.json()["stack"]["id"]
    assert demo.wait("kn-adopted", adopted_id)["stack_status"] == "ADOPT_COMPLETE"
    new_trust = deployment.stack_row(adopted_id).trust_id
    assert deployment.trust(new_trust)["trustor_user_id"] == demo.user_id
    demo.call("DELETE", f"stacks/kn-adopted/{adopted_id}")
    assert demo.wait("kn-adopted", adopted_id) is None
    assert deployment.trust(new_trust) is None
    assert deployment.store.get("network", data["resources"]["net"]["resource_id"]) is None
