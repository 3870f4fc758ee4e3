"""Nova (compute API v2.1): servers, flavors, keypairs, volume attachments, server groups."""

from __future__ import annotations

from .service import ServiceBlueprint, reply, version_document

blueprint = ServiceBlueprint("compute", "/compute", "nova", __name__)

#: the newest microversion the sandbox speaks (Zed's)
MAX_MICROVERSION = "2.93"


def _version() -> dict:
    return version_document("/compute/v2.1", "v2.1", min_version="2.1", max_version=MAX_MICROVERSION)


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": [_version()]})


@blueprint.route("/v2.1", methods=["GET"])
@blueprint.route("/v2.1/", methods=["GET"])
@blueprint.public
def version():
    return reply({"version": _version()})
