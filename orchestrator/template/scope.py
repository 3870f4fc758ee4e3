"""The ``Scope`` of one stack: what its functions see.

Parameters and conditions are fixed when a stack is compiled.  Resource
references and attributes come from a ``ResourceState`` that the engine
supplies while the stack runs; before that (validation, previews) a
reference is the resource's logical name and an attribute is ``None``, as in
Heat.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Protocol

from .errors import InvalidArguments
from .functions.base import unknown_reference


class ResourceState(Protocol):
    """Live facts about a stack's resources (implemented by the engine)."""

    def reference(self, name: str) -> Any:
        """The reference id of resource ``name`` (its physical id, usually)."""

    def attribute(self, name: str, attribute: str, path: tuple) -> Any:
        """Attribute ``attribute`` of resource ``name``, followed along ``path``."""

    def all_attributes(self, name: str) -> dict:
        """Every attribute of resource ``name``."""


class TypeCatalog(Protocol):
    """What the template layer may ask about resource types (implemented by the plugin registry)."""

    def has_type(self, type_name: str) -> bool:
        """Whether a plugin provides ``type_name``."""

    def attribute_names(self, type_name: str) -> frozenset[str] | None:
        """The attributes of ``type_name``; ``None`` when any name is acceptable."""

    def supports(self, type_name: str, action: str) -> bool:
        """Whether the type's plugin implements an optional action (``snapshot``, ``suspend``, …)."""

    def check_properties(self, type_name: str, properties: Any,
                         unknown: frozenset[str]) -> list[tuple[tuple, str]]:
        """Problems with property values as ``(path below properties, message)``.

        ``unknown`` names properties whose values depend on other resources and
        are not known before those exist: only their presence counts."""


class ConditionTable:
    """Named conditions, evaluated on first use, with loops reported."""

    def __init__(self, definitions: Mapping[str, Any], evaluate: Callable[[Any], Any]):
        self._definitions = definitions
        self._evaluate = evaluate
        self._values: dict[str, bool] = {}
        self._evaluating: list[str] = []

    def __contains__(self, name: object) -> bool:
        return name in self._definitions

    def value(self, name: str) -> bool:
        """The truth of condition ``name``."""
        if name in self._values:
            return self._values[name]
        if name not in self._definitions:
            raise InvalidArguments(f'Invalid condition "{name}": no condition of that name is defined')
        if name in self._evaluating:
            loop = " -> ".join(self._evaluating[self._evaluating.index(name):] + [name])
            raise InvalidArguments(f'Circular definition for condition "{name}" ({loop})')
        self._evaluating.append(name)
        try:
            value = self._evaluate(self._definitions[name])
        finally:
            self._evaluating.pop()
        if not isinstance(value, bool):
            raise InvalidArguments(f'The definition of condition "{name}" is invalid: it must evaluate to a '
                                   f"boolean, not {value!r}")
        self._values[name] = value
        return value


class StackScope:
    """The ``Scope`` of a compiled stack (see ``functions.base.Scope``)."""

    def __init__(self, parameters: Mapping[str, Any], conditions: ConditionTable | None,
                 resource_types: Mapping[str, str], disabled: Mapping[str, Any],
                 files: Mapping[str, str], catalog: TypeCatalog | None = None,
                 facade: Mapping[str, Any] | None = None, state: ResourceState | None = None):
        self._parameters = parameters
        self.conditions = conditions
        self._resource_types = resource_types
        self._disabled = disabled
        self._files = files
        self._catalog = catalog
        self._facade = facade or {}
        self.state = state

    def with_resources(self, resource_types: Mapping[str, str], disabled: Mapping[str, Any]) -> "StackScope":
        """The same scope with the stack's resources: enabled name -> type, disabled name -> its condition."""
        return StackScope(self._parameters, self.conditions, resource_types, disabled, self._files,
                          self._catalog, self._facade, self.state)

    def with_state(self, state: ResourceState | None) -> "StackScope":
        """The same scope reading resource facts from ``state``."""
        return StackScope(self._parameters, self.conditions, self._resource_types, self._disabled,
                          self._files, self._catalog, self._facade, state)

    # -- parameters and conditions -------------------------------------------------

    def parameter(self, name: str) -> Any:
        try:
            return self._parameters[name]
        except (KeyError, TypeError):
            raise InvalidArguments(f"The Parameter ({name}) was not provided.") from None

    def has_parameter(self, name: str) -> bool:
        return name in self._parameters

    def condition(self, name: str) -> bool:
        if self.conditions is None:
            raise InvalidArguments(f'Invalid condition "{name}": this template version has no conditions')
        return self.conditions.value(name)

    # -- resources ----------------------------------------------------------------

    def has_resource(self, name: str) -> bool:
        if name in self._disabled:
            raise InvalidArguments(f'The specified reference "{name}" is incorrect: resource {name} is '
                                   f"disabled by its condition {self._disabled[name]!r}")
        return name in self._resource_types

    def reference(self, name: str) -> Any:
        self._require(name)
        if self.state is None:
            return name
        return self.state.reference(name)

    def attribute(self, name: str, attribute: str, path: tuple) -> Any:
        self._require(name)
        if self.state is None:
            return None
        return self.state.attribute(name, attribute, path)

    def all_attributes(self, name: str) -> dict:
        self._require(name)
        if self.state is None:
            return None  # type: ignore[return-value]  # Heat gives None before creation
        return self.state.all_attributes(name)

    def check_attribute(self, name: str, attribute: str) -> None:
        if self._catalog is None or name not in self._resource_types:
            return
        known = self._catalog.attribute_names(self._resource_types[name])
        if known is not None and attribute not in known and attribute != "show":
            raise InvalidArguments(f"The Referenced Attribute ({name} {attribute}) is incorrect: "
                                   f"{self._resource_types[name]} has no attribute {attribute!r}")

    def _require(self, name: str) -> None:
        if not self.has_resource(name):
            raise InvalidArguments(unknown_reference(name))

    # -- the rest -----------------------------------------------------------------

    def file(self, key: str) -> str | None:
        content = self._files.get(key)
        return content if isinstance(content, str) else None

    def facade(self, key: str) -> Any:
        return self._facade.get(key)

    def availability_zones(self) -> list[str]:
        return []  # the cloud plugins will supply the real zones
