"""Glance (image API v2): images, list and show, with a seeded public ``cirros``.

Enough of Glance for Nova to boot from an image and for templates to name
one; images may be registered (``POST /v2/images``) but carry no data.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import request

from .service import Conflict, Forbidden, NotFound, ServiceBlueprint, body_of, caller, reply, store, \
    version_document
from .store import new_id, public

blueprint = ServiceBlueprint("image", "/image", "glance", __name__)

#: devstack's default image (CirrOS 0.5.2), with its real size and checksums
CIRROS = {
    "id": "a2f9d4f6-5c1e-4b0e-9d0f-5b7f3e2c9a01", "name": "cirros", "status": "active", "visibility": "public",
    "protected": False, "disk_format": "qcow2", "container_format": "bare", "size": 16300544,
    "virtual_size": 117440512, "checksum": "b874c39491a2377b8490f5f1e89761a4", "os_hash_algo": "sha512",
    "os_hash_value": ("6b813aa46bb90b4da216a4d19376593fa3f4fc7e617f03a92b7fe11e9a3981cbe8f0959dbebe36225e5f53dc449"
                      "2341a4863cac4ed1ee0909f3fc78ef9c3e869"),
    "min_disk": 0, "min_ram": 0, "tags": [], "os_hidden": False, "owner": None,
    "created_at": "2022-10-01T00:00:00Z", "updated_at": "2022-10-01T00:00:00Z",
    "hw_rng_model": "virtio",
}
#: list filters: query parameter → the image key it matches
_FILTERS = ("name", "status", "visibility", "disk_format", "container_format", "owner", "id")


def seed(_settings: Any) -> None:
    """The public cirros image, once."""
    if store().get("image", CIRROS["id"]) is None:
        store().add("image", CIRROS)


def _view(image: dict[str, Any]) -> dict[str, Any]:
    shown = public(image)
    shown.update(self=f"/v2/images/{image['id']}", file=f"/v2/images/{image['id']}/file",
                 schema="/v2/schemas/image")
    return shown


def _visible(image: dict[str, Any]) -> bool:
    return (image.get("visibility") in ("public", "community") or image.get("owner") == caller().project_id
            or caller().is_admin)


def _found(image_id: str) -> dict[str, Any]:
    image = store().get("image", image_id)
    if image is None or not _visible(image):
        raise NotFound(f"No image found with ID {image_id}", kind="Not Found")
    return image


@blueprint.route("/", methods=["GET"])
@blueprint.route("/versions", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": [version_document("/image/v2", "v2.16")]}, 300)


@blueprint.route("/v2/images", methods=["GET"])
def list_images():
    images = [i for i in store().list("image") if _visible(i)]
    if "visibility" not in request.args:
        images = [i for i in images if i.get("visibility") != "community" or i.get("owner") == caller().project_id]
    for key in _FILTERS:
        wanted = request.args.get(key)
        if wanted is not None:
            wanted = wanted.removeprefix("in:")
            images = [i for i in images if str(i.get(key)) in wanted.split(",")]
    images.sort(key=lambda i: (i["created_at"], i["id"]), reverse=True)
    marker = request.args.get("marker")
    if marker:
        ids = [i["id"] for i in images]
        images = images[ids.index(marker) + 1:] if marker in ids else []
    limit = int(request.args.get("limit") or 25)
    page = images[:limit]
    body: dict[str, Any] = {"images": [_view(i) for i in page], "first": "/v2/images", "schema": "/v2/schemas/images"}
    if len(images) > limit:
        body["next"] = f"/v2/images?marker={page[-1]['id']}&limit={limit}"
    return reply(body)


@blueprint.route("/v2/images/<image_id>", methods=["GET"])
def show_image(image_id: str):
    return reply(_view(_found(image_id)))


@blueprint.route("/v2/images", methods=["POST"])
def create_image():
    data = body_of()
    visibility = data.get("visibility", "shared")
    if visibility == "public" and not caller().is_admin:
        raise Forbidden("You are not authorized to complete publicize_image action.")
    image_id = data.get("id") or new_id()
    with store().transaction():  # the id checked free and the image added, with nothing in between
        if store().get("image", image_id) is not None:
            raise Conflict(f"Image with identifier {image_id} already exists!")
        now = store().clock()
        stamp = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        image = {"id": image_id, "name": data.get("name"), "status": "queued", "visibility": visibility,
                 "protected": bool(data.get("protected", False)), "disk_format": data.get("disk_format"),
                 "container_format": data.get("container_format"), "size": None, "virtual_size": None,
                 "checksum": None, "os_hash_algo": None, "os_hash_value": None,
                 "min_disk": int(data.get("min_disk", 0)), "min_ram": int(data.get("min_ram", 0)),
                 "tags": data.get("tags") or [], "os_hidden": False,
                 "owner": caller().project_id, "created_at": stamp, "updated_at": stamp}
        extra = {k: v for k, v in data.items() if k not in image and isinstance(v, str)}
        store().add("image", {**image, **extra}, caller().project_id)
    return reply(_view(image), 201)


@blueprint.route("/v2/images/<image_id>", methods=["DELETE"])
def delete_image(image_id: str):
    image = _found(image_id)
    if image.get("owner") != caller().project_id and not caller().is_admin:
        raise Forbidden("You are not permitted to delete this image.")
    if image.get("protected"):
        raise Forbidden(f"Image {image_id} is protected and cannot be deleted.")
    store().remove("image", image_id)
    return reply(None, 204)
