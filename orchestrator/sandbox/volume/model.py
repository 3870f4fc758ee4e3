"""Cinder's rules, apart from HTTP: volume types, quotas, volumes, snapshots and attachments.

The views call these with the caller's project; Nova calls ``attach_volume``,
``detach_volume``, ``create_volume`` and ``delete_volume`` from inside its own
requests (attaching a volume, booting from one), so they take the project
explicitly and raise the sandbox errors with Cinder's messages, which Nova
passes on.
"""

from __future__ import annotations

from typing import Any

from ..service import BadRequest, NotFound, OverQuota, settings, store
from ..store import GONE
from .common import DEFAULT_QUOTAS, ZONES, not_found, timestamp

VOLUME, SNAPSHOT, TYPE, QUOTA = "volume", "volume_snapshot", "volume_type", "volume_quota"
#: Cinder's attachment records (only their ids are used: Nova's attachments are Nova's kind)
ATTACHMENT = "cinder_attachment"

#: the volume type of volumes made without one (Zed's)
DEFAULT_TYPE = "__DEFAULT__"
#: the volume types a fresh sandbox has: Zed's default and devstack's LVM back end
SEEDED_TYPES = (
    {"name": DEFAULT_TYPE, "description": "Default Volume Type", "extra_specs": {}},
    {"name": "lvmdriver-1", "description": None, "extra_specs": {"volume_backend_name": "lvmdriver-1"}},
)

#: the statuses a volume may be deleted in
DELETABLE = ("available", "error", "error_restoring", "error_extending", "error_managing")
CANNOT_DELETE = ("Invalid volume: Volume status must be available or error or error_restoring or error_extending "
                 "or error_managing and must not be migrating, attached, belong to a group, have snapshots, "
                 "awaiting a transfer, or be disassociated from snapshots after volume transfer.")
#: the first device Nova gives an attached volume (the root disk is vda)
DEVICE_LETTERS = "bcdefghijklmnopqrstuvwxyz"


def seed(_settings: Any) -> None:
    """The volume types every sandbox starts with (public, owned by no project)."""
    objects = store()
    with objects.transaction():
        if objects.list(TYPE):
            return
        for entry in SEEDED_TYPES:
            add_type(entry["name"], entry["description"], entry["extra_specs"])


# -- volume types ----------------------------------------------------------------------------

def add_type(name: str, description: str | None = None, extra_specs: dict[str, str] | None = None,
             is_public: bool = True) -> dict[str, Any]:
    """A new volume type."""
    return store().add(TYPE, {"name": name, "description": description, "is_public": is_public,
                              "extra_specs": dict(extra_specs or {}), "qos_specs_id": None})


def find_type(name_or_id: str) -> dict[str, Any]:
    """The volume type with this id or name; Cinder's 404 when there is none."""
    found = store().get(TYPE, name_or_id)
    if found is not None:
        return found
    named = store().list(TYPE, where=lambda t: t["name"] == name_or_id)
    if named:
        return named[0]
    raise NotFound(f"Volume type with name {name_or_id} could not be found.")


def default_type() -> dict[str, Any]:
    """The type volumes get when they name none."""
    return find_type(DEFAULT_TYPE)


def type_allows_multiattach(volume_type: dict[str, Any]) -> bool:
    """Whether the type's extra specs make its volumes multi-attachable (``<is> True``)."""
    return str(volume_type["extra_specs"].get("multiattach", "")).lower() in ("<is> true", "true")


# -- quotas ----------------------------------------------------------------------------------

def quotas(project_id: str) -> dict[str, int]:
    """The project's quota limits (its own where an admin set them, else the defaults)."""
    stored = store().get(QUOTA, project_id)
    limits = dict(DEFAULT_QUOTAS)
    if stored is not None:
        limits.update(stored["limits"])
    return limits


def set_quotas(project_id: str, changes: dict[str, int]) -> dict[str, int]:
    """Change the project's quota limits; the limits after."""
    objects = store()
    with objects.transaction():
        stored = objects.get(QUOTA, project_id)
        limits = dict(stored["limits"]) if stored else {}
        limits.update(changes)
        if stored is None:
            objects.add(QUOTA, {"id": project_id, "limits": limits}, project_id)
        else:
            objects.change(QUOTA, project_id, {"limits": limits})
    return quotas(project_id)


def usage(project_id: str) -> dict[str, int]:
    """What the project uses: volumes, snapshots, and gigabytes of both (Cinder counts snapshots' too)."""
    volumes = store().list(VOLUME, project_id)
    snapshots = store().list(SNAPSHOT, project_id)
    gigabytes = sum(_claimed_size(v) for v in volumes) + sum(s["size"] for s in snapshots)
    return {"volumes": len(volumes), "snapshots": len(snapshots), "gigabytes": gigabytes}


def _claimed_size(volume: dict[str, Any]) -> int:
    # An extend in progress already holds its new size against the quota.
    return int(volume.get("_target_size") or volume["size"])


def check_quota(project_id: str, volumes: int = 0, snapshots: int = 0, gigabytes: int = 0) -> None:
    """Raise Cinder's 413 if adding these would pass one of the project's limits."""
    limits, used = quotas(project_id), usage(project_id)
    per_volume = limits.get("per_volume_gigabytes", -1)
    if gigabytes and 0 <= per_volume < gigabytes and (volumes or snapshots):
        raise OverQuota(f"Volume size {gigabytes}G exceeded allowed per volume size of {per_volume}G.",
                        status=413, kind="overLimit")
    if gigabytes and 0 <= limits["gigabytes"] < used["gigabytes"] + gigabytes:
        raise OverQuota(f"VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed "
                        f"gigabytes quota. Requested {gigabytes}G, quota is {limits['gigabytes']}G and "
                        f"{used['gigabytes']}G has been consumed.", status=413, kind="overLimit")
    if volumes and 0 <= limits["volumes"] < used["volumes"] + volumes:
        raise OverQuota(f"VolumeLimitExceeded: Maximum number of volumes allowed ({limits['volumes']}) "
                        f"exceeded for quota 'volumes'.", status=413, kind="overLimit")
    if snapshots and 0 <= limits["snapshots"] < used["snapshots"] + snapshots:
        raise OverQuota(f"SnapshotLimitExceeded: Maximum number of snapshots allowed ({limits['snapshots']}) "
                        f"exceeded for quota 'snapshots'.", status=413, kind="overLimit")


# -- volumes ---------------------------------------------------------------------------------

def get_volume(project_id: str | None, volume_id: str) -> dict[str, Any]:
    """The volume (in ``project_id`` unless ``None``); Cinder's 404 otherwise."""
    found = store().get(VOLUME, volume_id, project_id)
    if found is None:
        raise not_found("Volume", volume_id)
    return found


def get_snapshot(project_id: str | None, snapshot_id: str) -> dict[str, Any]:
    """The snapshot (in ``project_id`` unless ``None``); Cinder's 404 otherwise."""
    found = store().get(SNAPSHOT, snapshot_id, project_id)
    if found is None:
        raise not_found("Snapshot", snapshot_id)
    return found


def _find_image(project_id: str, image_ref: str) -> dict[str, Any]:
    """The Glance image a volume is made from, by id or name, as ``project_id`` may see it."""
    def visible(image: dict[str, Any]) -> bool:
        return image.get("visibility") in ("public", "community", "shared") or image.get("owner") == project_id

    objects = store()
    found = objects.get("image", image_ref)
    if found is None or not visible(found):
        found = next(iter(objects.list("image", where=lambda i: i.get("name") == image_ref and visible(i))), None)
    if found is None:
        raise BadRequest("Invalid image identifier or unable to access requested image.")
    if found.get("status", "active") != "active":
        raise BadRequest(f"Invalid input received: Image {found['id']} is not active.")
    return found


def _size(value: Any) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"Invalid input for field/attribute size. Value: {value}. "
                         f"{value!r} is not of type 'integer', 'string'") from None
    if size < 1:
        raise BadRequest(f"Invalid input for field/attribute size. Value: {value}. "
                         f"{value} is less than the minimum of 1")
    return size


def create_volume(project_id: str, size: Any = None, image_id: str | None = None, name: str | None = "", *,
                  description: str | None = None, metadata: dict[str, str] | None = None,
                  volume_type: str | None = None, snapshot_id: str | None = None,
                  source_volid: str | None = None, availability_zone: str | None = None,
                  multiattach: bool = False, user_id: str | None = None) -> dict[str, Any]:
    """A new volume in ``project_id``, ``creating`` until the build time has passed, then ``available``.

    ``size`` may be left out when the volume copies a snapshot or another
    volume (it then takes their size).  Raises Cinder's errors: an unknown
    type, snapshot, source volume or image, a bad size or zone, a quota passed.
    """
    objects = store()
    with objects.transaction():
        snapshot = get_snapshot(project_id, snapshot_id) if snapshot_id else None
        source = get_volume(project_id, source_volid) if source_volid else None
        if snapshot is not None and snapshot["status"] != "available":
            raise BadRequest("Invalid snapshot: Originating snapshot status must be 'available' to create "
                             "a volume.")
        if source is not None and source["status"] not in ("available", "in-use"):
            raise BadRequest("Invalid volume: Unable to create a volume from an originating source volume "
                             "when its status is not 'available' or 'in-use'.")
        origin = snapshot or source
        if size is None and origin is not None:
            size = origin["size"]
        size = _size(size)
        if origin is not None and size < origin["size"]:
            what = "snapshot" if snapshot is not None else "source volume"
            raise BadRequest(f"Invalid input received: Volume size '{size}'GB cannot be smaller than the "
                             f"{what} size {origin['size']}GB. They must be >= original {what} size.")
        image = _find_image(project_id, image_id) if image_id else None
        if image is not None:
            min_disk = int(image.get("min_disk") or 0)
            if min_disk > size:
                raise BadRequest(f"Invalid input received: Image minDisk size {min_disk} is larger than the "
                                 f"volume size {size}.")
        zone = availability_zone or "nova"
        if zone not in ZONES:
            raise BadRequest(f"Invalid input received: Availability zone '{zone}' is invalid.")
        if volume_type:
            chosen = find_type(volume_type)
        elif source is not None:
            chosen = find_type(source["volume_type_id"])
        else:
            chosen = default_type()
        check_quota(project_id, volumes=1, gigabytes=size)
        now = timestamp()
        volume = {
            "status": "creating", "size": size, "availability_zone": zone, "created_at": now,
            "updated_at": None, "name": name or "", "description": description, "volume_type": chosen["name"],
            "volume_type_id": chosen["id"], "snapshot_id": snapshot_id, "source_volid": source_volid,
            "metadata": {str(k): str(v) for k, v in (metadata or {}).items()}, "attachments": [],
            "user_id": user_id, "bootable": "true" if image or (origin or {}).get("bootable") == "true" else "false",
            "encrypted": False, "replication_status": None, "consistencygroup_id": None,
            "multiattach": bool(multiattach) or type_allows_multiattach(chosen), "migration_status": None,
            "os-vol-tenant-attr:tenant_id": project_id, "group_id": None, "provider_id": None,
            "service_uuid": None, "shared_targets": None, "cluster_name": None, "consumes_quota": True,
            "backup_id": None, "encryption_key_id": None,
        }
        if image is not None:
            volume["volume_image_metadata"] = {
                "image_id": image["id"], "image_name": image.get("name"),
                "container_format": image.get("container_format"), "disk_format": image.get("disk_format"),
                "min_disk": str(image.get("min_disk") or 0), "min_ram": str(image.get("min_ram") or 0),
                "size": str(image.get("size") or 0), "checksum": image.get("checksum")}
        made = objects.add(VOLUME, volume, project_id)
        objects.schedule(VOLUME, made["id"], settings().build_seconds, {"status": "available"})
        return objects.get(VOLUME, made["id"]) or made


def delete_volume(project_id: str | None, volume_id: str) -> None:
    """Start deleting a volume (``deleting``, gone after the delete time); Cinder's 400 if it is in use."""
    objects = store()
    with objects.transaction():
        volume = get_volume(project_id, volume_id)
        if volume["status"] == "deleting":
            return
        if volume["status"] not in DELETABLE or volume["attachments"] or objects.count(
                SNAPSHOT, where=lambda s: s["volume_id"] == volume_id):
            raise BadRequest(CANNOT_DELETE)
        objects.change(VOLUME, volume_id, {"status": "deleting", "updated_at": timestamp()})
        objects.schedule(VOLUME, volume_id, settings().delete_seconds, {GONE: True}, replace=True)


def extend_volume(project_id: str | None, volume_id: str, new_size: Any, attached_allowed: bool) -> None:
    """Grow a volume: ``extending`` for the build time, then ``available`` (or ``in-use``) at its new size."""
    objects = store()
    with objects.transaction():
        volume = get_volume(project_id, volume_id)
        allowed = ("available", "in-use") if attached_allowed else ("available",)
        if volume["status"] not in allowed:
            wanted = " or ".join(f"'{s}'" for s in allowed)
            raise BadRequest(f"Invalid volume: Volume {volume_id} status must be {wanted} to extend, "
                             f"currently {volume['status']}.")
        size = _size(new_size)
        if size <= volume["size"]:
            raise BadRequest(f"Invalid input received: New size for extend must be greater than current size. "
                             f"(current: {volume['size']}, extended: {size}).")
        check_quota(volume["os-vol-tenant-attr:tenant_id"], gigabytes=size - volume["size"])
        objects.change(VOLUME, volume_id, {"status": "extending", "_target_size": size, "updated_at": timestamp()})
        objects.schedule(VOLUME, volume_id, settings().build_seconds,
                         {"status": volume["status"], "size": size, "_target_size": None})


def retype_volume(project_id: str | None, volume_id: str, new_type: str) -> None:
    """Give a volume another type (``retyping`` for the build time)."""
    objects = store()
    with objects.transaction():
        volume = get_volume(project_id, volume_id)
        if volume["status"] not in ("available", "in-use"):
            raise BadRequest(f"Invalid volume: Volume {volume_id} status must be available or in-use, but "
                             f"current status is: {volume['status']}.")
        chosen = find_type(new_type)
        if chosen["id"] == volume["volume_type_id"]:
            raise BadRequest("Invalid input received: Retype requested both volume type and QoS specs to stay "
                             "the same.")
        objects.change(VOLUME, volume_id, {"status": "retyping", "updated_at": timestamp()})
        objects.schedule(VOLUME, volume_id, settings().build_seconds,
                         {"status": volume["status"], "volume_type": chosen["name"],
                          "volume_type_id": chosen["id"]})


# -- attachments (Nova's side of a volume) ---------------------------------------------------------

def attach_volume(project_id: str, volume_id: str, server_id: str, device: str | None = None) -> dict[str, Any]:
    """Attach a volume of ``project_id`` to a server; the attachment as the volume shows it.

    The volume must be ``available`` (or multi-attachable and ``in-use``);
    it becomes ``in-use``.  ``device`` defaults to the next free ``/dev/vdX``
    on that server.
    """
    objects = store()
    with objects.transaction():
        volume = get_volume(project_id, volume_id)
        allowed = ("available", "in-use") if volume.get("multiattach") else ("available",)
        already = any(a["server_id"] == server_id for a in volume["attachments"])
        if volume["status"] not in allowed or already:
            raise BadRequest(f"Invalid volume: Volume {volume_id} status must be {' or '.join(allowed)} to "
                             f"reserve, but the current status is {volume['status']}.")
        taken = {a["device"] for v in objects.list(VOLUME) for a in v["attachments"] if a["server_id"] == server_id}
        if device is None:
            device = next((f"/dev/vd{letter}" for letter in DEVICE_LETTERS if f"/dev/vd{letter}" not in taken),
                          None)
            if device is None:
                raise BadRequest("No free disk device names for prefix 'vd'")
        elif device in taken:
            raise BadRequest(f"The supplied device path ({device}) is in use.")
        attachment = {"id": volume_id, "attachment_id": objects.add(ATTACHMENT, {
            "volume_id": volume_id, "server_id": server_id}, project_id)["id"], "volume_id": volume_id,
            "server_id": server_id, "host_name": None, "device": device, "attached_at": timestamp()}
        objects.change(VOLUME, volume_id, {"status": "in-use", "attachments": volume["attachments"] + [attachment],
                                           "updated_at": timestamp()})
        return attachment


def detach_volume(volume_id: str, server_id: str) -> None:
    """Detach a volume from a server; ``available`` again once no server holds it.

    Cinder's 400 when the volume is not attached to that server.
    """
    objects = store()
    with objects.transaction():
        volume = get_volume(None, volume_id)
        kept = [a for a in volume["attachments"] if a["server_id"] != server_id]
        if len(kept) == len(volume["attachments"]):
            raise BadRequest(f"Invalid volume: Volume {volume_id} is not attached to server {server_id}.")
        for gone in volume["attachments"]:
            if gone["server_id"] == server_id:
                objects.remove(ATTACHMENT, gone["attachment_id"])
        objects.change(VOLUME, volume_id, {"status": "in-use" if kept else "available", "attachments": kept,
                                           "updated_at": timestamp()})


def attachments_of(server_id: str) -> list[dict[str, Any]]:
    """Every volume attachment of a server (Nova lists them and detaches them when the server goes)."""
    return [a for v in store().list(VOLUME) for a in v["attachments"] if a["server_id"] == server_id]


# -- snapshots -------------------------------------------------------------------------------

def create_snapshot(project_id: str, volume_id: str, name: str | None = None, description: str | None = None,
                    metadata: dict[str, str] | None = None, force: bool = False,
                    user_id: str | None = None) -> dict[str, Any]:
    """A snapshot of a volume: ``creating`` for the build time, then ``available``."""
    objects = store()
    with objects.transaction():
        volume = get_volume(project_id, volume_id)
        allowed = ("available", "in-use") if force else ("available",)
        if volume["status"] not in allowed:
            raise BadRequest(f"Invalid volume: Volume {volume_id} status must be available, but current status "
                             f"is: {volume['status']}.")
        check_quota(project_id, snapshots=1, gigabytes=volume["size"])
        made = objects.add(SNAPSHOT, {
            "status": "creating", "size": volume["size"], "volume_id": volume_id, "name": name,
            "description": description, "metadata": {str(k): str(v) for k, v in (metadata or {}).items()},
            "created_at": timestamp(), "updated_at": None, "user_id": user_id, "group_snapshot_id": None,
            "consumes_quota": True, "os-extended-snapshot-attributes:project_id": project_id,
            "os-extended-snapshot-attributes:progress": "0%"}, project_id)
        objects.schedule(SNAPSHOT, made["id"], settings().build_seconds,
                         {"status": "available", "os-extended-snapshot-attributes:progress": "100%"})
        return objects.get(SNAPSHOT, made["id"]) or made


def delete_snapshot(project_id: str | None, snapshot_id: str) -> None:
    """Start deleting a snapshot (``deleting``, then gone)."""
    objects = store()
    with objects.transaction():
        snapshot = get_snapshot(project_id, snapshot_id)
        if snapshot["status"] == "deleting":
            return
        if snapshot["status"] not in ("available", "error"):
            raise BadRequest("Invalid snapshot: Volume Snapshot status must be available or error and must not "
                             "be part of a group.")
        objects.change(SNAPSHOT, snapshot_id, {"status": "deleting", "updated_at": timestamp()})
        objects.schedule(SNAPSHOT, snapshot_id, settings().delete_seconds, {GONE: True}, replace=True)
