"""Stacks of every OpenStack plugin, made through our API with the real CLI, checked in the cloud at each step.

Each test notes what the cloud's user can see before it starts and checks
that deleting the stack leaves exactly that behind.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.integration.conftest import OPENSTACK_CLI, clean_environment

from .conftest import Cloud, Service

NETWORK = {
    "net": {"type": "OS::Neutron::Net", "properties": {"name": "it-net"}},
    "subnet": {"type": "OS::Neutron::Subnet",
               "properties": {"network": {"get_resource": "net"}, "cidr": "10.61.0.0/24", "name": "it-subnet"}},
    "router": {"type": "OS::Neutron::Router",
               "properties": {"external_gateway_info": {"network": {"get_param": "public_net"}}}},
    "interface": {"type": "OS::Neutron::RouterInterface",
                  "properties": {"router": {"get_resource": "router"}, "subnet": {"get_resource": "subnet"}}},
}
PARAMETERS = {"image": {"type": "string"}, "flavor": {"type": "string"}, "public_net": {"type": "string"}}


def _template(resources: dict, outputs: dict | None = None) -> dict:
    return {"heat_template_version": "2018-08-31", "parameters": PARAMETERS, "resources": resources,
            "outputs": outputs or {}}


def _server_stack(server_name: str, zone: str | None = None, volume_size: int = 1) -> dict:
    server: dict = {"name": server_name, "image": {"get_param": "image"}, "flavor": {"get_param": "flavor"},
                    "networks": [{"port": {"get_resource": "port"}}], "metadata": {"tier": "web"}}
    app: dict = {"image": {"get_param": "image"}, "flavor": {"get_param": "flavor"},
                 "networks": [{"network": {"get_resource": "net"}}], "security_groups": [{"get_resource": "web_sg"}]}
    if zone:
        server["availability_zone"] = app["availability_zone"] = zone
    return _template({
        **NETWORK,
        "web_sg": {"type": "OS::Neutron::SecurityGroup", "properties": {"rules": [
            {"protocol": "tcp", "port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"}]}},
        "port": {"type": "OS::Neutron::Port", "properties": {
            "network": {"get_resource": "net"}, "fixed_ips": [{"subnet": {"get_resource": "subnet"}}],
            "security_groups": [{"get_resource": "web_sg"}]}},
        "server": {"type": "OS::Nova::Server", "properties": server},
        "app": {"type": "OS::Nova::Server", "depends_on": ["subnet"], "properties": app},
        "data": {"type": "OS::Cinder::Volume", "properties": {"size": volume_size, "name": "it-data"}},
        "attachment": {"type": "OS::Cinder::VolumeAttachment", "properties": {
            "instance_uuid": {"get_resource": "server"}, "volume_id": {"get_resource": "data"}}},
        "address": {"type": "OS::Neutron::FloatingIP", "depends_on": ["interface"], "properties": {
            "floating_network": {"get_param": "public_net"}, "port_id": {"get_resource": "port"}}},
    }, {"address": {"value": {"get_attr": ["address", "floating_ip_address"]}}})


def _apply(service: Service, tmp_path: Path, command: str, name: str, template: dict) -> dict:
    """``openstack stack create|update`` of ``template`` with the cloud's image, flavor and network; the stack."""
    cloud = service.cloud
    path = tmp_path / f"{name}-{command}.yaml"
    path.write_text(yaml.safe_dump(template))
    service.openstack("stack", command, "-t", str(path), "--parameter", f"image={cloud.image}",
                      "--parameter", f"flavor={cloud.flavor}", "--parameter", f"public_net={cloud.external_network}",
                      name, "--wait", *(["--poll", "2"] if command == "create" else []))
    return service.stack(name)


def _delete_leaves_nothing(service: Service, name: str, before: dict[str, set[str]]) -> None:
    service.openstack("stack", "delete", name, "--yes", "--wait")
    after = service.cloud.inventory()
    assert after == before, {kind: after[kind] - before[kind] for kind in after if after[kind] != before[kind]}


def test_servers_with_ports_security_groups_floating_ips_and_volumes(service: Service, tmp_path: Path):
    cloud: Cloud = service.cloud
    sdk = cloud.connection
    before = cloud.inventory()
    stack = _apply(service, tmp_path, "create", "web", _server_stack("it-web"))
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    ids = service.physical_ids("web")

    server = sdk.compute.get_server(ids["server"])
    assert (server.status, server.name, server.metadata) == ("ACTIVE", "it-web", {"tier": "web"})
    port = sdk.network.get_port(ids["port"])
    assert port.device_id == server.id and port.security_group_ids == [ids["web_sg"]]
    assert sdk.network.get_subnet(ids["subnet"]).network_id == ids["net"]
    assert [p.device_id for p in sdk.network.ports(network_id=ids["net"], device_owner="network:router_interface")] \
        == [ids["router"]]
    volume = sdk.block_storage.get_volume(ids["data"])
    assert volume.status == "in-use" and [a["server_id"] for a in volume.attachments] == [server.id]
    floating = sdk.network.get_ip(ids["address"])
    assert floating.port_id == port.id
    outputs = {o["output_key"]: o["output_value"] for o in stack["outputs"]}
    assert outputs["address"] == floating.floating_ip_address

    # in place: a new name and a bigger volume keep every object
    stack = _apply(service, tmp_path, "update", "web", _server_stack("it-web-renamed", volume_size=2))
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    assert service.physical_ids("web") == ids
    assert sdk.compute.get_server(ids["server"]).name == "it-web-renamed"
    assert sdk.block_storage.get_volume(ids["data"]).size == 2

    # replacement: servers moved to a named zone are new servers; the one on the template's port gets that
    # port (the old one lets go of it first, as in Heat), the volume and its floating IP follow it
    zone = next(z.name for z in sdk.compute.availability_zones() if z.state["available"])
    stack = _apply(service, tmp_path, "update", "web", _server_stack("it-web-renamed", zone=zone, volume_size=2))
    assert stack["stack_status"] == "UPDATE_COMPLETE", stack["stack_status_reason"]
    replaced = service.physical_ids("web")
    assert replaced["app"] != ids["app"] and replaced["server"] != ids["server"]
    assert {k: v for k, v in replaced.items() if k not in ("app", "server")} == {
        k: v for k, v in ids.items() if k not in ("app", "server")}
    for old in (ids["app"], ids["server"]):
        assert sdk.compute.find_server(old) is None
    assert sdk.compute.get_server(replaced["server"]).availability_zone == zone
    assert sdk.network.get_port(ids["port"]).device_id == replaced["server"]
    assert list(sdk.network.ports(device_id=ids["app"])) == []  # the old app server's own port went with it
    volume = sdk.block_storage.get_volume(ids["data"])
    assert [a["server_id"] for a in volume.attachments] == [replaced["server"]]
    assert sdk.network.get_ip(ids["address"]).port_id == ids["port"]

    _delete_leaves_nothing(service, "web", before)


def test_a_load_balancer_with_listener_pool_members_and_health_monitor(service: Service, tmp_path: Path):
    cloud: Cloud = service.cloud
    sdk = cloud.connection
    before = cloud.inventory()
    members = {f"member{i}": {"type": "OS::Octavia::PoolMember", "properties": {
        "pool": {"get_resource": "pool"}, "address": f"10.61.0.{20 + i}", "protocol_port": 8080,
        "subnet": {"get_resource": "subnet"}}} for i in range(2)}
    template = _template({
        **NETWORK,
        "lb": {"type": "OS::Octavia::LoadBalancer", "properties": {"vip_subnet": {"get_resource": "subnet"}}},
        "listener": {"type": "OS::Octavia::Listener", "properties": {
            "loadbalancer": {"get_resource": "lb"}, "protocol": "HTTP", "protocol_port": 80}},
        "pool": {"type": "OS::Octavia::Pool", "properties": {
            "listener": {"get_resource": "listener"}, "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}},
        "monitor": {"type": "OS::Octavia::HealthMonitor", "properties": {
            "pool": {"get_resource": "pool"}, "type": "HTTP", "delay": 5, "timeout": 3, "max_retries": 3}},
        **members,
    }, {"vip": {"value": {"get_attr": ["lb", "vip_address"]}}})
    stack = _apply(service, tmp_path, "create", "lb", template)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    ids = service.physical_ids("lb")

    balancer = sdk.load_balancer.get_load_balancer(ids["lb"])
    assert balancer.provisioning_status == "ACTIVE"
    assert {o["output_key"]: o["output_value"] for o in stack["outputs"]}["vip"] == balancer.vip_address
    assert [listener["id"] for listener in balancer.listeners] == [ids["listener"]]
    pool = sdk.load_balancer.get_pool(ids["pool"])
    assert pool.health_monitor_id == ids["monitor"]
    assert sorted(m.address for m in sdk.load_balancer.members(pool)) == ["10.61.0.20", "10.61.0.21"]

    _delete_leaves_nothing(service, "lb", before)


@pytest.mark.parametrize("constraint, value", [("nova.flavor", "no-such-flavor"), ("glance.image", "no-such-image"),
                                               ("neutron.network", "no-such-network")])
def test_custom_constraints_are_checked_in_the_cloud(service: Service, tmp_path: Path, constraint: str, value: str):
    path = tmp_path / "constrained.yaml"
    path.write_text(yaml.safe_dump({"heat_template_version": "2018-08-31", "parameters": {"thing": {
        "type": "string", "constraints": [{"custom_constraint": constraint}]}}, "resources": {}}))
    done = subprocess.run([OPENSTACK_CLI, "--os-cloud", "orchestrator", "stack", "create", "-t", str(path),
                           "--parameter", f"thing={value}", "constrained"], capture_output=True, text=True,
                          timeout=120, env=clean_environment(OS_CLIENT_CONFIG_FILE=str(service.data / "clouds.yaml")))
    assert done.returncode != 0 and f"Error validating value '{value}'" in done.stderr, done.stderr
