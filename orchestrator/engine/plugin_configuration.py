"""What plugins may read of the service's configuration and of their stack's environment.

A plugin that talks to a service of its own (``OS::Zabbix::*`` and its Zabbix
server) needs connection settings that are no resource's property: the
service's configuration gives defaults, and a stack's environment may name
another server through its ``parameter_defaults``.  Plugins reach both
through ``runtime.service("configuration")``, bound to their own stack, during
an operation and outside one (showing an attribute) alike.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from orchestrator.config import Settings

#: the configuration sections plugins may read (the others are the service's own business)
PLUGIN_SECTIONS = ("zabbix",)


class PluginConfiguration:
    """The ``"configuration"`` engine service: plugin sections of the configuration, the stack's defaults."""

    def __init__(self, sections: Mapping[str, Mapping[str, Any]],
                 parameter_defaults: Mapping[str, Any] | None = None):
        self._sections = {name: dict(values) for name, values in sections.items()}
        self._parameter_defaults = dict(parameter_defaults or {})

    @classmethod
    def from_settings(cls, settings: Settings) -> "PluginConfiguration":
        """The plugin sections of ``settings`` (``PLUGIN_SECTIONS``)."""
        return cls({name: dataclasses.asdict(getattr(settings, name)) for name in PLUGIN_SECTIONS})

    def bound_to(self, view: Any, record: Any) -> "PluginConfiguration":
        """The service as one resource of stack ``view`` sees it (the runtime calls this)."""
        return PluginConfiguration(self._sections, view.environment.parameter_defaults)

    def section(self, name: str) -> dict[str, Any]:
        """The settings of configuration section ``name`` (empty for a section plugins may not read)."""
        return dict(self._sections.get(name, {}))

    def parameter_defaults(self) -> dict[str, Any]:
        """The ``parameter_defaults`` of the stack's environment (empty when not bound to a stack)."""
        return dict(self._parameter_defaults)
