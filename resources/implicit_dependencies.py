"""Dependencies that no template function states, for the OpenStack types (Heat's ``add_dependencies``).

Heat orders some resources although the template does not say so: a port
waits for the subnets of its network (Neutron cannot give it an address
before), a server for the subnets of the networks it joins, a router with a
gateway for the subnets of the gateway network, and a floating IP for the
routers that connect its port's subnet to the floating network (Neutron
refuses a floating IP that no router can reach, and refuses to remove a
router interface that a floating IP still needs — so deletion must go the
other way round).

The rules are plain functions keyed by type name in ``RULES``; the engine
reaches them through ``Resource.implicit_dependencies``, so a plugin may
override that classmethod instead.  Each rule gets the resource and the whole
stack as they are *before anything exists*: property values are resolved
with every ``get_resource`` standing as a ``Ref`` to the resource's name and
every ``get_attr`` as ``None`` (the values Heat compares at that moment), so
two properties naming the same resource of the stack, or the same literal,
compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol

SERVER = "OS::Nova::Server"
PORT = "OS::Neutron::Port"
SUBNET = "OS::Neutron::Subnet"
ROUTER = "OS::Neutron::Router"
ROUTER_INTERFACE = "OS::Neutron::RouterInterface"
ROUTER_GATEWAY = "OS::Neutron::RouterGateway"  # deprecated in Heat, still honoured when a stack has one
FLOATING_IP = "OS::Neutron::FloatingIP"


@dataclass(frozen=True)
class Ref:
    """``get_resource`` of a resource of the same stack, before that resource exists."""

    name: str


class StackResource(Protocol):
    """One resource of the stack, as dependency rules see it (implemented by the engine)."""

    name: str
    #: the type after the environment's registry
    type: str
    #: names the template's functions and ``depends_on`` already make it need
    requires: frozenset[str]

    @property
    def properties(self) -> Mapping[str, Any]:
        """Property values resolved before creation (``Ref`` for references, ``None`` for attributes)."""


class StackResources(Protocol):
    """Every resource of the stack (implemented by the engine)."""

    def get(self, name: str) -> StackResource | None:
        """The resource called ``name``, or ``None``."""

    def of_type(self, *type_names: str) -> list[StackResource]:
        """The resources of these types, in template order."""


Rule = Callable[[StackResource, StackResources], Iterable[str]]


def _first(properties: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` with a value (Heat's current name first, then the deprecated ones)."""
    for name in names:
        value = properties.get(name)
        if value:
            return value
    return None


def _subnet_network(subnet: StackResource) -> Any:
    return _first(subnet.properties, "network", "network_id")


def server_needs(server: StackResource, stack: StackResources) -> Iterator[str]:
    """A server waits for the subnets of the networks it joins.

    A subnet whose network is not known yet, or a ``networks`` entry without
    a network (a port, say), could be the one: then the subnet is waited for too.
    """
    networks = server.properties.get("networks")
    if not isinstance(networks, list) or not networks:
        return
    wanted = [_first(entry, "network", "uuid") if isinstance(entry, Mapping) else None for entry in networks]
    for subnet in stack.of_type(SUBNET):
        network = _subnet_network(subnet)
        if not network or any(not net or net == network for net in wanted):
            yield subnet.name


def port_needs(port: StackResource, stack: StackResources) -> Iterator[str]:
    """A port waits for every subnet of its network (which one gives its address is not known)."""
    network = _first(port.properties, "network", "network_id")
    for subnet in stack.of_type(SUBNET):
        if _subnet_network(subnet) == network:
            yield subnet.name


def router_needs(router: StackResource, stack: StackResources) -> Iterator[str]:
    """A router with a gateway waits for the subnets of the gateway network."""
    gateway = router.properties.get("external_gateway_info")
    if not isinstance(gateway, Mapping) or not gateway:
        return
    network = gateway.get("network")
    for subnet in stack.of_type(SUBNET):
        if _subnet_network(subnet) == network:
            yield subnet.name


def floating_ip_needs(floating_ip: StackResource, stack: StackResources) -> Iterator[str]:
    """A floating IP waits for what connects its port to the floating network.

    That is every router (or router gateway) with a gateway on the floating
    network, and every router interface on the subnet of a port the floating
    IP already needs.
    """
    floating_network = _first(floating_ip.properties, "floating_network", "floating_network_id")
    ports = [port for port in map(stack.get, sorted(floating_ip.requires)) if port is not None and port.type == PORT]
    for resource in stack.of_type(ROUTER_GATEWAY, ROUTER_INTERFACE, ROUTER):
        if resource.type == ROUTER_GATEWAY:
            if _first(resource.properties, "network", "network_id") == floating_network:
                yield resource.name
        elif resource.type == ROUTER:
            gateway = resource.properties.get("external_gateway_info")
            if isinstance(gateway, Mapping) and gateway and gateway.get("network") == floating_network:
                yield resource.name
        else:
            subnet = _first(resource.properties, "subnet", "subnet_id")
            # an interface whose subnet is not known yet cannot be matched
            if subnet is not None and any(_port_on_subnet(port, subnet, stack) for port in ports):
                yield resource.name


def _port_on_subnet(port: StackResource, subnet: Any, stack: StackResources) -> bool:
    """Whether ``port`` takes its address on ``subnet``.

    A port with fixed IPs is judged by its first one; a port without is on
    every subnet of its network (Heat asks the cloud which those are; here the
    stack's own subnets of that network count).
    """
    fixed_ips = port.properties.get("fixed_ips")
    if fixed_ips and isinstance(fixed_ips, list):
        first = fixed_ips[0]
        return isinstance(first, Mapping) and _first(first, "subnet", "subnet_id") == subnet
    network = _first(port.properties, "network", "network_id")
    if not network:
        return False
    return any(subnet == Ref(candidate.name) for candidate in stack.of_type(SUBNET)
               if _subnet_network(candidate) == network)


#: type name -> the rule giving the other resources it needs
RULES: dict[str, Rule] = {
    SERVER: server_needs,
    PORT: port_needs,
    ROUTER: router_needs,
    FLOATING_IP: floating_ip_needs,
}


def rule_for(type_name: str) -> Rule | None:
    """The implicit-dependency rule of ``type_name``, if it has one."""
    return RULES.get(type_name)
