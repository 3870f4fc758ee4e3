"""Nova (compute API v2.1, microversions 2.1 to 2.93): servers, flavors, keypairs, volume attachments,
server groups, limits, quotas and availability zones.

``api`` holds the blueprint and what the views share; one module per
collection holds its routes.  ``seed`` adds devstack's flavors.
"""

from __future__ import annotations

from typing import Any

from ..service import reply, version_document
# each module's routes join the blueprint on import
from . import actions, attachments, flavors, interfaces, keypairs, metadata, project, servers
from .api import MAX_MICROVERSION, MIN_MICROVERSION, blueprint, text

__all__ = ["actions", "attachments", "blueprint", "interfaces", "metadata", "flavors", "keypairs", "project", "seed",
           "servers"]


def seed(_settings: Any) -> None:
    """Devstack's flavors (m1.tiny … m1.xlarge), once."""
    flavors.seed()


def _version() -> dict:
    return version_document("/compute/v2.1", "v2.1", min_version=text(MIN_MICROVERSION),
                            max_version=text(MAX_MICROVERSION))


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": [_version()]})


@blueprint.route("/v2.1", methods=["GET"])
@blueprint.route("/v2.1/", methods=["GET"])
@blueprint.public
def version():
    return reply({"version": _version()})
