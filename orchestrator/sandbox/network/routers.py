"""Routers (external gateways, interfaces, routes) and floating IPs."""

from __future__ import annotations

import ipaddress
from typing import Any


from ..service import NotFound, body_of, caller, reply, store
from .common import (NO_PROJECT, Collection, bad_request, base_fields, blueprint, check_keys, check_quota,
                     check_updatable, find, in_use, not_found, owned, touched)
from .ports import make_port, remove_port

ROUTER_CREATE = {"name", "description", "admin_state_up", "external_gateway_info", "tenant_id", "project_id",
                 "distributed", "ha", "availability_zone_hints", "flavor_id"}
ROUTER_UPDATE = {"name", "description", "admin_state_up", "external_gateway_info", "routes", "distributed", "ha"}
FIP_CREATE = {"floating_network_id", "floating_ip_address", "subnet_id", "port_id", "fixed_ip_address",
              "description", "tenant_id", "project_id", "dns_name", "dns_domain", "qos_policy_id"}
FIP_UPDATE = {"port_id", "fixed_ip_address", "description", "qos_policy_id"}


def _external(network_id: str, what: str) -> dict[str, Any]:
    network = store().get("network", network_id or "")
    if network is None:
        raise not_found("network", network_id)
    if not network.get("router:external"):
        raise bad_request(f"Bad {what} request: Network {network_id} is not a valid external network.",
                          kind="BadRequest")
    return network


def _interfaces(router_id: str) -> list[dict[str, Any]]:
    return store().list("port", where=lambda p: p.get("device_id") == router_id
                        and p.get("device_owner") == "network:router_interface")


# -- gateways --------------------------------------------------------------------------------------

def _set_gateway(router: dict[str, Any], info: dict[str, Any] | None) -> dict[str, Any] | None:
    """Replace the router's gateway port with one for ``info``; the new ``external_gateway_info``."""
    current = router.get("external_gateway_info")
    if current and (not info or info.get("network_id") != current["network_id"]):
        _check_gateway_unused(router, current["network_id"])
    for port in store().list("port", where=lambda p: p.get("device_id") == router["id"]
                             and p.get("device_owner") == "network:router_gateway"):
        remove_port(port)
    if not info:
        return None
    network = _external(str(info.get("network_id") or ""), "router")
    fixed = info.get("external_fixed_ips")
    port = make_port({"network_id": network["id"], "device_id": router["id"],
                      "device_owner": "network:router_gateway", **({"fixed_ips": fixed} if fixed else {})},
                     NO_PROJECT, admin=True)
    return {"network_id": network["id"], "enable_snat": info.get("enable_snat", True),
            "external_fixed_ips": port["fixed_ips"]}


def _check_gateway_unused(router: dict[str, Any], network_id: str) -> None:
    if store().list("floatingip", where=lambda f: f.get("router_id") == router["id"]):
        raise in_use(f"Gateway cannot be updated for router {router['id']}, since a gateway to external network "
                     f"{network_id} is required by one or more floating IPs.",
                     "RouterExternalGatewayInUseByFloatingIp")


# -- routers -----------------------------------------------------------------------------------

def create_router(values: dict[str, Any], _project: str) -> dict[str, Any]:
    check_keys(values, ROUTER_CREATE, "router")
    asked = values.get("project_id") or values.get("tenant_id")
    project_id = asked if asked and caller().is_admin else caller().project_id
    objects = store()
    with objects.transaction():
        check_quota(project_id, "router")
        router = objects.add("router", {**base_fields(project_id, values), "status": "ACTIVE",
                                        "admin_state_up": values.get("admin_state_up", True),
                                        "external_gateway_info": None, "routes": [],
                                        "distributed": False, "ha": False, "flavor_id": None,
                                        "availability_zone_hints": values.get("availability_zone_hints") or [],
                                        "availability_zones": ["nova"], "_created": objects.clock()}, project_id)
        info = _set_gateway(router, values.get("external_gateway_info"))
        return objects.change("router", router["id"], {"external_gateway_info": info})


def update_router(router: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    check_updatable(values, ROUTER_UPDATE)
    changes = dict(values)
    if "external_gateway_info" in values:
        wanted, current = values["external_gateway_info"], router.get("external_gateway_info")
        if wanted and current and wanted.get("network_id") == current["network_id"] and \
                not wanted.get("external_fixed_ips"):
            changes["external_gateway_info"] = {**current, "enable_snat": wanted.get("enable_snat",
                                                                                      current["enable_snat"])}
        else:
            changes["external_gateway_info"] = _set_gateway(router, wanted)
    if "routes" in values:
        changes["routes"] = _check_routes(router, values["routes"] or [])
    return store().change("router", router["id"], touched(changes, router))


def _check_routes(router: dict[str, Any], routes: list[Any]) -> list[dict[str, str]]:
    connected = [ipaddress.ip_network(store().get("subnet", ip["subnet_id"])["cidr"])
                 for port in _interfaces(router["id"]) for ip in port["fixed_ips"]]
    checked = []
    for route in routes:
        nexthop = ipaddress.ip_address(str(route.get("nexthop")))
        if not any(nexthop in net for net in connected):
            raise bad_request(f"Invalid format for routes: {routes}, the nexthop is not connected with router",
                              kind="InvalidRoutes")
        checked.append({"destination": str(ipaddress.ip_network(str(route.get("destination")))),
                        "nexthop": str(nexthop)})
    return checked


def delete_router(router: dict[str, Any]) -> None:
    """Remove the router and its gateway; 409 RouterInUse while it has interfaces."""
    if _interfaces(router["id"]):
        raise in_use(f"Router {router['id']} still has ports", "RouterInUse")
    if router.get("external_gateway_info"):
        _check_gateway_unused(router, router["external_gateway_info"]["network_id"])
    _set_gateway({**router, "external_gateway_info": None}, None)
    store().remove("router", router["id"])


def _interface_reply(router: dict[str, Any], port: dict[str, Any]) -> dict[str, Any]:
    subnets = [ip["subnet_id"] for ip in port["fixed_ips"]]
    return {"id": router["id"], "tenant_id": router["project_id"], "project_id": router["project_id"],
            "port_id": port["id"], "network_id": port["network_id"], "subnet_id": subnets[0] if subnets else None,
            "subnet_ids": subnets}


@blueprint.route("/v2.0/routers/<router_id>/add_router_interface", methods=["PUT"])
def add_router_interface(router_id: str):
    """Connect a subnet (a new port on its gateway address) or an existing port to the router."""
    values = body_of()
    objects = store()
    with objects.transaction():
        router = owned("router", router_id)
        subnet_id, port_id = values.get("subnet_id"), values.get("port_id")
        if subnet_id and port_id:
            raise bad_request("Bad router request: Cannot specify both subnet-id and port-id.", kind="BadRequest")
        if not subnet_id and not port_id:
            raise bad_request("Bad router request: Either subnet_id or port_id must be specified.",
                              kind="BadRequest")
        attached = {ip["subnet_id"] for port in _interfaces(router_id) for ip in port["fixed_ips"]}
        if port_id:
            port = find("port", port_id)
            if port.get("device_id"):
                raise in_use(f"Unable to complete operation on port {port_id} for network {port['network_id']}. "
                             f"Port already has an attached device {port['device_id']}.", "PortInUse")
            if not port["fixed_ips"]:
                raise bad_request("Bad router request: Router port must have at least one fixed IP.",
                                  kind="BadRequest")
            for ip in port["fixed_ips"]:
                if ip["subnet_id"] in attached:
                    raise bad_request(f"Bad router request: Router already has a port on subnet {ip['subnet_id']}.",
                                      kind="BadRequest")
            port = objects.change("port", port_id, touched({"device_id": router_id, "status": "ACTIVE",
                                                            "device_owner": "network:router_interface",
                                                            "security_groups": []}, port))
        else:
            subnet = find("subnet", subnet_id)
            if not subnet.get("gateway_ip"):
                raise bad_request(f"Bad router request: Subnet {subnet_id} does not have a gateway IP.",
                                  kind="BadRequest")
            if subnet_id in attached:
                raise bad_request(f"Bad router request: Router already has a port on subnet {subnet_id}.",
                                  kind="BadRequest")
            port = make_port({"network_id": subnet["network_id"], "device_id": router_id,
                              "device_owner": "network:router_interface",
                              "fixed_ips": [{"subnet_id": subnet_id, "ip_address": subnet["gateway_ip"]}]},
                             router["project_id"], admin=True)
        return reply(_interface_reply(router, port))


@blueprint.route("/v2.0/routers/<router_id>/remove_router_interface", methods=["PUT"])
def remove_router_interface(router_id: str):
    """Disconnect a subnet or port from the router (its interface port is deleted)."""
    values = body_of()
    objects = store()
    with objects.transaction():
        router = owned("router", router_id)
        subnet_id, port_id = values.get("subnet_id"), values.get("port_id")
        if not subnet_id and not port_id:
            raise bad_request("Bad router request: Either subnet_id or port_id must be specified.",
                              kind="BadRequest")
        interfaces = _interfaces(router_id)
        if port_id:
            matching = [p for p in interfaces if p["id"] == port_id]
            if not matching:
                raise NotFound(f"Router {router_id} does not have an interface with id {port_id}",
                               kind="RouterInterfaceNotFound")
        else:
            matching = [p for p in interfaces if any(ip["subnet_id"] == subnet_id for ip in p["fixed_ips"])]
            if not matching:
                raise NotFound(f"Router {router_id} has no interface on subnet {subnet_id}",
                               kind="RouterInterfaceNotFoundForSubnet")
        port = matching[0]
        for ip in port["fixed_ips"]:
            _check_interface_unused(router, ip["subnet_id"])
        remove_port(port)
        return reply(_interface_reply(router, port))


def _check_interface_unused(router: dict[str, Any], subnet_id: str) -> None:
    for floating in store().list("floatingip", where=lambda f: f.get("router_id") == router["id"]):
        port = store().get("port", floating["port_id"])
        if port and any(ip["subnet_id"] == subnet_id for ip in port["fixed_ips"]):
            raise in_use(f"Router interface for subnet {subnet_id} on router {router['id']} cannot be deleted, "
                         "as it is required by one or more floating IPs.", "RouterInterfaceInUseByFloatingIP")


# -- floating IPs ----------------------------------------------------------------------------

def _router_between(port: dict[str, Any], fixed_ip: str, network_id: str) -> str:
    """The router with an interface on the fixed IP's subnet and a gateway on the external network."""
    subnet_id = next(ip["subnet_id"] for ip in port["fixed_ips"] if ip["ip_address"] == fixed_ip)
    for interface in store().list("port", where=lambda p: p.get("device_owner") == "network:router_interface"
                                  and any(ip["subnet_id"] == subnet_id for ip in p["fixed_ips"])):
        router = store().get("router", interface["device_id"])
        if router and (router.get("external_gateway_info") or {}).get("network_id") == network_id:
            return router["id"]
    raise NotFound(f"External network {network_id} is not reachable from subnet {subnet_id}.  Therefore, cannot "
                   f"associate Port {port['id']} with a Floating IP.", kind="ExternalGatewayForFloatingIPNotFound")


def _association(floating: dict[str, Any], port_id: str | None, fixed_ip: str | None) -> dict[str, Any]:
    if not port_id:
        return {"port_id": None, "fixed_ip_address": None, "router_id": None, "status": "DOWN"}
    port = find("port", port_id, floating["project_id"], False)
    addresses = [ip["ip_address"] for ip in port["fixed_ips"] if ":" not in ip["ip_address"]]
    if fixed_ip is None:
        if not addresses:
            raise bad_request(f"Bad floatingip request: Port {port_id} does not have any IPv4 addresses.",
                              kind="BadRequest")
        if len(addresses) > 1:
            raise bad_request(f"Bad floatingip request: Port {port_id} has multiple fixed IPv4 addresses.  Must "
                              "provide a specific IPv4 address when assigning a floating IP.", kind="BadRequest")
        fixed_ip = addresses[0]
    elif fixed_ip not in addresses:
        raise bad_request(f"Bad floatingip request: Port {port_id} does not have fixed ip {fixed_ip}.",
                          kind="BadRequest")
    network_id = floating["floating_network_id"]
    for other in store().list("floatingip", where=lambda f: f.get("port_id") == port_id and f["id"] != floating["id"]
                              and f.get("fixed_ip_address") == fixed_ip and f["floating_network_id"] == network_id):
        raise in_use(f"Cannot associate floating IP {floating['floating_ip_address']} ({floating['id']}) with port "
                     f"{port_id} using fixed IP {fixed_ip}, as that fixed IP already has a floating IP on external "
                     f"network {network_id}.", "FloatingIPPortAlreadyAssociated")
    return {"port_id": port_id, "fixed_ip_address": fixed_ip, "router_id": _router_between(port, fixed_ip, network_id),
            "status": "ACTIVE"}


def create_floating_ip(values: dict[str, Any], _project: str) -> dict[str, Any]:
    check_keys(values, FIP_CREATE, "floatingip")
    asked = values.get("project_id") or values.get("tenant_id")
    project_id = asked if asked and caller().is_admin else caller().project_id
    objects = store()
    with objects.transaction():
        network = _external(str(values.get("floating_network_id") or ""), "floatingip")
        check_quota(project_id, "floatingip")
        floating = {**base_fields(project_id, values), "floating_network_id": network["id"],
                    "dns_name": "", "dns_domain": "", "qos_policy_id": None, "port_details": None,
                    "port_forwardings": [], "_created": objects.clock()}
        floating.pop("name")
        floating = objects.add("floatingip", floating, project_id)
        fixed: dict[str, Any] = {}
        if values.get("subnet_id"):
            fixed["subnet_id"] = values["subnet_id"]
        if values.get("floating_ip_address"):
            fixed["ip_address"] = values["floating_ip_address"]
        port = make_port({"network_id": network["id"], "device_id": floating["id"],
                          "device_owner": "network:floatingip", **({"fixed_ips": [fixed]} if fixed else {})},
                         NO_PROJECT, admin=True)
        address = next((ip["ip_address"] for ip in port["fixed_ips"] if ":" not in ip["ip_address"]), None)
        changes = {"floating_ip_address": address,
                   **_association({**floating, "floating_ip_address": address}, values.get("port_id"),
                                  values.get("fixed_ip_address"))}
        return objects.change("floatingip", floating["id"], changes)


def update_floating_ip(floating: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    check_updatable(values, FIP_UPDATE)
    changes = {key: value for key, value in values.items() if key not in ("port_id", "fixed_ip_address")}
    if "port_id" in values:
        changes.update(_association(floating, values["port_id"], values.get("fixed_ip_address")))
    elif "fixed_ip_address" in values and floating.get("port_id"):
        changes.update(_association(floating, floating["port_id"], values["fixed_ip_address"]))
    return store().change("floatingip", floating["id"], touched(changes, floating))


def delete_floating_ip(floating: dict[str, Any]) -> None:
    for port in store().list("port", where=lambda p: p.get("device_id") == floating["id"]
                             and p.get("device_owner") == "network:floatingip"):
        remove_port(port)
    store().remove("floatingip", floating["id"])


COLLECTIONS = (
    Collection("router", "router", "routers", create_router, update_router, delete_router),
    Collection("floatingip", "floatingip", "floatingips", create_floating_ip, update_floating_ip,
               delete_floating_ip),
)

