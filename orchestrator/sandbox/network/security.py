"""Security groups and their rules, and each project's ``default`` group."""

from __future__ import annotations

import ipaddress
from typing import Any

from ..service import caller, store
from . import ipam
from .common import (Collection, bad_request, base_fields, check_keys, check_quota, check_updatable, find,
                     in_use, not_found, touched)

GROUP_CREATE = {"name", "description", "tenant_id", "project_id", "stateful"}
GROUP_UPDATE = {"name", "description", "stateful"}
RULE_CREATE = {"security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max",
               "remote_ip_prefix", "remote_group_id", "remote_address_group_id", "description", "tenant_id",
               "project_id"}

#: protocol names Neutron accepts (besides the numbers 0-255)
PROTOCOLS = ("ah", "dccp", "egp", "esp", "gre", "hopopt", "icmp", "icmpv6", "igmp", "ipip", "ipv6-encap",
             "ipv6-frag", "ipv6-icmp", "ipv6-nonxt", "ipv6-opts", "ipv6-route", "ospf", "pgm", "rsvp", "sctp",
             "tcp", "udp", "udplite", "vrrp")
#: protocols whose rules may have a port range
PORT_PROTOCOLS = {"tcp", "udp", "dccp", "sctp", "udplite", "6", "17", "33", "132", "136"}
ICMP_PROTOCOLS = {"icmp", "icmpv6", "ipv6-icmp", "1", "58"}


def ensure_default_group(project_id: str) -> dict[str, Any]:
    """The project's ``default`` group, made with Neutron's default rules on first need."""
    objects = store()
    with objects.transaction():
        found = objects.list("security_group", project_id, where=lambda g: g.get("_default"))
        if found:
            return found[0]
        group = objects.add("security_group", {**base_fields(project_id, {"name": "default",
                                                                          "description": "Default security group"}),
                                               "stateful": True, "_default": True}, project_id)
        for ethertype in ("IPv4", "IPv6"):
            _add_rule(group, {"direction": "egress", "ethertype": ethertype})
            _add_rule(group, {"direction": "ingress", "ethertype": ethertype, "remote_group_id": group["id"]})
        return group


def group_view(group: dict[str, Any]) -> dict[str, Any]:
    """A group with its rules, as Neutron shows it."""
    from .common import shown

    rules = store().list("security_group_rule", where=lambda r: r["security_group_id"] == group["id"])
    return {**group, "security_group_rules": [shown(rule, "security_group_rule", []) for rule in rules]}


def resolve_groups(project_id: str, names_or_ids: list[str]) -> list[str]:
    """Group ids for names or ids in the project; Neutron's 404 for one that is not there."""
    ids = []
    for wanted in names_or_ids:
        found = store().get("security_group", wanted, project_id)
        if found is None:
            named = store().list("security_group", project_id, where=lambda g: g["name"] == wanted)
            if not named:
                raise not_found("security_group", wanted)
            found = named[0]
        ids.append(found["id"])
    return ids


# -- groups ------------------------------------------------------------------------------------

def create_group(values: dict[str, Any], project_id: str) -> dict[str, Any]:
    check_keys(values, GROUP_CREATE, "security_group")
    asked = values.get("project_id") or values.get("tenant_id")
    project_id = asked if asked and caller().is_admin else caller().project_id
    ensure_default_group(project_id)
    if values.get("name") == "default":
        raise in_use("Default security group already exists.", "SecurityGroupDefaultAlreadyExists")
    with store().transaction():
        check_quota(project_id, "security_group")
        group = store().add("security_group", {**base_fields(project_id, values),
                                               "stateful": values.get("stateful", True)}, project_id)
        for ethertype in ("IPv4", "IPv6"):
            _add_rule(group, {"direction": "egress", "ethertype": ethertype})
    return group


def update_group(group: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    check_updatable(values, GROUP_UPDATE)
    if group.get("_default") and values.get("name", "default") != "default":
        raise in_use("Updating default security group not allowed.", "SecurityGroupCannotUpdateDefault")
    return store().change("security_group", group["id"], touched(values, group))


def delete_group(group: dict[str, Any]) -> None:
    """Remove the group and its rules; 409 for the default group or one that ports use."""
    objects = store()
    with objects.transaction():
        if group.get("_default") and not caller().is_admin:
            raise in_use("Removing default security group not allowed.", "SecurityGroupCannotRemoveDefault")
        if objects.list("port", where=lambda p: group["id"] in (p.get("security_groups") or [])):
            raise in_use(f"Security Group {group['id']} in use.", "SecurityGroupInUse")
        objects.remove_all("security_group_rule", [
            r["id"] for r in objects.list("security_group_rule", where=lambda r: group["id"] in (
                r["security_group_id"], r.get("remote_group_id")))])
        objects.remove("security_group", group["id"])


# -- rules -------------------------------------------------------------------------------------

def _protocol(value: Any) -> str | None:
    if value is None or str(value).lower() in ("", "any"):
        return None
    text = str(value).lower()
    if text in PROTOCOLS or (text.isdigit() and 0 <= int(text) <= 255):
        return text
    raise bad_request(f"Security group rule protocol {value} not supported. Only protocol values "
                      f"[None, {', '.join(PROTOCOLS)}] and integer representations [0 to 255] are supported.",
                      kind="SecurityGroupRuleInvalidProtocol")


def _port(value: Any, field: str) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise bad_request(f"Invalid input for {field}. Reason: '{value}' is not an integer.") from None
    if not 0 <= number <= 65535:
        raise bad_request(f"Invalid value for port {number}.", kind="SecurityGroupInvalidPortValue")
    return number


def _rule_fields(group: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    direction = values.get("direction")
    if direction not in ("ingress", "egress"):
        raise bad_request(f"Invalid input for direction. Reason: {direction} is not in ['ingress', 'egress'].")
    ethertype = values.get("ethertype") or "IPv4"
    if ethertype not in ("IPv4", "IPv6"):
        raise bad_request(f"Invalid input for ethertype. Reason: {ethertype} is not in ['IPv4', 'IPv6'].")
    protocol = _protocol(values.get("protocol"))
    low, high = _port(values.get("port_range_min"), "port_range_min"), _port(values.get("port_range_max"),
                                                                              "port_range_max")
    if (low is not None or high is not None) and protocol is None:
        raise bad_request("Must also specify protocol if port range is given.",
                          kind="SecurityGroupProtocolRequiredWithPorts")
    if protocol in PORT_PROTOCOLS and low is not None and high is not None and low > high:
        raise bad_request("For TCP/UDP protocols, port_range_min must be <= port_range_max",
                          kind="SecurityGroupInvalidPortRange")
    if protocol in PORT_PROTOCOLS and low is not None and high is None:
        high = low
    prefix, remote_group = values.get("remote_ip_prefix"), values.get("remote_group_id")
    if prefix is not None and remote_group is not None:
        raise bad_request("Only remote_ip_prefix or remote_group_id may be provided.",
                          kind="SecurityGroupRemoteGroupAndRemoteIpPrefix")
    if prefix is not None:
        net = ipam.network_of(prefix)
        if f"IPv{net.version}" != ethertype:
            raise bad_request(f"Conflicting value ethertype {ethertype} for CIDR {prefix}",
                              kind="SecurityGroupRuleParameterConflict")
        prefix = str(net)
    if remote_group is not None:
        find("security_group", remote_group, group["project_id"], False)
    return {"security_group_id": group["id"], "direction": direction, "ethertype": ethertype,
            "protocol": protocol, "port_range_min": low, "port_range_max": high, "remote_ip_prefix": prefix,
            "remote_group_id": remote_group, "remote_address_group_id": None,
            "normalized_cidr": prefix}


#: what makes two rules the same rule
_RULE_IDENTITY = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
                  "remote_group_id")


def _add_rule(group: dict[str, Any], values: dict[str, Any], check: bool = False) -> dict[str, Any]:
    fields = _rule_fields(group, values)
    if check:
        for rule in store().list("security_group_rule", where=lambda r: r["security_group_id"] == group["id"]):
            if all(_same(rule.get(key), fields[key]) for key in _RULE_IDENTITY):
                raise in_use(f"Security group rule already exists. Rule id is {rule['id']}.",
                             "SecurityGroupRuleExists")
        check_quota(group["project_id"], "security_group_rule")
    body = {**base_fields(group["project_id"], values), **fields}
    body.pop("name")
    return store().add("security_group_rule", body, group["project_id"])


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str) and "/" in left and "/" in right:
        return ipaddress.ip_network(left) == ipaddress.ip_network(right)
    return left == right


def create_rule(values: dict[str, Any], _project: str) -> dict[str, Any]:
    check_keys(values, RULE_CREATE, "security_group_rule")
    ensure_default_group(caller().project_id)
    with store().transaction():
        group = find("security_group", str(values.get("security_group_id") or ""))
        return _add_rule(group, values, check=True)


def update_rule(rule: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    check_updatable(values, {"description"})
    return store().change("security_group_rule", rule["id"], touched(values, rule))


def delete_rule(rule: dict[str, Any]) -> None:
    store().remove("security_group_rule", rule["id"])


COLLECTIONS = (
    Collection("security_group", "security_group", "security-groups", create_group, update_group, delete_group),
    Collection("security_group_rule", "security_group_rule", "security-group-rules", create_rule, update_rule,
               delete_rule),
)
