"""Turn template and environment text into plain data that remembers where it came from.

Text is parsed with libyaml's event parser and the data is built here, with an
explicit stack instead of recursion.  That choice does three jobs at once:

* every mapping key and list item records its line and column, so later errors
  can point into the user's file;
* hostile input is refused early and cheaply: the size is checked before
  parsing, nesting depth is checked as each level opens (libyaml's own
  recursive composer crashes the interpreter on deeply nested input), and
  aliases are budgeted by the number of nodes they would add, so a
  "billion laughs" document fails after a few hundred events;
* YAML scalars follow Heat's loader: dates stay strings, everything else is
  YAML 1.1 safe types.  Tags that have no JSON equivalent (binary, sets,
  ordered maps, application tags) are rejected rather than silently changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml

from .errors import Path, Problem, TemplateError

try:  # libyaml is much faster; the pure-Python parser is a fallback.
    _Parser = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Parser = yaml.SafeLoader

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (_TAG + t for t in ("str", "null", "bool", "int", "float"))
_TIMESTAMP, _MERGE, _MAP, _SEQ = (_TAG + t for t in ("timestamp", "merge", "map", "seq"))
_QUOTED_STYLES = frozenset(("'", '"', "|", ">"))
#: what libyaml says when a document is nested deeper than its own limit (1000)
LIBYAML_DEPTH_PROBLEM = "exceeded maximum nesting depth"

_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()


@dataclass(frozen=True)
class Limits:
    """How much input the loader accepts (Heat's defaults where Heat has one)."""

    max_bytes: int = 512 * 1024
    max_depth: int = 100
    max_alias_nodes: int = 10_000


DEFAULT_LIMITS = Limits()


@dataclass
class Document:
    """Parsed data plus the position of every node, by path."""

    data: Any
    name: str = "<template>"
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

    def locate(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column of ``path``, or of its nearest located ancestor."""
        positions = self.positions
        path = tuple(path)
        while path:
            found = positions.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return positions.get((), (None, None))

    def problem(self, message: str, path: Path = ()) -> Problem:
        """A ``Problem`` at ``path`` in this document."""
        line, column = self.locate(path)
        return Problem(message, tuple(path), self.name, line, column)

    def error(self, message: str, path: Path = ()) -> TemplateError:
        """A ``TemplateError`` with one problem at ``path`` in this document."""
        return TemplateError(self.problem(message, path))


def load(text: str | bytes, name: str = "<template>", limits: Limits = DEFAULT_LIMITS) -> Document:
    """Parse YAML or JSON text into a ``Document``; raise ``TemplateError`` if it is not acceptable."""
    _check_size(text, name, limits)
    try:
        return _Builder(name, limits).build(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or str(exc)
        if exc.context and exc.problem:
            message = f"{exc.context}: {exc.problem}"
        if exc.problem == LIBYAML_DEPTH_PROBLEM:
            # libyaml 0.2.6+ scans deep flow collections ahead of the parser
            # and stops at its own (higher) depth limit before ours is reached
            message = _too_deep(limits)
        if _looks_like_json(text):
            # Valid JSON that YAML 1.1 does not read (tabs, some escapes).
            return _load_json(text, name, limits, fallback_error=(message, mark))
        raise TemplateError(_problem_at(name, message, mark)) from None
    except yaml.YAMLError as exc:
        raise TemplateError(Problem(f"cannot read the text: {exc}", (), name)) from None


def _too_deep(limits: Limits) -> str:
    return f"nesting is deeper than {limits.max_depth} levels"


def _check_size(text: str | bytes, name: str, limits: Limits) -> None:
    size = len(text)
    if isinstance(text, str) and size * 4 > limits.max_bytes and not text.isascii():
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise TemplateError(
            Problem(
                f"Template size ({size} bytes) exceeds maximum allowed size ({limits.max_bytes} bytes).",
                (),
                name,
            )
        )


def _looks_like_json(text: str | bytes) -> bool:
    head = text[:64]
    if isinstance(head, bytes):
        head = head.lstrip().lstrip(b"\xef\xbb\xbf").lstrip()  # a BOM may precede the whitespace
        return head.startswith((b"{", b"["))
    return head.lstrip().lstrip("\ufeff").lstrip().startswith(("{", "["))


def _load_json(text, name, limits, fallback_error):
    if isinstance(text, str) and text.startswith("\ufeff"):
        text = text[1:]  # json.loads refuses a BOM in text (bytes it decodes as utf-8-sig)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        message, mark = fallback_error
        raise TemplateError(_problem_at(name, message, mark)) from None
    check_depth(data, name, limits)
    return Document(data, name, {(): (1, 1)})


def check_depth(data: Any, name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse data nested deeper than the limit (for data that did not come through ``load``)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limits.max_depth:
            raise TemplateError(Problem(_too_deep(limits), (), name))
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _problem_at(name: str, message: str, mark) -> Problem:
    if mark is None:
        return Problem(message, (), name)
    return Problem(message, (), name, mark.line + 1, mark.column + 1)


class _Frame:
    """An open mapping or sequence while its events are being read."""

    __slots__ = ("container", "path", "anchor", "nodes_at_start", "key", "key_mark", "merges", "start")

    def __init__(self, container, path, anchor, nodes_at_start, start):
        self.container = container
        self.path = path
        self.anchor = anchor
        self.nodes_at_start = nodes_at_start
        self.key = _NO_KEY
        self.key_mark = None
        self.merges = None
        self.start = start


_NO_KEY = object()
_UNCACHED = object()
_PLAIN_CACHE_SIZE = 50_000


class _Builder:
    """Builds plain data from a libyaml event stream (see module docstring)."""

    def __init__(self, name: str, limits: Limits):
        self.name = name
        self.limits = limits
        self.positions: dict[Path, tuple[int, int]] = {}
        self.warnings: list[Problem] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.nodes = 0
        self.alias_nodes = 0
        #: plain scalar text -> its value (all immutable)
        self.plain: dict[str, Any] = {}

    def fail(self, message: str, mark) -> TemplateError:
        return TemplateError(_problem_at(self.name, message, mark))

    def build(self, text: str | bytes) -> Document:
        parser = _Parser(text)
        try:
            root = self._read(parser)
        finally:
            parser.dispose()
        return Document(root, self.name, self.positions, self.warnings)

    def _read(self, parser) -> Any:
        stack: list[_Frame] = []
        root: Any = None
        documents = 0
        events = yaml.events
        while True:
            event = parser.get_event()
            cls = event.__class__
            if cls is events.ScalarEvent:
                value = self._scalar(event)
                self._anchor(event.anchor, value, 1)
                if stack:
                    self._add(stack[-1], value, event.start_mark, is_merge_key=event.tag is None
                              and event.implicit[0] and event.value == "<<")
                else:
                    root = value
            elif cls is events.MappingStartEvent or cls is events.SequenceStartEvent:
                is_map = cls is events.MappingStartEvent
                self._check_tag(event, _MAP if is_map else _SEQ)
                if len(stack) >= self.limits.max_depth:
                    raise self.fail(_too_deep(self.limits), event.start_mark)
                container: Any = {} if is_map else []
                if stack:
                    parent = stack[-1]
                    path = self._child_path(parent, event.start_mark)
                else:
                    path = ()
                    self.positions[()] = (event.start_mark.line + 1, event.start_mark.column + 1)
                if event.anchor is not None:
                    self.open_anchors.add(event.anchor)
                self.nodes += 1
                stack.append(_Frame(container, path, event.anchor, self.nodes, event.start_mark))
            elif cls is events.MappingEndEvent or cls is events.SequenceEndEvent:
                frame = stack.pop()
                if frame.merges:
                    self._apply_merges(frame)
                if frame.anchor is not None:
                    self.open_anchors.discard(frame.anchor)
                    self._anchor(frame.anchor, frame.container, self.nodes - frame.nodes_at_start + 1)
                if stack:
                    self._store(stack[-1], frame.container, frame.start)
                else:
                    root = frame.container
            elif cls is events.AliasEvent:
                value = self._alias(event)
                if stack:
                    self._add(stack[-1], value, event.start_mark)
                else:
                    root = value
            elif cls is events.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail("expected a single document, but found another document", event.start_mark)
            elif cls is events.StreamEndEvent:
                return root

    # -- values -----------------------------------------------------------

    def _scalar(self, event) -> Any:
        self.nodes += 1
        tag = event.tag
        value = event.value
        if tag is None or tag == "!":
            if not event.implicit[0] or event.style in _QUOTED_STYLES:
                return value
            # Templates repeat the same plain scalars (keys, types, function
            # names) thousands of times; resolving each is regex work.
            cached = self.plain.get(value, _UNCACHED)
            if cached is not _UNCACHED:
                return cached
            resolved = self._plain(value, event)
            if len(self.plain) < _PLAIN_CACHE_SIZE:
                self.plain[value] = resolved
            return resolved
        return self._tagged(tag, value, event)

    def _plain(self, value: str, event) -> Any:
        return self._tagged(_resolver.resolve(yaml.ScalarNode, value, (True, False)), value, event)

    def _tagged(self, tag: str, value: str, event) -> Any:
        if tag == _STR:
            return value
        if tag == _NULL:
            return None
        if tag == _TIMESTAMP:
            return value  # Heat keeps dates as strings: 2016-10-14 is a version
        try:  # an explicit tag (``!!int abc``) can force a conversion that is impossible
            if tag == _BOOL:
                return _constructor.bool_values[value.lower()]
            if tag == _INT:
                return _constructor.construct_yaml_int(yaml.ScalarNode(tag, value))
            if tag == _FLOAT:
                return _constructor.construct_yaml_float(yaml.ScalarNode(tag, value))
        except (KeyError, ValueError, IndexError):
            raise self.fail(f"the value {value!r} cannot be read as {tag[len(_TAG):]} (its YAML tag)",
                            event.start_mark) from None
        if tag == _MERGE:
            return value
        raise self.fail(f"unsupported YAML tag {tag!r}: templates hold only JSON-compatible data",
                        event.start_mark)

    def _check_tag(self, event, expected: str) -> None:
        tag = event.tag
        if tag is not None and tag != "!" and tag != expected:
            raise self.fail(f"unsupported YAML tag {tag!r}: templates hold only JSON-compatible data",
                            event.start_mark)

    def _anchor(self, anchor: str | None, value: Any, size: int) -> None:
        if anchor is not None:
            self.anchors[anchor] = (value, size)

    def _alias(self, event) -> Any:
        anchor = event.anchor
        if anchor in self.open_anchors:
            raise self.fail(f"alias *{anchor} refers to a node that contains it (recursive alias)",
                            event.start_mark)
        try:
            value, size = self.anchors[anchor]
        except KeyError:
            raise self.fail(f"found undefined alias *{anchor}", event.start_mark) from None
        self.alias_nodes += size
        self.nodes += size
        if self.alias_nodes > self.limits.max_alias_nodes:
            raise self.fail(
                f"YAML aliases expand to more than {self.limits.max_alias_nodes} nodes; "
                "refusing to expand them (is this a 'billion laughs' document?)",
                event.start_mark,
            )
        return value

    # -- containers ---------------------------------------------------------

    def _child_path(self, frame: _Frame, mark) -> Path:
        """Path of the node that is about to be added to ``frame``."""
        container = frame.container
        if isinstance(container, list):
            return frame.path + (len(container),)
        if frame.key is _NO_KEY:
            raise self.fail("found unhashable key: a mapping key must be a plain value", mark)
        return frame.path + (frame.key,)

    def _add(self, frame: _Frame, value: Any, mark, is_merge_key: bool = False) -> None:
        container = frame.container
        if isinstance(container, dict) and frame.key is _NO_KEY:
            if is_merge_key:
                value = _MERGE_KEY
            elif isinstance(value, (dict, list)):
                raise self.fail("found unhashable key: a mapping key must be a plain value", mark)
            frame.key = value
            frame.key_mark = mark
            return
        self._store(frame, value, mark)

    def _store(self, frame: _Frame, value: Any, mark) -> None:
        container = frame.container
        if isinstance(container, list):
            self.positions[frame.path + (len(container),)] = (mark.line + 1, mark.column + 1)
            container.append(value)
            return
        key = frame.key
        frame.key = _NO_KEY
        if key is _MERGE_KEY:
            if frame.merges is None:
                frame.merges = []
            frame.merges.append((value, mark))
            return
        key_mark = frame.key_mark
        if key in container:
            self.warnings.append(
                Problem(f"duplicate key {key!r}: the later value wins, as in Heat", frame.path + (key,),
                        self.name, key_mark.line + 1, key_mark.column + 1)
            )
        self.positions[frame.path + (key,)] = (key_mark.line + 1, key_mark.column + 1)
        container[key] = value

    def _apply_merges(self, frame: _Frame) -> None:
        """YAML merge keys (``<<: *base``): explicit keys win over merged ones."""
        merged: dict = {}
        for value, mark in frame.merges:
            sources = value if isinstance(value, list) else [value]
            for source in reversed(sources):
                if not isinstance(source, dict):
                    raise self.fail("a merge key (<<) needs a mapping or a list of mappings", mark)
                merged.update(source)
        for key, value in merged.items():
            frame.container.setdefault(key, value)


class _MergeKey:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<<"


_MERGE_KEY = _MergeKey()
