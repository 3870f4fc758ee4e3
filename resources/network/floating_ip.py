"""OS::Neutron::FloatingIP and OS::Neutron::FloatingIPAssociation."""

from __future__ import annotations

from typing import Any, Mapping

from openstack import exceptions

from orchestrator.template.constraints import CustomConstraint
from resources.base import Resource
from resources.schema import Attribute, Map, String

from .base import CUSTOM_CONSTRAINTS as _NEUTRON_CONSTRAINTS, NeutronResource, call, find_id

#: the Neutron lookups, for the engine to find next to the types defined here
CUSTOM_CONSTRAINTS = _NEUTRON_CONSTRAINTS


class FloatingIP(NeutronResource):
    """An address of an external network, optionally associated with a port."""

    type_name = "OS::Neutron::FloatingIP"
    description = "A floating IP address from an external network."
    collection, singular = "floatingips", "floatingip"
    properties_schema = {
        "floating_network": String("Network to allocate floating IP from.", required=True,
                                   constraints=(CustomConstraint("neutron.network"),),
                                   deprecated_names=("floating_network_id",)),
        "floating_subnet": String("Subnet to allocate floating IP from.",
                                  constraints=(CustomConstraint("neutron.subnet"),)),
        "value_specs": Map("Extra parameters to include in the request.", default={}),
        "port_id": String("ID of an existing port to associate with this floating IP.", update_allowed=True,
                          constraints=(CustomConstraint("neutron.port"),)),
        "fixed_ip_address": String("IP address to use if the port has multiple addresses.", update_allowed=True,
                                   constraints=(CustomConstraint("ip_addr"),)),
        "floating_ip_address": String("IP address of the floating IP.", constraints=(CustomConstraint("ip_addr"),)),
        "dns_name": String("DNS name associated with floating ip.", update_allowed=True),
        "dns_domain": String("DNS domain associated with floating ip.", update_allowed=True),
    }
    attributes_schema = {
        "router_id": Attribute("ID of the router used as gateway, set when associated with a port."),
        "tenant_id": Attribute("The tenant owning this floating IP."),
        "floating_network_id": Attribute("ID of the network in which this IP is allocated."),
        "fixed_ip_address": Attribute("IP address of the associated port, if specified."),
        "floating_ip_address": Attribute("The allocated address of this IP."),
        "port_id": Attribute("ID of the port associated with this IP."),
        "show": Attribute("Detailed information about the floating IP.", "map"),
    }
    body_attributes = ("router_id", "tenant_id", "floating_network_id", "fixed_ip_address", "floating_ip_address",
                       "port_id")

    def create(self) -> None:
        props = self.properties
        cloud = self.cloud
        body: dict[str, Any] = {"floating_network_id": find_id(cloud, "network", props["floating_network"])}
        if props.get("floating_subnet"):
            body["subnet_id"] = find_id(cloud, "subnet", props["floating_subnet"])
        if props.get("port_id"):
            body["port_id"] = find_id(cloud, "port", props["port_id"])
        for key in ("fixed_ip_address", "floating_ip_address", "dns_name", "dns_domain"):
            if props.get(key):
                body[key] = props[key]
        self._create({**body, **self.value_specs(props)})

    def check_create_complete(self) -> bool:
        return True  # usable at once; its status follows the association

    def check_update_complete(self) -> bool:
        return True

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        body: dict[str, Any] = {}
        if "port_id" in changed or "fixed_ip_address" in changed:
            port = properties.get("port_id")
            body["port_id"] = find_id(self.cloud, "port", port) if port else None
            if port and properties.get("fixed_ip_address"):
                body["fixed_ip_address"] = properties["fixed_ip_address"]
        for key in ("dns_name", "dns_domain"):
            if key in changed:
                body[key] = changed[key]
        if body:
            self._update(body)


class FloatingIPAssociation(Resource):
    """The association of an existing floating IP with a port."""

    type_name = "OS::Neutron::FloatingIPAssociation"
    description = "Associates a floating IP with a port."
    properties_schema = {
        "floatingip_id": String("ID of the floating IP to associate.", required=True, update_allowed=True),
        "port_id": String("ID of an existing port with at least one IP address to associate with this "
                          "floating IP.", required=True, update_allowed=True,
                          constraints=(CustomConstraint("neutron.port"),)),
        "fixed_ip_address": String("IP address to use if the port has multiple addresses.", update_allowed=True,
                                   constraints=(CustomConstraint("ip_addr"),)),
    }

    def _associate(self, properties: Mapping[str, Any]) -> None:
        cloud = self.runtime.cloud()
        body: dict[str, Any] = {"port_id": find_id(cloud, "port", properties["port_id"])}
        if properties.get("fixed_ip_address"):
            body["fixed_ip_address"] = properties["fixed_ip_address"]
        call(cloud, "PUT", f"/floatingips/{properties['floatingip_id']}", {"floatingip": body})

    def _dissociate(self, floatingip_id: str) -> None:
        try:
            call(self.runtime.cloud(), "PUT", f"/floatingips/{floatingip_id}", {"floatingip": {"port_id": None}})
        except exceptions.NotFoundException:
            pass

    def create(self) -> None:
        self._associate(self.properties)
        self.set_physical_id(f"{self.properties['floatingip_id']}:{self.properties['port_id']}")

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        if "floatingip_id" in changed:
            self._dissociate(self.properties["floatingip_id"])
        self._associate(properties)
        self.properties = dict(properties)
        self.set_physical_id(f"{properties['floatingip_id']}:{properties['port_id']}")

    def delete(self) -> None:
        if self.physical_id:
            self._dissociate(self.physical_id.partition(":")[0])
