"""The versions document at ``/`` and ``/v1``: openstacksdk's version discovery reads it."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

blueprint = Blueprint("versions", __name__)


def versions_document() -> dict:
    """Heat's answer: one current version, v1.0, at ``/v1/``."""
    return {"versions": [{"id": "v1.0", "status": "CURRENT",
                          "links": [{"rel": "self", "href": f"{request.host_url.rstrip('/')}/v1/"}]}]}


@blueprint.route("/", methods=["GET"])
@blueprint.route("/v1", methods=["GET"])
@blueprint.route("/v1/", methods=["GET"])
def versions():
    """Multiple Choices, as Heat answers (clients only read the body)."""
    response = jsonify(versions_document())
    response.status_code = 300
    return response
