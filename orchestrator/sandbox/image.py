"""Glance (image API v2): images, list and show."""

from __future__ import annotations

from .service import ServiceBlueprint, reply, version_document

blueprint = ServiceBlueprint("image", "/image", "glance", __name__)


@blueprint.route("/", methods=["GET"])
@blueprint.route("/versions", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": [version_document("/image/v2", "v2.16")]}, 300)
