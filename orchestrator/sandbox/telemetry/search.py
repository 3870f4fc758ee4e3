"""Which resources a query selects: Gnocchi's search filters and Ceilometer's query lists.

A Gnocchi filter is a small tree: ``{"=": {"server_group": "abc"}}``,
``{"and": [...]}``, ``{"in": {"id": [...]}}``, ``{"like": {"display_name": "web%"}}``,
``{"not": {...}}``.  A Ceilometer query (the legacy threshold alarm's) is a
list of ``{"field", "op", "value", "type"}`` terms that must all hold, where
``metadata.user_metadata.X`` is a server's ``metering.X`` metadata.
"""

from __future__ import annotations

import operator
import re
from typing import Any, Callable, Iterable

from .times import parse_time


class SearchError(ValueError):
    """A filter that cannot be read, or that names an attribute the resource type lacks."""


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "==": operator.eq, "eq": operator.eq, "!=": operator.ne, "ne": operator.ne,
    "<": operator.lt, "lt": operator.lt, ">": operator.gt, "gt": operator.gt, "<=": operator.le, "le": operator.le,
    "≤": operator.le, ">=": operator.ge, "ge": operator.ge, "≥": operator.ge,
}
_BOOLEANS = {"and": all, "∧": all, "or": any, "∨": any}
_NEGATIONS = ("not", "¬")


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Both sides in a form ``<`` works on: numbers as numbers, times as epoch seconds, else text."""
    if left is None or right is None:
        return left, right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left, right
    try:
        return parse_time(left, 0.0), parse_time(right, 0.0)
    except ValueError:
        return str(left), str(right)


def _like(value: Any, pattern: Any) -> bool:
    expression = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(pattern))
    return value is not None and re.fullmatch(expression, str(value)) is not None


def _single(term: Any, where: str) -> tuple[str, Any]:
    if not isinstance(term, dict) or len(term) != 1:
        raise SearchError(f"Invalid input: {where} must be a mapping of one attribute to its value")
    return next(iter(term.items()))


def compile_filter(tree: Any, attributes: Iterable[str]) -> Callable[[dict[str, Any]], bool]:
    """A test of resources (dicts of attributes) for a Gnocchi filter, checked against ``attributes``."""
    known = set(attributes)

    def build(node: Any) -> Callable[[dict[str, Any]], bool]:
        if node in (None, {}):
            return lambda resource: True
        name, argument = _single(node, "a filter")
        key = name.lower()
        if key in _BOOLEANS:
            if not isinstance(argument, list):
                raise SearchError(f"Invalid input: '{name}' needs a list of filters")
            parts = [build(part) for part in argument]
            combine = _BOOLEANS[key]
            return lambda resource: combine(part(resource) for part in parts)
        if key in _NEGATIONS:
            inner = build(argument)
            return lambda resource: not inner(resource)
        attribute, expected = _single(argument, f"the argument of '{name}'")
        if attribute not in known:
            raise SearchError(f"Invalid input: unknown attribute '{attribute}' (the resource type has "
                              f"{', '.join(sorted(known))})")
        if key == "in":
            if not isinstance(expected, list):
                raise SearchError(f"Invalid input: 'in' needs a list of values for '{attribute}'")
            return lambda resource: resource.get(attribute) in expected
        if key == "like":
            return lambda resource: _like(resource.get(attribute), expected)
        compare = _COMPARISONS.get(key)
        if compare is None:
            raise SearchError(f"Invalid input: unknown operator '{name}'")
        if compare in (operator.eq, operator.ne):
            return lambda resource: compare(resource.get(attribute), expected)

        def ordered(resource: dict[str, Any]) -> bool:
            left, right = _comparable(resource.get(attribute), expected)
            return left is not None and right is not None and compare(left, right)
        return ordered

    return build(tree)


# -- Ceilometer's query lists ---------------------------------------------------------------------

_TYPES: dict[str, Callable[[Any], Any]] = {
    "string": str, "integer": int, "float": float,
    "boolean": lambda value: str(value).lower() in ("true", "1", "yes", "on"), "": str,
}


def _field(resource: dict[str, Any], field: str) -> Any:
    if field in ("resource_id", "resource"):
        return resource.get("id")
    if field in ("project_id", "project", "user_id", "user"):
        return resource.get(field if field.endswith("_id") else f"{field}_id")
    value: Any = resource
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def legacy_matches(resource: dict[str, Any], query: list[dict[str, Any]]) -> bool:
    """Whether every term of a Ceilometer query holds for ``resource`` (with its ``metadata``)."""
    for term in query:
        convert = _TYPES.get(str(term.get("type") or ""), str)
        found = _field(resource, str(term.get("field", "")))
        if found is None:
            return False
        compare = _COMPARISONS.get(str(term.get("op") or "eq"), operator.eq)
        try:
            if not compare(convert(found), convert(term.get("value"))):
                return False
        except (TypeError, ValueError):
            return False
    return True
