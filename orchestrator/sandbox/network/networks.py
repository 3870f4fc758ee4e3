"""Networks and subnets, and the seeded external network ``public``."""

from __future__ import annotations

import ipaddress
from typing import Any

from ..service import Forbidden, caller, store
from . import ipam
from .common import (NO_PROJECT, Collection, bad_request, base_fields, check_keys, check_quota, check_updatable,
                     find, in_use, touched)

NETWORK_CREATE = {"name", "description", "admin_state_up", "shared", "router:external", "mtu",
                  "port_security_enabled", "tenant_id", "project_id", "availability_zone_hints", "dns_domain",
                  "qos_policy_id", "provider:network_type", "provider:physical_network",
                  "provider:segmentation_id", "is_default"}
NETWORK_UPDATE = {"name", "description", "admin_state_up", "shared", "router:external", "mtu",
                  "port_security_enabled", "dns_domain", "qos_policy_id", "is_default"}
SUBNET_CREATE = {"name", "description", "network_id", "cidr", "ip_version", "gateway_ip", "allocation_pools",
                 "enable_dhcp", "dns_nameservers", "host_routes", "tenant_id", "project_id", "ipv6_ra_mode",
                 "ipv6_address_mode", "subnetpool_id", "prefixlen", "segment_id", "service_types", "dns_publish_fixed_ip"}
SUBNET_UPDATE = {"name", "description", "gateway_ip", "allocation_pools", "enable_dhcp", "dns_nameservers",
                 "host_routes", "service_types", "segment_id", "dns_publish_fixed_ip"}

#: the MTU of the sandbox's (VXLAN-like) tenant networks
MTU = 1450


def _owner(values: dict[str, Any]) -> str:
    """The project a new object goes to: the caller's, or another one when an admin says so."""
    asked = values.get("project_id") or values.get("tenant_id")
    return asked if asked and caller().is_admin else caller().project_id


# -- networks ----------------------------------------------------------------------------------

def make_network(values: dict[str, Any], project_id: str) -> dict[str, Any]:
    """A new network in ``project_id``."""
    check_keys(values, NETWORK_CREATE, "network")
    with store().transaction():  # the quota check and the add, with nothing in between
        check_quota(project_id, "network")
        body = {**base_fields(project_id, values), "admin_state_up": values.get("admin_state_up", True),
                "shared": bool(values.get("shared", False)),
                "router:external": bool(values.get("router:external", False)),
                "mtu": int(values.get("mtu") or MTU),
                "port_security_enabled": values.get("port_security_enabled", True),
                "status": "ACTIVE", "subnets": [],
                "availability_zone_hints": values.get("availability_zone_hints") or [],
                "availability_zones": ["nova"], "ipv4_address_scope": None, "ipv6_address_scope": None,
                "is_default": bool(values.get("is_default", False)), "l2_adjacency": True,
                "qos_policy_id": values.get("qos_policy_id"), "dns_domain": values.get("dns_domain") or "",
                "_created": store().clock()}
        return store().add("network", body, project_id)


def create_network(values: dict[str, Any], _project: str) -> dict[str, Any]:
    return make_network(values, _owner(values))


def update_network(network: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    check_updatable(values, NETWORK_UPDATE)
    return store().change("network", network["id"], touched(values, network))


def delete_network(network: dict[str, Any]) -> None:
    """Remove the network and its subnets; 409 NetworkInUse while ports other than Neutron's own use it."""
    objects = store()
    with objects.transaction():
        ports = objects.list("port", where=lambda p: p["network_id"] == network["id"])
        if any(not (p.get("device_owner") or "").startswith("network:dhcp") for p in ports):
            raise in_use(f"Unable to complete operation on network {network['id']}. There are one or more "
                         "ports still in use on the network.", "NetworkInUse")
        objects.remove_all("port", [p["id"] for p in ports])
        objects.remove_all("subnet", network.get("subnets") or [])
        objects.remove("network", network["id"])


# -- subnets -----------------------------------------------------------------------------------

def _check_routes(net, routes: list[Any]) -> list[dict[str, str]]:
    checked = []
    for route in routes or []:
        if not isinstance(route, dict) or "destination" not in route or "nexthop" not in route:
            raise bad_request("Invalid input for host_routes. Reason: each route needs a destination and a nexthop.")
        ipam.network_of(route["destination"])
        ipam.address(route["nexthop"], "host_routes")
        checked.append({"destination": str(route["destination"]), "nexthop": str(route["nexthop"])})
    return checked


def make_subnet(values: dict[str, Any], project_id: str, admin: bool = False) -> dict[str, Any]:
    """A new subnet in ``project_id`` on a network it may use."""
    check_keys(values, SUBNET_CREATE, "subnet")
    # one transaction: the network's list of subnets is read and written back, the overlap and quota checked
    with store().transaction():
        network = find("network", str(values.get("network_id") or ""), project_id, admin)
        if not admin and network["project_id"] != project_id and not network.get("shared"):
            raise Forbidden("(rule:create_subnet) is disallowed by policy", kind="PolicyNotAuthorized")
        if not values.get("cidr"):
            raise bad_request("Bad subnet request: a subnetpool must be specified in the absence of a cidr.",
                              kind="BadRequest")
        version = values.get("ip_version")
        if version not in (4, 6, "4", "6"):
            raise bad_request(f"Invalid input for ip_version. Reason: {version} is not in [4, 6].")
        net = ipam.network_of(values["cidr"], int(version))
        for other in store().list("subnet", where=lambda s: s["network_id"] == network["id"]):
            if net.overlaps(ipaddress.ip_network(other["cidr"])):
                raise bad_request(f"Invalid input for operation: Requested subnet with cidr: {net} for network: "
                                  f"{network['id']} overlaps with another subnet.")
        gateway = _gateway(net, values)
        pools = (ipam.check_pools(net, values["allocation_pools"], gateway) if values.get("allocation_pools")
                 else ipam.default_pools(net, gateway))
        check_quota(project_id, "subnet")
        body = {**base_fields(project_id, values), "network_id": network["id"], "cidr": str(net),
                "ip_version": int(version), "gateway_ip": gateway, "allocation_pools": pools,
                "enable_dhcp": values.get("enable_dhcp", True),
                "dns_nameservers": list(values.get("dns_nameservers") or []),
                "host_routes": _check_routes(net, values.get("host_routes")),
                "ipv6_ra_mode": values.get("ipv6_ra_mode"),
                "ipv6_address_mode": values.get("ipv6_address_mode"), "subnetpool_id": None,
                "service_types": values.get("service_types") or [], "segment_id": values.get("segment_id"),
                "dns_publish_fixed_ip": False, "_created": store().clock()}
        subnet = store().add("subnet", body, project_id)
        store().change("network", network["id"], {"subnets": list(network.get("subnets") or []) + [subnet["id"]]})
    return subnet


def _gateway(net, values: dict[str, Any]) -> str | None:
    if "gateway_ip" not in values:
        return ipam.default_gateway(net)
    if values["gateway_ip"] is None:
        return None
    gateway = ipam.address(values["gateway_ip"], "gateway_ip")
    if gateway not in net:
        raise bad_request("Invalid input for operation: Gateway is not valid on subnet.")
    return str(gateway)


def create_subnet(values: dict[str, Any], _project: str) -> dict[str, Any]:
    return make_subnet(values, _owner(values), caller().is_admin)


def update_subnet(subnet: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    check_updatable(values, SUBNET_UPDATE)
    net = ipaddress.ip_network(subnet["cidr"])
    changes = dict(values)
    gateway = _gateway(net, values) if "gateway_ip" in values else subnet["gateway_ip"]
    if "gateway_ip" in values:
        changes["gateway_ip"] = gateway
    if "allocation_pools" in values:
        changes["allocation_pools"] = ipam.check_pools(net, values["allocation_pools"] or [], gateway)
    elif "gateway_ip" in values:
        ipam.check_pools(net, subnet["allocation_pools"], gateway)
    if "host_routes" in values:
        changes["host_routes"] = _check_routes(net, values["host_routes"])
    # a gateway set to null is dropped from the document and shown as null (``common.shown``)
    return store().change("subnet", subnet["id"], touched(changes, subnet))


def delete_subnet(subnet: dict[str, Any]) -> None:
    """Remove the subnet; 409 SubnetInUse while a port holds one of its addresses."""
    objects = store()
    with objects.transaction():
        holders = objects.list("port", where=lambda p: any(ip["subnet_id"] == subnet["id"] for ip in p["fixed_ips"]))
        if any(not (p.get("device_owner") or "").startswith("network:dhcp") for p in holders):
            raise in_use(f"Unable to complete operation on subnet {subnet['id']}: One or more ports have an IP "
                         "allocation from this subnet.", "SubnetInUse")
        network = objects.get("network", subnet["network_id"])
        if network is not None:
            objects.change("network", network["id"],
                           {"subnets": [s for s in network.get("subnets") or [] if s != subnet["id"]]})
        objects.remove("subnet", subnet["id"])


COLLECTIONS = (
    Collection("network", "network", "networks", create_network, update_network, delete_network),
    Collection("subnet", "subnet", "subnets", create_subnet, update_subnet, delete_subnet),
)


# -- seed --------------------------------------------------------------------------------------

def seed(_settings: Any) -> None:
    """The external network ``public`` (admin's) with ``public-subnet`` 172.24.4.0/24, once."""
    objects = store()
    with objects.transaction():
        if objects.list("network", where=lambda n: n["name"] == "public" and n.get("router:external")):
            return
        admin = objects.list("project", where=lambda p: p["name"] == "admin")
        project_id = admin[0]["id"] if admin else NO_PROJECT
        network = make_network({"name": "public", "router:external": True, "shared": False}, project_id)
        make_subnet({"name": "public-subnet", "network_id": network["id"], "cidr": "172.24.4.0/24",
                     "ip_version": 4, "gateway_ip": "172.24.4.1",
                     "allocation_pools": [{"start": "172.24.4.10", "end": "172.24.4.254"}],
                     "enable_dhcp": False}, project_id, admin=True)
