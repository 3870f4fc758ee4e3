"""OS::Octavia::LoadBalancer and OS::Octavia::Listener: the balancer and the ports it listens on."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from resources.schema import AllowedValues, Attribute, Boolean, Integer, List, PropertyProblem, Range, String

from .base import OctaviaResource, custom as _custom


# -- load balancer ----------------------------------------------------------------------------------

class LoadBalancer(OctaviaResource):
    """An Octavia load balancer with its VIP on a subnet or network."""

    type_name = "OS::Octavia::LoadBalancer"
    description = "A load balancer (Octavia) with a virtual IP on a Neutron subnet or network."
    path, body_key, entity = "/lbaas/loadbalancers", "loadbalancer", "load_balancer"
    properties_schema = {
        "name": String("Name of the load balancer (default: the resource's physical name).", update_allowed=True),
        "description": String("Description of the load balancer.", default="", update_allowed=True),
        "admin_state_up": Boolean("Whether the load balancer is administratively up.", default=True,
                                  update_allowed=True),
        "vip_subnet": String("Subnet (name or id) to allocate the VIP on.", constraints=_custom("neutron.subnet")),
        "vip_network": String("Network (name or id) to allocate the VIP on, when no subnet is given.",
                              constraints=_custom("neutron.network")),
        "vip_address": String("The VIP address (default: one allocated from the subnet)."),
        "provider": String("The provider driver of the load balancer."),
        "flavor": String("Octavia flavor (name or id) of the load balancer.", constraints=_custom("octavia.flavor")),
        "availability_zone": String("Availability zone of the load balancer."),
        "tenant_id": String("The project owning the load balancer (admins only)."),
    }
    attributes_schema = {
        "vip_address": Attribute("The VIP address.", type="string"),
        "vip_port_id": Attribute("The Neutron port holding the VIP.", type="string"),
        "vip_subnet_id": Attribute("The subnet of the VIP.", type="string"),
        "pools": Attribute("The pools of the load balancer.", type="list"),
        "listeners": Attribute("The listeners of the load balancer.", type="list"),
        "flavor_id": Attribute("The Octavia flavor of the load balancer.", type="string"),
        "show": Attribute("Every detail of the load balancer.", type="map"),
    }
    update_fields = {"name": ("name", None), "description": ("description", None),
                     "admin_state_up": ("admin_state_up", None)}

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """A VIP needs a subnet or a network."""
        if properties.get("vip_subnet") is None and properties.get("vip_network") is None \
                and not unknown & {"vip_subnet", "vip_network"}:
            return [PropertyProblem(("vip_subnet",), "At least one of the following properties must be "
                                                     "specified: vip_subnet, vip_network.")]
        return []

    def _lb_id(self) -> str:
        return self.physical_id

    def create(self) -> None:
        props = self.properties
        attrs = {"name": props.get("name") or self.runtime.physical_name(), "description": props["description"],
                 "admin_state_up": props["admin_state_up"],
                 "vip_subnet_id": self._resolve("subnet", props.get("vip_subnet")),
                 "vip_network_id": self._resolve("network", props.get("vip_network")),
                 "vip_address": props.get("vip_address"), "provider": props.get("provider"),
                 "flavor_id": self._resolve("flavor", props.get("flavor")),
                 "availability_zone": props.get("availability_zone"), "project_id": props.get("tenant_id")}
        made = self.octavia.create_load_balancer(**{k: v for k, v in attrs.items() if v is not None})
        self.set_physical_id(made.id)

    def check_create_complete(self) -> bool:
        return self._settled()


# -- listener ---------------------------------------------------------------------------------------

LISTENER_PROTOCOLS = ("TCP", "HTTP", "HTTPS", "TERMINATED_HTTPS", "PROXY", "UDP", "SCTP")


class Listener(OctaviaResource):
    """A port and protocol on which a load balancer accepts traffic."""

    type_name = "OS::Octavia::Listener"
    description = "A listener of an Octavia load balancer: a protocol and port it accepts traffic on."
    path, body_key, entity = "/lbaas/listeners", "listener", "listener"
    properties_schema = {
        "protocol_port": Integer("The port to listen on.", required=True, constraints=(Range(1, 65535),)),
        "protocol": String("The protocol to listen for.", required=True,
                           constraints=(AllowedValues(list(LISTENER_PROTOCOLS)),)),
        "loadbalancer": String("The load balancer (name or id).", required=True,
                               constraints=_custom("octavia.loadbalancer")),
        "default_pool": String("The pool (name or id) traffic goes to by default.", update_allowed=True,
                               constraints=_custom("octavia.pool")),
        "name": String("Name of the listener (default: the resource's physical name).", update_allowed=True),
        "admin_state_up": Boolean("Whether the listener is administratively up.", default=True, update_allowed=True),
        "description": String("Description of the listener.", update_allowed=True),
        "default_tls_container_ref": String("The TLS certificate container for TERMINATED_HTTPS.",
                                            update_allowed=True),
        "sni_container_refs": List("TLS certificate containers for SNI.", update_allowed=True),
        "connection_limit": Integer("The most connections the listener takes (-1: no limit).", default=-1,
                                    update_allowed=True, constraints=(Range(min=-1),)),
        "allowed_cidrs": List("The CIDRs allowed to connect.", update_allowed=True),
        "tenant_id": String("The project owning the listener (admins only)."),
    }
    attributes_schema = {
        "loadbalancers": Attribute("The load balancers of the listener.", type="list"),
        "default_pool_id": Attribute("The default pool of the listener.", type="string"),
        "show": Attribute("Every detail of the listener.", type="map"),
    }
    update_fields = {"default_pool": ("default_pool_id", "pool"), "name": ("name", None),
                     "admin_state_up": ("admin_state_up", None), "description": ("description", None),
                     "default_tls_container_ref": ("default_tls_container_ref", None),
                     "sni_container_refs": ("sni_container_refs", None),
                     "connection_limit": ("connection_limit", None), "allowed_cidrs": ("allowed_cidrs", None)}

    def create_attrs(self) -> dict[str, Any]:
        props = self.properties
        lb_id = self._resolve("loadbalancer", props["loadbalancer"])
        self.set_data("lb_id", lb_id)
        attrs = {"loadbalancer_id": lb_id, "protocol": props["protocol"], "protocol_port": props["protocol_port"],
                 "name": props.get("name") or self.runtime.physical_name(),
                 "admin_state_up": props["admin_state_up"], "description": props.get("description"),
                 "default_pool_id": self._resolve("pool", props.get("default_pool")),
                 "default_tls_container_ref": props.get("default_tls_container_ref"),
                 "sni_container_refs": props.get("sni_container_refs"),
                 "connection_limit": props["connection_limit"], "allowed_cidrs": props.get("allowed_cidrs"),
                 "project_id": props.get("tenant_id")}
        return {k: v for k, v in attrs.items() if v is not None}
