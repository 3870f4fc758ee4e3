"""What Cinder's views and its interface for Nova share: the blueprint, microversions, timestamps."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from flask import g, request

from ..service import NotFound, SandboxError, ServiceBlueprint

blueprint = ServiceBlueprint("volume", "/volume", "cinder", __name__)

#: the oldest and newest microversions the sandbox speaks (Zed's range)
MIN_MICROVERSION = "3.0"
MAX_MICROVERSION = "3.70"
#: the header clients send and the service echoes
VERSION_HEADER = "OpenStack-API-Version"

#: the availability zones volumes may be made in
ZONES = ("nova",)
#: the project quotas every project starts with (Cinder's defaults)
DEFAULT_QUOTAS = {"volumes": 10, "gigabytes": 1000, "snapshots": 10, "per_volume_gigabytes": -1,
                  "backups": 10, "backup_gigabytes": 1000, "groups": 10}


def parse_version(text: str) -> tuple[int, int]:
    """``"3.42"`` as ``(3, 42)``."""
    major, _, minor = text.partition(".")
    return int(major), int(minor)


def requested_version() -> tuple[int, int]:
    """The microversion the current request asked for (3.0 when it named none)."""
    return getattr(g, "volume_version", parse_version(MIN_MICROVERSION))


def at_least(version: str) -> bool:
    """Whether the current request's microversion is ``version`` or newer."""
    return requested_version() >= parse_version(version)


@blueprint.before_request
def _negotiate_version() -> None:
    """Read ``OpenStack-API-Version: volume X.Y``; a version out of range is Cinder's 406."""
    header = request.headers.get(VERSION_HEADER, "")
    wanted = ""
    for part in header.split(","):
        service, _, value = part.strip().partition(" ")
        if service.lower() == "volume":
            wanted = value.strip()
    if not wanted:
        g.volume_version = parse_version(MIN_MICROVERSION)
        return
    if wanted.lower() == "latest":
        wanted = MAX_MICROVERSION
    if not re.fullmatch(r"\d+\.\d+", wanted):
        raise SandboxError(f"Version {wanted} is not supported by the API. Minimum is {MIN_MICROVERSION} "
                           f"and maximum is {MAX_MICROVERSION}.", kind="VersionNotFound", status=406)
    version = parse_version(wanted)
    if not parse_version(MIN_MICROVERSION) <= version <= parse_version(MAX_MICROVERSION):
        raise SandboxError(f"Version {wanted} is not supported by the API. Minimum is {MIN_MICROVERSION} "
                           f"and maximum is {MAX_MICROVERSION}.", kind="VersionNotFound", status=406)
    g.volume_version = version


@blueprint.after_request
def _echo_version(response):
    """Cinder names the microversion it answered with, and that answers vary by it."""
    major, minor = requested_version()
    response.headers[VERSION_HEADER] = f"volume {major}.{minor}"
    response.headers["Vary"] = VERSION_HEADER
    return response


def timestamp() -> str:
    """Now, as Cinder writes its timestamps (UTC, microseconds, no zone)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def not_found(what: str, object_id: str) -> NotFound:
    """Cinder's 404 for a missing object (``Volume``, ``Snapshot``, ``Volume type``)."""
    return NotFound(f"{what} {object_id} could not be found.")
