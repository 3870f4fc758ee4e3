"""Cinder in the sandbox, driven with openstacksdk: types, volumes, snapshots, quotas, attachments."""

from __future__ import annotations

import json
import time

import pytest
from openstack import exceptions

from orchestrator.sandbox.adapter import IN_PROCESS_URL
from orchestrator.sandbox.volume import attach_volume, detach_volume


def wait_for(fetch, status: str, timeout: float = 3.0):
    """The object once ``fetch()`` shows ``status`` (the sandbox's transitions take 0.1–0.2 s)."""
    deadline = time.monotonic() + timeout
    while True:
        found = fetch()
        if found is not None and found.status == status:
            return found
        assert time.monotonic() < deadline, f"still {getattr(found, 'status', None)}, not {status}"
        time.sleep(0.05)


def wait_gone(fetch, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while fetch() is not None:
        assert time.monotonic() < deadline, "still there"
        time.sleep(0.05)


def available_volume(connection, **attrs):
    volume = connection.block_storage.create_volume(**{"size": 1, **attrs})
    return wait_for(lambda: connection.block_storage.get_volume(volume.id), "available")


def api(cloud, connection, method: str, path: str, **kwargs):
    """A raw request to Cinder as ``connection``'s user, at the newest microversion."""
    headers = {"X-Auth-Token": connection.session.get_token(), "OpenStack-API-Version": "volume 3.70"}
    url = f"{IN_PROCESS_URL}/volume/v3/{connection.current_project_id}{path}"
    return cloud.http().request(method, url, headers=headers, **kwargs)


def test_versions_and_microversion_negotiation(cloud):
    connection = cloud.connect("demo")
    assert connection.block_storage.get_endpoint().endswith(f"/volume/v3/{connection.current_project_id}")
    response = api(cloud, connection, "GET", "/types")
    assert response.headers["OpenStack-API-Version"] == "volume 3.70"
    token = connection.session.get_token()
    too_new = cloud.http().get(f"{IN_PROCESS_URL}/volume/v3/{connection.current_project_id}/types",
                               headers={"X-Auth-Token": token, "OpenStack-API-Version": "volume 3.99"})
    assert too_new.status_code == 406
    assert "maximum is 3.70" in too_new.json()["computeFault"]["message"]
    volume = api(cloud, connection, "POST", "/volumes", json={"volume": {"size": 1}}).json()["volume"]
    assert volume["volume_type_id"] and volume["consumes_quota"] is True, "3.63 and 3.65 fields"
    plain = cloud.http().get(f"{IN_PROCESS_URL}/volume/v3/{connection.current_project_id}/volumes/{volume['id']}",
                             headers={"X-Auth-Token": token})
    assert plain.headers["OpenStack-API-Version"] == "volume 3.0"
    assert "volume_type_id" not in plain.json()["volume"] and "consumes_quota" not in plain.json()["volume"]


def test_volume_types_are_seeded_with_zeds_default(cloud):
    connection = cloud.connect("demo")
    names = {t.name for t in connection.block_storage.types()}
    assert names == {"__DEFAULT__", "lvmdriver-1"}
    assert connection.block_storage.find_type("lvmdriver-1").extra_specs == {"volume_backend_name": "lvmdriver-1"}
    assert api(cloud, connection, "GET", "/types/default").json()["volume_type"]["name"] == "__DEFAULT__"
    with pytest.raises(exceptions.NotFoundException, match="Volume type nope could not be found"):
        connection.block_storage.get_type("nope")


def test_only_an_admin_makes_volume_types(cloud):
    with pytest.raises(exceptions.ForbiddenException, match="types_manage"):
        cloud.connect_as("demo", "demo").block_storage.create_type(name="gold")
    admin = cloud.connect_as("admin", "admin")
    gold = admin.block_storage.create_type(name="gold", extra_specs={"multiattach": "<is> True"})
    assert cloud.connect("demo").block_storage.find_type("gold").id == gold.id
    with pytest.raises(exceptions.ConflictException, match="already exists"):
        admin.block_storage.create_type(name="gold")
    admin.block_storage.delete_type(gold)
    assert cloud.connect("demo").block_storage.find_type("gold") is None


def test_a_volume_is_creating_then_available_and_goes_through_deleting(cloud):
    connection = cloud.connect("demo")
    volume = connection.block_storage.create_volume(size=2, name="data", description="disk",
                                                    metadata={"role": "db"})
    assert volume.status == "creating"
    assert volume.volume_type == "__DEFAULT__" and volume.availability_zone == "nova"
    volume = wait_for(lambda: connection.block_storage.get_volume(volume.id), "available")
    assert (volume.size, volume.name, volume.description, volume.metadata) == (2, "data", "disk", {"role": "db"})
    assert volume.is_bootable is False and volume.attachments == []
    assert connection.block_storage.find_volume("data").id == volume.id
    connection.block_storage.delete_volume(volume)
    assert connection.block_storage.get_volume(volume.id).status == "deleting"
    wait_gone(lambda: connection.block_storage.find_volume(volume.id))
    with pytest.raises(exceptions.NotFoundException, match=f"Volume {volume.id} could not be found"):
        connection.block_storage.get_volume(volume.id)


def test_list_filters_by_name_status_and_metadata(cloud):
    connection = cloud.connect("demo")
    one = available_volume(connection, name="one", metadata={"tier": "gold"})
    available_volume(connection, name="two", metadata={"tier": "silver"})
    assert [v.id for v in connection.block_storage.volumes(name="one")] == [one.id]
    assert len(list(connection.block_storage.volumes(status="available"))) == 2
    found = api(cloud, connection, "GET", "/volumes/detail", params={"metadata": json.dumps({"tier": "gold"})})
    assert [v["id"] for v in found.json()["volumes"]] == [one.id]
    brief = api(cloud, connection, "GET", "/volumes").json()["volumes"]
    assert set(brief[0]) == {"id", "name", "links"}


def test_update_extend_and_the_shrink_refusal(cloud):
    connection = cloud.connect("demo")
    volume = available_volume(connection, name="old")
    connection.block_storage.update_volume(volume, name="new", description="d", metadata={"a": "1"})
    shown = connection.block_storage.get_volume(volume.id)
    assert (shown.name, shown.description, shown.metadata) == ("new", "d", {"a": "1"})
    connection.block_storage.extend_volume(volume, 3)
    assert connection.block_storage.get_volume(volume.id).status == "extending"
    assert wait_for(lambda: connection.block_storage.get_volume(volume.id), "available").size == 3
    with pytest.raises(exceptions.BadRequestException, match="New size for extend must be greater"):
        connection.block_storage.extend_volume(volume, 2)


def test_volumes_from_snapshots_sources_and_images(cloud):
    connection = cloud.connect("demo")
    volume = available_volume(connection, size=2)
    snapshot = connection.block_storage.create_snapshot(volume_id=volume.id, name="snap")
    assert snapshot.status == "creating"
    snapshot = wait_for(lambda: connection.block_storage.get_snapshot(snapshot.id), "available")
    assert snapshot.size == 2 and snapshot.volume_id == volume.id
    restored = available_volume(connection, size=None, snapshot_id=snapshot.id)
    assert restored.size == 2 and restored.snapshot_id == snapshot.id
    copied = available_volume(connection, size=3, source_volume_id=volume.id)
    assert copied.source_volume_id == volume.id
    with pytest.raises(exceptions.BadRequestException, match="cannot be smaller than the snapshot size"):
        connection.block_storage.create_volume(size=1, snapshot_id=snapshot.id)
    image = next(iter(connection.image.images(name="cirros")))
    from_image = available_volume(connection, image_id=image.id)
    assert from_image.is_bootable is True and from_image.volume_image_metadata["image_name"] == "cirros"
    with pytest.raises(exceptions.BadRequestException, match="Invalid image identifier"):
        connection.block_storage.create_volume(size=1, image_id="no-such-image")
    with pytest.raises(exceptions.NotFoundException, match="Volume type with name gold could not be found"):
        connection.block_storage.create_volume(size=1, volume_type="gold")


def test_a_volume_with_snapshots_or_attached_cannot_be_deleted(cloud):
    connection = cloud.connect("demo")
    volume = available_volume(connection)
    snapshot = connection.block_storage.create_snapshot(volume_id=volume.id)
    with pytest.raises(exceptions.BadRequestException, match="must not be migrating, attached, belong to a group, "
                                                             "have snapshots"):
        connection.block_storage.delete_volume(volume)
    wait_for(lambda: connection.block_storage.get_snapshot(snapshot.id), "available")
    connection.block_storage.delete_snapshot(snapshot)
    wait_gone(lambda: connection.block_storage.find_snapshot(snapshot.id))
    with cloud.app.app_context():
        attachment = attach_volume(connection.current_project_id, volume.id, "server-1")
        second = available_volume(connection)
        assert attach_volume(connection.current_project_id, second.id, "server-1")["device"] == "/dev/vdc"
    assert attachment["device"] == "/dev/vdb" and attachment["server_id"] == "server-1"
    shown = connection.block_storage.get_volume(volume.id)
    assert shown.status == "in-use"
    assert shown.attachments[0]["attachment_id"] == attachment["attachment_id"]
    with pytest.raises(exceptions.BadRequestException, match="attached"):
        connection.block_storage.delete_volume(volume)
    with cloud.app.app_context():
        from orchestrator.sandbox.service import BadRequest
        with pytest.raises(BadRequest, match="status must be available to reserve"):
            attach_volume(connection.current_project_id, volume.id, "server-2")
        detach_volume(volume.id, "server-1")
    assert connection.block_storage.get_volume(volume.id).status == "available"
    connection.block_storage.delete_volume(volume)


def test_projects_do_not_see_each_others_volumes(cloud):
    demo = cloud.connect("demo")
    volume = available_volume(demo, name="mine")
    other = cloud.connect("alpha")
    assert list(other.block_storage.volumes()) == []
    with pytest.raises(exceptions.NotFoundException):
        other.block_storage.get_volume(volume.id)
    admin = cloud.connect_as("admin", "admin")
    assert list(admin.block_storage.volumes()) == []
    assert volume.id in {v.id for v in admin.block_storage.volumes(all_projects=True)}


def test_quotas_and_limits(cloud):
    connection = cloud.connect("demo")
    project = connection.current_project_id
    quota = connection.block_storage.get_quota_set(project, usage=True)
    assert quota.usage["volumes"] == 0
    assert (quota.volumes, quota.gigabytes, quota.snapshots) == (10, 1000, 10)
    with pytest.raises(exceptions.HttpException, match="exceeds allowed gigabytes quota") as raised:
        connection.block_storage.create_volume(size=1001)
    assert raised.value.status_code == 413
    admin = cloud.connect_as("admin", "admin")
    admin.block_storage.update_quota_set(project, volumes=1)
    available_volume(connection)
    with pytest.raises(exceptions.HttpException, match=r"Maximum number of volumes allowed \(1\) exceeded"):
        connection.block_storage.create_volume(size=1)
    absolute = connection.block_storage.get_limits().absolute
    assert (absolute.max_total_volumes, absolute.total_volumes_used, absolute.total_gigabytes_used) == (1, 1, 1)
