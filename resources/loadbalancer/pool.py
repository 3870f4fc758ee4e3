"""OS::Octavia::Pool, PoolMember and HealthMonitor: where a listener's traffic goes, and how it is checked."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from resources.schema import (AllowedValues, Attribute, Boolean, Integer, List, Map, PropertyProblem, Range,
                              String)

from .base import OctaviaResource, custom as _custom


# -- pool ---------------------------------------------------------------------------------------------

class Pool(OctaviaResource):
    """A set of members that a listener or a load balancer sends traffic to."""

    type_name = "OS::Octavia::Pool"
    description = "A pool of an Octavia load balancer: the members traffic is balanced over."
    path, body_key, entity = "/lbaas/pools", "pool", "pool"
    properties_schema = {
        "admin_state_up": Boolean("Whether the pool is administratively up.", default=True, update_allowed=True),
        "description": String("Description of the pool.", update_allowed=True),
        "session_persistence": Map("How requests of one session stick to one member.", update_allowed=True,
                                   schema={
                                       "type": String("The persistence type.", required=True, constraints=(
                                           AllowedValues(["SOURCE_IP", "HTTP_COOKIE", "APP_COOKIE"]),)),
                                       "cookie_name": String("The cookie's name (APP_COOKIE only)."),
                                   }),
        "name": String("Name of the pool (default: the resource's physical name).", update_allowed=True),
        "lb_algorithm": String("How traffic is spread over members.", required=True, update_allowed=True,
                               constraints=(AllowedValues(["ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP",
                                                           "SOURCE_IP_PORT"]),)),
        "listener": String("The listener (name or id) whose default pool this is.",
                           constraints=_custom("octavia.listener")),
        "loadbalancer": String("The load balancer (name or id), for a pool no listener uses by default.",
                               constraints=_custom("octavia.loadbalancer")),
        "protocol": String("The protocol members are reached with.", required=True, constraints=(
            AllowedValues(["TCP", "HTTP", "HTTPS", "PROXY", "PROXYV2", "UDP", "SCTP"]),)),
        "tls_enabled": Boolean("Whether members are reached over TLS.", default=False, update_allowed=True),
        "tenant_id": String("The project owning the pool (admins only)."),
    }
    attributes_schema = {
        "healthmonitor_id": Attribute("The health monitor of the pool.", type="string"),
        "listeners": Attribute("The listeners using the pool.", type="list"),
        "members": Attribute("The members of the pool.", type="list"),
        "show": Attribute("Every detail of the pool.", type="map"),
    }
    update_fields = {"admin_state_up": ("admin_state_up", None), "description": ("description", None),
                     "session_persistence": ("session_persistence", None), "name": ("name", None),
                     "lb_algorithm": ("lb_algorithm", None), "tls_enabled": ("tls_enabled", None)}

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """A pool belongs to a listener or a load balancer."""
        if properties.get("listener") is None and properties.get("loadbalancer") is None \
                and not unknown & {"listener", "loadbalancer"}:
            return [PropertyProblem(("listener",), "At least one of the following properties must be "
                                                   "specified: listener, loadbalancer.")]
        persistence = properties.get("session_persistence") or {}
        if persistence.get("type") == "APP_COOKIE" and not persistence.get("cookie_name"):
            return [PropertyProblem(("session_persistence",),
                                    "Property cookie_name is required when session_persistence type is set to "
                                    "APP_COOKIE.")]
        return []

    def create_attrs(self) -> dict[str, Any]:
        props = self.properties
        attrs: dict[str, Any] = {"lb_algorithm": props["lb_algorithm"], "protocol": props["protocol"],
                                 "name": props.get("name") or self.runtime.physical_name(),
                                 "admin_state_up": props["admin_state_up"], "description": props.get("description"),
                                 "session_persistence": props.get("session_persistence"),
                                 "tls_enabled": props["tls_enabled"], "project_id": props.get("tenant_id")}
        if props.get("listener"):
            listener = self.octavia.find_listener(props["listener"], ignore_missing=False)
            attrs["listener_id"] = listener.id
            lb_id = listener.load_balancers[0]["id"]
        else:
            lb_id = attrs["loadbalancer_id"] = self._resolve("loadbalancer", props["loadbalancer"])
        self.set_data("lb_id", lb_id)
        return {k: v for k, v in attrs.items() if v is not None}


# -- member -----------------------------------------------------------------------------------------

class PoolMember(OctaviaResource):
    """A backend address and port in a pool."""

    type_name = "OS::Octavia::PoolMember"
    description = "A member of an Octavia pool: an address and port traffic is sent to."
    body_key, entity = "member", "member"
    properties_schema = {
        "pool": String("The pool (name or id).", required=True, constraints=_custom("octavia.pool")),
        "address": String("The member's IP address.", required=True),
        "protocol_port": Integer("The member's port.", required=True, constraints=(Range(1, 65535),)),
        "weight": Integer("The member's share of traffic relative to others (0: none).", default=1,
                          update_allowed=True, constraints=(Range(0, 256),)),
        "admin_state_up": Boolean("Whether the member is administratively up.", default=True, update_allowed=True),
        "subnet": String("The subnet (name or id) the member is reached on.", constraints=_custom("neutron.subnet")),
        "monitor_address": String("The address health checks go to (default: the member's)."),
        "monitor_port": Integer("The port health checks go to (default: the member's).",
                                constraints=(Range(1, 65535),)),
        "tags": List("Tags of the member.", update_allowed=True),
    }
    attributes_schema = {
        "address": Attribute("The member's IP address.", type="string"),
        "pool_id": Attribute("The pool of the member.", type="string"),
        "show": Attribute("Every detail of the member.", type="map"),
    }
    update_fields = {"weight": ("weight", None), "admin_state_up": ("admin_state_up", None), "tags": ("tags", None)}

    @property
    def path(self) -> str:  # type: ignore[override]
        return f"/lbaas/pools/{self.data.get('pool_id')}/members"

    def _fetch(self) -> Any:
        return self.octavia.get_member(self.physical_id, self.data["pool_id"])

    def _send_create(self, attrs: dict[str, Any]) -> Any:
        return self.octavia.create_member(self.data["pool_id"], **attrs)

    def _send_update(self, attrs: dict[str, Any]) -> None:
        self.octavia.update_member(self.physical_id, self.data["pool_id"], **attrs)

    def _send_delete(self) -> None:
        self.octavia.delete_member(self.physical_id, self.data["pool_id"], ignore_missing=True)

    def create_attrs(self) -> dict[str, Any]:
        props = self.properties
        pool = self.octavia.find_pool(props["pool"], ignore_missing=False)
        self.set_data("pool_id", pool.id)
        self.set_data("lb_id", pool.loadbalancers[0]["id"])
        attrs = {"address": props["address"], "protocol_port": props["protocol_port"], "weight": props["weight"],
                 "admin_state_up": props["admin_state_up"], "subnet_id": self._resolve("subnet", props.get("subnet")),
                 "monitor_address": props.get("monitor_address"), "monitor_port": props.get("monitor_port"),
                 "tags": props.get("tags")}
        return {k: v for k, v in attrs.items() if v is not None}

    def resolve_attribute(self, name: str) -> Any:
        if name == "pool_id":
            return self.data.get("pool_id")
        return super().resolve_attribute(name)


# -- health monitor ----------------------------------------------------------------------------------

class HealthMonitor(OctaviaResource):
    """Checks that tell a pool which members are up."""

    type_name = "OS::Octavia::HealthMonitor"
    description = "A health monitor of an Octavia pool: how members are checked."
    path, body_key, entity = "/lbaas/healthmonitors", "healthmonitor", "health_monitor"
    properties_schema = {
        "admin_state_up": Boolean("Whether the monitor is administratively up.", default=True, update_allowed=True),
        "delay": Integer("Seconds between checks.", required=True, update_allowed=True, constraints=(Range(min=0),)),
        "expected_codes": String("HTTP status codes that mean healthy (\"200\", \"200,202\", \"200-204\").",
                                 update_allowed=True),
        "http_method": String("The HTTP method of checks.", update_allowed=True, constraints=(
            AllowedValues(["GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH"]),)),
        "max_retries": Integer("Successful checks before a member is up.", required=True, update_allowed=True,
                               constraints=(Range(1, 10),)),
        "max_retries_down": Integer("Failed checks before a member is down.", update_allowed=True,
                                    constraints=(Range(1, 10),)),
        "pool": String("The pool (name or id) to monitor.", required=True, constraints=_custom("octavia.pool")),
        "timeout": Integer("Seconds a check may take.", required=True, update_allowed=True,
                           constraints=(Range(min=0),)),
        "type": String("The kind of check.", required=True, constraints=(
            AllowedValues(["PING", "TCP", "HTTP", "HTTPS", "UDP-CONNECT", "TLS-HELLO", "SCTP"]),)),
        "url_path": String("The path HTTP checks request.", update_allowed=True),
        "tenant_id": String("The project owning the monitor (admins only)."),
    }
    attributes_schema = {
        "pools": Attribute("The pools the monitor checks.", type="list"),
        "show": Attribute("Every detail of the health monitor.", type="map"),
    }
    update_fields = {name: (name, None) for name in ("admin_state_up", "delay", "expected_codes", "http_method",
                                                     "max_retries", "max_retries_down", "timeout", "url_path")}

    def create_attrs(self) -> dict[str, Any]:
        props = self.properties
        pool = self.octavia.find_pool(props["pool"], ignore_missing=False)
        self.set_data("lb_id", pool.loadbalancers[0]["id"])
        attrs = {"pool_id": pool.id, "type": props["type"], "delay": props["delay"], "timeout": props["timeout"],
                 "max_retries": props["max_retries"], "max_retries_down": props.get("max_retries_down"),
                 "http_method": props.get("http_method"), "url_path": props.get("url_path"),
                 "expected_codes": props.get("expected_codes"), "admin_state_up": props["admin_state_up"],
                 "project_id": props.get("tenant_id")}
        return {k: v for k, v in attrs.items() if v is not None}
