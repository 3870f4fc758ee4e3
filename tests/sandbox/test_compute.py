"""Nova in the sandbox, driven with openstacksdk: servers and their states, flavors, keypairs, quotas, …"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from openstack import exceptions

from orchestrator.sandbox.adapter import IN_PROCESS_URL

UNKNOWN = "0b6c5f1e-0000-4000-8000-000000000000"


def _cirros(connection):
    return connection.image.find_image("cirros", ignore_missing=False)


def _boot(connection, name="vm", flavor="1", **extra):
    extra.setdefault("networks", "none")
    return connection.compute.create_server(name=name, image_id=_cirros(connection).id, flavor_id=flavor, **extra)


def _wait(connection, server_id, status, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        server = connection.compute.get_server(server_id)
        if server.status == status:
            return server
        assert time.monotonic() < deadline, f"server stayed {server.status}, wanted {status}"
        time.sleep(0.05)


def _network(connection, name="private", cidr="10.0.0.0/24"):
    network = connection.network.create_network(name=name)
    connection.network.create_subnet(network_id=network.id, cidr=cidr, ip_version=4)
    return network


def test_seeded_flavors_and_the_nova_zone(cloud):
    compute = cloud.connect("demo").compute
    flavors = {f.name: (f.id, f.vcpus, f.ram, f.disk) for f in compute.flavors()}
    assert flavors["m1.tiny"] == ("1", 1, 512, 1)
    assert flavors["m1.small"] == ("2", 1, 2048, 20)
    assert flavors["m1.medium"] == ("3", 2, 4096, 40)
    assert flavors["m1.large"] == ("4", 4, 8192, 80)
    assert compute.find_flavor("m1.small").id == "2"
    assert [z.name for z in compute.availability_zones()] == ["nova"]
    with pytest.raises(exceptions.NotFoundException, match="Flavor 99 could not be found."):
        compute.get_flavor("99")


def test_the_microversion_is_answered_and_bounded(cloud):
    http = cloud.http()
    token = cloud.connect("demo").session.get_token()
    url = f"{IN_PROCESS_URL}/compute/v2.1/flavors"
    answer = http.get(url, headers={"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.61"})
    assert answer.headers["OpenStack-API-Version"] == "compute 2.61"
    assert "description" in answer.json()["flavors"][0]
    old = http.get(url, headers={"X-Auth-Token": token})
    assert old.headers["X-OpenStack-Nova-API-Version"] == "2.1" and "description" not in old.json()["flavors"][0]
    assert http.get(url, headers={"X-Auth-Token": token, "OpenStack-API-Version": "compute 2.200"}).status_code == 406


def test_a_server_builds_then_is_active_and_goes_when_deleted(cloud):
    connection = cloud.connect("demo")
    compute = connection.compute
    server = _boot(connection, metadata={"role": "web"})
    assert server.admin_password
    shown = compute.get_server(server.id)
    assert (shown.status, shown.vm_state, shown.task_state, shown.power_state) == ("BUILD", "building", "spawning", 0)
    active = _wait(connection, server.id, "ACTIVE")
    assert (active.vm_state, active.task_state, active.power_state) == ("active", None, 1)
    assert active.flavor.original_name == "m1.tiny" and active.flavor.vcpus == 1
    assert active.image.id == _cirros(connection).id
    assert active.metadata == {"role": "web"} and active.availability_zone == "nova"
    assert [s.name for s in compute.servers(name="^vm$")] == ["vm"]
    assert [s.id for s in compute.servers(status="ACTIVE")] == [server.id]
    compute.delete_server(server.id)
    assert compute.get_server(server.id).task_state == "deleting"
    compute.wait_for_delete(compute.get_server(server.id), interval=0.05, wait=5)
    with pytest.raises(exceptions.NotFoundException, match=f"Instance {server.id} could not be found."):
        compute.get_server(server.id)


def test_create_with_unknown_image_flavor_network_or_key_is_400(cloud):
    connection = cloud.connect("demo")
    compute = connection.compute
    image = _cirros(connection).id
    cases = [({"image_id": UNKNOWN, "flavor_id": "1"}, f"Image {UNKNOWN} could not be found."),
             ({"image_id": image, "flavor_id": "99"}, "Invalid flavorRef provided."),
             ({"image_id": image, "flavor_id": "1", "key_name": "nope"}, "Invalid key_name provided.")]
    for fields, message in cases:
        with pytest.raises(exceptions.BadRequestException, match=message):
            compute.create_server(name="x", networks="none", **fields)
    with pytest.raises(exceptions.BadRequestException, match="could not be found"):
        compute.create_server(name="x", image_id=image, flavor_id="1", networks=[{"uuid": UNKNOWN}])
    with pytest.raises(exceptions.BadRequestException, match="'networks' is a required property"):
        compute.create_server(name="x", image_id=image, flavor_id="1")


def test_a_server_on_a_network_gets_a_port_and_addresses_and_frees_it(cloud):
    connection = cloud.connect("demo")
    network = _network(connection)
    server = _boot(connection, networks=[{"uuid": network.id}])
    active = _wait(connection, server.id, "ACTIVE")
    (address,) = active.addresses["private"]
    assert address["addr"].startswith("10.0.0.") and address["OS-EXT-IPS:type"] == "fixed"
    ports = list(connection.network.ports(device_id=server.id))
    assert len(ports) == 1 and ports[0].device_owner == "compute:nova"
    auto = _boot(connection, name="auto", networks="auto")
    assert list(connection.network.ports(device_id=auto.id))
    connection.compute.delete_server(server.id)
    assert list(connection.network.ports(device_id=server.id)) == []


def test_a_given_port_is_bound_and_released(cloud):
    connection = cloud.connect("demo")
    network = _network(connection)
    port = connection.network.create_port(network_id=network.id)
    server = _boot(connection, networks=[{"port": port.id}])
    assert connection.network.get_port(port.id).device_id == server.id
    with pytest.raises(exceptions.ConflictException):
        _boot(connection, name="other", networks=[{"port": port.id}])
    connection.compute.delete_server(server.id)
    assert connection.network.get_port(port.id).device_id == ""


def test_stop_start_reboot_suspend_resume(cloud):
    connection = cloud.connect("demo")
    compute = connection.compute
    server = _boot(connection)
    with pytest.raises(exceptions.ConflictException, match="while it is in task_state spawning"):
        compute.stop_server(server.id)
    _wait(connection, server.id, "ACTIVE")
    compute.stop_server(server.id)
    assert compute.get_server(server.id).task_state == "powering-off"
    stopped = _wait(connection, server.id, "SHUTOFF")
    assert (stopped.vm_state, stopped.power_state) == ("stopped", 4)
    with pytest.raises(exceptions.ConflictException, match="while it is in vm_state stopped"):
        compute.stop_server(server.id)
    compute.start_server(server.id)
    _wait(connection, server.id, "ACTIVE")
    compute.reboot_server(server.id, "SOFT")
    assert compute.get_server(server.id).status == "REBOOT"
    _wait(connection, server.id, "ACTIVE")
    compute.suspend_server(server.id)
    _wait(connection, server.id, "SUSPENDED")
    compute.resume_server(server.id)
    _wait(connection, server.id, "ACTIVE")


def test_resize_confirm_and_revert_and_rebuild(cloud):
    connection = cloud.connect("demo")
    compute = connection.compute
    server = _boot(connection)
    _wait(connection, server.id, "ACTIVE")
    with pytest.raises(exceptions.BadRequestException, match="must change flavor"):
        compute.resize_server(server.id, "1")
    compute.resize_server(server.id, "2")
    assert compute.get_server(server.id).status == "RESIZE"
    _wait(connection, server.id, "VERIFY_RESIZE")
    compute.confirm_server_resize(server.id)
    confirmed = compute.get_server(server.id)
    assert confirmed.status == "ACTIVE" and confirmed.flavor.original_name == "m1.small"
    compute.resize_server(server.id, "3")
    _wait(connection, server.id, "VERIFY_RESIZE")
    compute.revert_server_resize(server.id)
    reverted = _wait(connection, server.id, "ACTIVE")
    assert reverted.flavor.original_name == "m1.small"
    rebuilt = compute.rebuild_server(server.id, image=_cirros(connection).id, name="renamed")
    assert rebuilt.status == "REBUILD" and rebuilt.name == "renamed"
    _wait(connection, server.id, "ACTIVE")


def test_update_name_and_metadata(cloud):
    connection = cloud.connect("demo")
    compute = connection.compute
    server = _boot(connection, metadata={"a": "1"})
    assert compute.update_server(server.id, name="new").name == "new"
    compute.set_server_metadata(server.id, b="2")
    assert compute.fetch_server_metadata(server.id).metadata == {"a": "1", "b": "2"}
    compute.delete_server_metadata(server.id, ["a"])
    assert compute.get_server(server.id).metadata == {"b": "2"}


def test_servers_are_private_to_their_project(cloud):
    server = _boot(cloud.connect("demo"))
    other = cloud.connect("alpha").compute
    assert list(other.servers()) == []
    with pytest.raises(exceptions.NotFoundException):
        other.get_server(server.id)
    admin = cloud.connect_as("admin", "admin").compute
    assert list(admin.servers()) == []
    assert [s.id for s in admin.servers(all_projects=True)] == [server.id]


def test_instance_and_core_quotas_give_novas_403(cloud):
    connection = cloud.connect("demo")
    for index in range(5):
        _boot(connection, name=f"big{index}", flavor="4")  # 4 vCPUs each: 20 cores
    with pytest.raises(exceptions.ForbiddenException,
                       match="Quota exceeded for cores: Requested 1, but already used 20 of 20 cores"):
        _boot(connection, name="one-more")
    limits = connection.compute.get_limits().absolute
    assert (limits.instances, limits.instances_used, limits.total_cores_used) == (10, 5, 20)


def test_keypairs_generated_imported_and_per_user(cloud):
    compute = cloud.connect("demo").compute  # the engine's user (admin, with a member's rights in demo)
    generated = compute.create_keypair(name="gen")
    assert generated.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert generated.public_key.startswith("ssh-rsa ") and generated.fingerprint.count(":") == 15
    imported = compute.create_keypair(name="imp", public_key=generated.public_key)
    assert imported.private_key is None and imported.fingerprint == generated.fingerprint
    assert {k.name for k in compute.keypairs()} == {"gen", "imp"}
    with pytest.raises(exceptions.ConflictException, match="Key pair 'gen' already exists."):
        compute.create_keypair(name="gen")
    with pytest.raises(exceptions.BadRequestException, match="Keypair data is invalid"):
        compute.create_keypair(name="bad", public_key="not a key")
    other_user = cloud.connect_as("demo", "demo").compute
    assert list(other_user.keypairs()) == []
    compute.delete_keypair("imp")
    with pytest.raises(exceptions.NotFoundException, match="Keypair imp not found for user"):
        compute.get_keypair("imp")


def test_flavors_are_made_and_removed_by_admins_only(cloud):
    admin = cloud.connect_as("admin", "admin").compute
    flavor = admin.create_flavor(name="custom", ram=256, vcpus=1, disk=0, is_public=True)
    admin.create_flavor_extra_specs(flavor.id, {"hw:cpu_policy": "shared"})
    demo = cloud.connect("demo").compute
    assert demo.find_flavor("custom").ram == 256
    assert demo.fetch_flavor_extra_specs(demo.get_flavor(flavor.id)).extra_specs == {"hw:cpu_policy": "shared"}
    with pytest.raises(exceptions.ForbiddenException, match="os-flavor-manage:create"):
        demo.create_flavor(name="mine", ram=256, vcpus=1, disk=0)
    with pytest.raises(exceptions.ConflictException, match="Flavor with name custom already exists."):
        admin.create_flavor(name="custom", ram=256, vcpus=1, disk=0)
    admin.delete_flavor(flavor.id)
    assert demo.find_flavor("custom") is None


def test_server_groups_and_members(cloud):
    connection = cloud.connect("demo")
    group = connection.compute.create_server_group(name="spread", policy="anti-affinity")
    assert group.policy == "anti-affinity"
    server = _boot(connection, scheduler_hints={"group": group.id})
    assert connection.compute.get_server_group(group.id).member_ids == [server.id]
    with pytest.raises(exceptions.BadRequestException):
        connection.compute.create_server_group(name="bad", policy="everywhere")
    connection.compute.delete_server_group(group.id)
    assert list(connection.compute.server_groups()) == []


def test_volume_attachments(cloud):
    connection = cloud.connect("demo")
    server = _boot(connection)
    volume = connection.block_storage.create_volume(size=1, name="data")
    connection.block_storage.wait_for_status(volume, "available", interval=0.05, wait=5)
    _wait(connection, server.id, "ACTIVE")
    attachment = connection.compute.create_volume_attachment(server.id, volume=volume)
    assert attachment.device == "/dev/vdb"
    assert connection.block_storage.get_volume(volume.id).status == "in-use"
    assert [a.volume_id for a in connection.compute.volume_attachments(server.id)] == [volume.id]
    assert [v["id"] for v in connection.compute.get_server(server.id).attached_volumes] == [volume.id]
    connection.compute.delete_volume_attachment(server.id, volume.id)
    assert connection.block_storage.get_volume(volume.id).status == "available"


def test_volumes_attached_and_detached_at_once_are_all_recorded(cloud):
    """Heat attaches a group's volumes to one server in parallel: no attachment may be lost."""
    connection = cloud.connect("demo")
    server = _boot(connection)
    volumes = [connection.block_storage.create_volume(size=1, name=f"data{i}") for i in range(4)]
    for volume in volumes:
        connection.block_storage.wait_for_status(volume, "available", interval=0.05, wait=5)
    _wait(connection, server.id, "ACTIVE")
    with ThreadPoolExecutor(len(volumes)) as pool:
        devices = list(pool.map(lambda v: cloud.connect("demo").compute.create_volume_attachment(
            server.id, volume=v).device, volumes))
    assert len(set(devices)) == len(volumes)
    assert sorted(a.volume_id for a in connection.compute.volume_attachments(server.id)) == sorted(
        v.id for v in volumes)
    with ThreadPoolExecutor(len(volumes)) as pool:
        list(pool.map(lambda v: cloud.connect("demo").compute.delete_volume_attachment(server.id, v.id), volumes))
    assert list(connection.compute.volume_attachments(server.id)) == []
    assert {connection.block_storage.get_volume(v.id).status for v in volumes} == {"available"}


def test_port_interfaces_attach_list_and_detach(cloud):
    connection = cloud.connect("demo")
    network = _network(connection, name="nics", cidr="10.7.0.0/24")
    port = connection.network.create_port(network_id=network.id)
    server = _wait(connection, _boot(connection).id, "ACTIVE")
    attached = connection.compute.create_server_interface(server, port_id=port.id)
    assert (attached.port_id, attached.net_id) == (port.id, network.id)
    assert connection.network.get_port(port.id).device_id == server.id
    made = connection.compute.create_server_interface(server, net_id=network.id)
    assert {i.port_id for i in connection.compute.server_interfaces(server)} == {port.id, made.port_id}
    connection.compute.delete_server_interface(port.id, server=server)
    assert connection.network.get_port(port.id).device_id == ""  # a port given to the server stays, unbound
    connection.compute.delete_server_interface(made.port_id, server=server)
    assert connection.network.find_port(made.port_id) is None  # one Nova made for it goes
    with pytest.raises(exceptions.NotFoundException, match="is not attached"):
        connection.compute.delete_server_interface(port.id, server=server, ignore_missing=False)


def test_boot_from_a_new_volume_made_from_the_image(cloud):
    connection = cloud.connect("demo")
    image = _cirros(connection).id
    server = connection.compute.create_server(
        name="bfv", flavor_id="1", networks="none", block_device_mapping=[{
            "boot_index": 0, "uuid": image, "source_type": "image", "destination_type": "volume",
            "volume_size": 1, "delete_on_termination": True}])
    active = _wait(connection, server.id, "ACTIVE")
    assert not active.image
    time.sleep(0.1)
    (volume,) = connection.compute.get_server(server.id).attached_volumes
    assert connection.block_storage.get_volume(volume["id"]).status == "in-use"
