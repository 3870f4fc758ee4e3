"""OS::Neutron::Net and OS::Neutron::Subnet."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from orchestrator.template.constraints import CustomConstraint
from resources.schema import AllowedValues, Attribute, Boolean, Integer, List, Map, PropertyProblem, String

from .base import CUSTOM_CONSTRAINTS as _NEUTRON_CONSTRAINTS, NeutronResource, find_id

#: the Neutron lookups, for the engine to find next to the types defined here
CUSTOM_CONSTRAINTS = _NEUTRON_CONSTRAINTS

_IPV6_MODES = AllowedValues(["dhcpv6-stateful", "dhcpv6-stateless", "slaac"])


class Net(NeutronResource):
    """A Neutron network."""

    type_name = "OS::Neutron::Net"
    description = "A network in Neutron."
    collection, singular = "networks", "network"
    properties_schema = {
        "name": String("A string specifying a symbolic name for the network.", update_allowed=True),
        "value_specs": Map("Extra parameters to include in the request.", default={}, update_allowed=True),
        "admin_state_up": Boolean("A boolean value specifying the administrative status of the network.",
                                  default=True, update_allowed=True),
        "tenant_id": String("The ID of the tenant which will own the network (admins only)."),
        "shared": Boolean("Whether this network is shared across all tenants.", default=False,
                          update_allowed=True),
        "dhcp_agent_ids": List("The IDs of the DHCP agents to schedule the network.", update_allowed=True),
        "port_security_enabled": Boolean("Flag to enable/disable port security on the network.",
                                         update_allowed=True),
        "qos_policy": String("The name or ID of the QoS policy to attach to this network.", update_allowed=True),
        "dns_domain": String("DNS domain associated with this network.", update_allowed=True),
        "tags": List("The tags to be added to the network.", schema=String(), update_allowed=True),
        "availability_zone_hints": List("Availability zone candidates for the network.", schema=String()),
    }
    attributes_schema = {
        "status": Attribute("The status of the network."),
        "name": Attribute("The name of the network."),
        "subnets": Attribute("Subnets of this network.", "list"),
        "admin_state_up": Attribute("The administrative status of the network."),
        "tenant_id": Attribute("The tenant owning this network."),
        "port_security_enabled": Attribute("Port security enabled of the network."),
        "mtu": Attribute("The maximum transmission unit size (in bytes) for the network."),
        "qos_policy_id": Attribute("The QoS policy ID attached to this network."),
        "l2_adjacency": Attribute("Whether L2 connectivity is available throughout the network."),
        "segments": Attribute("The segments of this network.", "list"),
        "show": Attribute("Detailed information about the network.", "map"),
    }
    body_attributes = ("status", "name", "subnets", "admin_state_up", "tenant_id", "port_security_enabled", "mtu",
                       "qos_policy_id", "l2_adjacency")

    #: properties sent under their own names
    _PLAIN = ("admin_state_up", "shared", "tenant_id", "port_security_enabled", "dns_domain",
              "availability_zone_hints")

    def _request(self, properties: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
        body: dict[str, Any] = {key: properties[key] for key in keys
                                if key in self._PLAIN and properties.get(key) is not None}
        if "name" in keys:
            body["name"] = properties.get("name") or self.runtime.physical_name()
        if "qos_policy" in keys and (properties.get("qos_policy") or "qos_policy" in body):
            body["qos_policy_id"] = properties.get("qos_policy")
        if "value_specs" in keys:
            body.update(self.value_specs(properties))
        return body

    def create(self) -> None:
        self._create(self._request(self.properties, self.properties_schema))
        if self.properties.get("tags"):
            self.set_tags(self.properties["tags"])

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        body = self._request(properties, [key for key in changed if key != "tags"])
        if body:
            self._update(body)
        if "tags" in changed:
            self.set_tags(changed["tags"] or [])

    def resolve_attribute(self, name: str) -> Any:
        if name == "segments":
            found = self.body()
            return found.get("segments", []) if found else None
        return super().resolve_attribute(name)


class Subnet(NeutronResource):
    """A Neutron subnet: a CIDR on a network, with its pools, gateway and DHCP settings."""

    type_name = "OS::Neutron::Subnet"
    description = "A subnet of a Neutron network."
    collection, singular = "subnets", "subnet"
    properties_schema = {
        "network": String("The ID or name of the attached network.", required=True,
                          constraints=(CustomConstraint("neutron.network"),), deprecated_names=("network_id",)),
        "subnetpool": String("The name or ID of the subnet pool."),
        "prefixlen": Integer("Prefix length for subnet allocation from a subnet pool."),
        "cidr": String("The CIDR.", constraints=(CustomConstraint("net_cidr"),)),
        "value_specs": Map("Extra parameters to include in the request.", default={}, update_allowed=True),
        "name": String("The name of the subnet.", update_allowed=True),
        "ip_version": Integer("The IP version, which is 4 or 6.", default=4, constraints=(AllowedValues([4, 6]),)),
        "dns_nameservers": List("A specified set of DNS name servers to be used.", default=[],
                                update_allowed=True),
        "gateway_ip": String("The gateway IP address; blank for none (null in Neutron).", update_allowed=True),
        "enable_dhcp": Boolean("Set to true if DHCP is enabled and false if DHCP is disabled.", default=True,
                               update_allowed=True),
        "ipv6_ra_mode": String("IPv6 RA (Router Advertisement) mode.", constraints=(_IPV6_MODES,)),
        "ipv6_address_mode": String("IPv6 address mode.", constraints=(_IPV6_MODES,)),
        "allocation_pools": List("The start and end addresses for the allocation pools.", update_allowed=True,
                                 schema=Map(schema={
                                     "start": String("Start address for the allocation pool.", required=True,
                                                     constraints=(CustomConstraint("ip_addr"),)),
                                     "end": String("End address for the allocation pool.", required=True,
                                                   constraints=(CustomConstraint("ip_addr"),)),
                                 })),
        "tenant_id": String("The ID of the tenant who owns the subnet (admins only)."),
        "host_routes": List("A list of host route dictionaries for the subnet.", update_allowed=True,
                            schema=Map(schema={
                                "destination": String("The destination for static route.", required=True,
                                                      constraints=(CustomConstraint("net_cidr"),)),
                                "nexthop": String("The next hop for the destination.", required=True,
                                                  constraints=(CustomConstraint("ip_addr"),)),
                            })),
        "segment": String("The name/ID of the segment to associate.", update_allowed=True),
        "tags": List("The tags to be added to the subnet.", schema=String(), update_allowed=True),
    }
    attributes_schema = {
        "name": Attribute("Friendly name of the subnet."),
        "network_id": Attribute("Parent network of the subnet."),
        "tenant_id": Attribute("Tenant owning the subnet."),
        "allocation_pools": Attribute("Ip allocation pools and their ranges.", "list"),
        "gateway_ip": Attribute("Ip of the subnet's gateway."),
        "host_routes": Attribute("Additional routes for this subnet.", "list"),
        "ip_version": Attribute("Ip version for the subnet."),
        "cidr": Attribute("CIDR block notation for this subnet."),
        "dns_nameservers": Attribute("List of dns nameservers.", "list"),
        "enable_dhcp": Attribute("'true' if DHCP is enabled for this subnet; 'false' otherwise."),
        "show": Attribute("Detailed information about the subnet.", "map"),
    }
    body_attributes = ("name", "network_id", "tenant_id", "allocation_pools", "gateway_ip", "host_routes",
                       "ip_version", "cidr", "dns_nameservers", "enable_dhcp")
    #: update-allowed properties sent as they are
    _PLAIN = ("name", "dns_nameservers", "enable_dhcp", "allocation_pools", "host_routes")

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        if not properties.get("cidr") and not properties.get("subnetpool") and not {"cidr", "subnetpool"} & unknown:
            return [PropertyProblem(("cidr",), "At least one of the following properties must be specified: "
                                               "subnetpool, cidr.")]
        if properties.get("cidr") and properties.get("subnetpool"):
            return [PropertyProblem(("subnetpool",), "Cannot define the following properties at the same time: "
                                                     "subnetpool, cidr.")]
        return ()

    def _gateway(self, value: Any) -> Any:
        return None if value == "" else value

    def create(self) -> None:
        props = self.properties
        body: dict[str, Any] = {"network_id": find_id(self.cloud, "network", props["network"]),
                                "name": props.get("name") or self.runtime.physical_name(),
                                "ip_version": props.get("ip_version") or 4,
                                "enable_dhcp": props.get("enable_dhcp", True),
                                "dns_nameservers": props.get("dns_nameservers") or []}
        for key in ("cidr", "prefixlen", "ipv6_ra_mode", "ipv6_address_mode", "tenant_id", "allocation_pools",
                    "host_routes"):
            if props.get(key) is not None:
                body[key] = props[key]
        if props.get("subnetpool"):
            body["subnetpool_id"] = props["subnetpool"]
        if props.get("segment"):
            body["segment_id"] = props["segment"]
        if "gateway_ip" in props and props["gateway_ip"] is not None:
            body["gateway_ip"] = self._gateway(props["gateway_ip"])
        self._create({**body, **self.value_specs(props)})
        if props.get("tags"):
            self.set_tags(props["tags"])

    def check_create_complete(self) -> bool:
        return True  # a subnet is usable as soon as Neutron answers

    def check_update_complete(self) -> bool:
        return True

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        body = {key: changed[key] for key in self._PLAIN if key in changed}
        if "name" in body and not body["name"]:
            body["name"] = self.runtime.physical_name()
        if "dns_nameservers" in body:
            body["dns_nameservers"] = body["dns_nameservers"] or []
        if "allocation_pools" in body and body["allocation_pools"] is None:
            body["allocation_pools"] = []
        if "host_routes" in body:
            body["host_routes"] = body["host_routes"] or []
        if "gateway_ip" in changed:
            body["gateway_ip"] = self._gateway(changed["gateway_ip"])
        if "segment" in changed:
            body["segment_id"] = changed["segment"]
        if "value_specs" in changed:
            body.update(self.value_specs(properties))
        if body:
            self._update(body)
        if "tags" in changed:
            self.set_tags(changed["tags"] or [])
