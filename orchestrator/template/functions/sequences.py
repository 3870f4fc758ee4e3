"""Functions over lists and maps: repeat, map_merge, map_replace, filter, list_concat(_unique), contains.

As elsewhere, literal arguments are checked when the template is parsed and
resolved values again when the function is evaluated; ``None`` where a list
or map is expected usually counts as empty, as in Heat.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from ..errors import InvalidArguments
from .base import Function, Scope, is_function, require, resolve, type_name


# -- repeat -----------------------------------------------------------------------


class Repeat(Function):
    """``repeat: {for_each: {var: list}, template: ...}`` from HOT 2015-04-30.

    Every combination of the variables' values (their cartesian product)
    gives one copy of the template with each variable replaced, as a
    substring, in every string and mapping key.
    """

    __slots__ = ()
    _keys: tuple[str, ...] = ("for_each", "template")
    _kinds: tuple[type, ...] = (list,)
    _kinds_words = "lists"

    def check(self) -> None:
        args = self.args
        require(isinstance(args, dict), f'Arguments to "{self.name}" must be a map')
        missing = [key for key in ("for_each", "template") if key not in args]
        require(not missing, f'"{self.name}" syntax should be {self.name}: {{template: "This is %var%", '
                             f"for_each: {{%var%: ['a', 'b', 'c']}}}} (missing: {', '.join(missing)})")
        for key in args:
            require(key in self._keys, f'Unknown argument "{key}" to "{self.name}": the arguments are '
                                       f"{', '.join(self._keys)}", (key,))
        for_each = args["for_each"]
        if not is_function(for_each):
            self._check_for_each(for_each)

    def _check_for_each(self, for_each: Any) -> None:
        require(isinstance(for_each, dict),
                f'The "for_each" argument to "{self.name}" must contain a map', ("for_each",))
        require(bool(for_each), f'The "for_each" argument to "{self.name}" must name at least one variable',
                ("for_each",))
        for variable, values in for_each.items():
            require(isinstance(variable, str),
                    f'The variables in the "for_each" argument to "{self.name}" must be strings', ("for_each",))
            if values is not None and not is_function(values):
                self._check_values(variable, values)

    def _nested(self) -> bool:
        return True

    def _check_values(self, variable: str, values: Any) -> None:
        kinds, words = (self._kinds, self._kinds_words) if self._nested() else ((list,), "lists")
        require(isinstance(values, kinds), f'The values of the "for_each" argument to "{self.name}" '
                                           f"must be {words}", ("for_each", variable))

    def result(self, scope: Scope) -> list:
        for_each = resolve(self.args["for_each"], scope)
        self._check_for_each(for_each)
        variables = list(for_each)
        # A null list (an attribute not yet available) gives no copies.
        choices = [list(values) if values is not None else [] for values in for_each.values()]
        lengths = {len(values) for values in for_each.values() if values is not None}
        require(self._nested() or len(lengths) <= 1, f"For {self.name}, the length of for_each values should "
                                                     "be equal if no nested loop.", ("for_each",))
        template = resolve(self.args["template"], scope)
        combinations = itertools.product(*choices) if self._nested() else zip(*choices)
        return [self._substitute(template, variables, values) for values in combinations]

    def _substitute(self, template: Any, variables: list[str], values: tuple) -> Any:
        if isinstance(template, str):
            for variable, value in zip(variables, values):
                require(isinstance(value, str), f'The values of the "for_each" variable {variable} of '
                                                f'"{self.name}" must be strings to be substituted into the '
                                                f"template, not {type_name(value)}", ("for_each", variable))
                template = template.replace(variable, value)
            return template
        if isinstance(template, list):
            return [self._substitute(item, variables, values) for item in template]
        if isinstance(template, dict):
            return {self._substitute(key, variables, values): self._substitute(item, variables, values)
                    for key, item in template.items()}
        return template


class RepeatWithMap(Repeat):
    """``repeat`` from HOT 2016-10-14: for_each values may be maps (their keys are used)."""

    __slots__ = ()
    _kinds = (list, dict)
    _kinds_words = "lists or maps"


class RepeatWithNestedLoop(RepeatWithMap):
    """``repeat`` from HOT 2017-09-01: ``permutations: false`` zips the lists."""

    __slots__ = ()
    _keys = ("for_each", "template", "permutations")

    def check(self) -> None:
        if isinstance(self.args, dict):
            require(isinstance(self.args.get("permutations", True), bool),
                    f'"permutations" should be boolean type for {self.name} function.', ("permutations",))
        super().check()

    def _nested(self) -> bool:
        return self.args.get("permutations", True)


# -- maps -------------------------------------------------------------------------


class MapMerge(Function):
    """``map_merge: [map, map, ...]``: later maps win; a null map counts as empty."""

    __slots__ = ()

    def check(self) -> None:
        if not is_function(self.args):
            self._check_maps(self.args)

    def _check_maps(self, maps: Any) -> None:
        require(isinstance(maps, list), f'Incorrect arguments to "{self.name}" should be: '
                                        f'"{self.name}" : [ {{ "key1": "val1" }}, {{ "key2": "val2" }} ]')
        for index, item in enumerate(maps):
            require(item is None or isinstance(item, dict) or is_function(item),
                    f"Incorrect arguments: Items to merge must be maps. {repr(item)[:200]} is "
                    f"{type_name(item)} instead of a map", (index,))

    def result(self, scope: Scope) -> dict:
        maps = resolve(self.args, scope)
        self._check_maps(maps)
        merged: dict = {}
        for item in maps:
            merged.update(item or {})
        return merged


class MapReplace(Function):
    """``map_replace: [map, {keys: {old: new}, values: {old: new}}]``."""

    __slots__ = ()
    _example = '"{name}" : [ {{ "key1": "val1" }}, {{"keys": {{"key1": "key2"}}, "values": {{"val1": "val2"}}}}]'

    def _usage(self, detail: str) -> str:
        return f'Incorrect arguments to "{self.name}" should be: {self._example.format(name=self.name)} ({detail})'

    def _require_map(self, value: Any, subpath: tuple) -> None:
        require(value is None or isinstance(value, dict) or is_function(value),
                f'Incorrect arguments: to "{self.name}", arguments must be a list of maps. '
                f"Example:  {self._example.format(name=self.name)}", subpath)

    def check(self) -> None:
        if not is_function(self.args):
            self._check(self.args)

    def _check(self, args: Any) -> None:
        require(isinstance(args, list) and len(args) == 2, self._usage("two arguments are needed"))
        self._require_map(args[0], (0,))
        self._require_map(args[1], (1,))
        if isinstance(args[1], dict):
            for key, table in args[1].items():
                require(key in ("keys", "values"), self._usage(f'unknown key "{key}"'), (1, key))
                self._require_map(table, (1, key))

    def result(self, scope: Scope) -> dict:
        args = resolve(self.args, scope)
        self._check(args)
        original, replacements = args[0] or {}, args[1] or {}
        new_keys = replacements.get("keys") or {}
        new_values = replacements.get("values") or {}
        replaced: dict = {}
        for key, value in original.items():
            new_key = new_keys.get(key)
            if new_key is None:
                new_key = key
            elif isinstance(new_key, (list, dict)):
                raise InvalidArguments(f"key replacement {new_key!r} for {key} must be a string or a number",
                                       (1, "keys", key))
            elif new_key in original and new_key != key:
                raise InvalidArguments(f"key replacement {new_key} collides with a key in the input map",
                                       (1, "keys", key))
            elif new_key in replaced:
                raise InvalidArguments(f"key replacement {new_key} collides with a key in the output map",
                                       (1, "keys", key))
            # Lists and maps cannot be looked up, so they are kept as they are.
            replaced[new_key] = value if isinstance(value, (list, dict)) else new_values.get(value, value)
        return replaced


# -- lists ------------------------------------------------------------------------


class Filter(Function):
    """``filter: [values, list]``: the list without the given values."""

    __slots__ = ()

    def check(self) -> None:
        require(isinstance(self.args, list), f'Argument to "{self.name}" must be a list')
        require(len(self.args) == 2, f'"{self.name}" expected 2 arguments of the form [values, sequence] '
                                     f"but got {len(self.args)} arguments instead")

    def result(self, scope: Scope) -> Any:
        sequence = resolve(self.args[1], scope)
        if not sequence:
            return sequence
        require(isinstance(sequence, list), f'"{self.name}" only works with lists', (1,))
        values = resolve(self.args[0], scope)
        if not values:
            return sequence
        require(isinstance(values, list),
                f'"{self.name}" filters a list of values: the values to remove must be a list', (0,))
        return [item for item in sequence if item not in values]


class ListConcat(Function):
    """``list_concat: [list, list, ...]``; a null list counts as empty."""

    __slots__ = ()

    def check(self) -> None:
        if not is_function(self.args):
            self._check_lists(self.args)

    def _check_lists(self, lists: Any) -> None:
        require(isinstance(lists, list), f'Incorrect arguments to "{self.name}" should be: '
                                         f'"{self.name}" : [ [ <value 1>, <value 2> ], [ <value 3>, <value 4> ] ]')
        for index, item in enumerate(lists):
            if not (item is None or isinstance(item, list) or is_function(item)):
                raise InvalidArguments(f"Incorrect arguments: Items to concat must be lists. "
                                       f"{_dump(lists)} contains an item that is not a list: {_dump(item)}",
                                       (index,))

    def _combine(self, items: list) -> list:
        return items

    def result(self, scope: Scope) -> list:
        lists = resolve(self.args, scope)
        self._check_lists(lists)
        return self._combine([item for items in lists if items for item in items])


class ListConcatUnique(ListConcat):
    """``list_concat_unique: [list, list, ...]``: each item once, where it first appears."""

    __slots__ = ()

    def _combine(self, items: list) -> list:
        # Items may be maps or lists, which cannot go in a set.
        unique: list = []
        for item in items:
            if item not in unique:
                unique.append(item)
        return unique


def _dump(value: Any) -> str:
    return json.dumps(value, default=repr)


class Contains(Function):
    """``contains: [value, sequence]``: membership, or a substring test for a string."""

    __slots__ = ()

    def check(self) -> None:
        require(isinstance(self.args, list) and bool(self.args),
                f'Incorrect arguments to "{self.name}" should be: "{self.name}" : [ "value1", [ "value1", "value2"]]')
        require(len(self.args) == 2, f'Arguments to "{self.name}" must be of the form: [value1, [value1, value2]]')

    def result(self, scope: Scope) -> bool:
        value = resolve(self.args[0], scope)
        sequence = resolve(self.args[1], scope)
        require(isinstance(sequence, (list, str)),
                f'Second argument to "{self.name}" should be a sequence, not {type_name(sequence)}.', (1,))
        if isinstance(sequence, str):
            require(isinstance(value, str), f'The value to look for in a string with "{self.name}" must be '
                                            f"a string, not {type_name(value)}", (0,))
        return value in sequence
