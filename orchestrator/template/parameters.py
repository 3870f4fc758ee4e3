"""The ``parameters`` and ``parameter_groups`` sections, and binding values to them.

Three moments, as in Heat: a template's parameter definitions are read and
checked once (``parse_parameters``), including each default against its type
and constraints; values arriving from a user are converted to the declared
type (``convert``); and at stack time every parameter gets its effective value
(``bind_parameters``), with all constraints, custom ones included, enforced
and every failure reported at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .constraints import (BOOLEAN, JSON, LIST, NUMBER, STRING, Constraint, CustomConstraints, check_constraints,
                          parse_constraint)
from .errors import InvalidArguments, Path, Problem, TemplateError
from .functions.base import type_name
from .loader import Document
from .versions import HotVersion, first_version_with

PSEUDO_PARAMETERS = ("OS::stack_id", "OS::stack_name", "OS::project_id")
HIDDEN_TEXT = "******"


class _Missing:
    """The absence of a default (distinct from any value a template can hold)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


@dataclass(frozen=True)
class ParameterSchema:
    """One declared parameter, as checked when the template was read.

    ``default`` is the template's value as written (``MISSING`` when absent
    or null, which makes the parameter required, as in Heat).
    """

    name: str
    type: str
    label: str | None = None
    description: str | None = None
    default: Any = MISSING
    hidden: bool = False
    immutable: bool = False
    tags: tuple[str, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    path: Path = field(default=())

    def __post_init__(self) -> None:
        if not self.path:
            object.__setattr__(self, "path", ("parameters", self.name))

    @property
    def required(self) -> bool:
        """A parameter without a default needs a value from the user."""
        return self.default is MISSING


@dataclass(frozen=True)
class ParameterGroup:
    """A UI grouping of parameters; it has no effect on the stack."""

    label: str | None
    description: str | None
    parameters: tuple[str, ...]


# -- converting values ---------------------------------------------------------------

_TRUE = frozenset(("1", "t", "true", "on", "y", "yes"))
_FALSE = frozenset(("0", "f", "false", "off", "n", "no"))
_ACCEPTABLE = ", ".join(f"'{word}'" for word in sorted(_TRUE | _FALSE))


def _shown(value: Any, shown: str | None) -> str:
    return str(value) if shown is None else shown


def _to_string(value: Any, shown: str | None) -> str:
    return str(value)


def _to_number(value: Any, shown: str | None) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidArguments(f'Value "{_shown(value, shown)}" is invalid for data type "number".')
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        text = repr(value) if shown is None else shown
        raise InvalidArguments(f"could not convert string to float: {text}") from None


def _to_list(value: Any, shown: str | None) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if not isinstance(value, str):
        raise InvalidArguments("Value must be a comma-delimited list string: "
                               f"'{type(value).__name__}' object has no attribute 'split'")
    # Heat splits without stripping: "a, b" is ["a", " b"].
    return value.split(",") if value else []


def _to_json(value: Any, shown: str | None) -> dict | list:
    if value == "":
        return {}
    try:
        # A round trip both parses strings and deep-copies maps and lists.
        text = value if isinstance(value, str) else json.dumps(value)
        parsed = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise InvalidArguments(f"Value must be valid JSON: {exc}") from None
    if not isinstance(parsed, (dict, list)):
        raise InvalidArguments(f"Value must be valid JSON: expected a map or a list, not {type_name(parsed)}")
    return parsed


def boolean_value(value: Any) -> bool | None:
    """``value`` read as a boolean the way Heat reads one (``yes``, ``off``, ``1`` …); ``None`` if it is none."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def _to_boolean(value: Any, shown: str | None) -> bool:
    result = boolean_value(value)
    if result is None:
        raise InvalidArguments(f"Unrecognized value '{_shown(value, shown)}', acceptable values are: "
                               f"{_ACCEPTABLE}")
    return result


#: parameter type -> converter of user values (strings from a CLI, JSON values from the API)
CONVERTERS: dict[str, Callable[[Any, str | None], Any]] = {
    STRING: _to_string,
    NUMBER: _to_number,
    LIST: _to_list,
    JSON: _to_json,
    BOOLEAN: _to_boolean,
}


def convert(schema: ParameterSchema, value: Any) -> Any:
    """``value`` in the parameter's type; ``InvalidArguments`` with Heat's message if impossible."""
    return CONVERTERS[schema.type](value, HIDDEN_TEXT if schema.hidden else None)


def _normaliser(param_type: str) -> Callable[[Any], Any] | None:
    # List items are compared as text, so list allowed values need no conversion.
    if param_type == LIST:
        return None
    converter = CONVERTERS[param_type]
    return lambda value: converter(value, None)


# -- reading the section ---------------------------------------------------------------

class _SectionReader:
    """Collects every problem in one ``parameters`` section."""

    def __init__(self, version: HotVersion, document: Document):
        self.version = version
        self.document = document
        self.problems: list[Problem] = []

    def error(self, message: str, path: Path) -> None:
        self.problems.append(self.document.problem(message, path))

    def read(self, section: Any) -> dict[str, ParameterSchema]:
        if section is None:
            return {}
        if not isinstance(section, dict):
            self.error("The parameters section must be a map of parameter names to definitions",
                       ("parameters",))
            return {}
        schemas = {}
        for name, definition in section.items():
            path: Path = ("parameters", name)
            if not isinstance(name, str):
                self.error(f"The parameter name {name!r} must be a string", path)
            elif not isinstance(definition, dict):
                self.error(f"The Parameter ({name}) has no attributes.", path)
            else:
                schemas[name] = self.parameter(name, definition, path)
        return schemas

    def parameter(self, name: str, definition: dict, path: Path) -> ParameterSchema:
        for key in definition:
            if key not in self.version.parameter_keys:
                self.error(f"Invalid key '{key}' for parameter ({name})" + _version_hint(key),
                           path + (key,))
        param_type = self.type(name, definition, path)
        constraints = self.constraints(name, definition, param_type, path)
        default = definition.get("default")
        if default is None:
            default = MISSING
        elif param_type is not None and not self.default_ok(name, default, param_type,
                                                            constraints, definition, path):
            default = MISSING
        return ParameterSchema(
            name=name,
            type=param_type or STRING,
            label=self.text(name, definition, "label", path),
            description=self.text(name, definition, "description", path),
            default=default,
            hidden=self.flag(name, definition, "hidden", path),
            immutable=self.flag(name, definition, "immutable", path),
            tags=self.tags(name, definition, path),
            constraints=tuple(constraints),
            path=path,
        )

    def type(self, name: str, definition: dict, path: Path) -> str | None:
        if "type" not in definition:
            self.error(f"Missing parameter type for parameter: {name}", path)
            return None
        param_type = definition["type"]
        if not isinstance(param_type, str) or param_type not in CONVERTERS:
            self.error(f"Invalid type ({param_type}): must be one of {', '.join(CONVERTERS)}",
                       path + ("type",))
            return None
        return param_type

    def constraints(self, name: str, definition: dict, param_type: str | None,
                    path: Path) -> list[Constraint]:
        raw = definition.get("constraints")
        if raw is None:
            return []
        path = path + ("constraints",)
        if not isinstance(raw, list):
            self.error(f"Invalid parameter constraints for parameter {name}, expected a list", path)
            return []
        if param_type is None:  # cannot tell which constraints would apply
            return []
        parsed = []
        normalise = _normaliser(param_type)
        for index, entry in enumerate(raw):
            try:
                parsed.append(parse_constraint(entry, param_type, self.version.constraint_keys,
                                               normalise))
            except InvalidArguments as exc:
                self.error(exc.message, path + (index,) + exc.subpath)
        return parsed

    def default_ok(self, name: str, default: Any, param_type: str,
                   constraints: list[Constraint], definition: dict, path: Path) -> bool:
        hidden = definition.get("hidden") is True
        shown = HIDDEN_TEXT if hidden else None
        try:
            value = CONVERTERS[param_type](default, shown)
            check_constraints(constraints, value, skip_custom=True, shown=shown)
        except InvalidArguments as exc:
            self.error(f"Parameter '{name}' is invalid: Invalid default "
                       f"{HIDDEN_TEXT if hidden else default} ({exc.message})", path + ("default",))
            return False
        return True

    def text(self, name: str, definition: dict, key: str, path: Path) -> str | None:
        value = definition.get(key)
        if value is not None and not isinstance(value, str):
            self.error(f"Invalid {key} for parameter ({name}), expected a string", path + (key,))
            return None
        return value

    def flag(self, name: str, definition: dict, key: str, path: Path) -> bool:
        value = definition.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.error(f"Invalid {key} for parameter ({name}), expected a boolean (true or false)",
                       path + (key,))
            return False
        return value

    def tags(self, name: str, definition: dict, path: Path) -> tuple[str, ...]:
        value = definition.get("tags")
        if value is None or "tags" not in self.version.parameter_keys:
            return ()
        if not isinstance(value, list):
            self.error(f"Tags property should be a list for parameter: {name}", path + ("tags",))
            return ()
        for index, tag in enumerate(value):
            if not isinstance(tag, str):
                self.error(f"Tags property should be a list of strings for parameter: {name}",
                           path + ("tags", index))
                return ()
        return tuple(value)


def _version_hint(key: str) -> str:
    first = first_version_with("parameter_keys", key)
    return f": {key} needs heat_template_version {first} or later" if first else ""


def parse_parameters(section: Any, version: HotVersion,
                     document: Document) -> tuple[dict[str, ParameterSchema], list[Problem]]:
    """Read a ``parameters`` section, reporting every problem with its path and position.

    Every parameter that is a map gets a schema even when parts of it are
    wrong (an unusable type reads as ``string``, a bad default as none), so
    that references to it do not add misleading errors of their own.
    """
    reader = _SectionReader(version, document)
    schemas = reader.read(section)
    return schemas, reader.problems


def parse_parameter_groups(section: Any, schemas: Mapping[str, ParameterSchema],
                           document: Document) -> tuple[list[ParameterGroup], list[Problem]]:
    """Read ``parameter_groups``: each group lists declared parameters, none in two groups."""
    problems: list[Problem] = []
    if section is None:
        return [], problems
    root: Path = ("parameter_groups",)
    if not isinstance(section, list):
        return [], [document.problem("The parameter_groups should be a list.", root)]
    groups = []
    seen: set[str] = set()
    known = set(schemas) | set(PSEUDO_PARAMETERS)
    for index, group in enumerate(section):
        path = root + (index,)
        if not isinstance(group, dict):
            problems.append(document.problem(
                "A parameter group must be a map of label, description and parameters", path))
            continue
        names = group.get("parameters")
        if names is None:
            problems.append(document.problem(
                "The parameters must be provided for each parameter group.", path))
            continue
        if not isinstance(names, list):
            problems.append(document.problem(
                "The parameters of parameter group should be a list.", path + ("parameters",)))
            continue
        for position, name in enumerate(names):
            where = path + ("parameters", position)
            if isinstance(name, str) and name in seen:
                problems.append(document.problem(
                    f"The {name} parameter must be assigned to one parameter group only.", where))
            elif not isinstance(name, str) or name not in known:
                problems.append(document.problem(
                    f"The grouped parameter {name} does not reference a valid parameter.", where))
            else:
                seen.add(name)
        label, description = group.get("label"), group.get("description")
        groups.append(ParameterGroup(
            label if isinstance(label, str) else None,
            description if isinstance(description, str) else None,
            tuple(name for name in names if isinstance(name, str)),
        ))
    return groups, problems


# -- binding values ----------------------------------------------------------------------

def bind_parameters(schemas: Mapping[str, ParameterSchema], user_values: Mapping[str, Any] | None,
                    parameter_defaults: Mapping[str, Any] | None, pseudo: Mapping[str, Any] | None,
                    custom_constraints: CustomConstraints | None,
                    context: Any = None, placeholders: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The effective value of every parameter, or one ``TemplateError`` listing every failure.

    Precedence is Heat's: the user's value, else the environment's
    ``parameter_defaults`` entry, else the template default; ``None`` counts
    as no value at each level.  ``parameter_defaults`` naming undeclared
    parameters are ignored (one environment serves many templates), but a
    user value for an undeclared parameter is an error.

    ``placeholders`` stand, unchecked, for values that are not known yet: a
    template is validated before anyone chose its parameters, and a nested
    template before its parent's resources exist.
    """
    user_values = user_values or {}
    parameter_defaults = parameter_defaults or {}
    placeholders = placeholders or {}
    problems = [Problem(f"The Parameter ({name}) was not defined in template.", ("parameters", name))
                for name in user_values if name not in schemas]
    values: dict[str, Any] = dict(pseudo or {})
    for name, schema in schemas.items():
        if name in placeholders:
            values[name] = placeholders[name]
            continue
        raw = _first_given(user_values.get(name), parameter_defaults.get(name), schema.default)
        if raw is None:
            problems.append(Problem(f"The Parameter ({name}) was not provided.", schema.path))
            continue
        shown = HIDDEN_TEXT if schema.hidden else None
        try:
            value = convert(schema, raw)
            check_constraints(schema.constraints, value, custom_constraints, context, shown=shown)
        except InvalidArguments as exc:
            problems.append(Problem(f"Parameter '{name}' is invalid: {exc.message}", schema.path))
            continue
        values[name] = value
    if problems:
        raise TemplateError(problems)
    return values


def _first_given(*candidates: Any) -> Any:
    return next((c for c in candidates if c is not None and c is not MISSING), None)


def masked(schemas: Mapping[str, ParameterSchema], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` fit for display: hidden parameters read ``******``, as Heat shows them."""
    return {name: HIDDEN_TEXT if name in schemas and schemas[name].hidden else value
            for name, value in values.items()}
