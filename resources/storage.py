"""Block storage resources: OS::Cinder::Volume, OS::Cinder::VolumeAttachment, OS::Cinder::VolumeType.

A volume is made through Cinder and waited for until ``available``; it
changes in place where Cinder can (name, description, metadata, read-only
flag, growth through ``os-extend``, a retype) and is replaced otherwise.  An
attachment is made through Nova (``os-volume_attachments``) and waited for
until Cinder shows the volume ``in-use``; deleting it detaches and waits until
the volume is ``available`` again.  Volume types are an admin's business, as
in Cinder.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Mapping

from orchestrator.template.constraints import CustomConstraint
from resources.base import Resource
from resources.cloud import GONE, lookup
from resources.errors import ResourceFailure, ResourceInError, UpdateReplace
from resources.schema import Attribute, Boolean, Integer, List, Map, PropertyProblem, Range, String

#: volume statuses that settle by themselves (a request in between would be refused)
TRANSIENT = ("creating", "downloading", "extending", "retyping", "attaching", "detaching", "reserved",
             "maintenance", "uploading", "backing-up", "restoring-backup")
#: volume statuses a finished operation leaves
SETTLED = ("available", "in-use")


def _in_error(status: str) -> ResourceInError:
    return ResourceInError(f"Went to status {status} due to \"Unknown\"")


# -- custom constraints ----------------------------------------------------------------------

#: the constraint names this module checks against the cloud
CUSTOM_CONSTRAINTS: dict[str, Callable[[Any, str], None]] = {
    "cinder.volume": lookup("block_storage", "volume"), "cinder.vtype": lookup("block_storage", "type"),
    "cinder.snapshot": lookup("block_storage", "snapshot"),
}


# -- OS::Cinder::Volume ----------------------------------------------------------------------

class Volume(Resource):
    """A Cinder volume."""

    type_name = "OS::Cinder::Volume"
    description = "A block storage volume: empty, or made from an image, a snapshot, a backup or another volume."
    properties_schema = {
        "size": Integer("The size of the volume in GB. On update only increase in size is supported.",
                        constraints=(Range(min=1),), update_allowed=True),
        "snapshot_id": String("If specified, the snapshot to create the volume from.",
                              constraints=(CustomConstraint("cinder.snapshot"),)),
        "backup_id": String("If specified, the backup to create the volume from.", update_allowed=True,
                            constraints=(CustomConstraint("cinder.backup"),)),
        "source_volid": String("If specified, the volume to use as source.",
                               constraints=(CustomConstraint("cinder.volume"),)),
        "name": String("A name used to distinguish the volume.", update_allowed=True),
        "description": String("A description of the volume.", update_allowed=True),
        "volume_type": String("If specified, the type of volume to use, mapping to a specific backend.",
                              constraints=(CustomConstraint("cinder.vtype"),), update_allowed=True),
        "metadata": Map("Key/value pairs to associate with the volume.", default={}, update_allowed=True),
        "image": String("If specified, the name or ID of the image to create the volume from.",
                        constraints=(CustomConstraint("glance.image"),), deprecated_names=("imageRef",)),
        "availability_zone": String("The availability zone in which the volume will be created."),
        "scheduler_hints": Map("Arbitrary key-value pairs specified by the client to help the Cinder "
                               "scheduler creating a volume."),
        "read_only": Boolean("Enables or disables read-only access mode of volume.", update_allowed=True),
        "multiattach": Boolean("Whether allow the volume to be attached more than once."),
    }
    attributes_schema = {
        "availability_zone": Attribute("The availability zone in which the volume is located.", "string"),
        "size": Attribute("The size of the volume in GB.", "string"),
        "snapshot_id": Attribute("The snapshot the volume was created from, if any.", "string"),
        "display_name": Attribute("Name of the volume.", "string"),
        "display_description": Attribute("Description of the volume.", "string"),
        "volume_type": Attribute("The type of the volume mapping to a backend, if any.", "string"),
        "metadata": Attribute("Key/value pairs associated with the volume.", "string"),
        "metadata_values": Attribute("Key/value pairs associated with the volume in raw dict form.", "map"),
        "source_volid": Attribute("The volume used as source, if any.", "string"),
        "status": Attribute("The current status of the volume.", "string"),
        "created_at": Attribute("The timestamp indicating volume creation.", "string"),
        "bootable": Attribute("Boolean indicating if the volume can be booted or not.", "boolean"),
        "encrypted": Attribute("Boolean indicating if the volume is encrypted or not.", "boolean"),
        "attachments": Attribute("A string representation of the list of attachments of the volume.", "string"),
        "attachments_list": Attribute("The list of attachments of the volume.", "list"),
        "multiattach": Attribute("Boolean indicating whether allow the volume to be attached more than once.",
                                 "boolean"),
        "show": Attribute("Detailed information about the volume.", "map"),
    }

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """A volume needs a size unless it copies a snapshot, a backup or another volume."""
        sources = ("snapshot_id", "source_volid", "backup_id")
        if properties.get("size") is None and "size" not in unknown and not any(
                properties.get(name) is not None or name in unknown for name in sources):
            return [PropertyProblem(("size",), 'Property "size" is required when creating an empty volume '
                                               'or a volume from an image.')]
        return []

    @property
    def _cinder(self) -> Any:
        return self.runtime.cloud().block_storage

    def _volume(self) -> Any:
        return self._cinder.get_volume(self.physical_id)

    # -- create ---------------------------------------------------------------------------

    def create(self) -> None:
        """Ask Cinder for the volume; its id is recorded at once."""
        props = self.properties
        if props.get("backup_id"):
            raise ResourceFailure("Restoring a volume from a backup (backup_id) is not supported by this cloud.")
        attrs: dict[str, Any] = {
            "size": props.get("size"), "name": props.get("name") or self.runtime.physical_name(),
            "description": props.get("description"), "metadata": dict(props.get("metadata") or {}),
            "availability_zone": props.get("availability_zone"), "volume_type": props.get("volume_type"),
            "snapshot_id": props.get("snapshot_id"), "source_volid": props.get("source_volid"),
            "imageRef": props.get("image"), "multiattach": props.get("multiattach"),
            "OS-SCH-HNT:scheduler_hints": props.get("scheduler_hints"),
        }
        volume = self._cinder.create_volume(**{key: value for key, value in attrs.items() if value is not None})
        self.set_physical_id(volume.id)

    def check_create_complete(self) -> bool:
        """Done once ``available`` (with the read-only flag set when asked for)."""
        volume = self._volume()
        if volume.status in TRANSIENT:
            return False
        if volume.status != "available":
            raise _in_error(volume.status)
        if self.properties.get("read_only") is not None and not self.data.get("read_only_set"):
            self._cinder.set_volume_readonly(volume, bool(self.properties["read_only"]))
            self.set_data("read_only_set", True)
        return True

    # -- update ---------------------------------------------------------------------------

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        """Change what Cinder changes in place: name, description, metadata, read-only, growth, type."""
        if "backup_id" in changed:
            raise UpdateReplace("a volume restored from another backup is a new volume")
        volume = self._volume()
        new_size = changed.get("size")
        if new_size is not None and new_size < volume.size:
            raise ResourceFailure("Shrinking volume is not supported.")
        fields = {key: changed[key] for key in ("name", "description") if key in changed}
        if "name" in fields and fields["name"] is None:
            fields["name"] = self.runtime.physical_name()
        if "metadata" in changed:
            fields["metadata"] = dict(changed["metadata"] or {})
        if fields:
            self._cinder.update_volume(volume, **fields)
        if "read_only" in changed and changed["read_only"] is not None:
            self._cinder.set_volume_readonly(volume, bool(changed["read_only"]))
        target: dict[str, Any] = {}
        if new_size is not None and new_size > volume.size:
            self._cinder.extend_volume(volume, new_size)
            target["size"] = new_size
        if "volume_type" in changed and changed["volume_type"] and changed["volume_type"] not in (
                volume.volume_type, volume.volume_type_id):
            if "size" in target:
                # Cinder refuses a retype while the volume is extending: do it once that has settled.
                target["retype"] = changed["volume_type"]
            else:
                self._cinder.retype_volume(volume, changed["volume_type"], migration_policy="on-demand")
                target["volume_type"] = changed["volume_type"]
        self.properties = dict(properties)
        self.set_data("update_target", target or None)

    def check_update_complete(self) -> bool:
        """Done once the volume has settled at its new size and type."""
        target = self.data.get("update_target")
        if not target:
            return True
        volume = self._volume()
        if volume.status in TRANSIENT:
            return False
        if volume.status not in SETTLED:
            raise _in_error(volume.status)
        if "size" in target and volume.size < target["size"]:
            return False
        if "retype" in target:
            self._cinder.retype_volume(volume, target["retype"], migration_policy="on-demand")
            self.set_data("update_target", {"volume_type": target["retype"]})
            return False
        if "volume_type" in target and target["volume_type"] not in (volume.volume_type, volume.volume_type_id):
            return False
        self.set_data("update_target", None)
        return True

    # -- delete ---------------------------------------------------------------------------

    def delete(self) -> None:
        """Ask Cinder to delete the volume; one still settling is deleted once it has settled."""
        if self.physical_id is None:
            return
        try:
            volume = self._volume()
        except GONE:
            return
        if volume.status in TRANSIENT or volume.status == "deleting":
            return
        if volume.status == "in-use":
            raise ResourceFailure("Volume in use")
        try:
            self._cinder.delete_volume(volume, ignore_missing=True)
        except GONE:
            pass

    def check_delete_complete(self) -> bool:
        """Done once Cinder no longer has the volume."""
        if self.physical_id is None:
            return True
        try:
            volume = self._volume()
        except GONE:
            return True
        if volume.status == "error_deleting":
            raise ResourceFailure("Volume deletion failed: went to status error_deleting")
        if volume.status not in TRANSIENT and volume.status != "deleting":
            self.delete()  # it was settling when delete() came: ask now
        return False

    # -- attributes -----------------------------------------------------------------------

    def show(self) -> Any:
        """The volume as Cinder shows it."""
        if self.physical_id is None:
            return None
        response = self._cinder.get(f"/volumes/{self.physical_id}", raise_exc=False)
        return response.json().get("volume") if response.status_code == 200 else None

    def resolve_attribute(self, name: str) -> Any:
        if name == "show":
            return self.show()
        if self.physical_id is None:
            return None
        try:
            volume = self._volume()
        except GONE:
            return None
        return ATTRIBUTE_READERS[name](volume) if name in ATTRIBUTE_READERS else None


#: how each attribute reads from an openstacksdk volume
ATTRIBUTE_READERS: dict[str, Callable[[Any], Any]] = {
    "availability_zone": lambda v: v.availability_zone,
    "size": lambda v: v.size,
    "snapshot_id": lambda v: v.snapshot_id,
    "display_name": lambda v: v.name,
    "display_description": lambda v: v.description,
    "volume_type": lambda v: v.volume_type,
    "metadata": lambda v: json.dumps(v.metadata or {}),
    "metadata_values": lambda v: dict(v.metadata or {}),
    "source_volid": lambda v: v.source_volume_id,
    "status": lambda v: v.status,
    "created_at": lambda v: v.created_at,
    "bootable": lambda v: bool(v.is_bootable),
    "encrypted": lambda v: bool(v.is_encrypted),
    "attachments": lambda v: json.dumps(v.attachments or []),
    "attachments_list": lambda v: list(v.attachments or []),
    "multiattach": lambda v: bool(v.is_multiattach),
}


# -- OS::Cinder::VolumeAttachment ------------------------------------------------------------

class VolumeAttachment(Resource):
    """A volume attached to a server, through Nova."""

    type_name = "OS::Cinder::VolumeAttachment"
    description = "Attaches a volume to a server."
    properties_schema = {
        "instance_uuid": String("The ID of the server to which the volume attaches.", required=True,
                                update_allowed=True),
        "volume_id": String("The ID of the volume to be attached.", required=True, update_allowed=True,
                            constraints=(CustomConstraint("cinder.volume"),)),
        "mountpoint": String("The location where the volume is exposed on the instance. This assignment may "
                             "not be honored and it is advised that the path /dev/disk/by-id/virtio-<VolumeId> "
                             "be used instead.", update_allowed=True),
    }

    def _attach(self, server_id: str, volume_id: str, device: str | None) -> None:
        attrs = {"device": device} if device else {}
        self.runtime.cloud().compute.create_volume_attachment(server_id, volume_id, **attrs)
        self.set_data("attached", {"server": server_id, "volume": volume_id})
        self.set_physical_id(volume_id)

    def _detach(self, server_id: str, volume_id: str) -> None:
        try:
            self.runtime.cloud().compute.delete_volume_attachment(server_id, volume_id, ignore_missing=True)
        except GONE:
            pass

    def _volume_status(self, volume_id: str, server_id: str) -> tuple[str | None, bool]:
        """The volume's status and whether ``server_id`` holds it (``None`` status: the volume is gone)."""
        try:
            volume = self.runtime.cloud().block_storage.get_volume(volume_id)
        except GONE:
            return None, False
        held = any(a.get("server_id") == server_id for a in volume.attachments or [])
        return volume.status, held

    def _attached(self, volume_id: str, server_id: str) -> bool:
        status, held = self._volume_status(volume_id, server_id)
        if status is None:
            raise ResourceFailure(f"Volume {volume_id} could not be found.")
        if status.startswith("error"):
            raise _in_error(status)
        return status == "in-use" and held

    def _detached(self, volume_id: str, server_id: str) -> bool:
        status, held = self._volume_status(volume_id, server_id)
        if status is None or not held:
            return True
        if status == "error_detaching":
            raise ResourceFailure(f"Volume detachment failed: went to status {status}")
        return False

    def create(self) -> None:
        """Ask Nova to attach the volume."""
        self._attach(self.properties["instance_uuid"], self.properties["volume_id"],
                     self.properties.get("mountpoint"))

    def check_create_complete(self) -> bool:
        """Done once Cinder shows the volume ``in-use`` by the server."""
        return self._attached(self.properties["volume_id"], self.properties["instance_uuid"])

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        """Detach from the old server or volume; the new attachment follows once that is done."""
        old = self.data.get("attached") or {"server": self.properties["instance_uuid"],
                                            "volume": self.properties["volume_id"]}
        self._detach(old["server"], old["volume"])
        self.properties = dict(properties)
        self.set_data("update_phase", {"phase": "detaching", **old})

    def check_update_complete(self) -> bool:
        """Detached from the old, then attached to the new (as Heat does it)."""
        phase = self.data.get("update_phase")
        if not phase:
            return True
        if phase["phase"] == "detaching":
            if not self._detached(phase["volume"], phase["server"]):
                return False
            self._attach(self.properties["instance_uuid"], self.properties["volume_id"],
                         self.properties.get("mountpoint"))
            self.set_data("update_phase", {"phase": "attaching"})
            return False
        if not self._attached(self.properties["volume_id"], self.properties["instance_uuid"]):
            return False
        self.set_data("update_phase", None)
        return True

    def delete(self) -> None:
        """Ask Nova to detach the volume (a server or volume already gone is fine)."""
        attached = self.data.get("attached")
        if attached is None or self.physical_id is None:
            return
        status, held = self._volume_status(attached["volume"], attached["server"])
        if status is not None and held and status not in ("detaching",):
            self._detach(attached["server"], attached["volume"])

    def check_delete_complete(self) -> bool:
        """Done once the volume is no longer attached to the server."""
        attached = self.data.get("attached")
        if attached is None or self.physical_id is None:
            return True
        return self._detached(attached["volume"], attached["server"])


# -- OS::Cinder::VolumeType ------------------------------------------------------------------

class VolumeType(Resource):
    """A volume type (admin only, as in Cinder)."""

    type_name = "OS::Cinder::VolumeType"
    description = "A volume type: a name for a set of back-end capabilities, chosen when volumes are made."
    properties_schema = {
        "name": String("Name of the volume type.", required=True, update_allowed=True),
        "metadata": Map("The extra specs key and value pairs of the volume type.", update_allowed=True),
        "is_public": Boolean("Whether the volume type is accessible to the public.", default=True,
                             update_allowed=True),
        "description": String("Description of the volume type.", update_allowed=True),
        "projects": List("Projects to add volume type access to. NOTE: This property is only supported since "
                         "Cinder API V2.", default=[], update_allowed=True),
    }

    @property
    def _cinder(self) -> Any:
        return self.runtime.cloud().block_storage

    def create(self) -> None:
        """Make the type with its extra specs."""
        props = self.properties
        attrs: dict[str, Any] = {"name": props["name"], "is_public": props.get("is_public", True)}
        if props.get("description") is not None:
            attrs["description"] = props["description"]
        if props.get("metadata"):
            attrs["extra_specs"] = {str(k): str(v) for k, v in props["metadata"].items()}
        volume_type = self._cinder.create_type(**attrs)
        self.set_physical_id(volume_type.id)
        for project in props.get("projects") or []:
            self._cinder.add_type_access(volume_type, project)

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        """Rename, redescribe, publish or hide the type; replace its extra specs."""
        fields = {key: changed[key] for key in ("name", "description", "is_public") if key in changed}
        if fields:
            self._cinder.update_type(self.physical_id, **fields)
        if "metadata" in changed:
            volume_type = self._cinder.get_type(self.physical_id)
            new = {str(k): str(v) for k, v in (changed["metadata"] or {}).items()}
            for key in set(volume_type.extra_specs or {}) - set(new):
                self._cinder.delete_type_extra_specs(volume_type, [key])
            if new:
                self._cinder.update_type_extra_specs(volume_type, **new)
        if "projects" in changed:
            old, new_projects = set(self.properties.get("projects") or []), set(changed["projects"] or [])
            for project in new_projects - old:
                self._cinder.add_type_access(self.physical_id, project)
            for project in old - new_projects:
                self._cinder.remove_type_access(self.physical_id, project)
        self.properties = dict(properties)

    def delete(self) -> None:
        """Delete the type (one already gone is fine)."""
        if self.physical_id is not None:
            self._cinder.delete_type(self.physical_id, ignore_missing=True)

    def show(self) -> Any:
        if self.physical_id is None:
            return None
        response = self._cinder.get(f"/types/{self.physical_id}", raise_exc=False)
        return response.json().get("volume_type") if response.status_code == 200 else None
