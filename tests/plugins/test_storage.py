"""OS::Cinder::* through the engine, on the sandbox: volumes, their updates and replacement, attachments, types."""

from __future__ import annotations

import json

import pytest
from openstack import exceptions

import resources.storage as cinder_plugins
from tests.engine.harness import Harness

#: the project the harness's stacks act in (the engine's connection for it)
PROJECT = "default"

VOLUME = """
heat_template_version: 2018-08-31
parameters:
  size: {type: number, default: 1}
  name: {type: string, default: data}
  zone: {type: string, default: nova}
  volume_type: {type: string, default: __DEFAULT__}
  metadata: {type: json, default: {role: db}}
resources:
  volume:
    type: OS::Cinder::Volume
    properties:
      size: {get_param: size}
      name: {get_param: name}
      description: a disk
      availability_zone: {get_param: zone}
      volume_type: {get_param: volume_type}
      metadata: {get_param: metadata}
outputs:
  size: {value: {get_attr: [volume, size]}}
  status: {value: {get_attr: [volume, status]}}
  display_name: {value: {get_attr: [volume, display_name]}}
  display_description: {value: {get_attr: [volume, display_description]}}
  volume_type: {value: {get_attr: [volume, volume_type]}}
  metadata: {value: {get_attr: [volume, metadata]}}
  metadata_values: {value: {get_attr: [volume, metadata_values]}}
  bootable: {value: {get_attr: [volume, bootable]}}
  attachments_list: {value: {get_attr: [volume, attachments_list]}}
  created_at: {value: {get_attr: [volume, created_at]}}
  shown_name: {value: {get_attr: [volume, show, name]}}
"""


def _volume_id(harness, stack_id, name="volume"):
    return harness.resources(stack_id)[name].physical_id


def test_a_volume_is_made_read_and_deleted(harness, cloud):
    stack_id = harness.create(VOLUME)
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    volume = cloud.connect(PROJECT).block_storage.get_volume(_volume_id(harness, stack_id))
    assert (volume.status, volume.size, volume.name, volume.metadata) == ("available", 1, "data", {"role": "db"})
    outputs = harness.outputs(stack_id)
    assert outputs["size"] == 1 and outputs["status"] == "available"
    assert (outputs["display_name"], outputs["display_description"]) == ("data", "a disk")
    assert outputs["volume_type"] == "__DEFAULT__" and outputs["bootable"] is False
    assert json.loads(outputs["metadata"]) == {"role": "db"} and outputs["metadata_values"] == {"role": "db"}
    assert outputs["attachments_list"] == [] and outputs["created_at"] and outputs["shown_name"] == "data"
    assert harness.delete(stack_id)
    assert list(cloud.connect(PROJECT).block_storage.volumes()) == []


def test_name_metadata_and_growth_change_in_place(harness, cloud):
    stack_id = harness.create(VOLUME)
    volume_id = _volume_id(harness, stack_id)
    assert harness.update(stack_id, VOLUME, parameters={"size": 3, "name": "renamed",
                                                        "metadata": {"role": "web"}}), harness.events(stack_id)
    assert _volume_id(harness, stack_id) == volume_id
    volume = cloud.connect(PROJECT).block_storage.get_volume(volume_id)
    assert (volume.size, volume.name, volume.metadata, volume.status) == (3, "renamed", {"role": "web"}, "available")
    assert harness.update(stack_id, VOLUME, parameters={"size": 3, "name": "renamed", "volume_type": "lvmdriver-1",
                                                        "metadata": {"role": "web"}}), harness.events(stack_id)
    assert cloud.connect(PROJECT).block_storage.get_volume(volume_id).volume_type == "lvmdriver-1"
    assert _volume_id(harness, stack_id) == volume_id


def test_shrinking_fails_the_update(harness, cloud):
    stack_id = harness.create(VOLUME, parameters={"size": 2})
    assert not harness.update(stack_id, VOLUME, parameters={"size": 1})
    assert harness.state(stack_id) == "UPDATE_FAILED"
    assert any("Shrinking volume is not supported" in (reason or "") for _, _, reason in harness.events(stack_id))
    assert cloud.connect(PROJECT).block_storage.get_volume(_volume_id(harness, stack_id)).size == 2


def test_a_new_availability_zone_replaces_the_volume(harness, cloud):
    cloud_zone_template = VOLUME.replace("availability_zone: {get_param: zone}", "{}")
    stack_id = harness.create(VOLUME)
    old_id = _volume_id(harness, stack_id)
    assert harness.update(stack_id, cloud_zone_template.replace("      {}\n", "")), harness.events(stack_id)
    new_id = _volume_id(harness, stack_id)
    assert new_id != old_id
    cinder = cloud.connect(PROJECT).block_storage
    harness.wait_for(lambda: cinder.find_volume(old_id) is None, "the replaced volume to go")
    assert [v.id for v in cinder.volumes()] == [new_id]


def test_a_volume_made_from_a_snapshot_and_an_error_from_cinder(harness, cloud):
    cinder = cloud.connect(PROJECT).block_storage
    source = cinder.create_volume(size=2, name="source")
    harness.wait_for(lambda: cinder.get_volume(source.id).status == "available", "the source volume")
    snapshot = cinder.create_snapshot(volume_id=source.id)
    harness.wait_for(lambda: cinder.get_snapshot(snapshot.id).status == "available", "the snapshot")
    template = f"""
    heat_template_version: 2018-08-31
    resources:
      copy:
        type: OS::Cinder::Volume
        properties: {{snapshot_id: {snapshot.id}}}
      boot:
        type: OS::Cinder::Volume
        properties: {{size: 1, image: cirros, read_only: true}}
    outputs:
      size: {{value: {{get_attr: [copy, size]}}}}
      bootable: {{value: {{get_attr: [boot, bootable]}}}}
    """
    stack_id = harness.create(template)
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    assert harness.output(stack_id, "size") == 2 and harness.output(stack_id, "bootable") is True
    boot = cinder.get_volume(harness.resources(stack_id)["boot"].physical_id)
    assert boot.metadata.get("readonly") == "True"
    failing = VOLUME.replace("size: {get_param: size}", "size: 2000")
    stack_id = harness.create(failing, name="too-big")
    assert harness.state(stack_id) == "CREATE_FAILED"
    # the reason is Cinder's own text
    assert any("exceeds allowed gigabytes quota" in (reason or "") for _, _, reason in harness.events(stack_id))


def test_volume_types_need_an_admin(harness):
    template = """
    heat_template_version: 2018-08-31
    resources:
      gold:
        type: OS::Cinder::VolumeType
        properties: {name: gold, metadata: {volume_backend_name: lvmdriver-1}}
    """
    stack_id = harness.create(template)
    assert harness.state(stack_id) == "CREATE_FAILED"
    assert any("ForbiddenException: resources.gold: Policy doesn't allow volume_extension:types_manage"
               in (reason or "") for _, _, reason in harness.events(stack_id))


def test_custom_constraints_find_what_exists(cloud):
    connection = cloud.connect(PROJECT)
    volume = connection.block_storage.create_volume(size=1, name="found")
    cinder_plugins.CUSTOM_CONSTRAINTS["cinder.volume"](connection, volume.id)
    cinder_plugins.CUSTOM_CONSTRAINTS["cinder.volume"](connection, "found")
    cinder_plugins.CUSTOM_CONSTRAINTS["cinder.vtype"](connection, "lvmdriver-1")
    for name in ("cinder.volume", "cinder.vtype", "cinder.snapshot"):
        with pytest.raises(exceptions.ResourceNotFound):
            cinder_plugins.CUSTOM_CONSTRAINTS[name](connection, "missing")


# -- attachments (need Nova's servers and os-volume_attachments) ----------------------------------

ATTACHMENT = """
heat_template_version: 2018-08-31
parameters:
  server: {type: string}
  mountpoint: {type: string, default: /dev/vdb}
resources:
  volume:
    type: OS::Cinder::Volume
    properties: {size: 1}
  attachment:
    type: OS::Cinder::VolumeAttachment
    properties:
      instance_uuid: {get_param: server}
      volume_id: {get_resource: volume}
      mountpoint: {get_param: mountpoint}
"""


def _server(cloud, name):
    compute = cloud.connect(PROJECT).compute
    flavor = next(iter(compute.flavors()))
    images = list(cloud.connect(PROJECT).image.images())
    server = compute.create_server(name=name, flavor_id=flavor.id, image_id=images[0].id if images else None,
                                   networks="none")
    return compute.wait_for_server(server, wait=5, interval=0.05)


def test_a_volume_is_attached_through_nova_moved_and_detached(harness, cloud):
    pytest.importorskip("orchestrator.sandbox.compute")
    first, second = _server(cloud, "one"), _server(cloud, "two")
    stack_id = harness.create(ATTACHMENT, parameters={"server": first.id})
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    cinder = cloud.connect(PROJECT).block_storage
    volume_id = _volume_id(harness, stack_id)
    volume = cinder.get_volume(volume_id)
    assert volume.status == "in-use"
    assert [(a["server_id"], a["device"]) for a in volume.attachments] == [(first.id, "/dev/vdb")]
    assert harness.update(stack_id, ATTACHMENT, parameters={"server": second.id}), harness.events(stack_id)
    assert [a["server_id"] for a in cinder.get_volume(volume_id).attachments] == [second.id]
    assert harness.delete(stack_id), harness.events(stack_id)
    assert list(cinder.volumes()) == []


class AdminRuntime:
    """Just enough of the engine's runtime for a plugin acting as the sandbox's admin."""

    stack_name, stack_id, project_id = "types", "stack-id", "admin"

    def __init__(self, connection):
        self.connection = connection
        self.data = {}

    def physical_name(self):
        return "types-gold-abc"

    def set_physical_id(self, physical_id):
        self.physical_id = physical_id

    def set_data(self, key, value):
        self.data[key] = value

    def cloud(self):
        return self.connection


def test_an_admin_makes_changes_and_deletes_a_private_volume_type(cloud):
    admin = cloud.connect_as("admin", "admin")
    demo_project = cloud.connect("demo").current_project_id
    properties = {"name": "gold", "metadata": {"volume_backend_name": "lvmdriver-1"}, "is_public": False,
                  "description": "fast", "projects": [demo_project]}
    plugin = cinder_plugins.VolumeType("gold", properties, AdminRuntime(admin))
    plugin.create()
    assert cloud.connect("demo").block_storage.find_type("gold").id == plugin.physical_id
    changed = {"name": "platinum", "metadata": {"tier": "1"}, "projects": []}
    plugin.update({**properties, **changed}, changed)
    shown = plugin.show()
    assert (shown["name"], shown["extra_specs"]) == ("platinum", {"tier": "1"})
    assert cloud.connect("demo").block_storage.find_type("platinum") is None, "access was taken away"
    plugin.delete()
    plugin.delete()  # already gone: fine
    assert plugin.show() is None


def test_a_volume_deleted_while_creating_goes_once_it_has_settled(cloud):
    plugin = cinder_plugins.Volume("disk", {"size": 1, "metadata": {}}, AdminRuntime(cloud.connect(PROJECT)))
    plugin.create()
    plugin.delete()  # Cinder refuses to delete a volume still creating: the plugin asks again later
    Harness.wait_for(plugin.check_delete_complete, "the volume to go", timeout=5)
    assert list(cloud.connect(PROJECT).block_storage.volumes()) == []
