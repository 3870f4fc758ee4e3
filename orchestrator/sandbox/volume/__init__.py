"""Cinder (block storage API v3): volume types, volumes, attachments, snapshots, quotas, limits.

Served under ``/volume/v3/<project_id>/`` with microversions 3.0–3.70
(``OpenStack-API-Version: volume X.Y``).  ``common`` holds the blueprint and
the microversion handling, ``model`` Cinder's rules (also what Nova calls to
attach, detach and boot from volumes), ``requests`` what the routes share,
and ``types``, ``volumes`` and ``snapshots`` (with quotas and limits) the routes.
"""

from __future__ import annotations

from . import snapshots, types, volumes  # their routes register on the blueprint
from .common import MAX_MICROVERSION, blueprint
from .model import attach_volume, attachments_of, create_volume, delete_volume, detach_volume, get_volume, seed

__all__ = ["MAX_MICROVERSION", "attach_volume", "attachments_of", "blueprint", "create_volume", "delete_volume",
           "detach_volume", "get_volume", "seed", "snapshots", "types", "volumes"]
