"""Parameter constraints: what each one accepts, and how a definition is read.

A template's ``constraints`` list holds mappings with exactly one constraint
key (``length``, ``range``, ``modulo``, ``allowed_values``,
``allowed_pattern``, ``custom_constraint``) and an optional ``description``
that replaces the default error text.  Parsing checks the definition itself
and whether it makes sense for the parameter's type; checking a value happens
after the value has been converted to that type.  Messages follow Heat's.
"""

from __future__ import annotations

import functools
import math
import re
from numbers import Number
from typing import Any, Callable, ClassVar, Collection, Iterable, Mapping

from .custom_constraints import Checker, CustomConstraints, default_custom_constraints
from .errors import InvalidArguments
from .versions import first_version_with

__all__ = [
    "AllowedPattern", "AllowedValues", "CONSTRAINT_CLASSES", "Checker", "Constraint",
    "CustomConstraint", "CustomConstraints", "Length", "Modulo", "Range", "check_constraints",
    "default_custom_constraints", "parse_constraint", "shared_custom_constraints",
]

#: the parameter types
STRING, NUMBER, JSON, LIST, BOOLEAN = "string", "number", "json", "comma_delimited_list", "boolean"
DESCRIPTION = "description"


class Constraint:
    """One rule a parameter value must obey."""

    key: ClassVar[str]
    #: parameter types the rule makes sense for (Heat rejects the others)
    applies_to: ClassVar[frozenset[str]]

    def __init__(self, description: str | None = None):
        self.description = description

    def check(self, value: Any, shown: str | None = None, custom: CustomConstraints | None = None,
              context: Any = None) -> None:
        """Raise ``InvalidArguments`` if ``value`` breaks the rule.

        The template's ``description`` replaces Heat's message; ``shown`` is
        how the value is written in that message (masked for hidden values).
        """
        if not self.is_valid(value, custom, context):
            raise InvalidArguments(self.description or self.error(value, _show(value, shown)))

    def is_valid(self, value: Any, custom: CustomConstraints | None, context: Any) -> bool:
        raise NotImplementedError

    def error(self, value: Any, shown: str) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.definition()!r})"

    def definition(self) -> Any:
        """The constraint as written in a template (for schema display)."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.definition() == self.definition()
                and other.description == self.description)

    def __hash__(self) -> int:
        return hash((type(self), repr(self.definition()), self.description))


def _show(value: Any, shown: str | None) -> str:
    return str(value) if shown is None else shown


class Range(Constraint):
    """An inclusive numeric range; either end may be open."""

    key = "range"
    applies_to = frozenset((NUMBER,))
    _what = "range"

    def __init__(self, min: float | None = None, max: float | None = None,
                 description: str | None = None):
        super().__init__(description)
        if min is None and max is None:
            raise InvalidArguments(f"A {self._what} constraint must have a min value and/or a max "
                                   "value specified.")
        self.min, self.max = min, max

    @classmethod
    def from_definition(cls, definition: Any, description: str | None, **_: Any) -> Range:
        bounds = _check_mapping(definition, ("min", "max"), f"{cls.key} constraint")
        return cls(*(_bound(cls, bounds, key) for key in ("min", "max")), description=description)

    def _measure(self, value: Any) -> float:
        return value

    def is_valid(self, value: Any, custom: CustomConstraints | None, context: Any) -> bool:
        measured = self._measure(value)
        return not ((self.min is not None and measured < self.min)
                    or (self.max is not None and measured > self.max))

    def error(self, value: Any, shown: str) -> str:
        return f"{shown} is out of range (min: {self.min}, max: {self.max})"

    def definition(self) -> dict:
        return {key: bound for key, bound in (("min", self.min), ("max", self.max))
                if bound is not None}


class Length(Range):
    """The length of a string, list or map, within an inclusive range."""

    key = "length"
    applies_to = frozenset((STRING, LIST, JSON))
    _what = "length"

    def __init__(self, min: int | None = None, max: int | None = None,
                 description: str | None = None):
        super().__init__(min, max, description)

    def _measure(self, value: Any) -> int:
        return len(value)

    def error(self, value: Any, shown: str) -> str:
        return f"length ({len(value)}) is out of range (min: {self.min}, max: {self.max})"


def _bound(cls: type[Range], bounds: Mapping, key: str) -> Any:
    raw = bounds.get(key)
    if raw is None:
        return None
    number = _to_number(raw)
    if number is None:
        raise InvalidArguments("min/max must be numeric", (key,))
    if cls is Length and not isinstance(number, int):
        raise InvalidArguments("min/max length must be integral", (key,))
    return number


def _to_number(raw: Any) -> int | float | None:
    """A number written in a template, as Heat reads it (numeric strings count)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Number):
        return raw  # type: ignore[return-value]
    if isinstance(raw, str):
        for kind in (int, float):
            try:
                return kind(raw)
            except ValueError:
                pass
    return None


class Modulo(Constraint):
    """``value % step == offset``: e.g. odd numbers are step 2, offset 1."""

    key = "modulo"
    applies_to = frozenset((NUMBER,))

    def __init__(self, step: int, offset: int, description: str | None = None):
        super().__init__(description)
        self.step, self.offset = step, offset

    @classmethod
    def from_definition(cls, definition: Any, description: str | None, **_: Any) -> Modulo:
        parts = _check_mapping(definition, ("step", "offset"), "modulo constraint")
        if parts.get("step") is None or parts.get("offset") is None:
            raise InvalidArguments("A modulo constraint must have a step value and an offset "
                                   "value specified.")
        numbers = {}
        for key in ("step", "offset"):
            number = _to_number(parts[key])
            if number is None:
                raise InvalidArguments("step/offset must be numeric", (key,))
            if not (math.isfinite(number) and int(number) == number):
                raise InvalidArguments("step/offset must be integer", (key,))
            numbers[key] = int(number)
        step, offset = numbers["step"], numbers["offset"]
        if step == 0:
            raise InvalidArguments("step cannot be 0.", ("step",))
        if abs(offset) >= abs(step):
            raise InvalidArguments("offset must be smaller (by absolute value) than step.",
                                   ("offset",))
        if step * offset < 0:
            raise InvalidArguments("step and offset must be both positive or both negative.")
        return cls(step, offset, description)

    def is_valid(self, value: Any, custom: CustomConstraints | None, context: Any) -> bool:
        return value % self.step == self.offset

    def error(self, value: Any, shown: str) -> str:
        return f"{shown} is not a multiple of {self.step} with an offset of {self.offset}"

    def definition(self) -> dict:
        return {"step": self.step, "offset": self.offset}


class AllowedValues(Constraint):
    """The value (or, for a list, every item) must be one of a fixed set."""

    key = "allowed_values"
    applies_to = frozenset((STRING, NUMBER, BOOLEAN, LIST))

    def __init__(self, allowed: Iterable[Any], description: str | None = None,
                 normalise: Callable[[Any], Any] | None = None):
        super().__init__(description)
        self.allowed = tuple(allowed)
        # Compare in the parameter's type, so allowed [1, 2] admits "1" for a
        # number and allowed [true] admits "yes" for a boolean, as in Heat.
        self._normalised = self.allowed if normalise is None else tuple(
            _normalised(normalise, item, index) for index, item in enumerate(self.allowed))
        self._as_text = frozenset(str(v) for v in self.allowed)

    @classmethod
    def from_definition(cls, definition: Any, description: str | None,
                        normalise: Callable[[Any], Any] | None = None, **_: Any) -> AllowedValues:
        if not isinstance(definition, list):
            raise InvalidArguments("AllowedValues must be a list")
        return cls(definition, description, normalise)

    def is_valid(self, value: Any, custom: CustomConstraints | None, context: Any) -> bool:
        if isinstance(value, list):
            # List items are always strings; Heat's allowed values usually are too.
            return all(str(item) in self._as_text for item in value)
        return value in self._normalised

    def error(self, value: Any, shown: str) -> str:
        allowed = ", ".join(str(a) for a in self.allowed)
        return f'"{shown}" is not an allowed value [{allowed}]'

    def definition(self) -> list:
        return list(self.allowed)


def _normalised(normalise: Callable[[Any], Any], item: Any, index: int) -> Any:
    try:
        return normalise(item)
    except InvalidArguments as exc:
        raise InvalidArguments(f"Invalid allowed value {item!r}: {exc.message}", (index,)) from None


class AllowedPattern(Constraint):
    """The whole string must match a regular expression."""

    key = "allowed_pattern"
    applies_to = frozenset((STRING,))

    def __init__(self, pattern: str, description: str | None = None):
        super().__init__(description)
        self.pattern = pattern
        self._compiled = re.compile(pattern)

    @classmethod
    def from_definition(cls, definition: Any, description: str | None, **_: Any) -> AllowedPattern:
        if not isinstance(definition, str):
            raise InvalidArguments("AllowedPattern must be a string")
        try:
            return cls(definition, description)
        except re.error as exc:
            raise InvalidArguments(f"Invalid allowed_pattern {definition!r}: {exc}") from None

    def is_valid(self, value: Any, custom: CustomConstraints | None, context: Any) -> bool:
        # Heat's rule: the pattern's first match from the start must reach the
        # end (so "a|ab" refuses "ab", where a full match would accept it).
        match = self._compiled.match(value)
        return match is not None and match.end() == len(value)

    def error(self, value: Any, shown: str) -> str:
        return f'"{shown}" does not match pattern "{self.pattern}"'

    def definition(self) -> str:
        return self.pattern


class CustomConstraint(Constraint):
    """A named check looked up in a ``CustomConstraints`` registry when a value is checked.

    For a list parameter each item is checked on its own, so ``nova.keypair``
    on a comma_delimited_list means "a list of key pairs".
    """

    key = "custom_constraint"
    applies_to = frozenset((STRING, NUMBER, BOOLEAN, LIST))

    def __init__(self, name: str, description: str | None = None):
        super().__init__(description)
        self.name = name

    @classmethod
    def from_definition(cls, definition: Any, description: str | None,
                        **_: Any) -> CustomConstraint:
        if not isinstance(definition, str) or not definition:
            raise InvalidArguments("custom_constraint must be the name of a constraint (a string)")
        return cls(definition, description)

    def check(self, value: Any, shown: str | None = None, custom: CustomConstraints | None = None,
              context: Any = None) -> None:
        registry = custom if custom is not None else shared_custom_constraints()
        items = value if isinstance(value, list) else [value]
        for item in items:
            try:
                registry.check(self.name, item, context, shown)
            except InvalidArguments as exc:
                raise InvalidArguments(self.description or exc.message) from None

    def definition(self) -> str:
        return self.name


@functools.cache
def shared_custom_constraints() -> CustomConstraints:
    """The default custom constraints, built once: for callers that only check values with them.

    Whoever registers its own checks needs a ``default_custom_constraints()`` of its own.
    """
    return default_custom_constraints()


#: template key -> constraint class
CONSTRAINT_CLASSES: dict[str, type[Constraint]] = {
    cls.key: cls for cls in (Length, Range, Modulo, AllowedValues, AllowedPattern, CustomConstraint)
}


def _check_mapping(value: Any, keys: Collection[str], entity: str) -> Mapping:
    if not isinstance(value, dict):
        raise InvalidArguments(f"Invalid {entity}, expected a mapping")
    for key in value:
        if key not in keys:
            raise InvalidArguments(f"Invalid key '{key}' for {entity}", (key,))
    return value


def parse_constraint(definition: Any, param_type: str, allowed_keys: Collection[str],
                     normalise: Callable[[Any], Any] | None = None) -> Constraint:
    """Read one entry of a ``constraints`` list; raise ``InvalidArguments`` if it is unusable.

    ``allowed_keys`` are the constraint keys of the template's version;
    ``normalise`` converts an allowed value to the parameter's type.
    """
    if isinstance(definition, dict):
        for key in definition:
            if key in CONSTRAINT_CLASSES and key not in allowed_keys:
                first = first_version_with("constraint_keys", key) or "?"
                raise InvalidArguments(f"Invalid key '{key}' for parameter constraints: {key} needs "
                                       f"heat_template_version {first} or later", (key,))
    _check_mapping(definition, tuple(allowed_keys) + (DESCRIPTION,), "parameter constraints")
    keys = [key for key in definition if key != DESCRIPTION]
    if not keys:
        raise InvalidArguments("No constraint expressed")
    if len(keys) > 1:
        raise InvalidArguments("A constraint must have exactly one constraint key, found "
                               + " and ".join(repr(k) for k in keys))
    key = keys[0]
    description = definition.get(DESCRIPTION)
    if description is not None and not isinstance(description, str):
        raise InvalidArguments("The description of a constraint must be a string", (DESCRIPTION,))
    cls = CONSTRAINT_CLASSES[key]
    if param_type not in cls.applies_to:
        raise InvalidArguments(f"{cls.__name__} constraint invalid for {param_type}", (key,))
    try:
        return cls.from_definition(definition[key], description or None,  # type: ignore[attr-defined]
                                   normalise=normalise)
    except InvalidArguments as exc:
        raise InvalidArguments(exc.message, (key,) + exc.subpath) from None


def check_constraints(constraints: Iterable[Constraint], value: Any,
                      custom: CustomConstraints | None = None, context: Any = None, *,
                      skip_custom: bool = False, shown: str | None = None) -> None:
    """Check ``value`` against each constraint in turn; the first failure is raised.

    Template defaults are checked with ``skip_custom`` because custom checks
    may need a cloud, which validating a template must not require (Heat
    does the same).
    """
    for constraint in constraints:
        if skip_custom and isinstance(constraint, CustomConstraint):
            continue
        constraint.check(value, shown, custom, context)
