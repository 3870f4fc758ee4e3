"""The loader: YAML/JSON text to plain data that remembers the line and column of every node.

Pinned down here: YAML 1.1 scalar typing as Heat's loader does it (dates stay
strings), exact positions of keys and list items, JSON input (including JSON
that YAML 1.1 cannot read), byte-order marks, the size / depth / alias limits,
merge keys, refused constructs (unhashable keys, several documents, tags with
no JSON equivalent), duplicate-key warnings, syntax errors with their line and
column, and ``Document.locate``.
"""

from __future__ import annotations

import math
import time

import pytest

from orchestrator.template.errors import TemplateError
from orchestrator.template.loader import DEFAULT_LIMITS, Document, Limits, load


def problem_of(text, limits=DEFAULT_LIMITS, name="t.yaml"):
    """The single problem ``load`` reports for ``text``."""
    with pytest.raises(TemplateError) as caught:
        load(text, name, limits)
    assert len(caught.value.problems) == 1, caught.value.problems
    return caught.value.problems[0]


def where(problem):
    return problem.source, problem.line, problem.column


# -- scalars -----------------------------------------------------------------------------------

SCALARS = [
    # (YAML value text, Python value)
    ("1", 1), ("-7", -7), ("+3", 3), ("0x1F", 31), ("017", 15), ("0b101", 5), ("1_000", 1000),
    ("1:20", 80),  # YAML 1.1 base 60
    ("1.5", 1.5), ("-2.0", -2.0), ("1e3", "1e3"), ("1.0e+3", 1000.0), ("6.8523015e+5", 685230.15),
    (".inf", math.inf), ("-.Inf", -math.inf),
    ("yes", True), ("Yes", True), ("on", True), ("ON", True), ("true", True), ("True", True),
    ("no", False), ("off", False), ("false", False), ("FALSE", False),
    ("y", "y"), ("n", "n"),  # single letters are strings, as in PyYAML
    ("~", None), ("null", None), ("Null", None), ("", None),
    ("0o17", "0o17"),  # YAML 1.2 octal is a string in YAML 1.1
    ("2016-10-14", "2016-10-14"),  # dates stay strings, as in Heat
    ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("!!timestamp 2001-01-01", "2001-01-01"),
    ("'1'", "1"), ('"true"', "true"), ("'null'", "null"), ("'2016-10-14'", "2016-10-14"), ('""', ""),
    ("|\n  yes\n", "yes\n"), (">-\n  folded\n  text\n", "folded text"),
    ("!!str 1", "1"), ("!!int '3'", 3), ("!!float '3'", 3.0), ("!!bool yes", True), ("!!null ''", None),
    ("! 5", 5),  # the non-specific tag leaves the plain scalar's type alone
    ("!<tag:yaml.org,2002:str> 5", "5"),
    ("plain words", "plain words"), ("café ☕", "café ☕"),
]


@pytest.mark.parametrize("text, expected", SCALARS, ids=[text for text, _ in SCALARS])
def test_scalar_types_follow_yaml_1_1_with_dates_as_strings(text, expected):
    value = load(f"a: {text}", "t.yaml").data["a"]
    assert value == expected and type(value) is type(expected)


def test_nan_is_a_float():
    assert math.isnan(load("a: .nan").data["a"])


# -- positions ---------------------------------------------------------------------------------

TEMPLATE = """\
heat_template_version: 2016-10-14
resources:
  server:
    type: OS::Nova::Server
    properties:
      networks:
        - port: p1
        -   port: p2
        - [a, b]
      tags: [x, {k: v}]
      flat:
      - one
"""

POSITIONS = [
    # (path, (line, column)): keys at the key, list items at the item
    ((), (1, 1)),
    (("heat_template_version",), (1, 1)),
    (("resources",), (2, 1)),
    (("resources", "server"), (3, 3)),
    (("resources", "server", "type"), (4, 5)),
    (("resources", "server", "properties", "networks"), (6, 7)),
    (("resources", "server", "properties", "networks", 0), (7, 11)),
    (("resources", "server", "properties", "networks", 0, "port"), (7, 11)),
    (("resources", "server", "properties", "networks", 1), (8, 13)),
    (("resources", "server", "properties", "networks", 2), (9, 11)),
    (("resources", "server", "properties", "networks", 2, 1), (9, 15)),
    (("resources", "server", "properties", "tags", 0), (10, 14)),
    (("resources", "server", "properties", "tags", 1), (10, 17)),
    (("resources", "server", "properties", "tags", 1, "k"), (10, 18)),
    (("resources", "server", "properties", "flat", 0), (12, 9)),
]


@pytest.mark.parametrize("path, position", POSITIONS, ids=[".".join(map(str, p)) or "root" for p, _ in POSITIONS])
def test_positions_of_keys_and_list_items(path, position):
    document = load(TEMPLATE, "t.yaml")
    assert document.positions[path] == position
    assert document.locate(path) == position


def test_every_node_has_a_position():
    document = load(TEMPLATE, "t.yaml")
    stack = [((), document.data)]
    while stack:
        path, node = stack.pop()
        assert path in document.positions, path
        if isinstance(node, dict):
            stack.extend((path + (key,), value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((path + (index,), value) for index, value in enumerate(node))


LOCATE_CASES = [
    # (path asked for, position of the nearest located ancestor)
    (("resources", "server", "properties", "networks", 1, "port", "deeper", 3), (8, 13)),
    (("resources", "server", "nothing", "here"), (3, 3)),
    (("resources", "missing"), (2, 1)),
    (("no_such_section",), (1, 1)),
    ([], (1, 1)),
]


@pytest.mark.parametrize("path, position", LOCATE_CASES)
def test_locate_falls_back_to_the_nearest_located_ancestor(path, position):
    assert load(TEMPLATE, "t.yaml").locate(path) == position


def test_locate_without_any_position_is_unknown():
    assert load("", "t.yaml").locate(("a", "b")) == (None, None)
    assert Document({"a": 1}).locate(("a",)) == (None, None)


def test_problem_and_error_carry_the_located_position():
    document = load(TEMPLATE, "t.yaml")
    path = ("resources", "server", "properties", "networks", 1, "port", "x")
    problem = document.problem("bad", path)
    assert (problem.message, problem.path, problem.source, problem.line, problem.column) == (
        "bad", path, "t.yaml", 8, 13)
    error = document.error("worse", ("resources",))
    assert error.problems[0].line == 2 and str(error) == "t.yaml:2:1: resources: worse"


# -- JSON and byte-order marks -------------------------------------------------------------------

def test_json_is_read_with_positions():
    document = load('{"a": {"b": [1, 2]},\n "c": "x"}', "t.json")
    assert document.data == {"a": {"b": [1, 2]}, "c": "x"}
    assert document.positions[("a", "b", 1)] == (1, 17)
    assert document.positions[("c",)] == (2, 2)


JSON_ONLY = [
    # JSON that YAML 1.1 refuses: a tab before the first token
    ('\t{"a":\t{"b": [1,\t2]}}', {"a": {"b": [1, 2]}}),
    ('\t[1, "x", null, true]', [1, "x", None, True]),
    (b'\t{"a": 1}', {"a": 1}),
    ('\ufeff\t{"a": 1}', {"a": 1}),  # a BOM, then JSON that only the JSON parser reads
    (b'\xef\xbb\xbf\t{"a": 1}', {"a": 1}),
]


@pytest.mark.parametrize("text, expected", JSON_ONLY)
def test_json_that_yaml_cannot_read_falls_back_to_the_json_parser(text, expected):
    document = load(text, "t.json")
    assert document.data == expected
    # Only the root has a position: deeper nodes locate to it.
    assert document.positions == {(): (1, 1)}
    assert document.locate(("a", "b")) == (1, 1)


def test_json_fallback_still_enforces_the_depth_limit():
    problem = problem_of("\t" + "[" * 150 + "]" * 150)
    assert problem.message == "nesting is deeper than 100 levels"


def test_broken_json_that_yaml_cannot_read_reports_the_yaml_error():
    problem = problem_of('\t{"a": 1,}')
    assert problem.message == "while scanning for the next token: found character that cannot start any token"
    assert where(problem) == ("t.yaml", 1, 1)


@pytest.mark.parametrize("text", ["\ufeffa: 1", b"\xef\xbb\xbfa: 1", '\ufeff{"a": 1}', b'\xef\xbb\xbf{"a": 1}'])
def test_byte_order_mark_is_ignored(text):
    document = load(text, "t.yaml")
    assert document.data == {"a": 1}
    assert document.positions[("a",)][0] == 1


def test_bytes_are_read_as_utf8():
    assert load("a: café".encode(), "t.yaml").data == {"a": "café"}


# -- size limit --------------------------------------------------------------------------------

MAX = DEFAULT_LIMITS.max_bytes

SIZE_CASES = [
    # (text, refused, size reported)
    ("a: " + "x" * (MAX - 3), False, None),
    ("a: " + "x" * (MAX - 2), True, MAX + 1),
    ("a: " + "é" * ((MAX - 4) // 2), False, None),  # 2 bytes per é: 3 + MAX - 4 bytes
    ("a: " + "é" * ((MAX - 2) // 2), True, MAX + 1),  # fewer characters than MAX, more bytes
    (("a: " + "é" * ((MAX - 2) // 2)).encode(), True, MAX + 1),
]


@pytest.mark.parametrize("text, refused, size", SIZE_CASES, ids=["ascii at", "ascii over", "utf8 at", "utf8 over",
                                                                 "bytes over"])
def test_size_limit_counts_utf8_bytes(text, refused, size):
    if not refused:
        assert load(text, "t.yaml").data["a"]
        return
    problem = problem_of(text)
    assert problem.message == f"Template size ({size} bytes) exceeds maximum allowed size ({MAX} bytes)."
    assert where(problem) == ("t.yaml", None, None)


def test_size_limit_is_configurable():
    assert problem_of("a: ok", Limits(max_bytes=4)).message.startswith("Template size (5 bytes)")
    assert problem_of("é", Limits(max_bytes=1)).message.startswith("Template size (2 bytes)")


# -- depth limit -------------------------------------------------------------------------------

def block_mappings(levels: int) -> str:
    return "".join("  " * level + "a:\n" for level in range(levels)) + "  " * levels + "x\n"


DEPTH_CASES = [
    # (id, text, refused, (line, column) of the first level too deep)
    ("flow list at limit", "[" * 100 + "]" * 100, False, None),
    ("flow list over", "[" * 101 + "]" * 101, True, (1, 101)),
    ("flow map over", "{a: " * 101 + "1" + "}" * 101, True, (1, 401)),
    ("json over", '{"a":' * 101 + "1" + "}" * 101, True, (1, 501)),
    ("block maps at limit", block_mappings(100), False, None),
    ("block maps over", block_mappings(101), True, (101, 201)),
    ("block lists at limit", "- " * 100 + "x", False, None),
    ("block lists over", "- " * 101 + "x", True, (1, 201)),
    ("the root map counts", "a: " + "[" * 100 + "]" * 100, True, (1, 103)),  # the 100th [ is level 101
]


@pytest.mark.parametrize("text, refused, position", [case[1:] for case in DEPTH_CASES],
                         ids=[case[0] for case in DEPTH_CASES])
def test_depth_limit_in_flow_and_block_style(text, refused, position):
    if not refused:
        load(text, "t.yaml")
        return
    problem = problem_of(text)
    assert problem.message == "nesting is deeper than 100 levels"
    assert (problem.line, problem.column) == position


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 100_000 + "]" * 100_000, "{a: " * 100_000,
                                  "\t" + "[" * 100_000 + "]" * 100_000])
def test_extreme_nesting_is_refused_quickly_without_crashing(text):
    started = time.perf_counter()
    with pytest.raises(TemplateError):
        load(text, "t.yaml")
    assert time.perf_counter() - started < 1.0


def test_depth_limit_is_configurable():
    load("[[1]]", limits=Limits(max_depth=2))
    assert problem_of("[[[1]]]", Limits(max_depth=2)).message == "nesting is deeper than 2 levels"


# -- aliases and merge keys ----------------------------------------------------------------------

def test_aliases_within_the_budget_are_expanded():
    document = load("a: &a [1, 2, 3]\nb: [*a, *a, *a]\nc: *a\n", "t.yaml")
    assert document.data["b"] == [[1, 2, 3]] * 3 and document.data["c"] == [1, 2, 3]
    assert document.positions[("c",)] == (3, 1)


ALIAS_BUDGET_CASES = [
    # (text, budget, refused, column of the alias that goes over): the list is 5 nodes (itself and 4 items)
    ("a: &a [1,2,3,4]\nb: [*a, *a]\n", 10, False, None),
    ("a: &a [1,2,3,4]\nb: [*a, *a, *a]\n", 10, True, 13),
    ("a: &a [1,2,3,4]\nb: *a\n", 5, False, None),
    ("a: &a [1,2,3,4]\nb: *a\n", 4, True, 4),
    ("a: &s text\nb: [*s, *s, *s]\n", 3, False, None),
    ("a: &s text\nb: [*s, *s, *s, *s]\n", 3, True, 17),
]


@pytest.mark.parametrize("text, budget, refused, column", ALIAS_BUDGET_CASES)
def test_alias_budget_counts_the_nodes_each_alias_adds(text, budget, refused, column):
    limits = Limits(max_alias_nodes=budget)
    if not refused:
        load(text, "t.yaml", limits)
        return
    problem = problem_of(text, limits)
    assert problem.message == (f"YAML aliases expand to more than {budget} nodes; refusing to expand them "
                               "(is this a 'billion laughs' document?)")
    assert where(problem) == ("t.yaml", 2, column)


ALIAS_ERRORS = [
    ("a: &x [1, *x]\n", "alias *x refers to a node that contains it (recursive alias)", (1, 11)),
    ("a: &x {b: {c: *x}}\n", "alias *x refers to a node that contains it (recursive alias)", (1, 15)),
    ("a: *nowhere\n", "found undefined alias *nowhere", (1, 4)),
    ("a: [*later]\nb: &later 1\n", "found undefined alias *later", (1, 5)),
]


@pytest.mark.parametrize("text, message, position", ALIAS_ERRORS)
def test_recursive_and_undefined_aliases(text, message, position):
    problem = problem_of(text)
    assert problem.message == message and (problem.line, problem.column) == position


MERGE_CASES = [
    ("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", {"y": 3, "x": 1}),
    ("c:\n  y: 3\n  <<: {x: 1, y: 2}\n", {"y": 3, "x": 1}),  # explicit wins wherever it is written
    ("c:\n  <<: [{x: 1}, {x: 2, z: 3}]\n", {"x": 1, "z": 3}),  # earlier mappings in the list win
    ("c:\n  <<: {}\n", {}),
    ("c: {'<<': 1}\n", {"<<": 1}),  # a quoted << is an ordinary key
]


@pytest.mark.parametrize("text, merged", MERGE_CASES)
def test_merge_keys_with_explicit_keys_winning(text, merged):
    assert load(text, "t.yaml").data["c"] == merged


@pytest.mark.parametrize("text, position", [("c:\n  <<: 1\n", (2, 7)), ("c:\n  <<: [1]\n", (2, 7)),
                                            ("<<: x\n", (1, 5))])
def test_merge_key_needs_mappings(text, position):
    problem = problem_of(text)
    assert problem.message == "a merge key (<<) needs a mapping or a list of mappings"
    assert (problem.line, problem.column) == position


def test_explicit_key_next_to_a_merge_keeps_its_position():
    document = load("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "t.yaml")
    assert document.positions[("c", "y")] == (4, 3)
    assert document.locate(("c", "x")) == (2, 1)  # a merged key locates to its mapping


# -- refused constructs ---------------------------------------------------------------------------

REFUSED = [
    # (id, text, message, (line, column))
    ("flow list key", "{[1]: 2}", "found unhashable key: a mapping key must be a plain value", (1, 2)),
    ("complex list key", "? [1]\n: 2\n", "found unhashable key: a mapping key must be a plain value", (1, 3)),
    ("complex map key", "a:\n  ? {b: 1}\n  : 2\n", "found unhashable key: a mapping key must be a plain value",
     (2, 5)),
    ("aliased list key", "a: &l [1]\nb: {*l : 2}\n", "found unhashable key: a mapping key must be a plain value",
     (2, 5)),
    ("two documents", "a: 1\n---\nb: 2\n", "expected a single document, but found another document", (2, 1)),
    ("two bare documents", "--- a\n--- b\n", "expected a single document, but found another document", (2, 1)),
    ("binary", "a: !!binary aGVsbG8=",
     "unsupported YAML tag 'tag:yaml.org,2002:binary': templates hold only JSON-compatible data", (1, 4)),
    ("set", "a: !!set {x}", "unsupported YAML tag 'tag:yaml.org,2002:set': templates hold only JSON-compatible data",
     (1, 4)),
    ("omap", "a: !!omap [b: 1]",
     "unsupported YAML tag 'tag:yaml.org,2002:omap': templates hold only JSON-compatible data", (1, 4)),
    ("local scalar tag", "a: !foo bar", "unsupported YAML tag '!foo': templates hold only JSON-compatible data",
     (1, 4)),
    ("local tag on the root", "!foo {a: 1}", "unsupported YAML tag '!foo': templates hold only JSON-compatible data",
     (1, 1)),
    ("python tag", "a: !!python/object:os.system x",
     "unsupported YAML tag 'tag:yaml.org,2002:python/object:os.system': templates hold only JSON-compatible data",
     (1, 4)),
    ("str tag on a list", "a: !!str [1]",
     "unsupported YAML tag 'tag:yaml.org,2002:str': templates hold only JSON-compatible data", (1, 4)),
    ("tag directive", "%TAG !e! tag:example.com,2000:\n---\na: !e!foo 1\n",
     "unsupported YAML tag 'tag:example.com,2000:foo': templates hold only JSON-compatible data", (3, 4)),
    ("int tag on a word", "a: !!int abc", "the value 'abc' cannot be read as int (its YAML tag)", (1, 4)),
    ("bool tag on a word", "a: !!bool maybe", "the value 'maybe' cannot be read as bool (its YAML tag)", (1, 4)),
]


@pytest.mark.parametrize("text, message, position", [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED])
def test_refused_constructs_name_the_problem_and_its_place(text, message, position):
    problem = problem_of(text)
    assert problem.message == message
    assert (problem.line, problem.column) == position and problem.source == "t.yaml"


# -- duplicate keys, empty documents, syntax errors ----------------------------------------------

def test_duplicate_keys_warn_and_the_later_value_wins():
    document = load("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", "t.yaml")
    assert document.data == {"a": 3, "b": {"c": 2}}
    assert [(w.message, w.path, w.source, w.line, w.column) for w in document.warnings] == [
        ("duplicate key 'c': the later value wins, as in Heat", ("b", "c"), "t.yaml", 4, 3),
        ("duplicate key 'a': the later value wins, as in Heat", ("a",), "t.yaml", 5, 1),
    ]
    assert document.positions[("a",)] == (5, 1)  # the winning key's position


def test_duplicate_keys_in_flow_style_and_json():
    assert [w.column for w in load("{a: 1, a: 2}", "t.yaml").warnings] == [8]
    assert [w.path for w in load('{"x": {"k": 1, "k": 2}}', "t.json").warnings] == [("x", "k")]


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", "---\n", "---\n...\n"])
def test_empty_documents_are_none_without_positions(text):
    document = load(text, "t.yaml")
    assert document.data is None and document.positions == {} and document.warnings == []


def test_document_end_marker_and_yaml_directive_are_accepted():
    assert load("a: 1\n...\n").data == {"a": 1}
    assert load("%YAML 1.1\n---\na: 1\n").positions[("a",)] == (3, 1)


SYNTAX_ERRORS = [
    ("a: [1, 2\n", "while parsing a flow sequence: did not find expected ',' or ']'", (2, 1)),
    ("a: b: c\n", "mapping values are not allowed in this context", (1, 5)),
    ("a:\n  - 1\n - 2\n", "while parsing a block mapping: did not find expected key", (3, 2)),
    ("a: 'x\n", "while scanning a quoted scalar: found unexpected end of stream", (2, 1)),
    ("\tb: 1\n", "while scanning for the next token: found character that cannot start any token", (1, 1)),
    ("a: 1\n  b: 2\n", "mapping values are not allowed in this context", (2, 4)),
    ("a: @x\n", "while scanning for the next token: found character that cannot start any token", (1, 4)),
    ("a: {b: 1\nc: 2\n", "while parsing a flow mapping: did not find expected ',' or '}'", (2, 2)),
]


@pytest.mark.parametrize("text, message, position", SYNTAX_ERRORS)
def test_syntax_errors_give_line_and_column(text, message, position):
    problem = problem_of(text)
    assert problem.message == message
    assert where(problem) == ("t.yaml",) + position
    assert str(problem).startswith(f"t.yaml:{position[0]}:{position[1]}: ")
