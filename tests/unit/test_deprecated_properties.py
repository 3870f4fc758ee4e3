"""Property names Heat renamed are still accepted, as Heat's translation rules accept them.

A property declares its old names (``deprecated_names``); a value given under
one is checked and handed to the plugin under the current name, problems point
at what the template wrote, and giving both names is Heat's property conflict.
The API's schema shows the current names only (Heat hides the old ones).
"""

from __future__ import annotations

from typing import Iterator

import pytest

from orchestrator.api.types import provider_template, resource_type_schema
from orchestrator.template.constraints import AllowedValues
from orchestrator.template.validation import Validator
from resources.registry import PluginRegistry
from resources.schema import Integer, List, Map, String, current_names, validate_properties
from tests.engine.harness import Harness, make_harness
from tests.sandbox.cloud import SandboxCloud, sandbox_cloud

SCHEMA = {
    "network": String("The network.", required=True, deprecated_names=("network_id",)),
    "size": Integer("A size.", constraints=(AllowedValues([1, 2]),), deprecated_names=("old_size", "older_size")),
    "fixed_ips": List("Addresses.", schema=Map(schema={
        "subnet": String("The subnet.", deprecated_names=("subnet_id",)),
        "ip_address": String("The address."),
    })),
    "name": String("A name."),
}

CATALOG = PluginRegistry.discover()

#: Heat's renamed properties of the types we have plugins for: type -> (path to the map, old, new)
RENAMED = [
    ("OS::Neutron::Port", (), "network_id", "network"),
    ("OS::Neutron::Port", ("fixed_ips", "*"), "subnet_id", "subnet"),
    ("OS::Neutron::Subnet", (), "network_id", "network"),
    ("OS::Neutron::FloatingIP", (), "floating_network_id", "floating_network"),
    ("OS::Neutron::RouterInterface", (), "router_id", "router"),
    ("OS::Neutron::RouterInterface", (), "subnet_id", "subnet"),
    ("OS::Neutron::RouterInterface", (), "port_id", "port"),
    ("OS::Nova::Server", ("networks", "*"), "uuid", "network"),
    ("OS::Nova::Server", ("block_device_mapping_v2", "*"), "image_id", "image"),
    ("OS::Cinder::Volume", (), "imageRef", "image"),
]


# -- the schema layer ----------------------------------------------------------------------------

def test_a_value_under_an_old_name_reaches_the_plugin_under_the_new_name():
    values, problems = validate_properties(SCHEMA, {"network_id": "net", "old_size": "2"})
    assert problems == []
    assert values == {"network": "net", "size": 2, "fixed_ips": None, "name": None}


def test_old_names_inside_list_items():
    values, problems = validate_properties(SCHEMA, {"network": "net", "fixed_ips": [
        {"subnet_id": "a", "ip_address": "10.0.0.5"}, {"subnet": "b"}]})
    assert problems == []
    assert values["fixed_ips"] == [{"subnet": "a", "ip_address": "10.0.0.5"}, {"subnet": "b", "ip_address": None}]


def test_both_names_is_heats_conflict_at_the_old_name():
    _, problems = validate_properties(SCHEMA, {"network": "a", "network_id": "b"})
    assert [(p.path, p.message) for p in problems] == [
        (("network_id",), "Cannot define the following properties at the same time: network, network_id.")]
    _, problems = validate_properties(SCHEMA, {"network": "a", "fixed_ips": [{"subnet": "s", "subnet_id": "t"}]})
    assert [(p.path, p.message) for p in problems] == [
        (("fixed_ips", 0, "subnet_id"), "Cannot define the following properties at the same time: subnet, subnet_id.")]
    _, problems = validate_properties(SCHEMA, {"network": "a", "old_size": 1, "older_size": 2})
    assert [(p.path, p.message) for p in problems] == [
        (("older_size",), "Cannot define the following properties at the same time: old_size, older_size.")]


def test_a_null_under_one_name_is_no_conflict():
    values, problems = validate_properties(SCHEMA, {"network": "a", "network_id": None})
    assert problems == [] and values["network"] == "a"
    values, problems = validate_properties(SCHEMA, {"network": None, "network_id": "b"})
    assert problems == [] and values["network"] == "b"


def test_problems_with_a_value_under_an_old_name_point_at_it():
    _, problems = validate_properties(SCHEMA, {"network_id": "n", "old_size": 3,
                                               "fixed_ips": [{"subnet_id": ["x"]}]})
    assert {p.path for p in problems} == {("old_size",), ("fixed_ips", 0, "subnet_id")}


def test_a_required_property_missing_under_every_name():
    _, problems = validate_properties(SCHEMA, {"name": "x"})
    assert [(p.path, p.message) for p in problems] == [(("network",), "Property network not assigned")]


def test_names_no_schema_knows_are_still_unknown():
    _, problems = validate_properties(SCHEMA, {"network": "n", "networkid": "x", "fixed_ips": [{"subnetid": "s"}]})
    assert [(p.path, p.message) for p in problems] == [
        (("networkid",), "Unknown Property networkid"), (("fixed_ips", 0, "subnetid"), "Unknown Property subnetid")]


def test_a_value_not_known_yet_under_an_old_name():
    values, problems = validate_properties(SCHEMA, {"network_id": None}, unknown={"network_id"})
    assert problems == [] and "network" in values and "network_id" not in values
    _, problems = validate_properties(SCHEMA, {"network": "a", "network_id": None}, unknown={"network_id"})
    assert [p.message for p in problems] == [
        "Cannot define the following properties at the same time: network, network_id."]
    assert current_names(SCHEMA, {"network_id", "name", "other"}) == {"network", "name", "other"}


def test_an_old_name_that_is_a_property_of_its_own_is_refused():
    with pytest.raises(ValueError):
        Map(schema={"a": String(deprecated_names=("b",)), "b": String()})
    with pytest.raises(ValueError):
        Map(schema={"a": String(deprecated_names=("c",)), "b": String(deprecated_names=("c",))})
    with pytest.raises(ValueError):
        String(deprecated_names="network_id")  # type: ignore[arg-type]


# -- the plugins ---------------------------------------------------------------------------------

def _schema_at(type_name: str, where: tuple[str, ...]):
    schema = CATALOG.get(type_name).properties_schema
    for step in where:
        schema = schema[step].schema if step != "*" else schema.schema
    return schema


@pytest.mark.parametrize(("type_name", "where", "old", "new"), RENAMED)
def test_each_plugin_declares_heats_old_names(type_name, where, old, new):
    schema = _schema_at(type_name, where)
    assert old in schema[new].deprecated_names and old not in schema


@pytest.mark.parametrize(("type_name", "where", "old", "new"), RENAMED)
def test_the_api_schema_shows_only_the_current_names(type_name, where, old, new):
    shown = resource_type_schema(type_name, CATALOG.get(type_name))["properties"]
    for step in where:
        shown = shown[step]["schema"]
    assert new in shown and old not in shown
    if not where:
        template = provider_template(type_name, CATALOG.get(type_name), "hot")
        assert new in template["parameters"] and old not in template["parameters"]


def test_a_plugins_cross_checks_see_values_not_known_yet_under_old_names():
    # the interface's subnet is known once the subnet exists: subnet_id must count as "subnet or port given"
    assert CATALOG.check_properties("OS::Neutron::RouterInterface", {"router_id": None, "subnet_id": None},
                                    frozenset({"router_id", "subnet_id"})) == []
    assert CATALOG.check_properties("OS::Neutron::RouterInterface", {"router_id": "r"}, frozenset()) == [
        (("subnet",), "At least one of the following properties must be specified: subnet, port.")]
    assert CATALOG.check_properties("OS::Neutron::RouterInterface",
                                    {"router": "r", "subnet_id": "s", "port_id": "p"}, frozenset()) == [
        (("port",), "Cannot define the following properties at the same time: subnet, port.")]


TEMPLATE = """\
heat_template_version: 2015-04-30
resources:
  net:
    type: OS::Neutron::Net
  subnet:
    type: OS::Neutron::Subnet
    properties:
      network_id: {get_resource: net}
      cidr: 10.0.0.0/24
  port:
    type: OS::Neutron::Port
    properties:
      network: {get_resource: net}
      network_id: {get_resource: net}
  other_port:
    type: OS::Neutron::Port
    properties:
      network_id: private
      fixed_ips:
        - ip_address: 10.0.0.5
          subnet_id: [not, a, name]
"""


def test_template_problems_point_at_the_names_written():
    report = Validator(catalog=CATALOG).validate(TEMPLATE)
    found = sorted(((p.path, p.message, p.line, p.column) for p in report.all_problems()), key=str)
    assert found == [
        (("resources", "other_port", "properties", "fixed_ips", 0, "subnet_id"),
         "Property error: Value must be a string; got ['not', 'a', 'name']", 21, 11),
        (("resources", "port", "properties", "network_id"),
         "Property error: Cannot define the following properties at the same time: network, network_id.", 14, 7),
    ]


# -- through the engine, on the sandbox ----------------------------------------------------------

@pytest.fixture
def cloud() -> Iterator[SandboxCloud]:
    with sandbox_cloud() as running:
        yield running


@pytest.fixture
def harness(tmp_path, cloud: SandboxCloud) -> Iterator[Harness]:
    with make_harness(tmp_path, cloud=cloud.connections) as running:
        yield running


OLD_NAMES = """
heat_template_version: 2013-05-23
resources:
  net:
    type: OS::Neutron::Net
  subnet:
    type: OS::Neutron::Subnet
    properties: {network_id: {get_resource: net}, cidr: 192.168.7.0/24}
  router:
    type: OS::Neutron::Router
    properties: {external_gateway_info: {network: public}}
  interface:
    type: OS::Neutron::RouterInterface
    properties: {router_id: {get_resource: router}, subnet_id: {get_resource: subnet}}
  port:
    type: OS::Neutron::Port
    properties:
      network_id: {get_resource: net}
      fixed_ips: [{subnet_id: {get_resource: subnet}, ip_address: 192.168.7.20}]
  fip:
    type: OS::Neutron::FloatingIP
    depends_on: interface
    properties: {floating_network_id: public, port_id: {get_resource: port}}
  server:
    type: OS::Nova::Server
    depends_on: subnet
    properties:
      image: cirros
      flavor: m1.tiny
      networks: [{uuid: {get_resource: net}}]
outputs:
  port_network: {value: {get_attr: [port, network_id]}}
  port_ip: {value: {get_attr: [port, fixed_ips, 0, ip_address]}}
  subnet_network: {value: {get_attr: [subnet, network_id]}}
  floating: {value: {get_attr: [fip, floating_ip_address]}}
  server_address: {value: {get_attr: [server, first_address]}}
"""


def test_a_stack_written_with_the_old_names_is_created(harness, cloud):
    stack = harness.create(OLD_NAMES, project_id="demo")
    assert harness.state(stack) == "CREATE_COMPLETE", harness.events(stack)
    resources = harness.resources(stack)
    network_id = resources["net"].physical_id
    outputs = harness.outputs(stack)
    assert outputs["port_network"] == network_id and outputs["subnet_network"] == network_id
    assert outputs["port_ip"] == "192.168.7.20"
    assert outputs["server_address"].startswith("192.168.7.")
    conn = cloud.connect("demo")
    floating = conn.network.find_ip(outputs["floating"])
    assert floating.fixed_ip_address == "192.168.7.20"
    # what is stored (and what an update compares) is under the current names
    assert "network" in resources["port"].properties and "network_id" not in resources["port"].properties
    assert resources["interface"].properties["subnet"] == resources["subnet"].physical_id
