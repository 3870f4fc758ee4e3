"""Which resource types exist, for commands that validate templates."""

from __future__ import annotations

from orchestrator.config import Settings
from resources.registry import PluginRegistry


def resource_catalog(settings: Settings) -> PluginRegistry:
    """Every installed plugin and those in the configured plugin folders."""
    return PluginRegistry.discover(settings.plugins.plugin_dirs)
