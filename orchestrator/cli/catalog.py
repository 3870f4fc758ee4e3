"""Which resource types exist, for commands that validate templates."""

from __future__ import annotations


def resource_catalog(settings):
    """The catalog of resource types (temporary: none until plugins are wired)."""
    return None
