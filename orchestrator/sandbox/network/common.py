"""What every Neutron object kind shares: the blueprint, errors, visibility, list filters, quotas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from flask import has_request_context, request

from ..service import Conflict, Forbidden, NotFound, SandboxError, ServiceBlueprint, caller, store
from ..store import public

blueprint = ServiceBlueprint("network", "/network", "neutron", "orchestrator.sandbox.network")

#: Neutron's default quotas (Zed), per project
DEFAULT_QUOTAS = {"network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50,
                  "security_group": 10, "security_group_rule": 100, "rbac_policy": 10, "subnetpool": -1}

#: objects Neutron makes for itself (router gateways, floating IPs' ports) belong to no project
NO_PROJECT = ""


def bad_request(message: str, kind: str = "HTTPBadRequest") -> SandboxError:
    """Neutron's 400 for a body it cannot accept."""
    return SandboxError(message, kind=kind, status=400)


def in_use(message: str, kind: str) -> SandboxError:
    """Neutron's 409 for an object others still need."""
    return Conflict(message, kind=kind)


#: the 404 each kind answers with: (error type, message with ``{id}``)
NOT_FOUND = {
    "network": ("NetworkNotFound", "Network {id} could not be found."),
    "subnet": ("SubnetNotFound", "Subnet {id} could not be found."),
    "port": ("PortNotFound", "Port {id} could not be found."),
    "router": ("RouterNotFound", "Router {id} could not be found"),
    "floatingip": ("FloatingIPNotFound", "Floating IP {id} could not be found"),
    "security_group": ("SecurityGroupNotFound", "Security group {id} does not exist"),
    "security_group_rule": ("SecurityGroupRuleNotFound", "Security group rule {id} does not exist"),
}


def not_found(kind: str, object_id: str) -> SandboxError:
    """The 404 Neutron gives for a missing ``kind`` object."""
    error_type, message = NOT_FOUND[kind]
    return NotFound(message.format(id=object_id), kind=error_type)


def now_iso() -> str:
    """A timestamp as Neutron writes them."""
    return datetime.fromtimestamp(store().clock(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_fields(project_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """The fields every Neutron object has."""
    stamp = now_iso()
    return {"name": values.get("name") or "", "description": values.get("description") or "",
            "tenant_id": project_id, "project_id": project_id, "tags": [], "created_at": stamp,
            "updated_at": stamp, "revision_number": 0}


def touched(changes: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """``changes`` with the bookkeeping an update makes (revision, timestamp)."""
    return {**changes, "updated_at": now_iso(), "revision_number": current.get("revision_number", 0) + 1}


# -- who sees what ---------------------------------------------------------------------------

def _network_open(network_id: str) -> bool:
    network = store().get("network", network_id)
    return bool(network and (network.get("shared") or network.get("router:external")))


#: what a project sees beyond its own objects (shared and external networks and their subnets)
_OPEN_TO_ALL: dict[str, Callable[[dict[str, Any]], bool]] = {
    "network": lambda obj: bool(obj.get("shared") or obj.get("router:external")),
    "subnet": lambda obj: _network_open(obj["network_id"]),
}


def visible(kind: str, obj: dict[str, Any], project_id: str | None = None, admin: bool | None = None) -> bool:
    """Whether the caller (or ``project_id``) may see ``obj``; Neutron shows admins everything."""
    if project_id is None:
        project_id, admin = caller().project_id, caller().is_admin
    if admin:
        return True
    if obj.get("project_id") == project_id:
        return True
    return _OPEN_TO_ALL.get(kind, lambda _obj: False)(obj)


def find(kind: str, object_id: str, project_id: str | None = None, admin: bool | None = None) -> dict[str, Any]:
    """The ``kind`` object the caller (or ``project_id``) can see; Neutron's 404 otherwise."""
    obj = store().get(kind, object_id) if object_id else None
    if obj is None or not visible(kind, obj, project_id, admin):
        raise not_found(kind, object_id)
    return obj


def owned(kind: str, object_id: str) -> dict[str, Any]:
    """The object the caller may change: its own (or any, for an admin); 404 if unseen, 403 if only seen."""
    obj = find(kind, object_id)
    if not caller().is_admin and obj.get("project_id") != caller().project_id:
        raise Forbidden(f"(rule:update_{kind}) is disallowed by policy", kind="PolicyNotAuthorized")
    return obj


# -- list filters and fields -----------------------------------------------------------------

_NOT_FILTERS = {"fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse", "all_tenants", "all_projects"}


def _matches_one(value: Any, wanted: str) -> bool:
    if isinstance(value, bool):
        return str(value).lower() == wanted.lower()
    if value is None:
        return wanted in ("", "None", "null")
    return str(value) == wanted


def _fixed_ips_match(fixed_ips: list[dict[str, Any]], wanted: list[str]) -> bool:
    # each value is ``key=value`` (ip_address=…, subnet_id=…, ip_address_substr=…); all must hold
    for condition in wanted:
        key, _, value = condition.partition("=")
        if key == "ip_address_substr":
            if not any(value in entry["ip_address"] for entry in fixed_ips):
                return False
        elif not any(str(entry.get(key)) == value for entry in fixed_ips):
            return False
    return True


def matches(obj: dict[str, Any], args: Any) -> bool:
    """Whether ``obj`` passes the request's filters (each repeated value is an alternative)."""
    for key in args:
        if key in _NOT_FILTERS:
            continue
        wanted = args.getlist(key)
        if key == "fixed_ips":
            if not _fixed_ips_match(obj.get("fixed_ips") or [], wanted):
                return False
            continue
        if key in ("tags", "tags-any", "not-tags", "not-tags-any"):
            tags = set(obj.get("tags") or [])
            asked = {tag for value in wanted for tag in value.split(",")}
            result = {"tags": asked <= tags, "tags-any": bool(asked & tags),
                      "not-tags": not asked <= tags, "not-tags-any": not asked & tags}[key]
            if not result:
                return False
            continue
        if key not in obj:
            continue  # an attribute this kind does not have: Neutron ignores it here
        value = obj[key]
        if isinstance(value, list):
            if not any(str(item) in wanted for item in value):
                return False
        elif not any(_matches_one(value, item) for item in wanted):
            return False
    return True


#: attributes each kind shows as null when unset (the store drops keys set to ``None``)
#: fields Neutron's default policy shows to admins only
ADMIN_ONLY = {"port": ("binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details")}

NULLABLE = {
    "network": ("qos_policy_id", "ipv4_address_scope", "ipv6_address_scope"),
    "subnet": ("gateway_ip", "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id", "segment_id"),
    "port": ("qos_policy_id",),
    "router": ("external_gateway_info",),
    "floatingip": ("port_id", "fixed_ip_address", "router_id", "port_details", "qos_policy_id"),
    "security_group_rule": ("protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
                            "remote_group_id", "remote_address_group_id"),
}


def shown(obj: dict[str, Any], kind: str = "", fields: list[str] | None = None) -> dict[str, Any]:
    """The object as Neutron shows it, cut down to ``fields`` (``fields=`` query) when asked."""
    body = {**{key: None for key in NULLABLE.get(kind, ())}, **public(obj)}
    if kind in ADMIN_ONLY and has_request_context() and not caller().is_admin:
        body = {key: value for key, value in body.items() if key not in ADMIN_ONLY[kind]}
    if fields is None:
        fields = request.args.getlist("fields") if has_request_context() else []
    if fields:
        body = {key: value for key, value in body.items() if key in fields}
    return body


# -- quotas ----------------------------------------------------------------------------------

def quota_limits(project_id: str) -> dict[str, int]:
    """The project's quotas: Neutron's defaults with the admin's changes."""
    stored = store().get("network_quota", project_id) or {}
    return {**DEFAULT_QUOTAS, **{key: value for key, value in stored.items() if key in DEFAULT_QUOTAS}}


#: the store kind each quota counts
QUOTA_KINDS = {"network": "network", "subnet": "subnet", "port": "port", "router": "router",
               "floatingip": "floatingip", "security_group": "security_group",
               "security_group_rule": "security_group_rule"}


def quota_used(project_id: str, resource: str) -> int:
    """How many ``resource`` objects the project has."""
    return store().count(QUOTA_KINDS[resource], project_id)


def check_quota(project_id: str, resource: str, more: int = 1) -> None:
    """Neutron's 409 OverQuota when ``more`` objects would exceed the project's quota."""
    if not project_id:
        return
    limit = quota_limits(project_id)[resource]
    if limit >= 0 and quota_used(project_id, resource) + more > limit:
        raise Conflict(f"Quota exceeded for resources: ['{resource}'].", kind="OverQuota")


def check_keys(values: dict[str, Any], allowed: set[str], resource: str) -> None:
    """Neutron's 400 for attributes the kind does not have."""
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise bad_request(f"Unrecognized attribute(s) '{', '.join(unknown)}'")


def check_updatable(values: dict[str, Any], allowed: set[str]) -> None:
    """Neutron's 400 for an update of a read-only attribute."""
    for key in values:
        if key not in allowed:
            raise bad_request(f"Cannot update read-only attribute {key}")


@dataclass(frozen=True)
class Collection:
    """One Neutron collection: its names and the functions that make, change and remove its objects."""

    kind: str
    singular: str
    plural: str
    create: Callable[[dict[str, Any], str], dict[str, Any]]
    update: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
    delete: Callable[[dict[str, Any]], None]
