"""Ports: addresses from the subnets' pools, MAC addresses, security groups, binding to devices.

Other services bind their devices through ``bind_port`` / ``unbind_ports`` /
``device_addresses`` inside their own requests (a server's NICs, a load
balancer's VIP), as Nova and Octavia call Neutron.
"""

from __future__ import annotations

import random
from typing import Any

from ..service import caller, store
from ..store import new_id
from . import ipam
from .common import (NO_PROJECT, Collection, bad_request, base_fields, check_keys, check_quota, check_updatable,
                     find, in_use, not_found, shown, touched)
from .security import ensure_default_group, resolve_groups

PORT_CREATE = {"name", "description", "network_id", "admin_state_up", "mac_address", "fixed_ips", "device_id",
               "device_owner", "security_groups", "port_security_enabled", "allowed_address_pairs",
               "extra_dhcp_opts", "binding:host_id", "binding:profile", "binding:vnic_type", "tenant_id",
               "project_id", "qos_policy_id", "dns_name", "propagate_uplink_status"}
PORT_UPDATE = PORT_CREATE - {"network_id", "tenant_id", "project_id"}

#: device owners that belong to Neutron's routers and floating IPs: the port API cannot delete them
SERVICE_OWNERS = ("network:router_interface", "network:router_gateway", "network:floatingip",
                  "network:router_interface_distributed", "network:ha_router_replicated_interface")


def _mac() -> str:
    return "fa:16:3e:" + ":".join(f"{random.randint(0, 255):02x}" for _ in range(3))


def _binding(bound: bool, host: str = "") -> dict[str, Any]:
    return {"binding:host_id": host or ("sandbox" if bound else ""),
            "binding:vif_type": "ovs" if bound else "unbound",
            "binding:vif_details": {"port_filter": True, "connectivity": "l2"} if bound else {}}


def _wanted_ips(network: dict[str, Any], fixed_ips: Any) -> list[tuple[str, str | None]]:
    """(subnet id, address or None) for each requested fixed IP, or one from the network's first subnet."""
    subnets = sorted(store().list("subnet", where=lambda s: s["network_id"] == network["id"]),
                     key=lambda s: s.get("_created", 0))
    if fixed_ips is None:
        # one address per IP version, from the first subnet of each that has room
        chosen: dict[int, tuple[str, str | None]] = {}
        for subnet in subnets:
            chosen.setdefault(subnet["ip_version"], (subnet["id"], None))
        return list(chosen.values())
    if not isinstance(fixed_ips, list):
        raise bad_request("Invalid input for fixed_ips. Reason: Invalid data format for fixed IP specification.")
    wanted = []
    by_id = {subnet["id"]: subnet for subnet in subnets}
    for entry in fixed_ips:
        subnet_id, ip = entry.get("subnet_id"), entry.get("ip_address")
        if subnet_id is not None and subnet_id not in by_id:
            if store().get("subnet", subnet_id) is None:
                raise not_found("subnet", subnet_id)
            raise bad_request(f"Invalid input for operation: Failed to create port on network {network['id']}"
                              f", because fixed_ips included invalid subnet {subnet_id}.")
        if subnet_id is None:
            if ip is None:
                raise bad_request("Invalid input for fixed_ips. Reason: needs subnet_id or ip_address.")
            holder = ipam.subnet_for_address(network["id"], ip)
            if holder is None:
                raise bad_request(f"IP address {ip} is not a valid IP for any of the subnets on the specified "
                                  "network.", kind="InvalidIpForNetwork")
            subnet_id = holder["id"]
        wanted.append((subnet_id, ip))
    return wanted


def _allocate(port_id: str, wanted: list[tuple[str, str | None]]) -> list[dict[str, str]]:
    taken: list[dict[str, str]] = []
    try:
        for subnet_id, ip in wanted:
            taken.append({"subnet_id": subnet_id, "ip_address": ipam.allocate(subnet_id, port_id, ip)})
    except Exception:
        for entry in taken:
            ipam.release(entry["subnet_id"], entry["ip_address"])
        raise
    return taken


def make_port(values: dict[str, Any], project_id: str, admin: bool = False) -> dict[str, Any]:
    """A new port in ``project_id`` (``NO_PROJECT`` for Neutron's own) with its addresses allocated."""
    check_keys(values, PORT_CREATE, "port")
    objects = store()
    with objects.transaction():
        network = find("network", str(values.get("network_id") or ""), project_id or None, admin or not project_id)
        check_quota(project_id, "port")
        owner = values.get("device_owner") or ""
        security = values.get("port_security_enabled", network.get("port_security_enabled", True))
        groups = values.get("security_groups")
        if groups is None:
            groups = ([ensure_default_group(project_id)["id"]] if security and project_id
                      and not owner.startswith("network:") else [])
        elif groups:
            groups = resolve_groups(project_id, groups)
        if groups and not security:
            raise bad_request("Port security must be enabled and port must have an IP address in order to use "
                              "security groups.", kind="PortSecurityAndIPRequiredForSecurityGroups")
        port_id = new_id()
        fixed_ips = _allocate(port_id, _wanted_ips(network, values.get("fixed_ips")))
        bound = bool(values.get("device_id"))
        body = {**base_fields(project_id, values), "id": port_id, "network_id": network["id"],
                "admin_state_up": values.get("admin_state_up", True), "mac_address": values.get("mac_address")
                or _mac(), "fixed_ips": fixed_ips, "device_id": values.get("device_id") or "",
                "device_owner": owner, "status": "ACTIVE" if bound else "DOWN", "security_groups": groups,
                "port_security_enabled": security,
                "allowed_address_pairs": values.get("allowed_address_pairs") or [],
                "extra_dhcp_opts": values.get("extra_dhcp_opts") or [],
                "binding:vnic_type": values.get("binding:vnic_type") or "normal",
                "binding:profile": values.get("binding:profile") or {},
                **_binding(bound, values.get("binding:host_id") or ""),
                "dns_name": values.get("dns_name") or "", "dns_assignment": [], "qos_policy_id": None,
                "qos_network_policy_id": None, "propagate_uplink_status": False,
                "resource_request": None, "ip_allocation": "immediate", "_created": objects.clock()}
        return objects.add("port", body, project_id)


def create_port(values: dict[str, Any], _project: str) -> dict[str, Any]:
    asked = values.get("project_id") or values.get("tenant_id")
    project_id = asked if asked and caller().is_admin else caller().project_id
    return make_port(values, project_id, caller().is_admin)


def update_port(port: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    check_updatable(values, PORT_UPDATE)
    objects = store()
    with objects.transaction():
        changes = dict(values)
        if "security_groups" in values:
            changes["security_groups"] = resolve_groups(port["project_id"], values["security_groups"] or [])
        security = values.get("port_security_enabled", port.get("port_security_enabled"))
        if security is False and changes.get("security_groups", port.get("security_groups")):
            raise bad_request("Port security must be enabled and port must have an IP address in order to use "
                              "security groups.", kind="PortSecurityAndIPRequiredForSecurityGroups")
        if "fixed_ips" in values:
            changes["fixed_ips"] = _replace_ips(port, values["fixed_ips"] or [])
        if "device_id" in values:
            bound = bool(values["device_id"])
            changes.update(status="ACTIVE" if bound else "DOWN", **_binding(bound))
            changes["device_id"] = values["device_id"] or ""
        return objects.change("port", port["id"], touched(changes, port))


def _replace_ips(port: dict[str, Any], fixed_ips: list[dict[str, Any]]) -> list[dict[str, str]]:
    network = store().get("network", port["network_id"])
    current = {(ip["subnet_id"], ip["ip_address"]) for ip in port["fixed_ips"]}
    wanted = _wanted_ips(network, fixed_ips)
    kept = [(s, ip) for s, ip in wanted if (s, ip) in current]
    for subnet_id, ip in current - set(kept):
        ipam.release(subnet_id, ip)
    fresh = _allocate(port["id"], [item for item in wanted if item not in kept])
    return [{"subnet_id": s, "ip_address": ip} for s, ip in kept] + fresh


def remove_port(port: dict[str, Any]) -> None:
    """Delete the port now: addresses back to the pools, floating IPs on it disassociated."""
    objects = store()
    with objects.transaction():
        for entry in port["fixed_ips"]:
            ipam.release(entry["subnet_id"], entry["ip_address"])
        for floating in objects.list("floatingip", where=lambda f: f.get("port_id") == port["id"]):
            objects.change("floatingip", floating["id"], {"port_id": None, "fixed_ip_address": None,
                                                          "router_id": None, "status": "DOWN"})
        objects.remove("port", port["id"])


def delete_port(port: dict[str, Any]) -> None:
    """The port API's delete: not for ports that routers and floating IPs own (409 ServicePortInUse)."""
    if port.get("device_owner") in SERVICE_OWNERS:
        raise in_use(f"Port {port['id']} cannot be deleted directly via the port API: has device owner "
                     f"{port['device_owner']}.", "ServicePortInUse")
    remove_port(port)


COLLECTIONS = (Collection("port", "port", "ports", create_port, update_port, delete_port),)


# -- what other services call -------------------------------------------------------------------

def bind_port(project_id: str, *, device_id: str, device_owner: str, network_id: str | None = None,
              port_id: str | None = None, subnet_id: str | None = None, fixed_ip: str | None = None,
              security_groups: list[str] | None = None) -> dict[str, Any]:
    """A port of ``project_id`` bound to the device: an existing one (``port_id``) or a new one.

    A new port is made on ``network_id``, or on ``subnet_id``'s network with
    an address of that subnet (``fixed_ip`` asks for one address); it is
    removed again by ``unbind_ports``.  ``security_groups`` are names or ids.
    Raises the sandbox errors with Neutron's types and messages.
    """
    objects = store()
    with objects.transaction():
        if port_id:
            port = find("port", port_id, project_id, False)
            if port.get("device_id") and port["device_id"] != device_id:
                raise in_use(f"Unable to complete operation on port {port_id} for network {port['network_id']}. "
                             f"Port already has an attached device {port['device_id']}.", "PortInUse")
            changes: dict[str, Any] = {"device_id": device_id, "device_owner": device_owner, "status": "ACTIVE",
                                       "_bound_at": objects.clock(), **_binding(True)}
            if security_groups is not None:
                changes["security_groups"] = resolve_groups(project_id, security_groups)
            return shown(objects.change("port", port_id, touched(changes, port)), "port", [])
        if subnet_id:
            subnet = find("subnet", subnet_id, project_id, False)
            network_id = subnet["network_id"]
            fixed_ips: list[dict[str, Any]] | None = [{"subnet_id": subnet_id, **(
                {"ip_address": fixed_ip} if fixed_ip else {})}]
        elif network_id:
            fixed_ips = [{"ip_address": fixed_ip}] if fixed_ip else None
        else:
            raise bad_request("Bad request: a network, a subnet or a port is needed.", kind="BadRequest")
        values: dict[str, Any] = {"network_id": network_id, "device_id": device_id, "device_owner": device_owner}
        if fixed_ips is not None:
            values["fixed_ips"] = fixed_ips
        if security_groups is not None:
            values["security_groups"] = security_groups
        port = make_port(values, project_id)
        port = objects.change("port", port["id"], {"_created_for": device_id, "_bound_at": objects.clock()})
        return shown(port, "port", [])


def unbind_ports(device_id: str, port_id: str | None = None) -> None:
    """Delete the ports ``bind_port`` made for the device; release the ports that existed before it.

    ``port_id``: only that port (an interface detached from a server).
    """
    objects = store()
    with objects.transaction():
        for port in objects.list("port", where=lambda p: p.get("device_id") == device_id
                                 and port_id in (None, p["id"])):
            if port.get("_created_for") == device_id:
                remove_port(port)
            else:
                objects.change("port", port["id"], touched({"device_id": "", "device_owner": "", "status": "DOWN",
                                                            "_bound_at": None, **_binding(False)}, port))


def device_ports(device_id: str) -> list[dict[str, Any]]:
    """The ports bound to a device, as Neutron shows them, in the device's NIC order."""
    ports = store().list("port", where=lambda p: p.get("device_id") == device_id)
    return [shown(port, "port", []) for port in sorted(ports, key=lambda p: p.get("_bound_at") or 0)]


def device_addresses(device_id: str) -> dict[str, list[dict[str, Any]]]:
    """Nova's ``addresses`` of a device: per network name, its fixed and floating addresses."""
    objects = store()
    addresses: dict[str, list[dict[str, Any]]] = {}
    ports = sorted(objects.list("port", where=lambda p: p.get("device_id") == device_id),
                   key=lambda p: p.get("_bound_at") or p.get("_created", 0))  # the device's NIC order
    for port in ports:
        network = objects.get("network", port["network_id"]) or {"name": port["network_id"]}
        entries = addresses.setdefault(network["name"], [])
        for entry in port["fixed_ips"]:
            entries.append(_address(port, entry["ip_address"], "fixed"))
        for floating in objects.list("floatingip", where=lambda f: f.get("port_id") == port["id"]):
            entries.append(_address(port, floating["floating_ip_address"], "floating"))
    return addresses


def _address(port: dict[str, Any], ip: str, kind: str) -> dict[str, Any]:
    return {"OS-EXT-IPS-MAC:mac_addr": port["mac_address"], "version": 6 if ":" in ip else 4, "addr": ip,
            "OS-EXT-IPS:type": kind}


__all__ = ["bind_port", "unbind_ports", "device_addresses", "device_ports", "make_port", "remove_port", "NO_PROJECT"]
