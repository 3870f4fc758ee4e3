"""OS::Neutron::Port."""

from __future__ import annotations

from typing import Any, Mapping

from orchestrator.template.constraints import CustomConstraint
from resources.schema import AllowedValues, Attribute, Boolean, List, Map, String

from .base import CUSTOM_CONSTRAINTS as _NEUTRON_CONSTRAINTS, NeutronResource, call, find_id

#: the Neutron lookups, for the engine to find next to the types defined here
CUSTOM_CONSTRAINTS = _NEUTRON_CONSTRAINTS

_VNIC_TYPES = AllowedValues(["normal", "direct", "macvtap", "direct-physical", "baremetal", "virtio-forwarder",
                             "smart-nic", "vdpa", "remote-managed"])


class Port(NeutronResource):
    """A Neutron port: addresses on a network, for a server or anything else."""

    type_name = "OS::Neutron::Port"
    description = "A port on a Neutron network."
    collection, singular = "ports", "port"
    properties_schema = {
        "network": String("Network this port belongs to.", required=True,
                          constraints=(CustomConstraint("neutron.network"),), deprecated_names=("network_id",)),
        "name": String("A symbolic name for this port.", update_allowed=True),
        "value_specs": Map("Extra parameters to include in the request.", default={}, update_allowed=True),
        "admin_state_up": Boolean("The administrative state of this port.", default=True, update_allowed=True),
        "fixed_ips": List("Desired IPs for this port.", update_allowed=True, schema=Map(schema={
            "subnet": String("Subnet in which to allocate the IP address for this port.",
                             constraints=(CustomConstraint("neutron.subnet"),), deprecated_names=("subnet_id",)),
            "ip_address": String("IP address desired in the subnet for this port.",
                                 constraints=(CustomConstraint("ip_addr"),)),
        })),
        "mac_address": String("MAC address to give to this port.", constraints=(CustomConstraint("mac_addr"),)),
        "device_id": String("Device ID of this port.", update_allowed=True),
        "device_owner": String("Name of the network owning the port.", update_allowed=True),
        "security_groups": List("Security group IDs or names to associate with this port.", update_allowed=True),
        "allowed_address_pairs": List("Additional MAC/IP address pairs allowed to pass through the port.",
                                      update_allowed=True, schema=Map(schema={
                                          "mac_address": String("MAC address to allow through this port.",
                                                                constraints=(CustomConstraint("mac_addr"),)),
                                          "ip_address": String("IP address to allow through this port.",
                                                               required=True,
                                                               constraints=(CustomConstraint("net_cidr"),)),
                                      })),
        "binding:vnic_type": String("The vnic type to be bound on the neutron port.", default="normal",
                                    constraints=(_VNIC_TYPES,), update_allowed=True),
        "port_security_enabled": Boolean("Flag to enable/disable port security on the port.",
                                         update_allowed=True),
        "qos_policy": String("The name or ID of QoS policy to attach to this port.", update_allowed=True),
        "dns_name": String("DNS name associated with the port.", update_allowed=True),
        "tags": List("The tags to be added to the port.", schema=String(), update_allowed=True),
        "no_fixed_ips": Boolean("Flag to disable all fixed IPs on the port.", default=False, update_allowed=True),
        "propagate_uplink_status": Boolean("Flag to propagate uplink status of the parent network.",
                                           update_allowed=True),
    }
    attributes_schema = {
        "admin_state_up": Attribute("The administrative state of this port."),
        "device_id": Attribute("Unique identifier for the device."),
        "device_owner": Attribute("Name of the network owning the port."),
        "fixed_ips": Attribute("Fixed IP addresses.", "list"),
        "mac_address": Attribute("MAC address of the port."),
        "name": Attribute("Friendly name of the port."),
        "network_id": Attribute("Unique identifier for the network owning the port."),
        "security_groups": Attribute("A list of security groups for the port.", "list"),
        "status": Attribute("The status of the port."),
        "tenant_id": Attribute("Tenant owning the port."),
        "allowed_address_pairs": Attribute("Additional MAC/IP address pairs allowed to pass through a port.",
                                           "list"),
        "subnets": Attribute("A list of all subnet attributes for the port.", "list"),
        "port_security_enabled": Attribute("Port security enabled of the port."),
        "qos_policy_id": Attribute("The QoS policy ID attached to this port."),
        "dns_assignment": Attribute("The DNS assigned to the port.", "map"),
        "network": Attribute("The attributes of the network owning the port.", "map"),
        "propagate_uplink_status": Attribute("Enable/Disable propagate uplink status for the port."),
        "show": Attribute("Detailed information about the port.", "map"),
    }
    body_attributes = ("admin_state_up", "device_id", "device_owner", "fixed_ips", "mac_address", "name",
                       "network_id", "security_groups", "status", "tenant_id", "allowed_address_pairs",
                       "port_security_enabled", "qos_policy_id", "dns_assignment", "propagate_uplink_status")
    #: update-allowed properties sent under their own names
    _PLAIN = ("admin_state_up", "device_id", "device_owner", "binding:vnic_type", "port_security_enabled",
              "dns_name", "propagate_uplink_status")

    def _fixed_ips(self, properties: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        if properties.get("no_fixed_ips"):
            return []
        if not properties.get("fixed_ips"):
            return None
        wanted = []
        for entry in properties["fixed_ips"]:
            item: dict[str, Any] = {}
            if entry.get("subnet"):
                item["subnet_id"] = find_id(self.cloud, "subnet", entry["subnet"])
            if entry.get("ip_address"):
                item["ip_address"] = entry["ip_address"]
            wanted.append(item)
        return wanted

    def _groups(self, names: list[str]) -> list[str]:
        return [find_id(self.cloud, "security_group", name) for name in names]

    def _request(self, properties: Mapping[str, Any], keys: Any) -> dict[str, Any]:
        body: dict[str, Any] = {key: properties[key] for key in self._PLAIN
                                if key in keys and properties.get(key) is not None}
        if "name" in keys:
            body["name"] = properties.get("name") or self.runtime.physical_name()
        if "fixed_ips" in keys or "no_fixed_ips" in keys:
            fixed = self._fixed_ips(properties)
            if fixed is not None:
                body["fixed_ips"] = fixed
        if "security_groups" in keys and properties.get("security_groups") is not None:
            body["security_groups"] = self._groups(properties["security_groups"])
        if "allowed_address_pairs" in keys and properties.get("allowed_address_pairs") is not None:
            body["allowed_address_pairs"] = [{k: v for k, v in pair.items() if v is not None}
                                             for pair in properties["allowed_address_pairs"]]
        if "qos_policy" in keys and properties.get("qos_policy") is not None:
            body["qos_policy_id"] = properties["qos_policy"]
        if "value_specs" in keys:
            body.update(self.value_specs(properties))
        return body

    def create(self) -> None:
        props = self.properties
        body = self._request(props, list(self.properties_schema))
        body["network_id"] = find_id(self.cloud, "network", props["network"])
        if props.get("mac_address"):
            body["mac_address"] = props["mac_address"]
        self._create(body)
        if props.get("tags"):
            self.set_tags(props["tags"])

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        keys = [key for key in changed if key != "tags"]
        body = self._request(properties, keys)
        if "security_groups" in changed and properties.get("security_groups") is None:
            # dropping the property puts the port back in the project's default group, as Heat does
            body["security_groups"] = self._groups(["default"])
        if "fixed_ips" in changed and not properties.get("fixed_ips") and not properties.get("no_fixed_ips"):
            body.pop("fixed_ips", None)
        if body:
            self._update(body)
        if "tags" in changed:
            self.set_tags(changed["tags"] or [])

    def resolve_attribute(self, name: str) -> Any:
        if name == "subnets":
            found = self.body()
            if not found:
                return None
            return [call(self.cloud, "GET", f"/subnets/{entry['subnet_id']}")["subnet"]
                    for entry in found.get("fixed_ips") or []]
        if name == "network":
            found = self.body()
            return call(self.cloud, "GET", f"/networks/{found['network_id']}")["network"] if found else None
        return super().resolve_attribute(name)
