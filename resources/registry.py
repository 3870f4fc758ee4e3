"""Finding resource plugins: entry points, plugin folders, and the catalog of types.

Types come from installed packages (entry-point group ``orchestrator.resources``)
and from ``.py`` files in configured plugin folders, so a user adds a type
without touching the service.  An entry point or a plugin module offers either
a ``resource_mapping()`` function returning ``{type name: class}`` or plugin
classes that name themselves with ``type_name``.

``PluginRegistry`` is also the ``TypeCatalog`` the template compiler consults:
which types exist, which attributes they have, whether property values fit.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Mapping

from orchestrator.template.constraints import CustomConstraints
from orchestrator.template.errors import Path as TemplatePath

from .base import Resource
from .schema import PropertyProblem, current_names, validate_properties

ENTRY_POINT_GROUP = "orchestrator.resources"
_PLUGIN_PACKAGE = "orchestrator_plugins"

log = logging.getLogger(__name__)


class PluginError(Exception):
    """A plugin could not be loaded (a broken module, or two plugins claiming one type)."""


class PluginRegistry:
    """Resource types by name."""

    def __init__(self, plugins: Mapping[str, type[Resource]] | None = None,
                 custom_constraints: CustomConstraints | None = None):
        self._plugins: dict[str, type[Resource]] = {}
        self._origins: dict[str, str] = {}
        self.custom_constraints = custom_constraints
        for type_name, cls in (plugins or {}).items():
            self.register(type_name, cls)

    @classmethod
    def discover(cls, plugin_dirs: Iterable[str] = (), custom_constraints: CustomConstraints | None = None,
                 use_entry_points: bool = True) -> "PluginRegistry":
        """Every plugin installed (entry points) and in ``plugin_dirs``."""
        registry = cls(custom_constraints=custom_constraints)
        if use_entry_points:
            for entry_point in entry_points(group=ENTRY_POINT_GROUP):
                try:
                    loaded = entry_point.load()
                except Exception as exc:  # a broken third-party plugin must say which one it is
                    raise PluginError(f"cannot load resource plugin {entry_point.value!r}: {exc}") from exc
                registry.register_from(loaded, f"entry point {entry_point.name} ({entry_point.value})",
                                       default_name=entry_point.name)
        for folder in plugin_dirs:
            for module in _modules_in(Path(folder)):
                registry.register_from(module, f"plugin file {module.__file__}")
        return registry

    def register(self, type_name: str, cls: type[Resource], origin: str = "") -> None:
        """Add one type; registering a different class under a taken name is an error."""
        if not (inspect.isclass(cls) and issubclass(cls, Resource)):
            raise PluginError(f"{origin or type_name}: {cls!r} is not a resource plugin class")
        existing = self._plugins.get(type_name)
        if existing is not None and existing is not cls:
            raise PluginError(f"resource type {type_name} is provided twice: by {self._origins[type_name]} "
                              f"and by {origin or cls.__module__}")
        self._plugins[type_name] = cls
        self._origins[type_name] = origin or f"{cls.__module__}.{cls.__qualname__}"

    def register_from(self, source: Any, origin: str, default_name: str | None = None) -> None:
        """Register what a module, a ``resource_mapping`` function or a class provides."""
        if isinstance(source, ModuleType):
            mapping = getattr(source, "resource_mapping", None)
            if callable(mapping):
                source = mapping
            else:
                for value in vars(source).values():
                    if (inspect.isclass(value) and issubclass(value, Resource) and value.type_name
                            and value.__module__ == source.__name__):
                        self.register(value.type_name, value, origin)
                return
        if inspect.isclass(source):
            self.register(source.type_name or default_name or "", source, origin)
            return
        if callable(source):
            for type_name, cls in source().items():
                self.register(type_name, cls, origin)
            return
        raise PluginError(f"{origin}: expected a module, a class or resource_mapping(), got {source!r}")

    # -- lookups ------------------------------------------------------------------------

    def get(self, type_name: str) -> type[Resource] | None:
        """The plugin class for ``type_name``, or ``None``."""
        return self._plugins.get(type_name)

    # nested stacks: a provider template (``type: x.yaml`` or a registry mapping) is a template resource
    def template_plugin(self) -> type[Resource]:
        """The plugin of every resource implemented by a provider template."""
        from .orchestration.template_resource import TemplateResource

        return TemplateResource

    def for_definition(self, definition: Any) -> type[Resource] | None:
        """The plugin class of a resource definition (a template resource's, when it has a ``template``)."""
        if getattr(definition, "template", None) is not None:
            return self.template_plugin()
        return self._plugins.get(definition.resolved_type)

    def types(self) -> list[str]:
        """Every type name, sorted."""
        return sorted(self._plugins)

    def origin(self, type_name: str) -> str:
        """Where a type came from (for messages and the types listing)."""
        return self._origins[type_name]

    # -- the TypeCatalog protocol of orchestrator.template.scope --------------------------

    def has_type(self, type_name: str) -> bool:
        return type_name in self._plugins

    def attribute_names(self, type_name: str) -> frozenset[str] | None:
        cls = self._plugins.get(type_name)
        if cls is None or cls.accepts_any_properties or cls.dynamic_attributes:
            return None  # (nested stacks: groups answer "resource.0.name" and the like)
        return frozenset(cls.attributes_schema) | {"show"}

    def supports(self, type_name: str, action: str) -> bool:
        cls = self._plugins.get(type_name)
        return cls is not None and cls.supports(action)

    def check_properties(self, type_name: str, properties: Any,
                         unknown: frozenset[str]) -> list[tuple[TemplatePath, str]]:
        """Problems with a resource's properties, as (path below ``properties``, message)."""
        cls = self._plugins.get(type_name)
        if cls is None:
            return []
        _, problems = self.checked_properties(cls, properties, unknown)
        return [(problem.path, problem.message) for problem in problems]

    def checked_properties(self, cls: type[Resource], properties: Any,
                           unknown: frozenset[str] = frozenset()) -> tuple[dict, list[PropertyProblem]]:
        """The values a plugin sees (converted, defaults applied) and every problem: schema, then cross-checks."""
        values, problems = validate_properties(cls.properties_schema, properties, unknown=unknown,
                                               custom=self.custom_constraints,
                                               accept_any=cls.accepts_any_properties)
        if not problems:
            # the plugin knows its properties by their current names only (network, not network_id)
            problems = list(cls.validate(values, current_names(cls.properties_schema, unknown)))
        return values, problems


def _modules_in(folder: Path) -> Iterable[ModuleType]:
    """Import every ``.py`` file and package of a plugin folder as ``orchestrator_plugins.<folder key>.<name>``.

    Each folder is a package of its own (its key is a digest of the folder's
    full path), so files of the same name in two folders are two modules; a
    folder discovered again gives the modules it gave before.  A package (a
    subfolder with an ``__init__.py``) is imported with its own path, so its
    modules may import one another relatively.
    """
    if not folder.is_dir():
        raise PluginError(f"plugin folder {folder} does not exist")
    package = _package(folder.resolve())
    entries = sorted([*folder.glob("*.py"), *(init.parent for init in folder.glob("*/__init__.py"))])
    for file in entries:
        if file.name.startswith("_") or file.name.startswith("test_"):
            continue
        name = f"{package}.{file.stem}"
        module = sys.modules.get(name)
        if module is None:
            if file.is_dir():
                spec = importlib.util.spec_from_file_location(name, file / "__init__.py",
                                                              submodule_search_locations=[str(file)])
            else:
                spec = importlib.util.spec_from_file_location(name, file)
            module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)  # type: ignore[union-attr]
            except Exception as exc:
                del sys.modules[name]
                raise PluginError(f"cannot load plugin file {file}: {exc}") from exc
        yield module


def _package(folder: Path) -> str:
    """The name of the (namespace-like) package that a plugin folder's modules belong to."""
    if _PLUGIN_PACKAGE not in sys.modules:
        root = ModuleType(_PLUGIN_PACKAGE)
        root.__path__ = []  # type: ignore[attr-defined]
        sys.modules[_PLUGIN_PACKAGE] = root
    name = f"{_PLUGIN_PACKAGE}.d{hashlib.sha256(str(folder).encode()).hexdigest()[:16]}"
    if name not in sys.modules:
        package = ModuleType(name)
        package.__path__ = []  # type: ignore[attr-defined]
        sys.modules[name] = package
    return name
