"""Implicit dependencies (Heat's ``add_dependencies``): the engine orders what no function links.

Test plugins stand in for the OpenStack types (registered under their names in
a registry of the test's own), so these tests need neither the real plugins
nor the sandbox: they record the order in which the engine creates and
deletes them.
"""

from __future__ import annotations

import textwrap
from typing import Any, ClassVar, Iterable

import pytest

from orchestrator.engine.dependencies import with_implicit_dependencies
from orchestrator.template.compiler import compile_stack
from orchestrator.template.environment import Environment
from orchestrator.template.template import Template
from resources.base import Resource
from resources.implicit_dependencies import Ref
from resources.registry import PluginRegistry


class Recorded(Resource):
    """Takes any properties and records when the engine creates and deletes it."""

    accepts_any_properties = True
    blocking = False
    log: ClassVar[list[tuple[str, str]]] = []

    def create(self) -> None:
        Recorded.log.append(("create", self.name))
        self.set_physical_id(f"id-{self.name}")

    def delete(self) -> None:
        Recorded.log.append(("delete", self.name))


OPENSTACK_TYPES = ("OS::Nova::Server", "OS::Neutron::Net", "OS::Neutron::Subnet", "OS::Neutron::Router",
                   "OS::Neutron::RouterInterface", "OS::Neutron::Port", "OS::Neutron::FloatingIP")


class Waits(Recorded):
    """A type of the test's own that states its implicit dependencies itself."""

    @classmethod
    def implicit_dependencies(cls, resource, stack) -> Iterable[str]:
        return [other.name for other in stack.of_type("Test::Target")]


def registry() -> PluginRegistry:
    plugins = PluginRegistry()
    for type_name in OPENSTACK_TYPES:
        plugins.register(type_name, type(type_name.rsplit("::", 1)[1], (Recorded,), {}))
    plugins.register("OS::Heat::None", type("Plain", (Recorded,), {}))
    plugins.register("Test::Target", type("Target", (Recorded,), {}))
    plugins.register("Test::Waits", Waits)
    return plugins


def requires(source: str, plugins: PluginRegistry | None = None, **parameters: Any) -> dict[str, set[str]]:
    """Each resource's ``requires`` once the implicit edges are added."""
    plugins = plugins or registry()
    template = Template.load(textwrap.dedent(source), "template")
    definition = compile_stack(template, Environment(parameters=parameters), catalog=plugins)
    augmented = with_implicit_dependencies(definition, plugins)
    return {name: set(resource.requires) for name, resource in augmented.resources.items()}


HEADER = "heat_template_version: 2018-08-31\nresources:\n"

NETWORK = HEADER + """
  net: {type: OS::Neutron::Net}
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.0.0.0/24}
  other_subnet:
    type: OS::Neutron::Subnet
    properties: {network: elsewhere, cidr: 10.1.0.0/24}
  router:
    type: OS::Neutron::Router
    properties: {external_gateway_info: {network: public}}
  interface:
    type: OS::Neutron::RouterInterface
    properties: {router: {get_resource: router}, subnet: {get_resource: subnet}}
  port:
    type: OS::Neutron::Port
    properties: {network: {get_resource: net}}
  server:
    type: OS::Nova::Server
    properties:
      image: cirros
      flavor: m1.small
      networks: [{port: {get_resource: port}}]
  floating_ip:
    type: OS::Neutron::FloatingIP
    properties: {floating_network: public, port_id: {get_resource: port}}
"""


def test_port_waits_for_the_subnets_of_its_network_only():
    graph = requires(NETWORK)
    assert graph["port"] == {"net", "subnet"}


def test_floating_ip_waits_for_the_router_gateway_and_the_interface_of_its_ports_subnet():
    graph = requires(NETWORK)
    assert graph["floating_ip"] == {"port", "router", "interface"}


def test_a_server_entry_without_a_network_waits_for_every_subnet():
    # Heat: a networks entry naming only a port could be on any subnet of the stack
    assert requires(NETWORK)["server"] == {"port", "subnet", "other_subnet"}


def test_server_waits_for_the_subnets_of_the_networks_it_names():
    graph = requires(HEADER + """
      net: {type: OS::Neutron::Net}
      subnet: {type: OS::Neutron::Subnet, properties: {network: {get_resource: net}}}
      far: {type: OS::Neutron::Subnet, properties: {network: far_net}}
      unknown: {type: OS::Neutron::Subnet, properties: {network: {get_attr: [net, name]}}}
      server:
        type: OS::Nova::Server
        properties: {networks: [{network: {get_resource: net}}]}
      by_name:
        type: OS::Nova::Server
        properties: {networks: [{network: far_net}]}
      no_networks: {type: OS::Nova::Server, properties: {}}
    """)
    # a subnet whose network is not known before creation might be the one: waited for
    assert graph["server"] == {"net", "subnet", "unknown"}
    assert graph["by_name"] == {"far", "unknown"}
    assert graph["no_networks"] == set()


def test_router_waits_for_the_subnets_of_its_gateway_network():
    graph = requires(HEADER + """
      ext: {type: OS::Neutron::Net}
      ext_subnet: {type: OS::Neutron::Subnet, properties: {network: {get_resource: ext}}}
      other: {type: OS::Neutron::Subnet, properties: {network: private}}
      router:
        type: OS::Neutron::Router
        properties: {external_gateway_info: {network: {get_resource: ext}}}
      plain_router: {type: OS::Neutron::Router}
    """)
    assert graph["router"] == {"ext", "ext_subnet"}
    assert graph["plain_router"] == set()


def test_floating_ip_matches_ports_by_their_first_fixed_ip():
    graph = requires(HEADER + """
      a: {type: OS::Neutron::Subnet, properties: {network: n}}
      b: {type: OS::Neutron::Subnet, properties: {network: n}}
      router: {type: OS::Neutron::Router}
      on_a: {type: OS::Neutron::RouterInterface, properties: {router: {get_resource: router}, subnet: {get_resource: a}}}
      on_b: {type: OS::Neutron::RouterInterface, properties: {router: {get_resource: router}, subnet: {get_resource: b}}}
      port:
        type: OS::Neutron::Port
        properties: {network: n, fixed_ips: [{subnet: {get_resource: b}}]}
      fip: {type: OS::Neutron::FloatingIP, properties: {floating_network: public, port_id: {get_resource: port}}}
      lone: {type: OS::Neutron::FloatingIP, properties: {floating_network: public}}
    """)
    assert graph["fip"] == {"port", "on_b"}
    assert graph["lone"] == set(), "no port, no router on its network: nothing to wait for"


def test_parameters_are_compared_by_value():
    graph = requires(HEADER.replace("resources:", "parameters:\n  net: {type: string, default: private}\nresources:") + """
      subnet: {type: OS::Neutron::Subnet, properties: {network: private}}
      port: {type: OS::Neutron::Port, properties: {network: {get_param: net}}}
    """)
    assert graph["port"] == {"subnet"}


def test_a_literal_is_not_a_reference_to_a_resource_of_that_name():
    graph = requires(HEADER + """
      net: {type: OS::Neutron::Net}
      subnet: {type: OS::Neutron::Subnet, properties: {network: {get_resource: net}}}
      port: {type: OS::Neutron::Port, properties: {network: net}}
    """)
    assert graph["port"] == set()


def test_an_edge_that_would_close_a_cycle_is_skipped():
    graph = requires(HEADER + """
      port: {type: OS::Neutron::Port, properties: {network: n}}
      subnet:
        type: OS::Neutron::Subnet
        depends_on: port
        properties: {network: n}
    """)
    assert graph == {"port": set(), "subnet": {"port"}}


def test_a_plugin_may_state_its_own_implicit_dependencies():
    graph = requires(HEADER + """
      target: {type: Test::Target}
      waiting: {type: Test::Waits}
    """)
    assert graph["waiting"] == {"target"}


def test_stacks_without_such_types_keep_their_definition():
    plugins = registry()
    template = Template.load(HEADER + "  a: {type: OS::Heat::None}\n  b: {type: OS::Neutron::Net}\n", "template")
    definition = compile_stack(template, catalog=plugins)
    assert with_implicit_dependencies(definition, plugins) is definition


def test_the_resources_stay_in_dependency_order():
    plugins = registry()
    template = Template.load(HEADER + """
      port: {type: OS::Neutron::Port, properties: {network: n}}
      subnet: {type: OS::Neutron::Subnet, properties: {network: n}}
    """, "template")
    augmented = with_implicit_dependencies(compile_stack(template, catalog=plugins), plugins)
    assert list(augmented.resources) == ["subnet", "port"]
    assert augmented.required_by["subnet"] == {"port"}


def test_properties_are_seen_as_before_creation():
    seen = {}

    class Peek(Recorded):
        @classmethod
        def implicit_dependencies(cls, resource, stack):
            seen.update(resource.properties)
            return ()

    plugins = registry()
    plugins.register("Test::Peek", Peek)
    requires(HEADER + """
      net: {type: OS::Neutron::Net}
      peek:
        type: Test::Peek
        properties:
          ref: {get_resource: net}
          attr: {get_attr: [net, name]}
          joined: {list_join: ['-', [a, b]]}
    """, plugins)
    assert seen == {"ref": Ref("net"), "attr": None, "joined": "a-b"}


# -- through the engine ----------------------------------------------------------------


@pytest.fixture
def engine(harness_with):
    Recorded.log = []
    return harness_with(plugins=registry())


def position(action: str, name: str) -> int:
    return Recorded.log.index((action, name))


def test_the_engine_creates_in_implicit_order_and_deletes_in_reverse(engine):
    stack_id = engine.create(NETWORK)
    assert engine.state(stack_id) == "CREATE_COMPLETE"
    assert position("create", "subnet") < position("create", "port")
    assert position("create", "interface") < position("create", "floating_ip")
    assert position("create", "router") < position("create", "floating_ip")
    stored = engine.resources(stack_id)
    assert set(stored["floating_ip"].requires) == {"port", "router", "interface"}
    assert set(stored["port"].requires) == {"net", "subnet"}

    assert engine.delete(stack_id)
    assert engine.state(stack_id) == "DELETE_COMPLETE"
    # the floating IP goes before the interface Neutron would not remove under it
    assert position("delete", "floating_ip") < position("delete", "interface")
    assert position("delete", "server") < position("delete", "subnet")
    assert position("delete", "port") < position("delete", "subnet")


def test_an_update_adding_a_subnet_orders_the_new_port_after_it(engine):
    stack_id = engine.create(HEADER + "  net: {type: OS::Neutron::Net}\n")
    assert engine.update(stack_id, HEADER + """
      net: {type: OS::Neutron::Net}
      port: {type: OS::Neutron::Port, properties: {network: {get_resource: net}}}
      subnet: {type: OS::Neutron::Subnet, properties: {network: {get_resource: net}}}
    """)
    assert position("create", "subnet") < position("create", "port")
    assert set(engine.resources(stack_id)["port"].requires) == {"net", "subnet"}
    assert engine.delete(stack_id)
    assert position("delete", "port") < position("delete", "subnet")


def test_a_create_preview_shows_the_implicit_edges(engine):
    previews = {p.name: p for p in engine.engine.preview_create(engine.request(NETWORK))}
    assert "port" in previews["subnet"].required_by
    assert set(previews["floating_ip"].requires) == {"port", "router", "interface"}
