"""Neutron in the sandbox, driven with openstacksdk: objects, IP allocation, errors, isolation, quotas."""

from __future__ import annotations

import pytest
from openstack import exceptions


def _net(conn, name="net", cidr="10.0.0.0/24", **subnet):
    net = conn.network.create_network(name=name)
    sub = conn.network.create_subnet(network_id=net.id, cidr=cidr, ip_version=4, name=f"{name}-subnet", **subnet)
    return net, sub


def test_seeded_public_network_is_external_and_visible_to_every_project(cloud):
    conn = cloud.connect("demo")
    public = conn.network.find_network("public")
    assert public.is_router_external and not public.is_shared and public.mtu == 1450
    subnet = conn.network.find_subnet("public-subnet")
    assert subnet.cidr == "172.24.4.0/24" and subnet.gateway_ip == "172.24.4.1"
    assert subnet.allocation_pools == [{"start": "172.24.4.10", "end": "172.24.4.254"}]
    assert public.project_id != conn.current_project_id
    assert [n.name for n in conn.network.networks(is_router_external=True)] == ["public"]


def test_network_subnet_defaults_and_port_allocation(cloud):
    conn = cloud.connect("demo")
    net, sub = _net(conn)
    assert net.status == "ACTIVE" and net.is_port_security_enabled and net.mtu == 1450
    assert sub.gateway_ip == "10.0.0.1" and sub.allocation_pools == [{"start": "10.0.0.2", "end": "10.0.0.254"}]
    assert sub.is_dhcp_enabled and sub.dns_nameservers == [] and sub.host_routes == []
    assert conn.network.get_network(net.id).subnet_ids == [sub.id]
    first = conn.network.create_port(network_id=net.id, name="a")
    second = conn.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.0.0.50"}])
    assert first.fixed_ips == [{"subnet_id": sub.id, "ip_address": "10.0.0.2"}]
    assert second.fixed_ips[0]["ip_address"] == "10.0.0.50"
    assert first.mac_address.startswith("fa:16:3e:") and first.status == "DOWN"
    default = conn.network.find_security_group("default")
    assert first.security_group_ids == [default.id]
    with pytest.raises(exceptions.ConflictException, match="IP address 10.0.0.50 already allocated"):
        conn.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.0.0.50"}])
    found = list(conn.network.ports(fixed_ips=["ip_address=10.0.0.50"]))
    assert [p.id for p in found] == [second.id]
    assert [p.id for p in conn.network.ports(network_id=net.id, name="a")] == [first.id]
    # the address goes back to the pool with the port
    conn.network.delete_port(second)
    assert conn.network.create_port(network_id=net.id, fixed_ips=[{"ip_address": "10.0.0.50"}])


def test_pool_exhaustion_and_explicit_pools(cloud):
    conn = cloud.connect("demo")
    net, sub = _net(conn, cidr="10.5.0.0/29", allocation_pools=[{"start": "10.5.0.4", "end": "10.5.0.5"}])
    ips = [conn.network.create_port(network_id=net.id).fixed_ips[0]["ip_address"] for _ in range(2)]
    assert ips == ["10.5.0.4", "10.5.0.5"]
    with pytest.raises(exceptions.ConflictException, match=f"No more IP addresses available on network {net.id}"):
        conn.network.create_port(network_id=net.id)
    with pytest.raises(exceptions.BadRequestException, match="overlaps with another subnet"):
        conn.network.create_subnet(network_id=net.id, cidr="10.5.0.0/24", ip_version=4)
    with pytest.raises(exceptions.BadRequestException, match="conflicts with allocation pool"):
        conn.network.create_subnet(network_id=net.id, cidr="10.6.0.0/24", ip_version=4,
                                   allocation_pools=[{"start": "10.6.0.1", "end": "10.6.0.9"}])


def test_in_use_rules(cloud):
    conn = cloud.connect("demo")
    net, sub = _net(conn)
    port = conn.network.create_port(network_id=net.id)
    with pytest.raises(exceptions.ConflictException, match="There are one or more ports still in use"):
        conn.network.delete_network(net)
    with pytest.raises(exceptions.ConflictException, match="One or more ports have an IP allocation"):
        conn.network.delete_subnet(sub)
    group = conn.network.create_security_group(name="web")
    conn.network.update_port(port, security_groups=[group.id])
    with pytest.raises(exceptions.ConflictException, match=f"Security Group {group.id} in use"):
        conn.network.delete_security_group(group)
    with pytest.raises(exceptions.ConflictException, match="Removing default security group not allowed"):
        conn.network.delete_security_group(conn.network.find_security_group("default"))
    conn.network.delete_port(port)
    conn.network.delete_security_group(group)
    conn.network.delete_network(net)  # its subnets go with it
    assert conn.network.find_subnet(sub.id) is None
    with pytest.raises(exceptions.NotFoundException, match=f"Network {net.id} could not be found"):
        conn.network.get_network(net.id)


def test_router_interfaces_and_floating_ips(cloud):
    conn = cloud.connect("demo")
    public = conn.network.find_network("public")
    net, sub = _net(conn)
    port = conn.network.create_port(network_id=net.id)
    router = conn.network.create_router(name="r", external_gateway_info={"network_id": public.id})
    gateway_ip = router.external_gateway_info["external_fixed_ips"][0]["ip_address"]
    assert gateway_ip == "172.24.4.10"
    fip = conn.network.create_ip(floating_network_id=public.id)
    assert fip.status == "DOWN" and fip.floating_ip_address == "172.24.4.11"
    with pytest.raises(exceptions.NotFoundException, match="is not reachable from subnet"):
        conn.network.update_ip(fip, port_id=port.id)
    reply = conn.network.add_interface_to_router(router, subnet=sub.id)
    assert reply["subnet_id"] == sub.id and reply["id"] == router.id
    interface = conn.network.get_port(reply["port_id"])
    assert interface.fixed_ips[0]["ip_address"] == "10.0.0.1"
    assert interface.device_owner == "network:router_interface"
    with pytest.raises(exceptions.BadRequestException, match="Router already has a port on subnet"):
        conn.network.add_interface_to_router(router, subnet=sub.id)
    with pytest.raises(exceptions.ConflictException, match="cannot be deleted directly via the port API"):
        conn.network.delete_port(interface)
    fip = conn.network.update_ip(fip, port_id=port.id)
    assert fip.status == "ACTIVE" and fip.router_id == router.id
    assert fip.fixed_ip_address == port.fixed_ips[0]["ip_address"]
    with pytest.raises(exceptions.ConflictException, match="required by one or more floating IPs"):
        conn.network.remove_interface_from_router(router, subnet=sub.id)
    with pytest.raises(exceptions.ConflictException, match=f"Router {router.id} still has ports"):
        conn.network.delete_router(router)
    conn.network.update_ip(fip, port_id=None)
    conn.network.remove_interface_from_router(router, subnet=sub.id)
    with pytest.raises(exceptions.NotFoundException, match="has no interface on subnet"):
        conn.network.remove_interface_from_router(router, subnet=sub.id)
    conn.network.delete_router(router)
    conn.network.delete_ip(fip)
    # the gateway and floating addresses are back in the pool
    again = conn.network.create_ip(floating_network_id=public.id)
    assert again.floating_ip_address == "172.24.4.10"


def test_security_group_rules(cloud):
    conn = cloud.connect("demo")
    group = conn.network.create_security_group(name="web", description="d")
    assert {(r["direction"], r["ethertype"]) for r in group.security_group_rules} == {("egress", "IPv4"),
                                                                                      ("egress", "IPv6")}
    rule = conn.network.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                                   protocol="tcp", port_range_min=80, port_range_max=80,
                                                   remote_ip_prefix="0.0.0.0/0")
    with pytest.raises(exceptions.ConflictException, match=f"Rule id is {rule.id}"):
        conn.network.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                                protocol="tcp", port_range_min=80, port_range_max=80,
                                                remote_ip_prefix="0.0.0.0/0")
    with pytest.raises(exceptions.BadRequestException, match="Conflicting value ethertype IPv4 for CIDR ::/0"):
        conn.network.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                                remote_ip_prefix="::/0")
    with pytest.raises(exceptions.BadRequestException, match="port_range_min must be <= port_range_max"):
        conn.network.create_security_group_rule(security_group_id=group.id, direction="ingress",
                                                protocol="tcp", port_range_min=90, port_range_max=80)
    default = conn.network.find_security_group("default")
    assert len(default.security_group_rules) == 4
    conn.network.delete_security_group_rule(rule)
    with pytest.raises(exceptions.NotFoundException, match=f"Security group rule {rule.id} does not exist"):
        conn.network.get_security_group_rule(rule.id)


def test_projects_see_only_their_own_objects(cloud):
    demo, admin = cloud.connect("demo"), cloud.connect_as("admin", "admin")
    net, _ = _net(demo, name="private")
    assert admin.network.find_network("private") is not None  # Neutron shows admins everything
    other = cloud.connect("other")
    assert other.network.find_network("private") is None
    with pytest.raises(exceptions.NotFoundException):
        other.network.get_network(net.id)
    assert [n.name for n in other.network.networks()] == ["public"]
    shared = admin.network.create_network(name="shared-net", shared=True)
    assert demo.network.find_network("shared-net").id == shared.id


def test_quotas(cloud):
    conn = cloud.connect("demo")
    admin = cloud.connect_as("admin", "admin")
    project = conn.current_project_id
    quota = conn.network.get_quota(project)
    assert (quota.networks, quota.subnets, quota.ports, quota.routers, quota.floating_ips, quota.security_groups,
            quota.security_group_rules) == (100, 100, 500, 10, 50, 10, 100)
    admin.network.update_quota(project, networks=1)
    conn.network.create_network(name="one")
    with pytest.raises(exceptions.ConflictException, match=r"Quota exceeded for resources: \['network'\]"):
        conn.network.create_network(name="two")


def test_fields_and_filters(cloud):
    http = cloud.http()
    conn = cloud.connect("demo")
    net, _ = _net(conn, name="f")
    token = conn.session.get_token()
    response = http.get("http://sandbox.invalid/network/v2.0/networks?name=f&fields=id&fields=name",
                        headers={"X-Auth-Token": token})
    assert response.json() == {"networks": [{"name": "f", "id": net.id}]}
    missing = http.get("http://sandbox.invalid/network/v2.0/ports/nope", headers={"X-Auth-Token": token})
    assert missing.status_code == 404
    assert missing.json()["NeutronError"] == {"type": "PortNotFound", "message": "Port nope could not be found.",
                                              "detail": ""}
