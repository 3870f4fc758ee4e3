"""Nova volume attachments (``/servers/{id}/os-volume_attachments``), through the sandbox's Cinder."""

from __future__ import annotations

from typing import Any

from ..service import BadRequest, Conflict, body_of, reply, store
from ..store import new_id
from . import links
from .api import at_least, blueprint, not_found
from .servers import UUID, find


def _attachment_view(server_id: str, volume: dict[str, Any]) -> dict[str, Any]:
    shown = {"id": volume["id"], "serverId": server_id, "volumeId": volume["id"], "device": volume["device"]}
    if at_least(70):
        shown["tag"] = None
    if at_least(79):
        shown["delete_on_termination"] = volume.get("delete_on_termination", False)
    if at_least(89):
        shown.pop("id")
        shown.update(attachment_id=volume.get("attachment_id"), bdm_uuid=volume.get("bdm_uuid"))
    return shown


@blueprint.route("/v2.1/servers/<server_id>/os-volume_attachments", methods=["GET"])
def list_volume_attachments(server_id: str):
    server = find(server_id)
    return reply({"volumeAttachments": [_attachment_view(server["id"], v) for v in server.get("_volumes", [])]})


@blueprint.route("/v2.1/servers/<server_id>/os-volume_attachments/<volume_id>", methods=["GET"])
def show_volume_attachment(server_id: str, volume_id: str):
    server = find(server_id)
    for volume in server.get("_volumes", []):
        if volume["id"] == volume_id:
            return reply({"volumeAttachment": _attachment_view(server["id"], volume)})
    raise not_found(f"Volume {volume_id} is not attached to the instance {server_id}")


@blueprint.route("/v2.1/servers/<server_id>/os-volume_attachments", methods=["POST"])
def attach_volume(server_id: str):
    data = body_of("volumeAttachment")
    volume_id = data.get("volumeId")
    if not isinstance(volume_id, str) or not UUID.match(volume_id):
        raise BadRequest(f"Invalid input for field/attribute volumeId. Value: {volume_id}. "
                         f"{volume_id!r} is not a 'uuid'")
    # one transaction: two volumes attached at once must both end up in the server's list
    with store().transaction():
        server = find(server_id)
        if server["status"] not in ("ACTIVE", "SHUTOFF", "PAUSED", "SUSPENDED") or server.get("OS-EXT-STS:task_state"):
            where = (f"task_state {server['OS-EXT-STS:task_state']}" if server.get("OS-EXT-STS:task_state")
                     else f"vm_state {server['OS-EXT-STS:vm_state']}")
            raise Conflict(f"Cannot 'attach_volume' instance {server_id} while it is in {where}")
        volumes = list(server.get("_volumes", []))
        if any(v["id"] == volume_id for v in volumes):
            raise BadRequest(f"Invalid volume: volume {volume_id} already attached")
        device = data.get("device") or f"/dev/vd{chr(ord('b') + len(volumes))}"
        attachment = links.call("volume", "attach_volume", server["tenant_id"], volume_id, server["id"], device)
        if attachment is None:
            raise not_found(f"Volume {volume_id} could not be found.")
        volume = {"id": volume_id, "device": attachment.get("device", device),
                  "delete_on_termination": bool(data.get("delete_on_termination", False)),
                  "attachment_id": attachment.get("attachment_id", attachment.get("id")), "bdm_uuid": new_id()}
        store().change("server", server["id"], {"_volumes": [*volumes, volume]})
    return reply({"volumeAttachment": _attachment_view(server["id"], volume)})


@blueprint.route("/v2.1/servers/<server_id>/os-volume_attachments/<volume_id>", methods=["DELETE"])
def detach_volume(server_id: str, volume_id: str):
    with store().transaction():
        server = find(server_id)
        volumes = list(server.get("_volumes", []))
        if not any(v["id"] == volume_id for v in volumes):
            raise not_found(f"Volume {volume_id} is not attached to the instance {server_id}")
        links.call("volume", "detach_volume", volume_id, server["id"])
        store().change("server", server["id"], {"_volumes": [v for v in volumes if v["id"] != volume_id]})
    return reply(None, 202)
