"""The calls other services make into the sandbox's Neutron: bind_port, unbind_ports, device_addresses."""

from __future__ import annotations

import pytest

from orchestrator.sandbox import network
from orchestrator.sandbox.service import SandboxError


def _in_app(cloud, function):
    with cloud.app.app_context():
        return function()


def test_bind_new_and_existing_ports_and_addresses(cloud):
    conn = cloud.connect("demo")
    project = conn.current_project_id
    public = conn.network.find_network("public")
    net = conn.network.create_network(name="app")
    sub = conn.network.create_subnet(network_id=net.id, cidr="10.3.0.0/24", ip_version=4)
    router = conn.network.create_router(external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet=sub.id)
    existing = conn.network.create_port(network_id=net.id, name="kept")

    made = _in_app(cloud, lambda: network.bind_port(project, device_id="vm-1", device_owner="compute:nova",
                                                    network_id=net.id))
    assert made["status"] == "ACTIVE" and made["device_id"] == "vm-1"
    fixed = _in_app(cloud, lambda: network.bind_port(project, device_id="vm-1", device_owner="compute:nova",
                                                     subnet_id=sub.id, fixed_ip="10.3.0.77"))
    assert fixed["fixed_ips"] == [{"subnet_id": sub.id, "ip_address": "10.3.0.77"}]
    bound = _in_app(cloud, lambda: network.bind_port(project, device_id="vm-1", device_owner="compute:nova",
                                                     port_id=existing.id))
    assert bound["id"] == existing.id
    fip = conn.network.create_ip(floating_network_id=public.id, port_id=made["id"])

    addresses = _in_app(cloud, lambda: network.device_addresses("vm-1"))
    assert list(addresses) == ["app"]
    assert [(a["addr"], a["OS-EXT-IPS:type"]) for a in addresses["app"]] == [
        (made["fixed_ips"][0]["ip_address"], "fixed"), (fip.floating_ip_address, "floating"),
        ("10.3.0.77", "fixed"), (existing.fixed_ips[0]["ip_address"], "fixed")]
    assert addresses["app"][0]["OS-EXT-IPS-MAC:mac_addr"] == made["mac_address"]
    assert addresses["app"][0]["version"] == 4

    with pytest.raises(SandboxError, match="Port already has an attached device vm-1"):
        _in_app(cloud, lambda: network.bind_port(project, device_id="vm-2", device_owner="compute:nova",
                                                 port_id=existing.id))

    _in_app(cloud, lambda: network.unbind_ports("vm-1"))
    left = {p.id: p for p in conn.network.ports(network_id=net.id, device_owner="")}
    assert list(left) == [existing.id] and left[existing.id].device_id == "" and left[existing.id].status == "DOWN"
    assert conn.network.get_ip(fip.id).port_id is None
    assert _in_app(cloud, lambda: network.device_addresses("vm-1")) == {}


def test_bind_port_errors_are_neutrons(cloud):
    conn = cloud.connect("demo")
    project = conn.current_project_id
    with pytest.raises(SandboxError, match="Network nope could not be found") as caught:
        _in_app(cloud, lambda: network.bind_port(project, device_id="d", device_owner="compute:nova",
                                                 network_id="nope"))
    assert caught.value.status == 404 and caught.value.kind == "NetworkNotFound"
    net = conn.network.create_network(name="n")
    conn.network.create_subnet(network_id=net.id, cidr="10.4.0.0/30", ip_version=4)
    _in_app(cloud, lambda: network.bind_port(project, device_id="d", device_owner="compute:nova",
                                             network_id=net.id))
    with pytest.raises(SandboxError, match="No more IP addresses available") as caught:
        _in_app(cloud, lambda: network.bind_port(project, device_id="d", device_owner="compute:nova",
                                                 network_id=net.id))
    assert caught.value.status == 409
    with pytest.raises(SandboxError, match="Security group nope does not exist"):
        _in_app(cloud, lambda: network.bind_port(project, device_id="e", device_owner="compute:nova",
                                                 network_id=net.id, security_groups=["nope"]))
