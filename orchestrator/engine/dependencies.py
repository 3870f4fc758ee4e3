"""Implicit dependencies: the edges plugins add to a compiled stack's graph.

The template compiler knows only what functions and ``depends_on`` say.
Some types need more (Heat's ``add_dependencies``: a port waits for the
subnets of its network, a floating IP for the router interface that reaches
it); their plugins say so through ``Resource.implicit_dependencies``.  The
engine adds those edges to every definition it walks, so creation, updates
and the stored ``requires`` that deletion reverses all follow one graph.

An implicit edge never closes a cycle: one that would is dropped, since the
template itself was acyclic and must stay deployable.  Stacks without such
types pay one dictionary lookup per resource.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import replace
from functools import cached_property
from typing import Any, Mapping

from orchestrator.template.compiler import StackDefinition, _stable_order
from orchestrator.template.definitions import ResourceDefinition
from resources.base import Resource
from resources.implicit_dependencies import RULES, Ref

log = logging.getLogger(__name__)

_DEFAULT_HOOK = Resource.implicit_dependencies.__func__


class _BeforeCreation:
    """The ``ResourceState`` of a stack where nothing exists yet: references are ``Ref``, attributes ``None``."""

    def reference(self, name: str) -> Any:
        return Ref(name)

    def attribute(self, name: str, attribute: str, path: tuple) -> Any:
        return None

    def all_attributes(self, name: str) -> dict | None:
        return None


_BEFORE_CREATION = _BeforeCreation()


class _Resource:
    """A resource as dependency rules see it (``resources.implicit_dependencies.StackResource``)."""

    def __init__(self, definition: StackDefinition, resource: ResourceDefinition):
        self._definition = definition
        self._resource = resource
        self.name = resource.name
        self.type = resource.resolved_type
        self.requires = resource.requires

    @cached_property
    def properties(self) -> Mapping[str, Any]:
        """Each property resolved on its own, so that one that cannot be (yet) is just ``None``."""
        tree = self._resource.properties
        if not isinstance(tree, Mapping):
            return {}
        values: dict[str, Any] = {}
        for key, value in tree.items():
            try:
                values[key] = self._definition.resolve(value, _BEFORE_CREATION)
            except Exception:  # a value built from a Ref (list_join, say) is simply not known yet
                values[key] = None
        return values


class _Stack:
    """The stack's resources by name and by type (``resources.implicit_dependencies.StackResources``)."""

    def __init__(self, definition: StackDefinition):
        self._definition = definition
        self._resources: dict[str, _Resource] = {}

    def get(self, name: str) -> _Resource | None:
        resource = self._resources.get(name)
        if resource is None:
            found = self._definition.resources.get(name)
            if found is None or found.template is not None:
                return None
            resource = self._resources[name] = _Resource(self._definition, found)
        return resource

    @cached_property
    def _by_type(self) -> dict[str, list[str]]:
        by_type: dict[str, list[str]] = {}
        for name, resource in self._definition.resources.items():
            if resource.template is None:
                by_type.setdefault(resource.resolved_type, []).append(name)
        return by_type

    def of_type(self, *type_names: str) -> list[_Resource]:
        names = [name for type_name in type_names for name in self._by_type.get(type_name, ())]
        if len(type_names) > 1:
            order = {name: index for index, name in enumerate(self._definition.resources)}
            names.sort(key=order.__getitem__)
        return [self.get(name) for name in names]


def _hook(plugins: Any, resource: ResourceDefinition):
    """The plugin's ``implicit_dependencies``, or ``None`` when it can only answer nothing."""
    if resource.template is not None or plugins is None or resource.external_id is not None:
        return None  # an external resource depends on nothing (Heat)
    cls = plugins.get(resource.resolved_type)
    if cls is None:
        return None
    hook = cls.implicit_dependencies
    if getattr(hook, "__func__", None) is _DEFAULT_HOOK and resource.resolved_type not in RULES:
        return None
    return hook


def with_implicit_dependencies(definition: StackDefinition, plugins: Any) -> StackDefinition:
    """``definition`` with the plugins' implicit edges added to its resources' ``requires``.

    Returns ``definition`` itself when no plugin adds anything.
    """
    hooks = {name: hook for name, resource in definition.resources.items()
             if (hook := _hook(plugins, resource)) is not None}
    if not hooks:
        return definition
    stack = _Stack(definition)
    graph: dict[str, set[str]] = {name: set(resource.requires) for name, resource in definition.resources.items()}
    added = False
    for name, hook in hooks.items():
        try:
            needed = list(hook(stack.get(name), stack))
        except Exception:  # a faulty rule must not stop the stack: it only loses its extra edges
            log.exception("implicit dependencies of resource %s failed", name)
            continue
        for other in needed:
            if other == name or other not in graph or other in graph[name]:
                continue
            if _reaches(graph, other, name):
                log.info("implicit dependency %s -> %s skipped: it would close a cycle", name, other)
                continue
            graph[name].add(other)
            added = True
    if not added:
        return definition
    resources = {name: resource if graph[name] == resource.requires
                 else replace(resource, requires=frozenset(graph[name]))
                 for name, resource in definition.resources.items()}
    augmented = copy.copy(definition)
    augmented.__dict__.pop("required_by", None)  # cached from the explicit edges
    # keep the compiler's promise: dependency order, ties in template order
    augmented.resources = {name: resources[name] for name in _stable_order(graph, list(resources))}
    return augmented


def _reaches(graph: Mapping[str, set[str]], start: str, goal: str) -> bool:
    """Whether ``start`` needs ``goal``, directly or through others."""
    seen = {start}
    waiting = [start]
    while waiting:
        for needed in graph[waiting.pop()]:
            if needed == goal:
                return True
            if needed not in seen:
                seen.add(needed)
                waiting.append(needed)
    return False
