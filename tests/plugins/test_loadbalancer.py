"""OS::Octavia::* through the engine, on the sandbox: a whole load balancer, updates, replacement, deletion."""

from __future__ import annotations

import pytest
from openstack import exceptions

import resources.loadbalancer as octavia_plugins

#: the project the harness's stacks act in (the engine's connection for it)
PROJECT = "default"

TEMPLATE = """
heat_template_version: 2018-08-31
parameters:
  subnet: {type: string}
  weight: {type: number, default: 1}
  algorithm: {type: string, default: ROUND_ROBIN}
  delay: {type: number, default: 5}
  port: {type: number, default: 80}
  lb_name: {type: string, default: web}
resources:
  lb:
    type: OS::Octavia::LoadBalancer
    properties: {vip_subnet: {get_param: subnet}, name: {get_param: lb_name}}
  listener:
    type: OS::Octavia::Listener
    properties: {loadbalancer: {get_resource: lb}, protocol: HTTP, protocol_port: {get_param: port}}
  pool:
    type: OS::Octavia::Pool
    properties:
      listener: {get_resource: listener}
      protocol: HTTP
      lb_algorithm: {get_param: algorithm}
      session_persistence: {type: SOURCE_IP}
  member_a:
    type: OS::Octavia::PoolMember
    properties: {pool: {get_resource: pool}, address: 10.30.0.11, protocol_port: 8080,
                 subnet: {get_param: subnet}, weight: {get_param: weight}}
  member_b:
    type: OS::Octavia::PoolMember
    properties: {pool: {get_resource: pool}, address: 10.30.0.12, protocol_port: 8080}
  monitor:
    type: OS::Octavia::HealthMonitor
    properties: {pool: {get_resource: pool}, type: HTTP, delay: {get_param: delay}, timeout: 3,
                 max_retries: 3, url_path: /health}
outputs:
  vip: {value: {get_attr: [lb, vip_address]}}
  vip_port: {value: {get_attr: [lb, vip_port_id]}}
  lb_pools: {value: {get_attr: [lb, pools]}}
  lb_listeners: {value: {get_attr: [lb, listeners]}}
  listener_lbs: {value: {get_attr: [listener, loadbalancers]}}
  default_pool: {value: {get_attr: [listener, default_pool_id]}}
  pool_members: {value: {get_attr: [pool, members]}}
  pool_monitor: {value: {get_attr: [pool, healthmonitor_id]}}
  member_address: {value: {get_attr: [member_a, address]}}
  member_pool: {value: {get_attr: [member_a, pool_id]}}
  monitor_pools: {value: {get_attr: [monitor, pools]}}
  lb_name: {value: {get_attr: [lb, show, name]}}
"""


@pytest.fixture
def subnet(cloud):
    connection = cloud.connect(PROJECT)
    network = connection.network.create_network(name="lb-net")
    return connection.network.create_subnet(network_id=network.id, cidr="10.30.0.0/24", ip_version=4)


def _ids(harness, stack_id):
    return {name: row.physical_id for name, row in harness.resources(stack_id).items()}


def test_a_whole_load_balancer_is_made_and_its_attributes_read(harness, cloud, subnet):
    stack_id = harness.create(TEMPLATE, parameters={"subnet": subnet.id})
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    ids = _ids(harness, stack_id)
    octavia = cloud.connect(PROJECT).load_balancer
    balancer = octavia.get_load_balancer(ids["lb"])
    assert balancer.provisioning_status == "ACTIVE" and balancer.name == "web"
    outputs = harness.outputs(stack_id)
    assert outputs["vip"] == balancer.vip_address and outputs["vip_port"] == balancer.vip_port_id
    # the engine keeps what an attribute was when its resource completed: the balancer had no children yet
    assert outputs["lb_pools"] == [] and outputs["lb_listeners"] == []
    assert outputs["listener_lbs"] == [{"id": ids["lb"]}]
    # likewise a listener's default pool and a pool's members came after them: the cloud has them
    assert outputs["default_pool"] is None and outputs["pool_members"] == []
    assert octavia.get_listener(ids["listener"]).default_pool_id == ids["pool"]
    pool = octavia.get_pool(ids["pool"])
    assert sorted(m["id"] for m in pool.members) == sorted([ids["member_a"], ids["member_b"]])
    assert pool.health_monitor_id == ids["monitor"]
    assert outputs["member_address"] == "10.30.0.11" and outputs["member_pool"] == ids["pool"]
    assert outputs["monitor_pools"] == [{"id": ids["pool"]}]
    assert outputs["lb_name"] == "web"
    assert octavia.get_member(ids["member_a"], ids["pool"]).subnet_id == subnet.id
    assert octavia.get_health_monitor(ids["monitor"]).url_path == "/health"


def test_updates_in_place_wait_for_the_load_balancer_and_delete_leaves_nothing(harness, cloud, subnet):
    stack_id = harness.create(TEMPLATE, parameters={"subnet": subnet.id})
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    before = _ids(harness, stack_id)
    # three children change at once: each waits for the load balancer's turn
    assert harness.update(stack_id, TEMPLATE, parameters={
        "subnet": subnet.id, "weight": 7, "algorithm": "LEAST_CONNECTIONS", "delay": 9, "lb_name": "web2"}), \
        harness.events(stack_id)
    assert _ids(harness, stack_id) == before
    octavia = cloud.connect(PROJECT).load_balancer
    assert octavia.get_member(before["member_a"], before["pool"]).weight == 7
    assert octavia.get_pool(before["pool"]).lb_algorithm == "LEAST_CONNECTIONS"
    assert octavia.get_health_monitor(before["monitor"]).delay == 9
    assert octavia.get_load_balancer(before["lb"]).name == "web2"

    assert harness.delete(stack_id)
    assert list(octavia.load_balancers()) == []
    assert list(octavia.listeners()) == [] and list(octavia.pools()) == []
    assert list(octavia.health_monitors()) == []
    ports = cloud.connect(PROJECT).network.ports(device_owner="Octavia")
    assert list(ports) == []


def test_a_new_listener_port_replaces_the_listener(harness, cloud, subnet):
    stack_id = harness.create(TEMPLATE, parameters={"subnet": subnet.id})
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    before = _ids(harness, stack_id)
    assert harness.update(stack_id, TEMPLATE, parameters={"subnet": subnet.id, "port": 8000}), \
        harness.events(stack_id)
    after = _ids(harness, stack_id)
    assert after["listener"] != before["listener"] and after["lb"] == before["lb"]
    octavia = cloud.connect(PROJECT).load_balancer
    assert [listener.protocol_port for listener in octavia.listeners()] == [8000]
    with pytest.raises(exceptions.NotFoundException):
        octavia.get_listener(before["listener"])


def test_custom_constraints_find_what_exists(cloud, subnet):
    connection = cloud.connect(PROJECT)
    balancer = connection.load_balancer.create_load_balancer(name="found", vip_subnet_id=subnet.id)
    octavia_plugins.CUSTOM_CONSTRAINTS["octavia.loadbalancer"](connection, "found")
    octavia_plugins.CUSTOM_CONSTRAINTS["octavia.loadbalancer"](connection, balancer.id)
    for name in ("octavia.loadbalancer", "octavia.listener", "octavia.pool", "octavia.flavor"):
        with pytest.raises(exceptions.ResourceNotFound):
            octavia_plugins.CUSTOM_CONSTRAINTS[name](connection, "missing")


def test_a_load_balancer_needs_a_subnet_or_network(harness):
    template = """
    heat_template_version: 2018-08-31
    resources:
      lb: {type: OS::Octavia::LoadBalancer, properties: {name: nothing}}
    """
    with pytest.raises(Exception, match="vip_subnet, vip_network"):
        harness.create(template)
