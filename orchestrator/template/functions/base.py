"""What an intrinsic function is, and how a tree of them is resolved.

A template is parsed once into plain data in which every function call
(``{get_param: name}``) is replaced by a ``Function`` object.  Three questions
are then asked of the tree, each a walk that visits functions:

* ``validate(scope)``: are the names it refers to real (parameters, resources,
  conditions, files)?  Structural checks of the arguments happen earlier, in
  the constructor (``check``), so that a template is rejected before anything
  is bound to it;
* ``dependencies(scope)``: which resources must exist before this value can be
  computed?  This feeds the dependency graph;
* ``result(scope)``: the value, given parameter values and resource state.

The ``Scope`` is everything a function may look at; the template layer never
reaches out to a database or a cloud itself.
"""

from __future__ import annotations

from typing import Any, Iterator, Protocol

from ..errors import InvalidArguments, Path, Problem, TemplateError


class _Elided:
    """The value of a two-argument ``if`` whose condition is false.

    Containers drop it: a list loses the item, a mapping loses the key.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<elided>"

    def __reduce__(self):
        return "ELIDED"


ELIDED = _Elided()


class Scope(Protocol):
    """What functions may consult while being validated or resolved."""

    def parameter(self, name: str) -> Any:
        """The converted value of a parameter (or pseudo parameter).

        Raises ``InvalidArguments`` when there is no such parameter."""

    def has_parameter(self, name: str) -> bool:
        """Whether ``name`` is a parameter of the template (or a pseudo parameter)."""

    def condition(self, name: str) -> bool:
        """The value of a named condition; ``InvalidArguments`` if undefined."""

    def has_resource(self, name: str) -> bool:
        """Whether the template defines ``name`` and its condition enables it.

        Raises ``InvalidArguments`` with a precise message for a resource that
        is defined but disabled by its condition."""

    def reference(self, name: str) -> Any:
        """What ``get_resource`` gives: the physical id, or the name before creation."""

    def attribute(self, name: str, attribute: str, path: tuple) -> Any:
        """What ``get_attr: [name, attribute, *path]`` gives (``None`` before creation)."""

    def all_attributes(self, name: str) -> dict:
        """What the one-argument ``get_attr: [name]`` gives."""

    def check_attribute(self, name: str, attribute: str) -> None:
        """Raise ``InvalidArguments`` if resource ``name`` has no such attribute."""

    def file(self, key: str) -> str | None:
        """Content of ``key`` in the files map, or ``None`` when it is absent."""

    def facade(self, key: str) -> Any:
        """``metadata``, ``deletion_policy`` or ``update_policy`` of the parent resource."""

    def availability_zones(self) -> list[str]:
        """The cloud's availability zones (what ``Fn::GetAZs`` gives); empty when unknown."""


class Function:
    """A call of an intrinsic function in a template.

    Subclasses implement ``check`` (argument shapes that are wrong whatever
    the parameters are), ``result`` and, when they refer to names,
    ``validate`` and ``dependencies``.  ``args`` is already parsed: it may hold
    other functions.  Raise ``InvalidArguments`` for bad input; the parser or
    compiler adds the path and the line and column.
    """

    __slots__ = ("name", "args", "path")

    #: A macro decides at parse time how its arguments are parsed (``if``).
    def __init__(self, name: str, args: Any, path: Path = ()):
        self.name = name
        self.args = args
        self.path = path
        self.check()

    @classmethod
    def parse_args(cls, raw: Any, parser: "ArgumentParser", path: Path) -> Any:
        """Parse the raw argument snippet; the default parses it as template data."""
        return parser.parse(raw, path)

    def check(self) -> None:
        """Reject arguments whose shape is wrong regardless of parameters."""

    def validate(self, scope: Scope) -> None:
        """Check the names this call refers to; by default, those of its arguments."""
        validate(self.args, scope)

    def dependencies(self, scope: Scope) -> Iterator[str]:
        """Names of the resources whose state this call reads."""
        return dependencies(self.args, scope)

    def result(self, scope: Scope) -> Any:
        """The value of the call."""
        raise NotImplementedError

    # Functions compare by what they say, so an unchanged snippet in a new
    # template version of the same stack is recognised as unchanged.
    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and other.name == self.name  # type: ignore[attr-defined]
            and other.args == self.args  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self), self.name))

    def __repr__(self) -> str:
        return f"{{{self.name}: {self.args!r}}}"

    def to_data(self) -> dict:
        """The snippet this call was parsed from."""
        return {self.name: to_data(self.args)}


class ArgumentParser(Protocol):
    """The part of the template parser a macro needs to parse its own arguments."""

    def parse(self, raw: Any, path: Path) -> Any: ...

    def parse_condition(self, raw: Any, path: Path) -> Any: ...


# -- walking trees of data and functions ----------------------------------------


def resolve(value: Any, scope: Scope) -> Any:
    """The value of a tree: function calls replaced by their results.

    Elided items (from a two-argument ``if``) are removed from containers; an
    elided value at the top becomes ``None``.
    """
    result = _resolve(value, scope)
    return None if result is ELIDED else result


def resolve_keeping_elision(value: Any, scope: Scope) -> Any:
    """Like ``resolve``, but an elided value stays ``ELIDED`` for the caller's container."""
    return _resolve(value, scope)


def _resolve(value: Any, scope: Scope) -> Any:
    if isinstance(value, _LITERALS):
        return value
    if isinstance(value, Function):
        return call(value, scope)
    if isinstance(value, dict):
        resolved = {}
        for key, item in value.items():
            item = _resolve(item, scope)
            if item is not ELIDED:
                resolved[key] = item
        return resolved
    if isinstance(value, list):
        resolved_list = []
        for item in value:
            item = _resolve(item, scope)
            if item is not ELIDED:
                resolved_list.append(item)
        return resolved_list
    return value


def call(function: Function, scope: Scope) -> Any:
    """``function.result(scope)``, with a failure reported at the call's path."""
    try:
        return function.result(scope)
    except InvalidArguments as exc:
        raise TemplateError(Problem(exc.message, function.path + exc.subpath)) from None


_LITERALS = (str, int, float, bool, type(None))


def validate(value: Any, scope: Scope) -> None:
    """Validate every function call in a tree, reporting all problems at once."""
    if isinstance(value, _LITERALS):
        return
    problems: list[Problem] = []
    for function in functions_in(value):
        try:
            function.validate(scope)
        except InvalidArguments as exc:
            problems.append(Problem(exc.message, function.path + exc.subpath))
        except TemplateError as exc:
            problems.extend(exc.problems)
    if problems:
        raise TemplateError(problems)


def dependencies(value: Any, scope: Scope) -> Iterator[str]:
    """Names of the resources a tree refers to."""
    if isinstance(value, _LITERALS):
        return
    for function in functions_in(value):
        yield from function.dependencies(scope)


def refers_to_resources(value: Any, scope: Scope) -> bool:
    """Whether a tree reads any resource (so its value is known only once they exist).

    A tree whose references cannot even be worked out counts as reading one.
    """
    try:
        return next(dependencies(value, scope), None) is not None
    except (TemplateError, InvalidArguments):
        return True


def functions_in(value: Any) -> Iterator[Function]:
    """The outermost function calls in a tree (not those nested in calls)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Function):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def calls_in(value: Any) -> Iterator[Function]:
    """Every function call in a tree, the ones nested in other calls' arguments included."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Function):
            yield item
            stack.append(item.args)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def contains_functions(value: Any) -> bool:
    """Whether any function call appears in the tree."""
    return next(functions_in(value), None) is not None


def to_data(value: Any) -> Any:
    """The template snippet a parsed tree came from."""
    if isinstance(value, Function):
        return value.to_data()
    if isinstance(value, dict):
        return {key: to_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_data(item) for item in value]
    return value


# -- helpers for argument checks ------------------------------------------------


def type_name(value: Any) -> str:
    """A user's word for the type of ``value``."""
    if isinstance(value, Function):
        return f"the function {value.name}"
    return {
        dict: "a map",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def unknown_reference(name: str, what: str = "resource", where: str = "") -> str:
    """Heat's message for a reference to ``name`` when no ``what`` has that name.

    ``where`` names the place of the reference when the problem's path does
    not (`` (in resources.web.depends_on)``).
    """
    return f'The specified reference "{name}"{where} is incorrect: there is no {what} named {name!r}'


def require(condition: bool, message: str, subpath: Path = ()) -> None:
    """Raise ``InvalidArguments(message)`` unless ``condition`` holds."""
    if not condition:
        raise InvalidArguments(message, subpath)


def is_function(value: Any) -> bool:
    """Whether ``value`` is an unresolved function call (known only at resolve time)."""
    return isinstance(value, Function)
