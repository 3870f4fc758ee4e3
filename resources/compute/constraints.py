"""Lookups of the Nova and Glance objects that templates name, checked against the cloud."""

from __future__ import annotations

from typing import Any, Callable

from resources.cloud import lookup

#: the constraint names this package checks against the cloud
CUSTOM_CONSTRAINTS: dict[str, Callable[[Any, str], None]] = {
    "nova.flavor": lookup("compute", "flavor"), "nova.keypair": lookup("compute", "keypair"),
    "nova.server": lookup("compute", "server"), "glance.image": lookup("image", "image"),
}
