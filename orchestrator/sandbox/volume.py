"""Cinder (block storage API v3): volume types, volumes, attachments, snapshots."""

from __future__ import annotations

from .service import ServiceBlueprint, reply, version_document

blueprint = ServiceBlueprint("volume", "/volume", "cinder", __name__)

#: the newest microversion the sandbox speaks (Zed's)
MAX_MICROVERSION = "3.70"


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": [version_document("/volume/v3", "v3.0", min_version="3.0",
                                                max_version=MAX_MICROVERSION)]}, 300)
