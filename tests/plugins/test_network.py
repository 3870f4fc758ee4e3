"""The Neutron plugins run through the engine against the sandbox."""

from __future__ import annotations

NETWORK = """
heat_template_version: 2018-08-31
parameters:
  cidr: {type: string, default: 10.1.0.0/24}
  net_name: {type: string, default: app-net}
resources:
  net:
    type: OS::Neutron::Net
    properties: {name: {get_param: net_name}}
  subnet:
    type: OS::Neutron::Subnet
    properties:
      network: {get_resource: net}
      cidr: {get_param: cidr}
      dns_nameservers: [8.8.8.8]
  port:
    type: OS::Neutron::Port
    properties:
      network: {get_resource: net}
      fixed_ips: [{subnet: {get_resource: subnet}}]
outputs:
  mtu: {value: {get_attr: [net, mtu]}}
  status: {value: {get_attr: [net, status]}}
  subnets: {value: {get_attr: [net, subnets]}}
  gateway: {value: {get_attr: [subnet, gateway_ip]}}
  pools: {value: {get_attr: [subnet, allocation_pools]}}
  cidr: {value: {get_attr: [subnet, cidr]}}
  ip: {value: {get_attr: [port, fixed_ips, 0, ip_address]}}
  mac: {value: {get_attr: [port, mac_address]}}
  port_subnet_cidr: {value: {get_attr: [port, subnets, 0, cidr]}}
  port_network_name: {value: {get_attr: [port, network, name]}}
"""


def test_network_subnet_port_lifecycle(harness, cloud):
    conn = cloud.connect("demo")
    stack = harness.create(NETWORK, project_id="demo")
    assert harness.state(stack) == "CREATE_COMPLETE", harness.events(stack)
    outputs = harness.outputs(stack)
    assert outputs["mtu"] == 1450 and outputs["status"] == "ACTIVE"
    assert outputs["gateway"] == "10.1.0.1"
    assert outputs["pools"] == [{"start": "10.1.0.2", "end": "10.1.0.254"}]
    assert outputs["ip"] == "10.1.0.2" and outputs["mac"].startswith("fa:16:3e:")
    assert outputs["port_subnet_cidr"] == "10.1.0.0/24" and outputs["port_network_name"] == "app-net"
    net = conn.network.find_network("app-net")
    assert len(net.subnet_ids) == 1

    # in place: the network's name
    assert harness.update(stack, NETWORK, parameters={"net_name": "renamed"})
    assert conn.network.get_network(net.id).name == "renamed"
    # replacement: a subnet's cidr cannot change
    old_subnet = net.subnet_ids[0]
    assert harness.update(stack, NETWORK, parameters={"net_name": "renamed", "cidr": "10.2.0.0/24"}), \
        harness.events(stack)
    assert harness.output(stack, "ip") == "10.2.0.2"
    assert conn.network.find_subnet(old_subnet) is None

    assert harness.delete(stack)
    assert list(conn.network.networks(name="renamed")) == []
    assert list(conn.network.ports()) == []


ROUTED = """
heat_template_version: 2018-08-31
parameters:
  rules:
    type: json
    default: [{protocol: tcp, port_range_min: 22, port_range_max: 22, remote_ip_prefix: 0.0.0.0/0}]
resources:
  net:
    type: OS::Neutron::Net
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 192.168.5.0/24}
  router:
    type: OS::Neutron::Router
    properties:
      external_gateway_info: {network: public}
  interface:
    type: OS::Neutron::RouterInterface
    properties: {router: {get_resource: router}, subnet: {get_resource: subnet}}
  group:
    type: OS::Neutron::SecurityGroup
    properties:
      description: web
      rules: {get_param: rules}
  extra_rule:
    type: OS::Neutron::SecurityGroupRule
    properties: {security_group: {get_resource: group}, protocol: udp, port_range_min: 53, port_range_max: 53}
  port:
    type: OS::Neutron::Port
    properties:
      network: {get_resource: net}
      security_groups: [{get_resource: group}]
      fixed_ips: [{subnet: {get_resource: subnet}}]
  fip:
    type: OS::Neutron::FloatingIP
    depends_on: interface
    properties: {floating_network: public}
  association:
    type: OS::Neutron::FloatingIPAssociation
    properties: {floatingip_id: {get_resource: fip}, port_id: {get_resource: port}}
outputs:
  gateway: {value: {get_attr: [router, external_gateway_info, external_fixed_ips, 0, ip_address]}}
  floating: {value: {get_attr: [fip, floating_ip_address]}}
"""


def test_router_floating_ip_and_security_group(harness, cloud):
    conn = cloud.connect("demo")
    stack = harness.create(ROUTED, project_id="demo")
    assert harness.state(stack) == "CREATE_COMPLETE", harness.events(stack)
    outputs = harness.outputs(stack)
    assert outputs["gateway"].startswith("172.24.4.")
    floating = conn.network.find_ip(outputs["floating"])
    assert floating.status == "ACTIVE" and floating.fixed_ip_address == "192.168.5.2"
    assert floating.router_id == harness.resources(stack)["router"].physical_id
    group = conn.network.get_security_group(harness.resources(stack)["group"].physical_id)
    rules = {(r["direction"], r["protocol"], r["port_range_min"]) for r in group.security_group_rules}
    # no egress rule in the template: Neutron's default egress rules stay; the standalone rule is there too
    assert rules == {("ingress", "tcp", 22), ("ingress", "udp", 53), ("egress", None, None)}

    # rules are replaced in place; as in Heat, that also drops rules added to the group from outside
    new_rules = [{"protocol": "tcp", "port_range_min": 443, "port_range_max": 443},
                 {"direction": "egress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80}]
    assert harness.update(stack, ROUTED, parameters={"rules": new_rules}), harness.events(stack)
    group = conn.network.get_security_group(group.id)
    # an egress rule of the template's own replaces the default egress rules
    assert {(r["direction"], r["port_range_min"]) for r in group.security_group_rules} == {("ingress", 443),
                                                                                           ("egress", 80)}

    assert harness.delete(stack), harness.events(stack)
    assert list(conn.network.routers()) == [] and list(conn.network.ips()) == []
    assert [g.name for g in conn.network.security_groups()] == ["default"]
    assert list(conn.network.ports()) == []


PLAIN_FIP = """
heat_template_version: 2018-08-31
parameters:
  port: {type: string, default: ""}
resources:
  fip:
    type: OS::Neutron::FloatingIP
    properties:
      floating_network: public
      port_id: {get_param: port}
"""


def test_floating_ip_without_a_router_fails_with_neutrons_message(harness):
    stack = harness.create("""
heat_template_version: 2018-08-31
resources:
  net: {type: OS::Neutron::Net}
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.9.0.0/24}
  port:
    type: OS::Neutron::Port
    depends_on: subnet
    properties: {network: {get_resource: net}}
  fip:
    type: OS::Neutron::FloatingIP
    properties: {floating_network: public, port_id: {get_resource: port}}
""", project_id="demo")
    assert harness.state(stack) == "CREATE_FAILED"
    reasons = " ".join(reason or "" for _, _, reason in harness.events(stack, "fip"))
    assert "is not reachable from subnet" in reasons


PORTS = """
heat_template_version: 2018-08-31
parameters:
  port_name: {type: string, default: p}
  ip: {type: string, default: 10.7.0.20}
  net: {type: string, default: first}
  groups: {type: comma_delimited_list, default: [default]}
  snat: {type: boolean, default: true}
  fip_port: {type: string, default: other}
resources:
  first:
    type: OS::Neutron::Net
    properties: {name: first}
  second:
    type: OS::Neutron::Net
    properties: {name: second}
  first_subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: first}, cidr: 10.7.0.0/24}
  second_subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: second}, cidr: 10.8.0.0/24}
  group:
    type: OS::Neutron::SecurityGroup
    properties: {name: extra}
  router:
    type: OS::Neutron::Router
    properties:
      external_gateway_info: {network: public, enable_snat: {get_param: snat}}
  interface:
    type: OS::Neutron::RouterInterface
    properties: {router: {get_resource: router}, subnet: {get_resource: first_subnet}}
  port:
    type: OS::Neutron::Port
    depends_on: [first_subnet, second_subnet, group]
    properties:
      name: {get_param: port_name}
      network: {get_param: net}
      security_groups: {get_param: groups}
  other:
    type: OS::Neutron::Port
    depends_on: first_subnet
    properties: {name: other, network: {get_resource: first}, fixed_ips: [{ip_address: 10.7.0.30}]}
  fip:
    type: OS::Neutron::FloatingIP
    depends_on: [interface, port, other]
    properties: {floating_network: public, port_id: {get_param: fip_port}}
outputs:
  fixed: {value: {get_attr: [fip, fixed_ip_address]}}
"""


def test_port_router_and_floating_ip_updates(harness, cloud):
    conn = cloud.connect("demo")
    stack = harness.create(PORTS, project_id="demo")
    assert harness.state(stack) == "CREATE_COMPLETE", harness.events(stack)
    rows = harness.resources(stack)
    port_id, router_id = rows["port"].physical_id, rows["router"].physical_id
    assert conn.network.get_port(port_id).name == "p"
    assert harness.output(stack, "fixed") == "10.7.0.30"

    # in place: the port's name and groups, the gateway's SNAT flag, the floating IP's port
    assert harness.update(stack, PORTS, parameters={"port_name": "q", "groups": "extra", "snat": "false",
                                                     "fip_port": "q"}), \
        harness.events(stack)
    rows = harness.resources(stack)
    assert rows["port"].physical_id == port_id and rows["router"].physical_id == router_id
    port = conn.network.get_port(port_id)
    assert port.name == "q" and port.security_group_ids == [conn.network.find_security_group("extra").id]
    assert conn.network.get_router(router_id).external_gateway_info["enable_snat"] is False
    assert conn.network.get_ip(rows["fip"].physical_id).port_id == port_id

    # replacement: a port cannot move to another network
    assert harness.update(stack, PORTS, parameters={"net": "second"}), harness.events(stack)
    new_port = harness.resources(stack)["port"].physical_id
    assert new_port != port_id and conn.network.find_port(port_id) is None
    assert conn.network.get_port(new_port).fixed_ips[0]["ip_address"].startswith("10.8.0.")

    assert harness.delete(stack), harness.events(stack)
    assert list(conn.network.ports()) == [] and list(conn.network.networks(project_id=port.project_id)) == []


def test_custom_constraints_find_neutron_objects(cloud):
    from openstack import exceptions

    from resources.network import CUSTOM_CONSTRAINTS
    from resources.network import port as port_module

    conn = cloud.connect("demo")
    assert port_module.CUSTOM_CONSTRAINTS is CUSTOM_CONSTRAINTS
    CUSTOM_CONSTRAINTS["neutron.network"](conn, "public")
    CUSTOM_CONSTRAINTS["neutron.security_group"](conn, "default")
    for name in ("neutron.network", "neutron.subnet", "neutron.port", "neutron.router", "neutron.security_group"):
        try:
            CUSTOM_CONSTRAINTS[name](conn, "missing")
        except exceptions.ResourceNotFound as exc:
            assert "missing" in str(exc)
        else:
            raise AssertionError(f"{name} accepted a missing object")
