"""OS::Nova::* through the engine, on the sandbox: servers (resize, rebuild, replace), key pairs, flavors."""

from __future__ import annotations

import pytest
from openstack import exceptions

import resources.compute as nova_plugins
from orchestrator.sandbox.compute.keypairs import generate
from orchestrator.template.errors import TemplateError

#: the project the harness's stacks act in (the engine's connection for it)
PROJECT = "default"

SERVER = """
heat_template_version: 2018-08-31
parameters:
  name: {type: string, default: web}
  flavor: {type: string, default: m1.tiny}
  image: {type: string, default: cirros}
  metadata: {type: json, default: {role: web}}
  key: {type: string, default: ""}
  az: {type: string, default: nova}
resources:
  net:
    type: OS::Neutron::Net
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.1.0.0/24}
  server:
    type: OS::Nova::Server
    depends_on: subnet
    properties:
      name: {get_param: name}
      image: {get_param: image}
      flavor: {get_param: flavor}
      metadata: {get_param: metadata}
      availability_zone: {get_param: az}
      user_data_format: RAW
      user_data: "#!/bin/sh\\necho hi\\n"
      networks: [{network: {get_resource: net}}]
outputs:
  first_address: {value: {get_attr: [server, first_address]}}
  addresses: {value: {get_attr: [server, addresses]}}
  networks: {value: {get_attr: [server, networks]}}
  name: {value: {get_attr: [server, name]}}
  status: {value: {get_attr: [server, show, status]}}
  instance_name: {value: {get_attr: [server, instance_name]}}
  console_urls: {value: {get_attr: [server, console_urls]}}
"""


def _server(harness, cloud, stack_id):
    return cloud.connect(PROJECT).compute.get_server(harness.resources(stack_id)["server"].physical_id)


def test_a_server_is_booted_on_its_network_and_read(harness, cloud):
    stack_id = harness.create(SERVER)
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    server = _server(harness, cloud, stack_id)
    assert (server.status, server.name, server.metadata) == ("ACTIVE", "web", {"role": "web"})
    assert server.flavor.original_name == "m1.tiny"
    outputs = harness.outputs(stack_id)
    assert outputs["first_address"].startswith("10.1.0.")
    (network_name,) = outputs["addresses"]
    (address,) = outputs["addresses"][network_name]
    assert address["addr"] == outputs["first_address"] and address["port"]
    assert outputs["networks"][network_name] == [outputs["first_address"]]
    assert outputs["name"] == "web" and outputs["status"] == "ACTIVE"
    assert outputs["instance_name"] is None and outputs["console_urls"] is None


def test_name_and_metadata_change_in_place_and_a_flavor_resizes(harness, cloud):
    stack_id = harness.create(SERVER)
    before = _server(harness, cloud, stack_id).id
    assert harness.update(stack_id, SERVER, parameters={"name": "renamed", "metadata": {"tier": "front"},
                                                        "flavor": "m1.small"}), harness.events(stack_id)
    server = _server(harness, cloud, stack_id)
    assert server.id == before
    assert (server.name, server.metadata, server.status) == ("renamed", {"tier": "front"}, "ACTIVE")
    assert server.flavor.original_name == "m1.small"


def test_a_new_image_rebuilds_in_place(harness, cloud):
    stack_id = harness.create(SERVER)
    before = _server(harness, cloud, stack_id).id
    image = cloud.connect_as("admin", "admin").image.create_image(
        name="other", disk_format="qcow2", container_format="bare", visibility="public", allow_duplicates=True)
    cloud.app.extensions["sandbox"].store.change("image", image.id, {"status": "active"})
    assert harness.update(stack_id, SERVER, parameters={"image": "other"}), harness.events(stack_id)
    server = _server(harness, cloud, stack_id)
    assert server.id == before and server.image.id == image.id and server.status == "ACTIVE"


def test_a_change_of_zone_replaces_and_delete_leaves_nothing(harness, cloud):
    stack_id = harness.create(SERVER)
    compute = cloud.connect(PROJECT).compute
    before = _server(harness, cloud, stack_id).id
    assert harness.update(stack_id, SERVER, parameters={"az": "nova:sandbox"}), harness.events(stack_id)
    after = _server(harness, cloud, stack_id).id
    assert after != before
    assert [s.id for s in compute.servers() if s.task_state != "deleting"] == [after]
    assert harness.delete(stack_id)
    assert [s for s in compute.servers() if s.task_state != "deleting"] == []
    assert list(cloud.connect(PROJECT).network.ports()) == []


ON_A_PORT = """
heat_template_version: 2018-08-31
parameters:
  az: {type: string, default: nova}
resources:
  net: {type: OS::Neutron::Net}
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.2.0.0/24}
  port:
    type: OS::Neutron::Port
    properties: {network: {get_resource: net}, fixed_ips: [{subnet: {get_resource: subnet}}]}
  server:
    type: OS::Nova::Server
    properties:
      image: cirros
      flavor: m1.tiny
      availability_zone: {get_param: az}
      networks: [{port: {get_resource: port}}]
"""


def test_a_server_replaced_hands_its_given_port_to_the_new_server(harness, cloud):
    """Heat's prepare_for_replace: the old server lets go of the template's port before the new one boots."""
    stack_id = harness.create(ON_A_PORT)
    network = cloud.connect(PROJECT).network
    port_id = harness.resources(stack_id)["port"].physical_id
    before = _server(harness, cloud, stack_id).id
    assert network.get_port(port_id).device_id == before
    assert harness.update(stack_id, ON_A_PORT, parameters={"az": "nova:sandbox"}), harness.events(stack_id)
    after = _server(harness, cloud, stack_id).id
    assert after != before and network.get_port(port_id).device_id == after
    assert harness.resources(stack_id)["port"].physical_id == port_id
    assert harness.delete(stack_id)


#: the same server, and a resource after it that fails when told to: its update fails while the old server
#: still exists (its deletion waits for what depended on it), so the rollback brings the old server back
ON_A_PORT_THEN_MAYBE_FAILING = ON_A_PORT.replace("  az: {type: string, default: nova}", """\
  az: {type: string, default: nova}
  fail: {type: boolean, default: false}""") + """
  after_server:
    type: OS::Heat::TestResource
    properties: {value: {get_resource: server}, fail: {get_param: fail}}
"""


def test_a_rolled_back_replacement_gives_the_port_back_to_the_old_server(harness, cloud):
    """The replacement takes the port, a later resource fails, and the rollback brings the old server back:
    the port follows it back (Heat's restore_prev_rsrc), and the replacement goes."""
    stack_id = harness.create(ON_A_PORT_THEN_MAYBE_FAILING)
    network = cloud.connect(PROJECT).network
    port_id = harness.resources(stack_id)["port"].physical_id
    before = _server(harness, cloud, stack_id).id
    harness.update(stack_id, ON_A_PORT_THEN_MAYBE_FAILING, parameters={"az": "nova:sandbox", "fail": True},
                   disable_rollback=False)
    assert harness.state(stack_id) == "ROLLBACK_COMPLETE", harness.events(stack_id)
    assert _server(harness, cloud, stack_id).id == before
    assert network.get_port(port_id).device_id == before
    servers = [s.id for s in cloud.connect(PROJECT).compute.servers() if s.task_state != "deleting"]
    assert servers == [before]
    assert harness.delete(stack_id)


def test_an_unknown_flavor_fails_the_stack(harness, cloud):
    stack_id = harness.create(SERVER, parameters={"flavor": "m1.huge"})
    assert harness.state(stack_id) == "CREATE_FAILED"
    assert list(cloud.connect(PROJECT).compute.servers()) == []


KEYPAIR = """
heat_template_version: 2018-08-31
parameters:
  save: {type: boolean, default: true}
  name: {type: string, default: gen}
  public_key: {type: string}
resources:
  generated:
    type: OS::Nova::KeyPair
    properties: {name: {get_param: name}, save_private_key: {get_param: save}}
  imported:
    type: OS::Nova::KeyPair
    properties: {name: imp, public_key: {get_param: public_key}}
outputs:
  ref: {value: {get_resource: generated}}
  private: {value: {get_attr: [generated, private_key]}}
  public: {value: {get_attr: [imported, public_key]}}
"""


def test_key_pairs_generated_and_imported(harness, cloud):
    stack_id = harness.create(KEYPAIR, parameters={"public_key": generate()[1]})
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    outputs = harness.outputs(stack_id)
    assert outputs["ref"] == "gen" and outputs["private"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert outputs["public"].startswith("ssh-rsa ")
    compute = cloud.connect(PROJECT).compute
    assert {k.name for k in compute.keypairs()} == {"gen", "imp"}
    # a replacement under the same name would clash: Heat deletes the old pair first, our engine has no such hook
    assert harness.update(stack_id, KEYPAIR, parameters={"save": False, "name": "gen2",
                                                         "public_key": compute.get_keypair("imp").public_key})
    assert harness.outputs(stack_id)["private"] == "" and harness.outputs(stack_id)["ref"] == "gen2"
    assert {k.name for k in compute.keypairs()} == {"gen2", "imp"}
    assert harness.delete(stack_id)
    assert list(compute.keypairs()) == []


FLAVOR = """
heat_template_version: 2018-08-31
resources:
  flavor:
    type: OS::Nova::Flavor
    properties: {ram: 256, vcpus: 1, extra_specs: {"hw:cpu_policy": shared}}
"""


def test_a_flavor_needs_an_admin(harness, cloud):
    stack_id = harness.create(FLAVOR)
    assert harness.state(stack_id) == "CREATE_FAILED"
    (reason,) = [r for _, state, r in harness.events(stack_id, "flavor") if state == "CREATE_FAILED"]
    assert reason.startswith("ForbiddenException: resources.flavor: Policy doesn't allow "), reason


def test_the_flavor_plugin_with_an_admin_connection(cloud):
    from types import SimpleNamespace

    admin = cloud.connect_as("admin", "admin")
    data: dict = {}
    runtime = SimpleNamespace(cloud=lambda: admin, physical_name=lambda: "stack-flavor-abc",
                              set_physical_id=lambda value: None, set_data=lambda k, v: data.__setitem__(k, v))
    props = {"ram": 256, "vcpus": 1, "disk": 0, "swap": 0, "ephemeral": 0, "rxtx_factor": 1.0, "is_public": True,
             "extra_specs": {"hw:cpu_policy": "shared"}, "tenants": [], "flavorid": None, "name": None,
             "description": None}
    flavor = nova_plugins.Flavor("flavor", props, runtime)
    flavor.create()
    assert flavor.attribute("extra_specs") == {"hw:cpu_policy": "shared"} and flavor.attribute("is_public")
    flavor.update({**props, "extra_specs": {"a": "b"}}, {"extra_specs": {"a": "b"}})
    assert flavor.attribute("extra_specs") == {"a": "b"}
    flavor.delete()
    flavor.delete()
    assert admin.compute.find_flavor("stack-flavor-abc") is None


def test_custom_constraints(cloud):
    connection = cloud.connect(PROJECT)
    checks = nova_plugins.CUSTOM_CONSTRAINTS
    checks["nova.flavor"](connection, "m1.tiny")
    checks["glance.image"](connection, "cirros")
    for name, value in (("nova.flavor", "m1.huge"), ("glance.image", "nope"), ("nova.keypair", "nope"),
                        ("nova.server", "nope")):
        with pytest.raises((exceptions.ResourceNotFound, exceptions.NotFoundException)):
            checks[name](connection, value)


def test_a_networks_entry_that_names_no_network_is_refused_before_anything_is_made(harness, cloud):
    template = """
    heat_template_version: 2018-08-31
    resources:
      server:
        type: OS::Nova::Server
        properties: {image: cirros, flavor: m1.tiny, networks: [{fixed_ip: 10.0.0.5}]}
    """
    with pytest.raises(TemplateError) as refused:
        harness.engine.create_stack(harness.request(template, project_id=PROJECT))
    assert 'One of the properties "network", "port", "allocate_network" or "subnet"' in str(refused.value)
    assert list(cloud.connect(PROJECT).compute.servers()) == []
