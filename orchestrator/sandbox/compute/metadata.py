"""Nova server metadata: the whole set (``/servers/{id}/metadata``) and single items."""

from __future__ import annotations

from typing import Any

from ..service import BadRequest, Conflict, OverQuota, body_of, reply, store
from .api import blueprint, not_found, now_iso, quota
from .servers import find


def _metadata_argument(key: str = "metadata") -> dict[str, str]:
    values = body_of().get(key)
    if not isinstance(values, dict) or not all(isinstance(v, str) and isinstance(k, str) and k
                                               for k, v in values.items()):
        raise BadRequest(f"Invalid input for field/attribute {key}. Value: {values}. "
                         f"{values!r} is not of type 'object'")
    return values


def _set_metadata(server: dict[str, Any], metadata: dict[str, str]) -> dict[str, str]:
    if len(metadata) > quota(server["tenant_id"], "metadata_items"):
        raise OverQuota("Quota exceeded for metadata_items: Requested "
                        f"{len(metadata)}, but already used 0 of {quota(server['tenant_id'], 'metadata_items')} "
                        "metadata_items", status=403)
    if server.get("OS-EXT-STS:task_state") == "deleting":
        raise Conflict(f"Cannot 'update metadata' instance {server['id']} while it is in task_state deleting")
    return store().change("server", server["id"], {"metadata": metadata, "updated": now_iso()})["metadata"]


@blueprint.route("/v2.1/servers/<server_id>/metadata", methods=["GET"])
def list_metadata(server_id: str):
    return reply({"metadata": find(server_id)["metadata"]})


@blueprint.route("/v2.1/servers/<server_id>/metadata", methods=["POST"])
def merge_metadata(server_id: str):
    with store().transaction():
        server = find(server_id)
        return reply({"metadata": _set_metadata(server, {**server["metadata"], **_metadata_argument()})})


@blueprint.route("/v2.1/servers/<server_id>/metadata", methods=["PUT"])
def replace_metadata(server_id: str):
    with store().transaction():
        return reply({"metadata": _set_metadata(find(server_id), _metadata_argument())})


@blueprint.route("/v2.1/servers/<server_id>/metadata/<key>", methods=["GET"])
def show_metadata_item(server_id: str, key: str):
    metadata = find(server_id)["metadata"]
    if key not in metadata:
        raise not_found("Metadata item was not found")
    return reply({"meta": {key: metadata[key]}})


@blueprint.route("/v2.1/servers/<server_id>/metadata/<key>", methods=["PUT"])
def set_metadata_item(server_id: str, key: str):
    with store().transaction():
        server = find(server_id)
        item = _metadata_argument("meta")
        if list(item) != [key]:
            raise BadRequest("Request body and URI mismatch")
        _set_metadata(server, {**server["metadata"], **item})
    return reply({"meta": item})


@blueprint.route("/v2.1/servers/<server_id>/metadata/<key>", methods=["DELETE"])
def delete_metadata_item(server_id: str, key: str):
    with store().transaction():
        server = find(server_id)
        if key not in server["metadata"]:
            raise not_found("Metadata item was not found")
        _set_metadata(server, {k: v for k, v in server["metadata"].items() if k != key})
    return reply(None, 204)


