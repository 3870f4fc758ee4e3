"""Zabbix's expression language (6.0 syntax), for triggers and calculated items: parsing and evaluation.

The part the emulator understands: numbers (with the ``K M G T`` and
``s m h d w`` suffixes), ``+ - * /``, comparisons (``= <> < <= > >=``),
``and``, ``or``, ``not`` and parentheses; history functions over one item
(``last``, ``avg``, ``min``, ``max``, ``sum``, ``count`` with a query
``/host/key`` and a period ``5m`` or a count ``#3``); and aggregates over the
items of a host group (``avg(last_foreach(/*/key?[group="web"]))``, with
``avg min max sum count`` around ``last_foreach`` or ``avg_foreach``).

A value that cannot be known (an item without data) makes the result
``None``, as Zabbix's "unknown" state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Protocol

#: seconds per time suffix, and the factor of each value suffix
TIME_SUFFIXES = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
VALUE_SUFFIXES = {"K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4}
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: abs(a - b) < 1e-6, "<>": lambda a, b: abs(a - b) >= 1e-6, "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
}
ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else float("nan"),
}
#: what each function makes of a list of values
AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "avg": lambda values: sum(values) / len(values), "min": min, "max": max, "sum": sum,
    "count": lambda values: float(len(values)), "last": lambda values: values[-1],
}
FOREACH = ("last_foreach", "avg_foreach")

_NUMBER = re.compile(r"\d+(\.\d+)?([KMGTsmhdw])?")
_NAME = re.compile(r"[a-z_]+")
_GROUP_FILTER = re.compile(r'^group\s*=\s*"((?:[^"\\]|\\.)*)"$')


class ExpressionError(ValueError):
    """An expression Zabbix would refuse; ``rest`` is where reading it failed."""

    def __init__(self, rest: str):
        super().__init__(f'incorrect expression starting from "{rest}"')
        self.rest = rest


class History(Protocol):
    """What evaluating needs: item values, and the hosts of a group."""

    now: float

    def values(self, host: str, key: str) -> list[tuple[float, float]] | None:
        """The item's ``(clock, value)`` history, oldest first; ``None`` if the host has no such item."""

    def group_hosts(self, group: str) -> list[str]:
        """The technical names of the hosts of group ``group``."""


@dataclass(frozen=True)
class Query:
    """``/host/key`` (``host`` is ``*`` with a ``group`` filter in a foreach)."""

    host: str
    key: str
    group: str | None = None


@dataclass(frozen=True)
class Node:
    """One piece of a parsed expression: an operator, a function call, a number or a query."""

    kind: str
    value: object = None
    children: tuple = ()


def parse(text: str) -> Node:
    """The expression's tree; ``ExpressionError`` when it is not one."""
    parser = _Parser(text)
    node = parser.expression()
    parser.skip()
    if parser.pos != len(text):
        raise ExpressionError(text[parser.pos:])
    return node


def queries(node: Node) -> list[Query]:
    """Every item query of an expression, in order."""
    if node.kind == "query":
        return [node.value]  # type: ignore[list-item]
    return [query for child in node.children for query in queries(child)]


def evaluate(node: Node, history: History) -> float | None:
    """The expression's value (comparisons and logic give 1 or 0); ``None`` when a value is unknown."""
    kind = node.kind
    if kind == "number":
        return node.value  # type: ignore[return-value]
    if kind == "call":
        return _call(node, history)
    values = [evaluate(child, history) for child in node.children]
    if any(value is None for value in values):
        return None
    if kind == "not":
        return 0.0 if values[0] else 1.0
    if kind == "neg":
        return -values[0]  # type: ignore[operator]
    if kind in ("and", "or"):
        truth = (all if kind == "and" else any)(bool(value) for value in values)
        return 1.0 if truth else 0.0
    if kind in COMPARISONS:
        return 1.0 if COMPARISONS[kind](values[0], values[1]) else 0.0  # type: ignore[arg-type]
    return ARITHMETIC[kind](values[0], values[1])  # type: ignore[arg-type]


def _call(node: Node, history: History) -> float | None:
    name, arguments = node.value, node.children
    if arguments and arguments[0].kind == "call" and arguments[0].value in FOREACH:
        found = _foreach(arguments[0], history)
        return AGGREGATES[name](found) if found else None  # type: ignore[index]
    if not arguments or arguments[0].kind != "query":
        raise ExpressionError(f"{name}(")
    query: Query = arguments[0].value  # type: ignore[assignment]
    values = history.values(query.host, query.key)
    window = _window(values or [], arguments[1] if len(arguments) > 1 else None, history.now, name == "last")
    if not window:
        return None
    return window[0] if name == "last" else AGGREGATES[name](window)  # type: ignore[index]


def _foreach(node: Node, history: History) -> list[float]:
    query: Query = node.children[0].value  # type: ignore[assignment]
    period = node.children[1] if len(node.children) > 1 else None
    found = []
    for host in history.group_hosts(query.group or ""):
        window = _window(history.values(host, query.key) or [], period, history.now, node.value == "last_foreach")
        if window:
            found.append(window[-1] if node.value == "last_foreach" else sum(window) / len(window))
    return found


def _window(values: list[tuple[float, float]], period: Node | None, now: float, latest: bool) -> list[float]:
    """The values a function looks at: the last one, the last ``#n``, or those of the last seconds."""
    if period is None:
        return [values[-1][1]] if latest and values else [value for _, value in values]
    if period.kind == "count":
        return [value for _, value in values[-int(period.value):]]  # type: ignore[call-overload]
    return [value for clock, value in values if clock > now - period.value]  # type: ignore[operator]


class _Parser:
    """Recursive descent over the text; the grammar's levels are the methods, loosest first."""

    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def fail(self, at: int | None = None) -> ExpressionError:
        return ExpressionError(self.text[self.pos if at is None else at:])

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def word(self, *words: str) -> str | None:
        """The next word among ``words`` (a whole word), consumed; else ``None``."""
        self.skip()
        for word in words:
            end = self.pos + len(word)
            if self.text.startswith(word, self.pos) and not (
                    word.isalpha() and end < len(self.text) and (self.text[end].isalnum() or self.text[end] == "_")):
                self.pos = end
                return word
        return None

    def binary(self, operators: tuple[str, ...], operand: Callable[[], Node], once: bool = False) -> Node:
        node = operand()
        while (operator := self.word(*operators)) is not None:
            node = Node(operator, None, (node, operand()))
            if once:
                break
        return node

    def expression(self) -> Node:
        return self.binary(("or",), lambda: self.binary(("and",), self.negation))

    def negation(self) -> Node:
        if self.word("not"):
            return Node("not", None, (self.negation(),))
        return self.binary(("<>", "<=", ">=", "=", "<", ">"),
                           lambda: self.binary(("+", "-"), lambda: self.binary(("*", "/"), self.unary)), once=True)

    def unary(self) -> Node:
        if self.word("-"):
            return Node("neg", None, (self.unary(),))
        self.skip()
        start = self.pos
        if self.word("("):
            node = self.expression()
            if not self.word(")"):
                raise self.fail(start)
            return node
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            return Node("number", _number(number.group(0)))
        name = _NAME.match(self.text, self.pos)
        if name and name.group(0) in (*AGGREGATES, *FOREACH):
            return self.call(name.group(0), start)
        raise self.fail()

    def call(self, name: str, start: int) -> Node:
        self.pos += len(name)
        if not self.word("("):
            raise self.fail(start)
        arguments = [self.argument(first=True, foreach=name in FOREACH)]
        while self.word(","):
            arguments.append(self.argument(first=False, foreach=False))
        if not self.word(")"):
            raise self.fail(start)
        if name in FOREACH and arguments[0].kind != "query":
            raise self.fail(start)
        return Node("call", name, tuple(arguments))

    def argument(self, first: bool, foreach: bool) -> Node:
        self.skip()
        if first and self.text.startswith("/", self.pos):
            return Node("query", self.query(foreach))
        if self.text.startswith("#", self.pos):
            count = _NUMBER.match(self.text, self.pos + 1)
            if not count or count.group(2):
                raise self.fail()
            self.pos = count.end()
            return Node("count", int(float(count.group(0))))
        if first:
            return self.unary()
        period = _NUMBER.match(self.text, self.pos)
        if not period:
            raise self.fail()
        self.pos = period.end()
        return Node("period", _number(period.group(0)))

    def query(self, foreach: bool) -> Query:
        """``/host/key`` or, in a foreach, ``/*/key?[group="name"]``."""
        start = self.pos
        host_end = self.text.find("/", start + 1)
        if host_end < 0:
            raise self.fail(start)
        host, self.pos = self.text[start + 1:host_end], host_end + 1
        key = self.key()
        group = None
        if self.text.startswith("?[", self.pos):
            close = self.text.find("]", self.pos)
            matched = _GROUP_FILTER.match(self.text[self.pos + 2:close].strip()) if close > 0 else None
            if not matched:
                raise self.fail(start)
            group, self.pos = matched.group(1).replace('\\"', '"'), close + 1
        if not host or not key or (host == "*") != foreach or (foreach and group is None):
            raise self.fail(start)
        return Query(host, key, group)

    def key(self) -> str:
        """An item key: up to a ``,`` ``)`` or ``?`` outside its brackets and quotes."""
        start, depth, quoted = self.pos, 0, False
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quoted:
                quoted = char != '"' or self.text[self.pos - 1] == "\\"
            elif char == '"':
                quoted = True
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
            elif depth == 0 and char in ",)?":
                break
            self.pos += 1
        return self.text[start:self.pos]


def _number(text: str) -> float:
    suffix = text[-1] if text[-1].isalpha() else ""
    base = float(text[:-1] if suffix else text)
    return base * (TIME_SUFFIXES.get(suffix) or VALUE_SUFFIXES.get(suffix) or 1)
