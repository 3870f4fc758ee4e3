"""The ``yaql`` function, with Heat's limits on expression evaluation.

Templates come from users, so an expression must not be able to build huge
collections or exhaust memory: the engine is created with Heat's limits
(200 elements per collection, a memory quota of 10000 bytes).  Creating the
engine compiles yaql's grammar, so it is done once per process, on first use.
"""

from __future__ import annotations

import collections.abc  # noqa: F401  yaql 3.2 uses collections.abc without importing it
import functools
import threading
from typing import Any

import yaql
from yaql.language import exceptions as yaql_exceptions

from ..errors import InvalidArguments
from .base import Function, Scope, is_function, require, resolve, type_name

LIMIT_ITERATORS = 200
MEMORY_QUOTA = 10000

_parse_lock = threading.Lock()


@functools.lru_cache(maxsize=None)
def _engine() -> tuple[Any, Any]:
    """The expression parser and the root context, built on first use."""
    options = {"yaql.limitIterators": LIMIT_ITERATORS, "yaql.memoryQuota": MEMORY_QUOTA}
    return yaql.YaqlFactory().create(options), yaql.create_context()


@functools.lru_cache(maxsize=1024)
def _compile(expression: str) -> Any:
    """The parsed expression; a parsed expression can be evaluated any number of times."""
    parser, _ = _engine()
    # yaql's parser (ply) keeps its parse state on the parser object, so
    # two threads must not use it at once.
    with _parse_lock:
        return parser(expression)


def _plain(value: Any) -> Any:
    """Turn sets and tuples that yaql may return into lists, so results stay template data."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    return value


class Yaql(Function):
    """``yaql: {expression: ..., data: ...}``: evaluates the expression with ``$.data`` bound to data."""

    __slots__ = ()
    _keys = ("expression", "data")

    def check(self) -> None:
        args = self.args
        require(isinstance(args, dict), f'Arguments to "{self.name}" must be a map.')
        unknown = sorted(str(key) for key in args if key not in self._keys)
        problem = "missing expression" if "expression" not in args else (
            f"unknown key {', '.join(unknown)}" if unknown else "")
        require(not problem, f'"{self.name}" syntax should be {self.name}: {{expression: $.data.var1.sum(), '
                             f"data: {{var1: [3, 2, 1]}}}} ({problem})")
        if not is_function(args["expression"]):
            self._parse(args["expression"])

    def _parse(self, expression: Any) -> Any:
        require(isinstance(expression, str), f'The "expression" argument to {self.name} must contain a string, '
                                             f"not {type_name(expression)}.", ("expression",))
        try:
            return _compile(expression)
        except yaql_exceptions.YaqlException as exc:
            raise InvalidArguments(f"Bad expression {exc}.", ("expression",)) from None

    def result(self, scope: Scope) -> Any:
        statement = self._parse(resolve(self.args["expression"], scope))
        data = resolve(self.args.get("data", {}), scope)
        _, root = _engine()
        try:
            value = statement.evaluate({"data": data}, root.create_child_context())
        # Any error at all can come out of an expression's functions (a
        # division by zero, a missing key, a limit exceeded); each is the
        # template's fault and must be reported as such.
        except Exception as exc:  # noqa: BLE001
            raise InvalidArguments(f'Evaluating the expression of "{self.name}" failed: '
                                   f"{type(exc).__name__}: {exc}", ("expression",)) from None
        return _plain(value)
