"""How a plugin declares its properties and attributes, and how values are checked.

A plugin lists its properties as ``Property`` objects (type, required,
default, constraints, update_allowed, immutable, nested schema) and its
attributes as ``Attribute`` objects.  ``validate_properties`` turns the
resolved property values of a resource into the values the plugin sees —
converted, defaults applied — or reports every problem with its path below
``properties``, in Heat's words.

Values that depend on other resources are not known while a template is
validated; their names are passed as ``unknown`` and only their presence is
checked, as Heat does.

A property Heat renamed keeps its old names in ``deprecated_names`` (Heat's
``REPLACE`` translation rules, whose old properties it hides): a value given
under an old name is checked and handed to the plugin under the current name,
while problems still point at the name the template wrote.  Giving the value
under two of the names is an error.  The old names are not part of the schema
the API shows, as Heat hides them too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from orchestrator.template.constraints import (AllowedPattern, AllowedValues, Constraint, CustomConstraints,
                                               Length, Range)
from orchestrator.template.errors import InvalidArguments, Path
from orchestrator.template.parameters import boolean_value

__all__ = [
    "ANY", "AllowedPattern", "AllowedValues", "Any_", "Attribute", "BOOLEAN", "Boolean", "INTEGER", "Integer",
    "LIST", "Length", "List", "MAP", "Map", "NUMBER", "Number", "Property", "PropertyProblem", "Range", "STRING",
    "String", "current_names", "validate_properties",
]

STRING, INTEGER, NUMBER, BOOLEAN, MAP, LIST, ANY = "string", "integer", "number", "boolean", "map", "list", "any"

#: constraint checks run against these types (the template layer's vocabulary)
_CONSTRAINT_TYPE = {STRING: "string", INTEGER: "number", NUMBER: "number", BOOLEAN: "boolean",
                    MAP: "json", LIST: "comma_delimited_list", ANY: "string"}


@dataclass(frozen=True)
class Property:
    """One property of a resource type."""

    type: str
    description: str = ""
    required: bool = False
    default: Any = None
    constraints: tuple[Constraint, ...] = ()
    update_allowed: bool = False
    immutable: bool = False
    #: for a map: the schema of its keys; for a list: the schema of each item
    schema: "Mapping[str, Property] | Property | None" = None
    #: names Heat used to give this property and still accepts (``network_id`` for ``network``)
    deprecated_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in _CONSTRAINT_TYPE:
            raise ValueError(f"unknown property type {self.type!r}")
        if isinstance(self.deprecated_names, str):
            raise ValueError("deprecated_names must be a tuple of names, not a string")
        if isinstance(self.schema, Mapping):
            _renames(self.schema)  # fails early on names that clash

    def describe(self) -> dict:
        """The schema as Heat's resource-type API shows it."""
        data: dict[str, Any] = {"type": self.type, "description": self.description, "required": self.required,
                                "update_allowed": self.update_allowed, "immutable": self.immutable}
        if self.default is not None:
            data["default"] = self.default
        if self.constraints:
            data["constraints"] = [_describe_constraint(c) for c in self.constraints]
        if isinstance(self.schema, Property):
            data["schema"] = {"*": self.schema.describe()}
        elif self.schema is not None:
            data["schema"] = {name: sub.describe() for name, sub in self.schema.items()}
        return data


@dataclass(frozen=True)
class Attribute:
    """One attribute of a resource type (what ``get_attr`` can read)."""

    description: str = ""
    type: str | None = None

    def describe(self) -> dict:
        data = {"description": self.description}
        if self.type:
            data["type"] = self.type
        return data


@dataclass(frozen=True)
class PropertyProblem:
    """A property value that does not fit its schema."""

    path: Path
    message: str


def _renames(schema: Mapping[str, Property]) -> dict[str, str]:
    """Old name -> current name, for the properties of ``schema`` that Heat renamed."""
    renames: dict[str, str] = {}
    for name, prop in schema.items():
        for old in prop.deprecated_names:
            if old in schema or old in renames:
                raise ValueError(f"deprecated name {old!r} of {name!r} already names another property")
            renames[old] = name
    return renames


def current_names(schema: Mapping[str, Property], names: Iterable[str]) -> frozenset[str]:
    """``names`` (top-level property names as a template wrote them) with old names made current.

    For callers that pass the ``unknown`` names on to a plugin after
    ``validate_properties``: the plugin knows only the current names.
    """
    renames = _renames(schema)
    return frozenset(renames.get(name, name) for name in names)


def validate_properties(schema: Mapping[str, Property], values: Any, *,
                        unknown: Iterable[str] = (), custom: CustomConstraints | None = None,
                        context: Any = None, accept_any: bool = False) -> tuple[dict, list[PropertyProblem]]:
    """The values a plugin sees, and every problem found.

    ``unknown`` names properties whose values depend on resources that do
    not exist yet; ``accept_any`` is for types that take any property.
    """
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        return {}, [PropertyProblem((), f"Properties must be a map, not {type(values).__name__}")]
    if accept_any:
        return dict(values), []
    checker = _Checker(custom, context, frozenset(unknown))
    result = checker.mapping(schema, values, ())
    return result, checker.problems


class _Checker:
    def __init__(self, custom, context, unknown):
        self.custom = custom
        self.context = context
        self.unknown = unknown
        self.problems: list[PropertyProblem] = []

    def fail(self, path: Path, message: str) -> None:
        self.problems.append(PropertyProblem(path, message))

    def mapping(self, schema: Mapping[str, Property], values: Mapping, path: Path) -> dict:
        result = {}
        renames = _renames(schema)
        for key in values:
            if key not in schema and key not in renames:
                self.fail(path + (key,), f"Unknown Property {key}")
        for name, prop in schema.items():
            key = self.written(name, prop, values, path)
            raw = values.get(key)
            if path == () and key in self.unknown:
                result[name] = raw
                continue
            if raw is None:
                if prop.default is not None:
                    # A list or map default must not be shared: a plugin may change its value.
                    default = prop.default
                    result[name] = copy.deepcopy(default) if isinstance(default, (list, dict)) else default
                elif prop.required:
                    self.fail(path + (name,) if path else (name,), f"Property {name} not assigned")
                else:
                    result[name] = None
                continue
            value = self.value(prop, raw, path + (key,))
            if value is not _INVALID:
                result[name] = value
        return result

    def written(self, name: str, prop: Property, values: Mapping, path: Path) -> str:
        """The key the template gave property ``name`` under: its name, or one of its old names.

        A key counts as given when it has a value (or, at the top, a value
        not known yet).  Two given keys are reported as Heat does; the
        current name then wins.
        """
        if not prop.deprecated_names:
            return name
        given = [key for key in (name, *prop.deprecated_names) if key in values
                 and (values[key] is not None or (path == () and key in self.unknown))]
        if len(given) > 1:
            self.fail(path + (given[1],),
                      f"Cannot define the following properties at the same time: {', '.join(given)}.")
        return given[0] if given else name

    def value(self, prop: Property, raw: Any, path: Path) -> Any:
        try:
            value = _CONVERTERS[prop.type](raw)
        except InvalidArguments as exc:
            self.fail(path, exc.message)
            return _INVALID
        if prop.schema is not None:
            if prop.type == MAP and isinstance(prop.schema, Mapping):
                value = self.mapping(prop.schema, value, path)
            elif prop.type == LIST and isinstance(prop.schema, Property):
                items = [self.value(prop.schema, item, path + (index,)) for index, item in enumerate(value)]
                value = [item for item in items if item is not _INVALID]
        for constraint in prop.constraints:
            try:
                constraint.check(value, custom=self.custom, context=self.context)
            except InvalidArguments as exc:
                self.fail(path, exc.message)
                return _INVALID
        return value


_INVALID = object()


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise InvalidArguments(f"Value must be a string; got {_shown(value)}")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidArguments(f"Value '{value}' is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise InvalidArguments(f"Value '{value}' is not an integer")


def _number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise InvalidArguments(f"Value '{value}' is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        for convert in (int, float):
            try:
                return convert(value.strip())
            except ValueError:
                continue
    raise InvalidArguments(f"Value '{value}' is not a number")


def _boolean(value: Any) -> bool:
    result = boolean_value(value)
    if result is None:
        raise InvalidArguments(f'"{value}" is not a valid boolean')
    return result


def _map(value: Any) -> dict:
    if isinstance(value, Mapping):
        return dict(value)
    raise InvalidArguments(f'"{_shown(value)}" is not a map')


def _list(value: Any) -> list:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        # Heat accepts a comma-separated string where a list is expected.
        return [item.strip() for item in value.split(",")] if value else []
    raise InvalidArguments(f'"{_shown(value)}" is not a list')


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    STRING: _string, INTEGER: _integer, NUMBER: _number, BOOLEAN: _boolean, MAP: _map, LIST: _list,
    ANY: lambda value: value,
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _describe_constraint(constraint: Constraint) -> dict:
    data = {constraint.key: constraint.definition()}
    if constraint.description:
        data["description"] = constraint.description
    return data


# Constructors that read like a schema declaration.

def String(description: str = "", **kw: Any) -> Property:  # noqa: N802 - reads as a type in schemas
    """A string property."""
    return Property(STRING, description, **kw)


def Integer(description: str = "", **kw: Any) -> Property:  # noqa: N802
    """An integer property."""
    return Property(INTEGER, description, **kw)


def Number(description: str = "", **kw: Any) -> Property:  # noqa: N802
    """A number property (integer or float)."""
    return Property(NUMBER, description, **kw)


def Boolean(description: str = "", **kw: Any) -> Property:  # noqa: N802
    """A boolean property."""
    return Property(BOOLEAN, description, **kw)


def Map(description: str = "", **kw: Any) -> Property:  # noqa: N802
    """A map property; ``schema`` declares its keys."""
    return Property(MAP, description, **kw)


def List(description: str = "", **kw: Any) -> Property:  # noqa: N802
    """A list property; ``schema`` declares each item."""
    return Property(LIST, description, **kw)


def Any_(description: str = "", **kw: Any) -> Property:  # noqa: N802
    """A property of any type."""
    return Property(ANY, description, **kw)

