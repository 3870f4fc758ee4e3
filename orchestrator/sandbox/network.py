"""Neutron (networking API v2.0): networks, subnets, ports, routers, floating IPs, security groups."""

from __future__ import annotations

from .service import ServiceBlueprint, reply, version_document

blueprint = ServiceBlueprint("network", "/network", "neutron", __name__)


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": [version_document("/network/v2.0", "v2.0")]})
