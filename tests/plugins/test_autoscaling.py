"""An autoscaling group of sandbox servers behind an Octavia pool: scaling out and in, and the pool follows."""

from __future__ import annotations

from tests.engine.autoscaling import ALARM, members, scale

#: the project the harness's stacks act in (the engine's connection for it)
PROJECT = "default"

#: one member: a server and its place in the pool (tests' own copy; templates/ has the users' one)
MEMBER = """
heat_template_version: 2018-08-31
parameters:
  network: {type: string}
  subnet: {type: string}
  pool: {type: string}
resources:
  server:
    type: OS::Nova::Server
    properties:
      image: cirros
      flavor: m1.tiny
      networks: [{network: {get_param: network}}]
  pool_member:
    type: OS::Octavia::PoolMember
    properties:
      pool: {get_param: pool}
      address: {get_attr: [server, first_address]}
      protocol_port: 80
      subnet: {get_param: subnet}
outputs:
  address: {value: {get_attr: [server, first_address]}}
"""

TEMPLATE = """
heat_template_version: 2018-08-31
resources:
  net:
    type: OS::Neutron::Net
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.40.0.0/24}
  lb:
    type: OS::Octavia::LoadBalancer
    properties: {vip_subnet: {get_resource: subnet}}
  listener:
    type: OS::Octavia::Listener
    properties: {loadbalancer: {get_resource: lb}, protocol: HTTP, protocol_port: 80}
  pool:
    type: OS::Octavia::Pool
    properties: {listener: {get_resource: listener}, protocol: HTTP, lb_algorithm: ROUND_ROBIN}
  group:
    type: OS::Heat::AutoScalingGroup
    properties:
      min_size: 1
      max_size: 3
      desired_capacity: 2
      resource:
        type: member.yaml
        properties:
          network: {get_resource: net}
          subnet: {get_resource: subnet}
          pool: {get_resource: pool}
  up:
    type: OS::Heat::ScalingPolicy
    properties: {auto_scaling_group_id: {get_resource: group}, adjustment_type: change_in_capacity,
                 scaling_adjustment: 1}
  down:
    type: OS::Heat::ScalingPolicy
    properties: {auto_scaling_group_id: {get_resource: group}, adjustment_type: change_in_capacity,
                 scaling_adjustment: -1}
outputs:
  size: {value: {get_attr: [group, current_size]}}
  addresses: {value: {get_attr: [group, outputs_list, address]}}
"""


def pool_addresses(harness, cloud, stack_id: str) -> list[str]:
    octavia = cloud.connect(PROJECT).load_balancer
    pool = harness.resources(stack_id)["pool"].physical_id
    return sorted(member.address for member in octavia.members(pool))


def server_ids(harness, stack_id: str) -> list[str]:
    """The servers of the group's members, oldest member first."""
    return [harness.resources(row.physical_id)["server"].physical_id for row in members(harness, stack_id).values()]


def test_a_group_of_servers_scales_out_and_in_and_the_pool_follows(harness, cloud):
    stack_id = harness.create(TEMPLATE, files={"member.yaml": MEMBER})
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.stack(stack_id).status_reason
    nova = cloud.connect(PROJECT).compute
    outputs = harness.outputs(stack_id)
    assert outputs["size"] == 2
    assert sorted(outputs["addresses"]) == pool_addresses(harness, cloud, stack_id)
    assert all(address.startswith("10.40.0.") for address in outputs["addresses"])

    assert scale(harness, stack_id, "up", ALARM)
    outputs = harness.outputs(stack_id)
    assert outputs["size"] == 3 and len(set(outputs["addresses"])) == 3
    assert sorted(outputs["addresses"]) == pool_addresses(harness, cloud, stack_id)
    assert {nova.get_server(server).status for server in server_ids(harness, stack_id)} == {"ACTIVE"}
    assert not scale(harness, stack_id, "up", ALARM), "max_size reached"

    oldest = server_ids(harness, stack_id)[0]
    assert scale(harness, stack_id, "down", ALARM) and scale(harness, stack_id, "down", ALARM)
    outputs = harness.outputs(stack_id)
    assert outputs["size"] == 1 and pool_addresses(harness, cloud, stack_id) == outputs["addresses"]
    assert oldest not in server_ids(harness, stack_id)
    assert nova.find_server(oldest) is None, "a removed member's server is deleted"
    assert not scale(harness, stack_id, "down", ALARM), "min_size reached"

    assert harness.delete(stack_id), harness.stack(stack_id).status_reason
    assert list(cloud.connect(PROJECT).load_balancer.load_balancers()) == []  # and the fixture checks the rest
