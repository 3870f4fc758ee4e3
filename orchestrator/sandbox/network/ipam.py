"""IP address management: subnets' default gateway and pools, and unique allocation from the pools.

A subnet keeps the addresses in use under ``_allocated`` (address → the
port holding it), so each address is handed out once and freed when its port
goes; allocation takes the lowest free address of the pools, in order.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ..service import Conflict, store
from .common import bad_request


def network_of(cidr: str, ip_version: int | None = None) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The CIDR as a network; Neutron's 400 when it is not one (host bits are cleared, as Neutron does)."""
    try:
        network = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        raise bad_request(f"Invalid input for cidr. Reason: '{cidr}' is not a valid IP subnet.") from None
    if ip_version is not None and network.version != int(ip_version):
        raise bad_request("Invalid input for operation: IP version and CIDR do not match.")
    return network


def address(value: Any, field: str = "ip_address") -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IP address; Neutron's 400 when the value is not one."""
    try:
        return ipaddress.ip_address(str(value))
    except ValueError:
        raise bad_request(f"Invalid input for {field}. Reason: '{value}' is not a valid IP address.") from None


def default_gateway(network) -> str:
    """The first host of the subnet."""
    return str(network.network_address + 1)


def _last_host(network):
    return network.broadcast_address - 1 if network.version == 4 else network.broadcast_address


def default_pools(network, gateway: str | None) -> list[dict[str, str]]:
    """Every host of the subnet but the gateway, as one or two ranges."""
    first, last = network.network_address + 1, _last_host(network)
    if last < first:
        return []
    if gateway is None or not first <= ipaddress.ip_address(gateway) <= last:
        return [{"start": str(first), "end": str(last)}]
    gate = ipaddress.ip_address(gateway)
    pools = []
    if gate > first:
        pools.append({"start": str(first), "end": str(gate - 1)})
    if gate < last:
        pools.append({"start": str(gate + 1), "end": str(last)})
    return pools


def check_pools(network, pools: list[dict[str, Any]], gateway: str | None) -> list[dict[str, str]]:
    """The pools, checked as Neutron does: inside the subnet, start <= end, no overlap, gateway outside."""
    checked = []
    for pool in pools:
        if not isinstance(pool, dict) or "start" not in pool or "end" not in pool:
            raise bad_request("Invalid input for allocation_pools. Reason: each pool needs a start and an end.")
        start, end = address(pool["start"], "allocation_pools"), address(pool["end"], "allocation_pools")
        if start not in network or end not in network or start.version != network.version:
            raise bad_request(f"The allocation pool {start}-{end} spans beyond the subnet cidr {network}.",
                              kind="OutOfBoundsAllocationPool")
        if end < start:
            raise bad_request(f"The allocation pool {start}-{end} is not valid.", kind="InvalidAllocationPool")
        for other in checked:
            if start <= ipaddress.ip_address(other["end"]) and ipaddress.ip_address(other["start"]) <= end:
                raise bad_request(f"Found overlapping allocation pools: {start}-{end} and "
                                  f"{other['start']}-{other['end']}.", kind="OverlappingAllocationPools")
        if gateway is not None and start <= ipaddress.ip_address(gateway) <= end:
            raise bad_request(f"Gateway ip {gateway} conflicts with allocation pool {start}-{end}.",
                              kind="GatewayConflictWithAllocationPools")
        checked.append({"start": str(start), "end": str(end)})
    return checked


def allocate(subnet_id: str, holder: str, wanted: str | None = None) -> str:
    """An address of the subnet for ``holder`` (a port id): ``wanted``, or the first free one of the pools.

    Neutron's 409 IpAddressAlreadyAllocated when ``wanted`` is taken, and
    IpAddressGenerationFailure when the pools are exhausted.
    """
    objects = store()
    with objects.transaction():
        subnet = objects.get("subnet", subnet_id)
        used: dict[str, str] = dict(subnet.get("_allocated") or {})
        if wanted is not None:
            ip = address(wanted)
            if ip not in ipaddress.ip_network(subnet["cidr"]):
                raise bad_request(f"IP address {wanted} is not a valid IP for the specified subnet.",
                                  kind="InvalidIpForSubnet")
            chosen = str(ip)
            if chosen in used and used[chosen] != holder:
                raise Conflict(f"IP address {chosen} already allocated in subnet {subnet_id}",
                               kind="IpAddressAlreadyAllocated")
        else:
            chosen = _first_free(subnet, used)
            if chosen is None:
                raise Conflict(f"No more IP addresses available on network {subnet['network_id']}.",
                               kind="IpAddressGenerationFailure")
        used[chosen] = holder
        objects.change("subnet", subnet_id, {"_allocated": used})
        return chosen


def _first_free(subnet: dict[str, Any], used: dict[str, str]) -> str | None:
    for pool in subnet.get("allocation_pools") or []:
        current, end = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
        while current <= end:
            if str(current) not in used:
                return str(current)
            current += 1
    return None


def release(subnet_id: str, ip: str) -> None:
    """Give the address back to the subnet's pools."""
    objects = store()
    with objects.transaction():
        subnet = objects.get("subnet", subnet_id)
        if subnet is None:
            return
        used = dict(subnet.get("_allocated") or {})
        if used.pop(ip, None) is not None:
            objects.change("subnet", subnet_id, {"_allocated": used or None})


def subnet_for_address(network_id: str, ip: str) -> dict[str, Any] | None:
    """The subnet of the network that contains ``ip``."""
    parsed = address(ip)
    for subnet in store().list("subnet", where=lambda s: s["network_id"] == network_id):
        if parsed in ipaddress.ip_network(subnet["cidr"]):
            return subnet
    return None
