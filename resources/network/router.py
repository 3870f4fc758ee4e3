"""OS::Neutron::Router and OS::Neutron::RouterInterface."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from openstack import exceptions

from orchestrator.template.constraints import CustomConstraint
from resources.base import Resource
from resources.schema import Attribute, Boolean, List, Map, PropertyProblem, String

from .base import CUSTOM_CONSTRAINTS as _NEUTRON_CONSTRAINTS, NeutronResource, call, find_id

#: the Neutron lookups, for the engine to find next to the types defined here
CUSTOM_CONSTRAINTS = _NEUTRON_CONSTRAINTS


class Router(NeutronResource):
    """A Neutron router, with its external gateway."""

    type_name = "OS::Neutron::Router"
    description = "A router in Neutron."
    collection, singular = "routers", "router"
    properties_schema = {
        "name": String("The name of the router.", update_allowed=True),
        "external_gateway_info": Map("External network gateway configuration for a router.", update_allowed=True,
                                     schema={
                                         "network": String("ID or name of the external network for the gateway.",
                                                           required=True,
                                                           constraints=(CustomConstraint("neutron.network"),)),
                                         "enable_snat": Boolean("Enables Source NAT on the router gateway.",
                                                                update_allowed=True),
                                         "external_fixed_ips": List(
                                             "External fixed IP addresses for the gateway.", update_allowed=True,
                                             schema=Map(schema={
                                                 "ip_address": String("External fixed IP address.",
                                                                      constraints=(CustomConstraint("ip_addr"),)),
                                                 "subnet": String("Subnet of external fixed IP address.",
                                                                  constraints=(CustomConstraint("neutron.subnet"),)),
                                             })),
                                     }),
        "value_specs": Map("Extra parameters to include in the creation request.", default={},
                           update_allowed=True),
        "admin_state_up": Boolean("The administrative state of the router.", default=True, update_allowed=True),
        "l3_agent_ids": List("ID list of the L3 agent.", update_allowed=True),
        "distributed": Boolean("Indicates whether or not to create a distributed router."),
        "ha": Boolean("Indicates whether or not to create a highly available router."),
        "availability_zone_hints": List("Availability zone candidates for the router.", update_allowed=True),
        "tags": List("The tags to be added to the router.", schema=String(), update_allowed=True),
    }
    attributes_schema = {
        "status": Attribute("The status of the router."),
        "external_gateway_info": Attribute("Gateway network for the router.", "map"),
        "name": Attribute("Friendly name of the router."),
        "admin_state_up": Attribute("Administrative state of the router."),
        "tenant_id": Attribute("Tenant owning the router."),
        "show": Attribute("Detailed information about the router.", "map"),
    }
    body_attributes = ("status", "external_gateway_info", "name", "admin_state_up", "tenant_id")

    def _gateway(self, info: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if not info:
            return None
        gateway: dict[str, Any] = {"network_id": find_id(self.cloud, "network", info["network"])}
        if info.get("enable_snat") is not None:
            gateway["enable_snat"] = info["enable_snat"]
        if info.get("external_fixed_ips"):
            gateway["external_fixed_ips"] = [
                {**({"subnet_id": find_id(self.cloud, "subnet", ip["subnet"])} if ip.get("subnet") else {}),
                 **({"ip_address": ip["ip_address"]} if ip.get("ip_address") else {})}
                for ip in info["external_fixed_ips"]]
        return gateway

    def _request(self, properties: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
        keys = set(keys)
        body: dict[str, Any] = {}
        if "name" in keys:
            body["name"] = properties.get("name") or self.runtime.physical_name()
        for key in ("admin_state_up", "distributed", "ha", "availability_zone_hints"):
            if key in keys and properties.get(key) is not None:
                body[key] = properties[key]
        if "external_gateway_info" in keys:
            body["external_gateway_info"] = self._gateway(properties.get("external_gateway_info"))
        if "value_specs" in keys:
            body.update(self.value_specs(properties))
        return body

    def create(self) -> None:
        body = self._request(self.properties, self.properties_schema)
        if body.get("external_gateway_info") is None:
            body.pop("external_gateway_info", None)
        self._create(body)
        if self.properties.get("tags"):
            self.set_tags(self.properties["tags"])

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        body = self._request(properties, [key for key in changed if key not in ("tags", "l3_agent_ids")])
        if body:
            self._update(body)
        if "tags" in changed:
            self.set_tags(changed["tags"] or [])

    def delete(self) -> None:
        # Heat clears the gateway first, so the external port goes with the router
        if self.physical_id:
            try:
                self._update({"external_gateway_info": None})
            except (exceptions.NotFoundException, exceptions.ConflictException):
                pass
        super().delete()


class RouterInterface(Resource):
    """A router's interface on a subnet or port; replaced whenever anything changes."""

    type_name = "OS::Neutron::RouterInterface"
    description = "Connects a router to a subnet or a port."
    properties_schema = {
        "router": String("The router.", required=True, constraints=(CustomConstraint("neutron.router"),),
                         deprecated_names=("router_id",)),
        "subnet": String("The subnet, either subnet or port should be specified.",
                         constraints=(CustomConstraint("neutron.subnet"),), deprecated_names=("subnet_id",)),
        "port": String("The port, either subnet or port should be specified.",
                       constraints=(CustomConstraint("neutron.port"),), deprecated_names=("port_id",)),
    }

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        given = [key for key in ("subnet", "port") if properties.get(key) is not None]
        # a value known only later may be either one: only known values can clash
        if not given and not {"subnet", "port"} & unknown:
            return [PropertyProblem(("subnet",), "At least one of the following properties must be specified: "
                                                 "subnet, port.")]
        if len(given) > 1:
            return [PropertyProblem(("port",), "Cannot define the following properties at the same time: "
                                               "subnet, port.")]
        return ()

    def create(self) -> None:
        cloud = self.runtime.cloud()
        router_id = find_id(cloud, "router", self.properties["router"])
        if self.properties.get("port"):
            key, value = "port_id", find_id(cloud, "port", self.properties["port"])
        else:
            key, value = "subnet_id", find_id(cloud, "subnet", self.properties["subnet"])
        call(cloud, "PUT", f"/routers/{router_id}/add_router_interface", {key: value})
        self.set_physical_id(f"{router_id}:{key}={value}")

    def delete(self) -> None:
        if not self.physical_id:
            return
        router_id, _, rest = self.physical_id.partition(":")
        key, _, value = rest.partition("=")
        try:
            call(self.runtime.cloud(), "PUT", f"/routers/{router_id}/remove_router_interface", {key: value})
        except exceptions.NotFoundException:
            pass
