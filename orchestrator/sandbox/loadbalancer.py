"""Octavia (load-balancer API v2): load balancers, listeners, pools, members, health monitors."""

from __future__ import annotations

from .service import ServiceBlueprint, reply, version_document

blueprint = ServiceBlueprint("loadbalancer", "/load-balancer", "octavia", __name__)


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": [version_document("/load-balancer/v2", "v2.0")]})
