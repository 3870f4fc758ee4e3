"""Cinder's volumes: create, list (with filters), show, update, delete, actions and metadata."""

from __future__ import annotations

from typing import Any, Callable

from flask import request

from ..service import BadRequest, NotFound, body_of, caller, reply, store
from ..store import PENDING, public
from . import model
from .common import at_least, blueprint, timestamp
from .model import VOLUME
from .requests import PREFIX, first_of, listed, links, project_of, require_admin, scope, truthy


# -- volumes -------------------------------------------------------------------------------------

#: volume fields and the microversion that first shows them
VERSIONED_FIELDS = {"group_id": "3.13", "provider_id": "3.21", "backup_id": "3.47", "service_uuid": "3.48",
                    "shared_targets": "3.48", "volume_type_id": "3.63", "encryption_key_id": "3.64",
                    "consumes_quota": "3.65"}
#: fields a change may have emptied (the store drops keys set to None); Cinder shows them as null
NULLABLE_FIELDS = ("name", "description", "updated_at", "snapshot_id", "source_volid", "user_id")
#: what only an admin sees
ADMIN_FIELDS = {"cluster_name": "3.61", "migration_status": "3.0"}


def _volume_view(volume: dict[str, Any]) -> dict[str, Any]:
    shown = {**dict.fromkeys(NULLABLE_FIELDS), **public(volume)}
    for name, since in VERSIONED_FIELDS.items():
        if not at_least(since):
            shown.pop(name, None)
    for name, since in ADMIN_FIELDS.items():
        if not (caller().is_admin and at_least(since)):
            shown.pop(name, None)
    if caller().is_admin:
        shown.update({"os-vol-host-attr:host": "sandbox@lvmdriver-1#lvmdriver-1",
                      "os-vol-mig-status-attr:migstat": None, "os-vol-mig-status-attr:name_id": None})
    shown["links"] = links(shown["os-vol-tenant-attr:tenant_id"], "volumes", shown["id"])
    return shown


def _volume_summary(volume: dict[str, Any]) -> dict[str, Any]:
    return {"id": volume["id"], "name": volume["name"],
            "links": links(volume["os-vol-tenant-attr:tenant_id"], "volumes", volume["id"])}


@blueprint.route(f"{PREFIX}/volumes", methods=["POST"])
def create_volume(project_id: str):
    project = project_of(project_id)
    data = body_of("volume")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise BadRequest("Invalid input for field/attribute metadata. Value must be an object.")
    volume = model.create_volume(
        project, data.get("size"), data.get("imageRef") or data.get("image_id"),
        first_of(data, "name", "display_name"), description=first_of(data, "description", "display_description"),
        metadata=metadata, volume_type=data.get("volume_type"), snapshot_id=data.get("snapshot_id"),
        source_volid=data.get("source_volid"), availability_zone=data.get("availability_zone"),
        multiattach=bool(data.get("multiattach")), user_id=caller().user_id)
    return reply({"volume": _volume_view(volume)}, 202)


VOLUME_FILTERS = ("name", "status", "availability_zone", "bootable", "volume_type", "user_id")


@blueprint.route(f"{PREFIX}/volumes", methods=["GET"])
def list_volumes(project_id: str):
    found = listed(VOLUME, scope(project_id), VOLUME_FILTERS)
    return reply({"volumes": [_volume_summary(v) for v in found]})


@blueprint.route(f"{PREFIX}/volumes/detail", methods=["GET"])
def list_volumes_detail(project_id: str):
    found = listed(VOLUME, scope(project_id), VOLUME_FILTERS)
    return reply({"volumes": [_volume_view(v) for v in found]})


def _own_volume(project_id: str, volume_id: str) -> dict[str, Any]:
    project = project_of(project_id)
    return model.get_volume(None if caller().is_admin else project, volume_id)


@blueprint.route(f"{PREFIX}/volumes/<volume_id>", methods=["GET"])
def show_volume(project_id: str, volume_id: str):
    return reply({"volume": _volume_view(_own_volume(project_id, volume_id))})


@blueprint.route(f"{PREFIX}/volumes/<volume_id>", methods=["PUT"])
def update_volume(project_id: str, volume_id: str):
    volume = _own_volume(project_id, volume_id)
    data = body_of("volume")
    changes: dict[str, Any] = {}
    for field, names in (("name", ("name", "display_name")), ("description", ("description", "display_description"))):
        if any(name in data for name in names):
            changes[field] = first_of(data, *names)
    if "metadata" in data:
        if not isinstance(data["metadata"], dict):
            raise BadRequest("Invalid input for field/attribute metadata. Value must be an object.")
        changes["metadata"] = {str(k): str(v) for k, v in data["metadata"].items()}
    if not changes:
        raise BadRequest("Invalid input for field/attribute volume. Value: {}. {} does not have enough "
                         "properties")
    changes["updated_at"] = timestamp()
    # a None value removes the key from the stored document, and the view shows it as null again
    return reply({"volume": _volume_view(store().change(VOLUME, volume["id"], changes))})


@blueprint.route(f"{PREFIX}/volumes/<volume_id>", methods=["DELETE"])
def delete_volume(project_id: str, volume_id: str):
    volume = _own_volume(project_id, volume_id)
    model.delete_volume(None, volume["id"])
    return reply(None, 202)


def _extend(volume: dict[str, Any], data: dict[str, Any]) -> None:
    model.extend_volume(None, volume["id"], data.get("new_size"), attached_allowed=at_least("3.42"))


def _retype(volume: dict[str, Any], data: dict[str, Any]) -> None:
    model.retype_volume(None, volume["id"], str(data.get("new_type") or ""))


def _readonly(volume: dict[str, Any], data: dict[str, Any]) -> None:
    flag = data.get("readonly")
    if not isinstance(flag, bool):
        raise BadRequest(f"Invalid input for field/attribute readonly. Value: {flag}. {flag!r} is not of "
                         "type 'boolean'")
    store().change(VOLUME, volume["id"], {"metadata": {**volume["metadata"], "readonly": str(flag)}})


def _bootable(volume: dict[str, Any], data: dict[str, Any]) -> None:
    flag = data.get("bootable")
    store().change(VOLUME, volume["id"], {"bootable": "true" if truthy(str(flag)) else "false"})


def _reset_status(volume: dict[str, Any], data: dict[str, Any]) -> None:
    require_admin("volume_extension:volume_admin_actions:reset_status")
    store().change(VOLUME, volume["id"], {"status": str(data.get("status") or volume["status"]),
                                          PENDING: None})  # what was still to come is called off


def _force_delete(volume: dict[str, Any], data: dict[str, Any]) -> None:
    require_admin("volume_extension:volume_admin_actions:force_delete")
    store().remove(VOLUME, volume["id"])


#: the volume actions the sandbox knows, by their body key
VOLUME_ACTIONS: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    "os-extend": _extend, "os-retype": _retype, "os-update_readonly_flag": _readonly,
    "os-set_bootable": _bootable, "os-reset_status": _reset_status, "os-force_delete": _force_delete,
}


@blueprint.route(f"{PREFIX}/volumes/<volume_id>/action", methods=["POST"])
def volume_action(project_id: str, volume_id: str):
    # one transaction: a handler writes values computed from the volume read here (its metadata, its status)
    with store().transaction():
        volume = _own_volume(project_id, volume_id)
        data = body_of()
        for name, handler in VOLUME_ACTIONS.items():
            if name in data:
                handler(volume, data[name] if isinstance(data[name], dict) else {})
                return reply(None, 202)
    raise BadRequest(f"There is no such action: {next(iter(data), '')}")


# -- volume metadata -----------------------------------------------------------------------------

def _metadata_body() -> dict[str, str]:
    data = body_of()
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        raise BadRequest("Malformed request body")
    return {str(k): str(v) for k, v in metadata.items()}


@blueprint.route(f"{PREFIX}/volumes/<volume_id>/metadata", methods=["GET"])
def show_metadata(project_id: str, volume_id: str):
    return reply({"metadata": _own_volume(project_id, volume_id)["metadata"]})


@blueprint.route(f"{PREFIX}/volumes/<volume_id>/metadata", methods=["POST", "PUT"])
def set_metadata(project_id: str, volume_id: str):
    with store().transaction():
        volume = _own_volume(project_id, volume_id)
        given = _metadata_body()
        # POST merges into what is there, PUT replaces it
        metadata = {**volume["metadata"], **given} if request.method == "POST" else given
        store().change(VOLUME, volume["id"], {"metadata": metadata, "updated_at": timestamp()})
    return reply({"metadata": metadata})


@blueprint.route(f"{PREFIX}/volumes/<volume_id>/metadata/<key>", methods=["GET"])
def show_metadata_item(project_id: str, volume_id: str, key: str):
    metadata = _own_volume(project_id, volume_id)["metadata"]
    if key not in metadata:
        raise NotFound("Metadata item was not found")
    return reply({"meta": {key: metadata[key]}})


@blueprint.route(f"{PREFIX}/volumes/<volume_id>/metadata/<key>", methods=["PUT"])
def set_metadata_item(project_id: str, volume_id: str, key: str):
    with store().transaction():
        volume = _own_volume(project_id, volume_id)
        meta = body_of().get("meta")
        if not isinstance(meta, dict) or key not in meta:
            raise BadRequest("Request body and URI mismatch")
        metadata = {**volume["metadata"], key: str(meta[key])}
        store().change(VOLUME, volume["id"], {"metadata": metadata, "updated_at": timestamp()})
    return reply({"meta": {key: metadata[key]}})


@blueprint.route(f"{PREFIX}/volumes/<volume_id>/metadata/<key>", methods=["DELETE"])
def delete_metadata_item(project_id: str, volume_id: str, key: str):
    with store().transaction():
        volume = _own_volume(project_id, volume_id)
        if key not in volume["metadata"]:
            raise NotFound("Metadata item was not found")
        store().change(VOLUME, volume["id"], {"metadata": {k: v for k, v in volume["metadata"].items()
                                                           if k != key}})
    return reply(None, 200)
