"""What each Octavia object accepts: defaults, allowed values, what may change after creation."""

from __future__ import annotations

from typing import Any

from ..service import BadRequest

LISTENER_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "TERMINATED_HTTPS", "UDP", "SCTP", "PROMETHEUS")
POOL_PROTOCOLS = ("HTTP", "HTTPS", "PROXY", "PROXYV2", "TCP", "UDP", "SCTP")
LB_ALGORITHMS = ("ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT")
PERSISTENCE_TYPES = ("SOURCE_IP", "HTTP_COOKIE", "APP_COOKIE")
MONITOR_TYPES = ("HTTP", "HTTPS", "PING", "TCP", "TLS-HELLO", "UDP-CONNECT", "SCTP")
HTTP_METHODS = ("CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE")
#: the providers this sandbox runs (Octavia's "octavia" is an alias of "amphora")
PROVIDERS = {"amphora": "amphora", "octavia": "amphora"}
#: listener and pool protocols of the datagram family cannot share a port with the stream family's
DATAGRAM = {"UDP", "SCTP"}

#: the optional fields each object takes on creation, with Octavia's defaults
DEFAULTS: dict[str, dict[str, Any]] = {
    "loadbalancer": {"name": "", "description": "", "admin_state_up": True, "flavor_id": None,
                     "availability_zone": None, "vip_qos_policy_id": None, "tags": []},
    "listener": {"name": "", "description": "", "admin_state_up": True, "connection_limit": -1,
                 "default_pool_id": None, "default_tls_container_ref": None, "sni_container_refs": [],
                 "insert_headers": {}, "timeout_client_data": 50000, "timeout_member_connect": 5000,
                 "timeout_member_data": 50000, "timeout_tcp_inspect": 0, "allowed_cidrs": None,
                 "client_ca_tls_container_ref": None, "client_authentication": "NONE",
                 "tls_ciphers": None, "tls_versions": None, "alpn_protocols": None, "tags": [],
                 "l7policies": []},
    "pool": {"name": "", "description": "", "admin_state_up": True, "session_persistence": None,
             "tls_enabled": False, "tls_container_ref": None, "ca_tls_container_ref": None,
             "crl_container_ref": None, "tls_ciphers": None, "tls_versions": None, "alpn_protocols": None,
             "tags": []},
    "member": {"name": "", "admin_state_up": True, "weight": 1, "backup": False, "subnet_id": None,
               "monitor_address": None, "monitor_port": None, "tags": []},
    "healthmonitor": {"name": "", "admin_state_up": True, "max_retries_down": 3, "http_method": None,
                      "url_path": None, "expected_codes": None, "http_version": None, "domain_name": None,
                      "tags": []},
}

#: what an update may change (anything else in the body is a 400, as Octavia's API types refuse it)
UPDATABLE: dict[str, set[str]] = {
    "loadbalancer": {"name", "description", "admin_state_up", "vip_qos_policy_id", "tags"},
    "listener": {"name", "description", "admin_state_up", "connection_limit", "default_pool_id",
                 "default_tls_container_ref", "sni_container_refs", "insert_headers", "timeout_client_data",
                 "timeout_member_connect", "timeout_member_data", "timeout_tcp_inspect", "allowed_cidrs",
                 "client_ca_tls_container_ref", "client_authentication", "tls_ciphers", "tls_versions",
                 "alpn_protocols", "tags"},
    "pool": {"name", "description", "admin_state_up", "lb_algorithm", "session_persistence", "tls_enabled",
             "tls_container_ref", "ca_tls_container_ref", "crl_container_ref", "tls_ciphers", "tls_versions",
             "alpn_protocols", "tags"},
    "member": {"name", "admin_state_up", "weight", "backup", "monitor_address", "monitor_port", "tags"},
    "healthmonitor": {"name", "admin_state_up", "delay", "timeout", "max_retries", "max_retries_down",
                      "http_method", "url_path", "expected_codes", "http_version", "domain_name", "tags"},
}


def choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``; the API's 400 otherwise."""
    if value not in allowed:
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: '{value}'. "
                         f"Value should be one of: {', '.join(allowed)}")
    return value


def required(data: dict[str, Any], *names: str) -> None:
    """The API's 400 for the first mandatory field missing from ``data``."""
    for name in names:
        if data.get(name) is None:
            raise BadRequest(f"Invalid input for field/attribute {name}. Value: 'None'. Mandatory field missing.")


def integer(data: dict[str, Any], field: str, low: int, high: int) -> None:
    """The API's 400 when ``data[field]`` (if given) is not a whole number in ``low``–``high``."""
    value = data.get(field)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: '{value}'. Wrong type.")
    if not low <= value <= high:
        raise BadRequest(f"Invalid input for field/attribute {field}. Value: '{value}'. "
                         f"Value should be between {low} and {high}")


def with_defaults(key: str, data: dict[str, Any]) -> dict[str, Any]:
    """The optional fields of a new ``key`` object: the request's values over Octavia's defaults."""
    return {name: data.get(name, default) if data.get(name) is not None else default
            for name, default in DEFAULTS[key].items()}


def changes(key: str, data: dict[str, Any]) -> dict[str, Any]:
    """The fields an update body sets; the API's 400 for one that cannot change."""
    for name in data:
        if name not in UPDATABLE[key]:
            raise BadRequest(f"Invalid input for field/attribute {name}. Value: '{data[name]}'. "
                             "Attribute is read-only or unknown.")
    return dict(data)
