"""Custom constraints checked against the cloud: plugin lookups, the project scope, offline passes, the API's 400."""

from __future__ import annotations

import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest

from orchestrator.api import create_app
from orchestrator.config import Settings
from orchestrator.db.database import Database
from orchestrator.engine.cloud_constraints import (attach_cloud_constraints, cloud_checks, failure_message,
                                                   plugin_lookups)
from orchestrator.engine.context import EngineContext
from orchestrator.engine.service import Engine
from orchestrator.engine.setup import open_engine
from orchestrator.template.errors import InvalidArguments
from resources.registry import PluginRegistry
from tests.sandbox.cloud import SandboxCloud, sandbox_cloud

#: a plugin module of the test's own: a type whose property must name a Keystone project of the stack's project
PLUGIN = textwrap.dedent('''
    from resources.base import Resource
    from resources.schema import String
    from orchestrator.template.constraints import CustomConstraint

    LOOKUPS = []


    def find_project(connection, value):
        LOOKUPS.append(value)
        connection.identity.find_project(value, ignore_missing=False)


    def find_widget(connection, value):
        if value != "widget":
            raise LookupError(f"No Widget found for {value}")


    CUSTOM_CONSTRAINTS = {"keystone.project": find_project, "sandbox.widget": find_widget}


    class ProjectUser(Resource):
        type_name = "Test::ProjectUser"
        properties_schema = {
            "project": String("A project.", required=True, constraints=(CustomConstraint("keystone.project"),)),
            "widget": String("A widget.", constraints=(CustomConstraint("sandbox.widget"),)),
        }
''')

TEMPLATE = {"heat_template_version": "2018-08-31",
            "parameters": {"project": {"type": "string", "default": "demo"}},
            "resources": {"user": {"type": "Test::ProjectUser", "properties": {"project": {"get_param": "project"}}}}}


@pytest.fixture
def plugins(tmp_path: Path) -> PluginRegistry:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "project_user.py").write_text(PLUGIN)
    return PluginRegistry.discover([str(folder)], use_entry_points=False)


@pytest.fixture
def cloud(monkeypatch) -> Iterator[SandboxCloud]:
    """The sandbox with Keystone only: these tests need no other service."""
    from orchestrator.sandbox import app as sandbox_app

    monkeypatch.setattr(sandbox_app, "SERVICES", tuple(s for s in sandbox_app.SERVICES if s.type == "identity"))
    with sandbox_cloud() as running:
        yield running


@pytest.fixture
def context(tmp_path: Path, plugins: PluginRegistry, cloud: SandboxCloud) -> Iterator[EngineContext]:
    database = Database(f"sqlite:///{tmp_path / 'engine.db'}")
    database.upgrade()
    made = EngineContext(database, plugins, cloud_factory=cloud.connections)
    attach_cloud_constraints(made)
    try:
        yield made
    finally:
        made.close()
        database.dispose()


def _lookups(plugins: PluginRegistry) -> list[str]:
    return sys.modules[plugins.get("Test::ProjectUser").__module__].LOOKUPS


def test_the_plugin_modules_lookups_are_found(plugins):
    assert sorted(plugin_lookups(plugins)) == ["keystone.project", "sandbox.widget"]


def test_a_plugin_package_may_declare_them_in_its_init(monkeypatch):
    import types

    from resources.base import Resource

    package, module = types.ModuleType("fake_plugins"), types.ModuleType("fake_plugins.net")
    package.CUSTOM_CONSTRAINTS = {"neutron.network": lambda connection, value: None}
    monkeypatch.setitem(sys.modules, "fake_plugins", package)
    monkeypatch.setitem(sys.modules, "fake_plugins.net", module)
    net = type("Net", (Resource,), {"type_name": "Fake::Net", "__module__": "fake_plugins.net"})
    assert list(plugin_lookups(PluginRegistry({"Fake::Net": net}))) == ["neutron.network"]


def test_a_value_missing_from_the_stacks_project_fails_in_heats_words(context, plugins):
    registry = context.custom_constraints
    with cloud_checks("demo"):
        registry.check("keystone.project", "demo")
        with pytest.raises(InvalidArguments) as caught:
            registry.check("keystone.project", "nope")
    assert caught.value.message == "Error validating value 'nope': No Project found for nope"


def test_a_name_heat_does_not_know_is_attached_too(context):
    with cloud_checks("demo"):
        context.custom_constraints.check("sandbox.widget", "widget")
        with pytest.raises(InvalidArguments, match="Error validating value 'gadget': No Widget found for gadget"):
            context.custom_constraints.check("sandbox.widget", "gadget")


def test_checks_pass_outside_a_request_and_without_a_cloud(context, plugins):
    context.custom_constraints.check("keystone.project", "nope")  # no scope: a stored stack being deleted, say
    context.cloud_factory = None
    with cloud_checks("demo"):
        context.custom_constraints.check("keystone.project", "nope")  # offline validation
    assert _lookups(plugins) == []


def test_the_lookup_acts_in_the_scopes_project(context, cloud):
    admin = cloud.connect_as("admin", "admin")
    admin.identity.create_project(name="other", domain_id="default")
    with cloud_checks("other"):
        context.custom_constraints.check("keystone.project", "other")
        with pytest.raises(InvalidArguments):
            context.custom_constraints.check("keystone.project", "demo")  # a member sees its own project only


def test_a_value_found_is_looked_up_once_per_operation(context, plugins):
    with cloud_checks("demo"):
        for _ in range(5):
            context.custom_constraints.check("keystone.project", "demo")
        with cloud_checks("demo"):  # nested: the same operation
            context.custom_constraints.check("keystone.project", "demo")
    with cloud_checks("demo"):
        context.custom_constraints.check("keystone.project", "demo")
    assert _lookups(plugins) == ["demo", "demo"]


def test_failure_messages_leave_out_the_http_details():
    from openstack import exceptions

    assert failure_message(exceptions.ResourceNotFound("No Flavor found for m1.huge")) == \
        "No Flavor found for m1.huge"
    assert failure_message(LookupError("gone")) == "gone"
    assert failure_message(RuntimeError()) == "RuntimeError"


def test_open_engine_attaches_the_plugins_constraints_to_the_configured_cloud(tmp_path, cloud):
    settings = replace(Settings(), service=replace(Settings().service, data_dir=str(tmp_path)))
    engine = open_engine(settings, cloud_factory=cloud.connections)
    try:
        assert engine.context.cloud_factory is cloud.connections
        assert engine.context.custom_constraints is engine.context.plugins.custom_constraints
    finally:
        engine.context.close()
        engine.context.database.dispose()
    engine = open_engine(settings)
    try:
        assert engine.context.cloud_factory is None  # no [cloud]: the engine's "no cloud" error stays
    finally:
        engine.context.close()
        engine.context.database.dispose()


# -- through the API ------------------------------------------------------------------------------

class _Jobs:
    def __init__(self) -> None:
        self.submitted: list[Any] = []

    def submit(self, job: Any) -> None:
        self.submitted.append(job)


@pytest.fixture
def api(tmp_path, context):
    settings = replace(Settings(), service=replace(Settings().service, data_dir=str(tmp_path)),
                       api=replace(Settings().api, tokens=("demo-token=demo/member",), signing_key="k"))
    app = create_app(settings, Engine(context), _Jobs())
    client = app.test_client()
    client.environ_base["HTTP_X_AUTH_TOKEN"] = "demo-token"
    return client


def test_stack_create_refuses_a_value_missing_from_the_cloud_with_a_400(api):
    response = api.post("/v1/demo/stacks", json={"stack_name": "bad", "template": TEMPLATE,
                                                 "parameters": {"project": "m1.huge"}})
    assert response.status_code == 400, response.text
    error = response.get_json()["error"]
    assert error["type"] == "StackValidationFailed"
    # the service's problem format: the path, then Heat's message
    assert error["message"] == ("resources.user.properties.project: Property error: "
                                "Error validating value 'm1.huge': No Project found for m1.huge")
    good = api.post("/v1/demo/stacks", json={"stack_name": "good", "template": TEMPLATE})
    assert good.status_code == 201, good.text


def test_template_validate_refuses_it_too(api):
    response = api.post("/v1/demo/validate", json={"template": TEMPLATE, "parameters": {"project": "nope"}})
    assert response.status_code == 400, response.text
    assert response.get_json()["error"]["message"] == (
        "resources.user.properties.project: Property error: Error validating value 'nope': No Project found for nope")
    assert api.post("/v1/demo/validate", json={"template": TEMPLATE}).status_code == 200


def test_a_parameters_custom_constraint_is_checked_against_the_cloud_too(api):
    template = {"heat_template_version": "2018-08-31", "resources": {},
                "parameters": {"project": {"type": "string",
                                           "constraints": [{"custom_constraint": "keystone.project"}]}}}
    response = api.post("/v1/demo/stacks", json={"stack_name": "bad", "template": template,
                                                 "parameters": {"project": "nope"}})
    assert response.status_code == 400, response.text
    assert "Error validating value 'nope': No Project found for nope" in response.get_json()["error"]["message"]
    good = api.post("/v1/demo/stacks", json={"stack_name": "good", "template": template,
                                             "parameters": {"project": "demo"}})
    assert good.status_code == 201, good.text
