"""Conditions: ``equals``, ``not``, ``and``, ``or``, and ``if`` (with its 2021 form).

A condition argument is a condition name, a boolean, or an inline condition
expression.  ``if`` looks at its condition when it is validated, walked for
dependencies or resolved, and follows only the chosen branch, so references
in the other branch (to a resource that the same condition disables, say)
are neither checked nor depended on, as in Heat.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import InvalidArguments, Path
from .base import (ELIDED, ArgumentParser, Function, Scope, dependencies, require, resolve,
                   resolve_keeping_elision, validate)


def evaluate_condition(condition: Any, scope: Scope) -> bool:
    """The truth of a condition name, boolean or parsed condition expression."""
    value = resolve(condition, scope)
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return scope.condition(value)
    raise InvalidArguments(f'Invalid condition "{value}": a condition must be a condition name, '
                           "a boolean or a condition function")


class Equals(Function):
    """``equals: [value_1, value_2]``."""

    __slots__ = ()

    def check(self) -> None:
        require(isinstance(self.args, list) and len(self.args) == 2,
                f'Arguments to "{self.name}" must be of the form: [value_1, value_2]')

    def result(self, scope: Scope) -> bool:
        return resolve(self.args[0], scope) == resolve(self.args[1], scope)


class Not(Function):
    """``not: condition``."""

    __slots__ = ()

    def check(self) -> None:
        require(self.args is not None, f'Argument to "{self.name}" must be a condition')

    def validate(self, scope: Scope) -> None:
        super().validate(scope)
        evaluate_condition(self.args, scope)

    def result(self, scope: Scope) -> bool:
        return not evaluate_condition(self.args, scope)


class _Combination(Function):
    __slots__ = ()

    def check(self) -> None:
        require(isinstance(self.args, list), f'Arguments to "{self.name}" must be a list of conditions')
        require(len(self.args) >= 2, f'The minimum number of condition arguments to "{self.name}" is 2.')

    def validate(self, scope: Scope) -> None:
        super().validate(scope)
        for index, condition in enumerate(self.args):
            try:
                evaluate_condition(condition, scope)
            except InvalidArguments as exc:
                raise InvalidArguments(exc.message, (index,) + exc.subpath) from None


class And(_Combination):
    """``and: [condition, condition, ...]``."""

    __slots__ = ()

    def result(self, scope: Scope) -> bool:
        return all(evaluate_condition(condition, scope) for condition in self.args)


class Or(_Combination):
    """``or: [condition, condition, ...]``."""

    __slots__ = ()

    def result(self, scope: Scope) -> bool:
        return any(evaluate_condition(condition, scope) for condition in self.args)


class If(Function):
    """``if: [condition, value_if_true, value_if_false]``."""

    __slots__ = ()
    _form = "[condition_name, value_if_true, value_if_false]"
    _arities = (3,)

    @classmethod
    def parse_args(cls, raw: Any, parser: ArgumentParser, path: Path) -> Any:
        if not isinstance(raw, list) or len(raw) not in cls._arities:
            raise InvalidArguments(f'Arguments to "{path[-1]}" must be of the form: {cls._form}')
        condition = parser.parse_condition(raw[0], path + (0,))
        return [condition] + [parser.parse(value, path + (index,)) for index, value in enumerate(raw[1:], 1)]

    def _chosen(self, scope: Scope) -> Any:
        if evaluate_condition(self.args[0], scope):
            return self.args[1]
        return self.args[2] if len(self.args) > 2 else ELIDED

    def validate(self, scope: Scope) -> None:
        try:
            validate(self.args[0], scope)
            chosen = self._chosen(scope)
        except InvalidArguments as exc:
            raise InvalidArguments(exc.message, (0,) + exc.subpath) from None
        validate(chosen, scope)

    def dependencies(self, scope: Scope) -> Iterator[str]:
        chosen = self._chosen(scope)
        return dependencies(chosen, scope) if chosen is not ELIDED else iter(())

    def result(self, scope: Scope) -> Any:
        chosen = self._chosen(scope)
        # An elided value must reach the enclosing container, so it is not
        # turned into None here (nested two-argument ``if``s rely on that).
        return chosen if chosen is ELIDED else resolve_keeping_elision(chosen, scope)


class IfNullable(If):
    """``if`` from HOT 2021-04-16: the false branch may be left out.

    With two arguments and a false condition the item holding the ``if`` is
    removed from its list or mapping (a property so removed takes its default).
    """

    __slots__ = ()
    _form = "[condition_name, value_if_true, (value_if_false)]"
    _arities = (2, 3)
