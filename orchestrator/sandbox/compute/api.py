"""What every Nova view shares: the blueprint, microversions, and lookups across the service's objects."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from flask import g, request

from ..service import BadRequest, Forbidden, NotFound, SandboxError, ServiceBlueprint, base_url, caller, store

blueprint = ServiceBlueprint("compute", "/compute", "nova", "orchestrator.sandbox.compute")

MIN_MICROVERSION = (2, 1)
#: the newest microversion the sandbox speaks (Zed's)
MAX_MICROVERSION = (2, 93)
#: quotas a project starts with (Nova's defaults)
DEFAULT_QUOTAS: dict[str, int] = {
    "instances": 10, "cores": 20, "ram": 51200, "key_pairs": 100, "metadata_items": 128,
    "server_groups": 10, "server_group_members": 10, "injected_files": 5, "injected_file_content_bytes": 10240,
    "injected_file_path_bytes": 255,
}
AVAILABILITY_ZONE = "nova"


def text(version: tuple[int, int]) -> str:
    """``(2, 93)`` as ``"2.93"``."""
    return f"{version[0]}.{version[1]}"


def _requested_version() -> tuple[int, int]:
    wanted = None
    header = request.headers.get("OpenStack-API-Version", "")
    for part in header.split(","):
        service, _, value = part.strip().partition(" ")
        if service.lower() == "compute" and value.strip():
            wanted = value.strip()
    wanted = wanted or request.headers.get("X-OpenStack-Nova-API-Version", "").strip()
    if not wanted:
        return MIN_MICROVERSION
    if wanted.lower() == "latest":
        return MAX_MICROVERSION
    match = re.fullmatch(r"(\d+)\.(\d+)", wanted)
    if match is None:
        raise BadRequest(f"Invalid format for API version: {wanted}", status=400)
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_MICROVERSION <= version <= MAX_MICROVERSION:
        raise SandboxError(f"Version {wanted} is not supported by the API. Minimum is {text(MIN_MICROVERSION)} "
                           f"and maximum is {text(MAX_MICROVERSION)}.", kind="NotAcceptable", status=406)
    return version


@blueprint.before_request
def _read_microversion() -> None:
    g.nova_version = MIN_MICROVERSION
    g.nova_version = _requested_version()


@blueprint.after_request
def _answer_microversion(response):
    version = text(getattr(g, "nova_version", MIN_MICROVERSION))
    response.headers["OpenStack-API-Version"] = f"compute {version}"
    response.headers["X-OpenStack-Nova-API-Version"] = version
    response.headers["Vary"] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
    return response


def at_least(minor: int) -> bool:
    """Whether the request's microversion is 2.``minor`` or newer."""
    return getattr(g, "nova_version", MIN_MICROVERSION) >= (2, minor)


def now_iso(epoch: float | None = None) -> str:
    """Nova's timestamp format (``2022-10-01T12:00:00Z``)."""
    moment = store().clock() if epoch is None else epoch
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def link(path: str, object_id: str) -> list[dict[str, str]]:
    """The ``links`` of an object (self and bookmark, as Nova gives them)."""
    root = base_url()
    project = caller().project_id
    return [{"rel": "self", "href": f"{root}/compute/v2.1/{project}/{path}/{object_id}"},
            {"rel": "bookmark", "href": f"{root}/compute/{project}/{path}/{object_id}"}]


def admin_only(rule: str) -> None:
    """A 403 in Nova's words unless the caller is an admin."""
    if not caller().is_admin:
        raise Forbidden(f"Policy doesn't allow {rule} to be performed.")


def all_projects() -> bool:
    """Whether an admin asked to see every project's objects (``all_tenants``)."""
    value = request.args.get("all_tenants", request.args.get("all_projects"))
    return caller().is_admin and value is not None and value.lower() not in ("0", "false", "off", "no")


def visible_image(image_id: str) -> dict[str, Any] | None:
    """The Glance image ``image_id`` if the caller may boot it."""
    image = store().get("image", image_id)
    if image is None:
        return None
    if image.get("visibility") in ("public", "community") or image.get("owner") == caller().project_id \
            or caller().is_admin:
        return image
    return None


def visible_flavor(flavor_id: str) -> dict[str, Any] | None:
    """The flavor ``flavor_id`` if the caller may see it (public, or private with access)."""
    flavor = store().get("flavor", flavor_id)
    if flavor is None:
        return None
    if flavor.get("os-flavor-access:is_public", True) or caller().is_admin \
            or caller().project_id in flavor.get("_access", []):
        return flavor
    return None


def quota(project_id: str, name: str) -> int:
    """The project's limit on ``name`` (its own setting, else Nova's default)."""
    overrides = store().get("quota", project_id) or {}
    return int(overrides.get(name, DEFAULT_QUOTAS[name]))


def usage(project_id: str) -> dict[str, int]:
    """What the project's servers use of the counted quotas."""
    servers = store().list("server", project_id)
    return {"instances": len(servers), "cores": sum(s["flavor"]["vcpus"] for s in servers),
            "ram": sum(s["flavor"]["ram"] for s in servers),
            "server_groups": store().count("server_group", project_id)}


def not_found(message: str) -> NotFound:
    """A Nova 404 (``itemNotFound``)."""
    return NotFound(message)
