"""The leftover check of this suite catches a plugin that leaks, and only what stacks leave.

Plugins here are real ones whose ``delete`` does nothing: the stack is
DELETE_COMPLETE while its object stays in the cloud.  The check is called
directly (``assert_no_leftovers``, what the autouse ``no_leftovers`` fixture
runs when a test ends); each test cleans the leak up itself afterwards so the
fixture's own check passes.
"""

from __future__ import annotations

import pytest

from resources.network.port import Port
from resources.registry import PluginRegistry
from resources.storage import Volume
from tests.engine.harness import make_harness
from tests.plugins.conftest import assert_no_leftovers, delete_remaining_stacks, remaining_stacks

PROJECT = "default"


class LeakyVolume(Volume):
    """OS::Cinder::Volume forgetting to delete its volume."""

    type_name = "Test::LeakyVolume"

    def delete(self) -> None:
        pass

    def check_delete_complete(self) -> bool:
        return True


class LeakyPort(Port):
    """OS::Neutron::Port forgetting to delete its port."""

    type_name = "Test::LeakyPort"

    def delete(self) -> None:
        pass

    def check_delete_complete(self) -> bool:
        return True


@pytest.fixture
def leaky(tmp_path, cloud):
    """A harness whose engine knows the leaky types only; its stacks are deleted on leaving, as ``harness``'s."""
    registry = PluginRegistry({LeakyVolume.type_name: LeakyVolume, LeakyPort.type_name: LeakyPort})
    with make_harness(tmp_path, plugins=registry, cloud=cloud.connections) as running:
        yield running
        assert delete_remaining_stacks(running) == []


def test_a_volume_a_deleted_stack_left_fails_the_check_naming_it_and_the_test(leaky, cloud):
    before = cloud.inventory()
    stack_id = leaky.create("""
    heat_template_version: 2018-08-31
    resources:
      disk: {type: Test::LeakyVolume, properties: {size: 1, name: forgotten}}
    """)
    assert leaky.state(stack_id) == "CREATE_COMPLETE", leaky.events(stack_id)
    volume_id = leaky.resources(stack_id)["disk"].physical_id
    assert leaky.delete(stack_id) and leaky.state(stack_id) == "DELETE_COMPLETE"

    with pytest.raises(AssertionError) as failure:
        assert_no_leftovers(cloud, before, "tests/plugins/test_x.py::test_leaky", wait=0.3)
    message = str(failure.value)
    assert "tests/plugins/test_x.py::test_leaky left in the sandbox" in message, message
    assert f'volume {volume_id} (name "forgotten", status available, project default)' in message, message

    cloud.connect(PROJECT).block_storage.delete_volume(volume_id)
    assert cloud.leftovers(before) == []


def test_stacks_still_there_are_deleted_first_and_their_leaks_found(leaky, cloud):
    """What the fixtures do when a test ends without deleting its stacks."""
    before = cloud.inventory()
    network = cloud.connect(PROJECT).network.create_network(name="test-made")
    cloud.connect(PROJECT).network.create_subnet(network_id=network.id, cidr="10.40.0.0/24", ip_version=4)
    own_port = cloud.connect(PROJECT).network.create_port(network_id=network.id, name="the-tests-own")
    stack_id = leaky.create(f"""
    heat_template_version: 2018-08-31
    resources:
      port: {{type: Test::LeakyPort, properties: {{network: {network.id}, name: stacks}}}}
    """)
    assert leaky.state(stack_id) == "CREATE_COMPLETE", leaky.events(stack_id)
    port_id = leaky.resources(stack_id)["port"].physical_id

    assert delete_remaining_stacks(leaky) == [] and remaining_stacks(leaky) == []
    assert leaky.state(stack_id) == "DELETE_COMPLETE"
    # the port the stack made on the test's network is a leak; the test's own port is not
    left = cloud.leftovers(before, wait=0.2)
    assert len(left) == 1 and left[0].startswith(f'port {port_id} (name "stacks", '), left
    assert own_port.id not in " ".join(left)

    cloud.connect(PROJECT).network.delete_port(port_id)
    assert cloud.leftovers(before) == []


def test_a_server_the_test_made_and_its_port_are_not_leftovers(harness, cloud):
    before = cloud.inventory()
    compute = cloud.connect(PROJECT).compute
    network = cloud.connect(PROJECT).network.create_network(name="own")
    cloud.connect(PROJECT).network.create_subnet(network_id=network.id, cidr="10.41.0.0/24", ip_version=4)
    server = compute.create_server(name="own", flavor_id=compute.find_flavor("m1.tiny").id,
                                   image_id=cloud.connect(PROJECT).image.find_image("cirros").id,
                                   networks=[{"uuid": network.id}])
    compute.wait_for_server(server, wait=5, interval=0.05)
    assert [p.device_id for p in cloud.connect(PROJECT).network.ports(network_id=network.id)] == [server.id]
    assert cloud.leftovers(before, wait=0) == []


def test_a_failed_delete_is_reported_by_the_harness_teardown(harness, cloud, monkeypatch):
    """A stack the teardown cannot delete is named with its state and reason."""
    stack_id = harness.create("""
    heat_template_version: 2018-08-31
    resources:
      disk: {type: OS::Cinder::Volume, properties: {size: 1}}
    """)
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)

    def refuse(self):
        raise RuntimeError("the cloud said no")

    with monkeypatch.context() as patched:
        patched.setattr(Volume, "delete", refuse)
        (problem,) = delete_remaining_stacks(harness)
    assert problem.startswith(f"stack ({stack_id}): DELETE_FAILED: "), problem
    assert "the cloud said no" in problem, problem
    # the fixture's own teardown deletes it again, this time for real
