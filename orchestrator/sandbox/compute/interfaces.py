"""Nova's port interfaces (``/servers/{id}/os-interface``): ports attached to and detached from a server."""

from __future__ import annotations

from typing import Any

from ..service import BadRequest, body_of, reply, store
from . import links
from .api import AVAILABILITY_ZONE, at_least, blueprint, not_found
from .servers import find


def _interface(port: dict[str, Any]) -> dict[str, Any]:
    shown = {"port_state": port["status"], "port_id": port["id"], "net_id": port["network_id"],
             "mac_addr": port["mac_address"],
             "fixed_ips": [{"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"]} for ip in port["fixed_ips"]]}
    if at_least(70):
        shown["tag"] = None
    return shown


@blueprint.route("/v2.1/servers/<server_id>/os-interface", methods=["GET"])
def list_interfaces(server_id: str):
    server = find(server_id)
    return reply({"interfaceAttachments": [_interface(p) for p in links.call("network", "device_ports", server["id"])
                                           or []]})


@blueprint.route("/v2.1/servers/<server_id>/os-interface", methods=["POST"])
def attach_interface(server_id: str):
    data = body_of("interfaceAttachment")
    if not data.get("port_id") and not data.get("net_id"):
        raise BadRequest("Must input network_id or port_id")
    with store().transaction():
        server = find(server_id)
        fixed = (data.get("fixed_ips") or [{}])[0].get("ip_address")
        port = links.call("network", "bind_port", server["tenant_id"], device_id=server["id"],
                          device_owner=f"compute:{AVAILABILITY_ZONE}", network_id=data.get("net_id"),
                          port_id=data.get("port_id"), fixed_ip=fixed)
    return reply({"interfaceAttachment": _interface(port)})


@blueprint.route("/v2.1/servers/<server_id>/os-interface/<port_id>", methods=["DELETE"])
def detach_interface(server_id: str, port_id: str):
    with store().transaction():
        server = find(server_id)
        if not any(p["id"] == port_id for p in links.call("network", "device_ports", server["id"]) or []):
            raise not_found(f"Port {port_id} is not attached")
        links.call("network", "unbind_ports", server["id"], port_id)
    return reply(None, 202)
