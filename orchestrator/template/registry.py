"""The ``resource_registry`` of an environment: which implementation each resource gets.

A registry lets users swap implementations without touching templates: alias
one type to another, point a type at a provider template, rewrite whole
families of types with a trailing ``*``, or switch mappings off with ``null``.
Its ``resources`` section targets individual resources by name: per-resource
type mappings, breakpoint hooks, restricted actions, and (nested one level
deeper per stack) the same for resources of nested stacks.

The registry is kept in Heat's own shape (a tree of mappings), because two
of Heat's rules are defined on that shape: a later registry is loaded *into*
an earlier one (``null`` removes what is below it), and a nested stack gets
the parent's registry with ``resources`` narrowed to the entries matching the
parent resource's name.  Removals are remembered so that a registry merged
later still removes what an earlier one defined.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Callable, Union

from .errors import Path, Problem, TemplateError
from .functions.base import type_name as _kind
from .loader import Document

HOOK_TYPES = ("pre-create", "pre-update", "pre-delete", "post-create", "post-update", "post-delete")
RESTRICTED_ACTIONS = ("update", "replace")
TEMPLATE_SUFFIXES = (".yaml", ".template")

RESOURCES, BASE_URL, HOOKS, RESTRICTED = "resources", "base_url", "hooks", "restricted_actions"

# A suffix-preserving glob can rewrite a type forever (OS::* -> OS::X::*) without
# ever repeating one; Heat recurses until the interpreter gives up.
_MAX_MAPPING_STEPS = 64

_NO_DOCUMENT = "<environment>"


def is_template_reference(name: str) -> bool:
    """Whether a type name or registry value names a provider template rather than a type."""
    return name.endswith(TEMPLATE_SUFFIXES) or "://" in name


@dataclass(frozen=True)
class ResolvedType:
    """What a resource's type turned into after the registry was applied.

    ``template`` is set when a provider template implements the resource;
    ``type_name`` is then the type the template stands for.  ``entry`` is
    where in the registry the template mapping lives (``()`` when the type
    itself names the template); ``for_child`` uses it so that a provider
    template may use the very type it implements.
    """

    type_name: str
    template: str | None = None
    mapped_from: tuple[str, ...] = ()
    entry: tuple[str, ...] = ()


# A type mapping (str), hooks or restricted_actions as written (str or tuple), or a nested level.
_Entry = Union[str, tuple, "_Level"]


class _Level:
    """One mapping of the registry tree, and the removals (``null`` entries) it made."""

    __slots__ = ("entries", "deleted")

    def __init__(self) -> None:
        self.entries: dict[str, _Entry] = {}
        self.deleted: list[str] = []

    def copy(self) -> _Level:
        level = _Level()
        level.entries = {k: v.copy() if isinstance(v, _Level) else v for k, v in self.entries.items()}
        level.deleted = list(self.deleted)
        return level

    def mapping(self, key: str) -> str | None:
        """The type mapping stored under ``key``, if that is what ``key`` holds."""
        value = self.entries.get(key)
        if isinstance(value, str) and key not in _NOT_TYPES:
            return value
        return None

    def child(self, key: str) -> _Level | None:
        value = self.entries.get(key)
        return value if isinstance(value, _Level) else None

    def delete(self, key: str) -> None:
        """Apply a ``null`` entry; a trailing ``*`` removes every type mapping with that prefix."""
        if key.endswith("*"):
            prefix = key[:-1]
            for name in [k for k in self.entries if k.startswith(prefix) and self.mapping(k) is not None]:
                del self.entries[name]
        else:
            self.entries.pop(key, None)
        if key not in self.deleted:
            self.deleted.append(key)

    def load(self, later: _Level) -> None:
        """Load ``later`` into this level, as Heat loads a second registry into the first."""
        for key in later.deleted:
            self.delete(key)
        for key, value in later.entries.items():
            mine = self.entries.get(key)
            if isinstance(value, _Level) and isinstance(mine, _Level):
                mine.load(value)
            else:
                self.entries[key] = value.copy() if isinstance(value, _Level) else value

    def to_data(self) -> dict[str, Any]:
        # Removals first: loading them before the entries reproduces this level.
        data: dict[str, Any] = {key: None for key in self.deleted}
        for key, value in self.entries.items():
            if isinstance(value, _Level):
                data[key] = value.to_data()
            else:
                data[key] = list(value) if isinstance(value, tuple) else value
        return data


_NOT_TYPES = frozenset((RESOURCES, BASE_URL, HOOKS, RESTRICTED))


class ResourceRegistry:
    """The user's resource registry: type aliases, provider templates, globs and per-resource settings.

    Instances are not changed after construction; ``merged`` and
    ``for_child`` return new registries.
    """

    def __init__(self) -> None:
        self._root = _Level()
        self._document: Document | None = None
        self._path: Path = ("resource_registry",)
        self._globs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def _build(cls, root: _Level, document: Document | None = None,
               path: Path = ("resource_registry",)) -> ResourceRegistry:
        registry = cls()
        registry._root = root
        registry._document = document
        registry._path = tuple(path)
        # Longer prefixes are more specific; equal ones keep their written order.
        globs = [(k, v) for k, v in root.entries.items()
                 if k.endswith("*") and root.mapping(k) is not None and not is_template_reference(v)]
        registry._globs = tuple(sorted(globs, key=lambda item: -len(item[0])))
        return registry

    @classmethod
    def from_data(cls, data: Any, document: Document | None = None,
                  path: Path = ("resource_registry",)) -> ResourceRegistry:
        """Check a ``resource_registry`` section; raise ``TemplateError`` listing every problem."""
        reader = _Reader(document, tuple(path))
        root = reader.root(data)
        if reader.problems:
            raise TemplateError(reader.problems)
        return cls._build(root, document, path)

    # -- types -----------------------------------------------------------------

    def resolve(self, type_name: str, resource_name: str | None = None) -> ResolvedType:
        """Follow the registry from ``type_name`` to a plugin type or a provider template.

        Each step takes, in order: the mapping for this resource by name, the
        exact type mapping, then the most specific matching glob.  A type
        with no mapping is its own implementation.
        """
        chain: list[str] = []
        current = type_name
        while True:
            if is_template_reference(current):
                return ResolvedType(current, current, tuple(chain))
            step = self._step(current, resource_name)
            if step is None:
                return ResolvedType(current, None, tuple(chain))
            entry, target = step
            if is_template_reference(target):
                return ResolvedType(current, target, tuple(chain), entry)
            chain.append(current)
            if target in chain:
                route = " -> ".join(chain + [target])
                raise self._error(f"Resource type mapping loop: {route}", entry)
            if len(chain) >= _MAX_MAPPING_STEPS:
                raise self._error(f"Resource type {type_name} is mapped more than {_MAX_MAPPING_STEPS} times "
                                  f"(it reached {target}); a wildcard mapping probably feeds itself", entry)
            current = target

    def _step(self, type_name: str, resource_name: str | None) -> tuple[tuple[str, ...], str] | None:
        if resource_name is not None:
            # Heat matches per-resource type mappings by exact name (hooks use patterns).
            resources = self._root.child(RESOURCES)
            overrides = resources.child(resource_name) if resources else None
            target = overrides.mapping(type_name) if overrides else None
            if target is not None:
                return (RESOURCES, resource_name, type_name), target
        target = self._root.mapping(type_name)
        if target is not None:
            return (type_name,), target
        for key, target in self._globs:
            prefix = key[:-1]
            # A many-to-one glob must not catch its own target again.
            if type_name.startswith(prefix) and type_name != target:
                if target.endswith("*"):
                    target = target[:-1] + type_name[len(prefix):]
                return (key,), target
        return None

    def _error(self, message: str, entry: tuple[str, ...]) -> TemplateError:
        path = self._path + entry
        if self._document is not None:
            return TemplateError(self._document.problem(message, path))
        return TemplateError(Problem(message, path, _NO_DOCUMENT))

    # -- resources of this stack -------------------------------------------------

    def _matching(self, resource_name: str) -> list[_Level]:
        resources = self._root.child(RESOURCES)
        if resources is None:
            return []
        return [level for pattern, level in resources.entries.items()
                if isinstance(level, _Level) and fnmatch.fnmatchcase(resource_name, pattern)]

    def _flags(self, resource_name: str, key: str) -> frozenset[str]:
        found: set[str] = set()
        for level in self._matching(resource_name):
            value = level.entries.get(key)
            if isinstance(value, str):
                found.add(value)
            elif isinstance(value, tuple):
                found.update(value)
        return frozenset(found)

    def hooks(self, resource_name: str) -> frozenset[str]:
        """Breakpoints set on ``resource_name`` by every ``resources`` pattern it matches."""
        return self._flags(resource_name, HOOKS)

    def restricted_actions(self, resource_name: str) -> frozenset[str]:
        """Actions (``update``, ``replace``) the user forbade on ``resource_name``."""
        return self._flags(resource_name, RESTRICTED)

    # -- whole registries ------------------------------------------------------------

    def for_child(self, parent_resource_name: str, provider: ResolvedType | None = None) -> ResourceRegistry:
        """The registry a nested stack created by ``parent_resource_name`` inherits.

        ``resources`` keeps only what was nested under patterns matching the
        parent's name (an exact name wins over patterns), which is how hooks
        reach resources of nested stacks.  When the parent is a provider
        template resource, pass its ``ResolvedType``: the mapping that chose
        the template is dropped so the template can use the type it wraps.
        """
        root = _Level()
        root.entries = {k: v for k, v in self._root.entries.items() if k != RESOURCES}
        if provider is not None and len(provider.entry) == 1:
            root.entries.pop(provider.entry[0], None)
        narrowed = _Level()
        resources = self._root.child(RESOURCES)
        if resources is not None:
            matches = self._matching(parent_resource_name)
            exact = resources.child(parent_resource_name)
            if exact is not None:
                matches.append(exact)
            for level in matches:
                # Mappings and hooks at this depth were the parent resource's own.
                narrowed.entries.update((k, v) for k, v in level.entries.items() if isinstance(v, _Level))
        root.entries[RESOURCES] = narrowed
        return ResourceRegistry._build(root.copy())

    def merged(self, later: ResourceRegistry) -> ResourceRegistry:
        """This registry with ``later`` loaded on top (later entries win, its nulls remove ours)."""
        root = self._root.copy()
        root.load(later._root)
        return ResourceRegistry._build(root)

    @property
    def base_url(self) -> str | None:
        """The base a client resolves relative provider template paths against (the service does not)."""
        value = self._root.entries.get(BASE_URL)
        return value if isinstance(value, str) else None

    def template_urls(self) -> tuple[str, ...]:
        """Every provider template the registry refers to, in order, once each."""
        found: dict[str, None] = {}
        stack = [self._root]
        while stack:
            level = stack.pop(0)
            for key, value in level.entries.items():
                if isinstance(value, _Level):
                    stack.append(value)
                    continue
                if key in _NOT_TYPES or not isinstance(value, str):
                    continue
                for name in (key, value):
                    if is_template_reference(name):
                        found.setdefault(name)
        return tuple(found)

    def to_data(self) -> dict[str, Any]:
        """JSON-able data that ``from_data`` turns back into an equal registry."""
        data = self._root.to_data()
        data.setdefault(RESOURCES, {})
        return data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResourceRegistry):
            return NotImplemented
        return self.to_data() == other.to_data()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ResourceRegistry({self.to_data()!r})"


# -- reading -------------------------------------------------------------------------


def _flag_checker(allowed: tuple[str, ...], what: str, where: str) -> Callable[[Any], list[tuple[str, Path]]]:
    def check(value: Any) -> list[tuple[str, Path]]:
        if isinstance(value, list):
            items = [(item, (index,)) for index, item in enumerate(value)]
        else:
            items = [(value, ())]
        return [(f'Invalid {what} type "{item}" {where}, acceptable {what} types are: {", ".join(allowed)}', sub)
                for item, sub in items if item not in allowed]
    return check


_FLAG_CHECKS = {
    HOOKS: _flag_checker(HOOK_TYPES, "hook", "for resource breakpoint"),
    RESTRICTED: _flag_checker(RESTRICTED_ACTIONS, "restricted_action", "for resource"),
}

_TYPE_VALUE = ("a resource type maps to another type name or to a provider template (a string), "
               "or to null to remove a mapping")


class _Reader:
    """Checks registry data and builds its tree, collecting every problem."""

    def __init__(self, document: Document | None, path: Path):
        self.document = document
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, message: str, subpath: Path) -> None:
        path = self.path + subpath
        if self.document is not None:
            self.problems.append(self.document.problem(message, path))
        else:
            self.problems.append(Problem(message, path, _NO_DOCUMENT))

    def _keys(self, data: Any, subpath: Path, what: str):
        """The (key, value) pairs of a mapping, reporting a non-mapping or a bad key."""
        if not isinstance(data, dict):
            self.problem(f"{what} must be a map, not {_kind(data)}", subpath)
            return
        for key, value in data.items():
            if not isinstance(key, str) or not key:
                self.problem(f"registry keys must be non-empty strings, not {key!r}", subpath + (key,))
                continue
            yield key, value

    def root(self, data: Any) -> _Level:
        level = _Level()
        for key, value in self._keys(data, (), "The resource_registry section"):
            path = (key,)
            if value is None:
                level.delete(key)
            elif key == RESOURCES:
                level.entries[key] = self.patterns(value, path)
            elif key == BASE_URL:
                if isinstance(value, str):
                    level.entries[key] = value
                else:
                    self.problem(f"base_url must be a string, not {_kind(value)}", path)
            elif key in _FLAG_CHECKS:
                self.problem(f"{key} apply to resources: set them under resources.<resource name>.{key}", path)
            else:
                self.type_mapping(level, key, value, path)
        return level

    def patterns(self, data: Any, path: Path) -> _Level:
        level = _Level()
        for pattern, value in self._keys(data, path, "resources"):
            if value is None:
                level.delete(pattern)
            elif isinstance(value, dict):
                level.entries[pattern] = self.overrides(value, path + (pattern,))
            else:
                self.problem(f"the settings for resources matching {pattern!r} must be a map "
                             f"(type mappings, hooks, restricted_actions), not {_kind(value)}", path + (pattern,))
        return level

    def overrides(self, data: dict, path: Path) -> _Level:
        level = _Level()
        for key, value in self._keys(data, path, "resource settings"):
            if value is None:
                level.delete(key)
            elif key in _FLAG_CHECKS:
                errors = _FLAG_CHECKS[key](value)
                for message, sub in errors:
                    self.problem(message, path + (key,) + sub)
                if not errors:
                    level.entries[key] = tuple(value) if isinstance(value, list) else value
            elif isinstance(value, dict):
                # Settings for resources of the nested stack this resource creates.
                level.entries[key] = self.overrides(value, path + (key,))
            else:
                self.type_mapping(level, key, value, path + (key,))
        return level

    def type_mapping(self, level: _Level, key: str, value: Any, path: Path) -> None:
        if not isinstance(value, str):
            self.problem(f"{_TYPE_VALUE}, not {_kind(value)}", path)
        elif not value:
            self.problem(f"{_TYPE_VALUE}, not an empty string", path)
        else:
            level.entries[key] = value
