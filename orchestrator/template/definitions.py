"""What a compiled stack is made of: resource and output definitions.

A definition is a template snippet bound to one stack's parameters and
conditions: its type is resolved through the environment's registry, its
dependencies are known, and its function trees are ready to be resolved
against resource state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Path
from .functions.base import to_data


@dataclass(frozen=True, eq=False)
class ResourceDefinition:
    """One enabled resource of a stack, bound and ready for the engine."""

    name: str
    #: the type as written in the template
    type: str
    #: the type after the environment's registry (a plugin type name)
    resolved_type: str
    #: the provider template's key in the files map, for template resources
    template: str | None
    properties: Any
    metadata: Any
    update_policy: Any
    deletion_policy: Any
    external_id: Any
    description: str | None
    #: explicit ``depends_on`` (names of enabled resources)
    depends_on: tuple[str, ...]
    #: every resource this one needs, explicit and implicit
    requires: frozenset[str]
    hooks: frozenset[str] = frozenset()
    restricted_actions: frozenset[str] = frozenset()
    path: Path = ()

    @property
    def is_template_resource(self) -> bool:
        """Whether this resource is a nested stack made from a provider template."""
        return self.template is not None

    def snippet(self) -> dict:
        """The definition as template data (to store it or to compare two versions)."""
        data: dict[str, Any] = {"type": self.type}
        for key, value in (("properties", self.properties), ("metadata", self.metadata),
                           ("update_policy", self.update_policy), ("deletion_policy", self.deletion_policy),
                           ("external_id", self.external_id), ("description", self.description)):
            if value not in (None, {}):
                data[key] = to_data(value)
        if self.depends_on:
            data["depends_on"] = list(self.depends_on)
        return data


@dataclass(frozen=True, eq=False)
class OutputDefinition:
    """One output of a stack; a disabled output exists and has the value ``None``."""

    name: str
    value: Any
    description: str | None = None
    enabled: bool = True
    path: Path = ()


@dataclass(frozen=True)
class Plan:
    """A readable summary of a compiled stack (what ``template validate`` prints).

    Each resource entry has ``name``, ``type`` (as written), ``resolved_type``
    (after the registry), ``requires`` and ``template`` (the provider
    template's key, or ``None``); each parameter ``name``, ``type`` and
    ``value`` (hidden ones masked); each output ``name``, ``description`` and
    ``enabled``.
    """

    resources: list[dict] = field(default_factory=list)
    parameters: list[dict] = field(default_factory=list)
    outputs: list[dict] = field(default_factory=list)
