"""Heat's ``external_id`` on the sandbox: a stack refers to a server it did not make, and never deletes it."""

from __future__ import annotations

#: the sandbox project the stack acts in, and where the test makes its server
PROJECT = "demo"

EXTERNAL_SERVER = """
heat_template_version: 2016-10-14
parameters:
  server_id: {type: string}
resources:
  server:
    type: OS::Nova::Server
    external_id: {get_param: server_id}
outputs:
  first_address: {value: {get_attr: [server, first_address]}}
  networks: {value: {get_attr: [server, networks]}}
  ref: {value: {get_resource: server}}
"""


def test_an_external_server_is_read_and_outlives_its_stack(harness, cloud):
    connection = cloud.connect(PROJECT)
    network = connection.network.create_network(name="outside")
    connection.network.create_subnet(network_id=network.id, cidr="10.7.0.0/24", ip_version=4)
    server = connection.compute.create_server(
        name="pet", image_id=connection.image.find_image("cirros", ignore_missing=False).id,
        flavor_id=connection.compute.find_flavor("m1.tiny", ignore_missing=False).id,
        networks=[{"uuid": network.id}])
    server = connection.compute.wait_for_server(server, interval=0.05, wait=30)
    try:
        stack_id = harness.create(EXTERNAL_SERVER, project_id=PROJECT, parameters={"server_id": server.id})
        assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
        row = harness.resources(stack_id)["server"]
        assert (row.action, row.status, row.physical_id) == ("CHECK", "COMPLETE", server.id)
        outputs = harness.outputs(stack_id)
        assert outputs["first_address"].startswith("10.7.0.")
        assert outputs["networks"]["outside"] == [outputs["first_address"]]
        assert outputs["networks"][network.id] == [outputs["first_address"]]
        assert outputs["ref"] == server.id

        assert harness.delete(stack_id)
        assert harness.state(stack_id) == "DELETE_COMPLETE"
        still_there = connection.compute.get_server(server.id)
        assert (still_there.id, still_there.status) == (server.id, "ACTIVE")
    finally:
        connection.compute.delete_server(server.id)
        connection.compute.wait_for_delete(connection.compute.get_server(server.id), interval=0.05, wait=30)
        for port in connection.network.ports(network_id=network.id):
            connection.network.delete_port(port.id)
        connection.network.delete_network(network.id)
