"""Property-based tests: whatever the input, the template language fails only with ``TemplateError``.

``TemplateError`` is the one exception type the template language raises for
bad input (errors.py).  These tests feed it text, bytes, random data trees,
templates full of randomly shaped function calls, and mutated real templates,
and check that every step (load, parse, compile, resolve, output) either
succeeds or raises ``TemplateError``.  Any other exception is a bug.

Runs are reproducible (``derandomize=True``, no example database).  Set
``FUZZ_SCALE`` (an integer, default 1) to multiply every example budget when
hunting for bugs locally.
"""

from __future__ import annotations

import copy
import glob
import math
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.template import versions
from orchestrator.template.compiler import StackIdentity, compile_stack
from orchestrator.template.environment import Environment
from orchestrator.template.errors import TemplateError
from orchestrator.template.loader import load
from orchestrator.template.template import Template

SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))


def budget(examples: int) -> settings:
    """Reproducible settings with ``examples`` (times FUZZ_SCALE) examples and no per-example deadline.

    No health check is suppressed: none fires for these strategies.
    """
    return settings(max_examples=examples * SCALE, deadline=None, derandomize=True, database=None)


class AcceptEverything:
    """A ``TypeCatalog`` in which every type exists, with any attribute and any properties."""

    def has_type(self, type_name):
        return True

    def attribute_names(self, type_name):
        return None

    def check_properties(self, type_name, properties, unknown):
        return []

    def supports(self, type_name, action):
        return True


class ResourceState:
    """Live resource facts for ``resolve``: references and attributes of any shape."""

    def reference(self, name):
        return f"id-{name}"

    def attribute(self, name, attribute, path):
        if attribute == "list":
            return ["a", 1, None, {"k": "v"}]
        if attribute == "none":
            return None
        return {"name": name, "attribute": attribute, "path": list(path)}

    def all_attributes(self, name):
        return {"list": ["a"], "map": {"k": 1}}


PARAMETERS = {
    "p": {"type": "string", "default": "text,with,commas"},
    "n": {"type": "number", "default": 2},
    "j": {"type": "json", "default": {"a": [1, "x"], "b": None}},
    "l": {"type": "comma_delimited_list", "default": "a,b,c"},
    "b": {"type": "boolean", "default": True},
}
RESOURCE_NAMES = ["r0", "r1", "r2"]
FILES = {"script.sh": "#!/bin/sh\necho hi\n", "child.yaml": "heat_template_version: 2016-10-14\n"}


def run_everything(template: Template, environment: Environment | None = None, placeholders=None) -> None:
    """Compile ``template`` and resolve every resource and output, before and after resources exist."""
    definition = compile_stack(template, environment, files=FILES, catalog=AcceptEverything(),
                               identity=StackIdentity("fuzz", "id-1", "project"), placeholders=placeholders,
                               facade={"metadata": {"m": 1}, "deletion_policy": "Delete", "update_policy": {}})
    definition.plan()
    for state in (None, ResourceState()):
        for name, resource in definition.resources.items():
            for tree in (resource.properties, resource.metadata, resource.update_policy,
                         resource.deletion_policy, resource.external_id):
                try:
                    definition.resolve(tree, state)
                except TemplateError:
                    pass  # a bad value is reported, and the rest must still be checked
            resource.snippet()
        for name in definition.outputs:
            value, error = definition.output(name, state)
            assert error is None or isinstance(error, str)


# -- (a) text and bytes ---------------------------------------------------------------------

YAML_PIECES = [
    "heat_template_version: 2016-10-14\n", "resources:\n", "  r:\n", "    type: OS::X\n", "a", "b: ", ": ",
    "- ", "[", "]", "{", "}", ",", "&x ", "*x", "<<: ", "!!str ", "!!int ", "!!float ", "!!bool ", "!!binary ",
    "!!set ", "!foo ", "! ", "? ", "|\n", ">-\n", "'", '"', "\\", "#", "%YAML 1.1\n", "---\n", "...\n",
    "\t", "\n", "  ", "    ", "\ufeff", "2016-10-14", "0x1F", "1_000", ".inf", "yes", "~", "null", "1:20",
    "get_param", "{get_attr: [r, a]}", "\u00e9", "\U0001f600", "\x00", "\r\n",
]


@budget(800)
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join))
def test_yaml_pieces_load_or_raise_template_error(text):
    """Text assembled from YAML's syntax (tags, anchors, merges, indentation) never crashes the loader."""
    try:
        Template.load(text, "fuzz.yaml")
    except TemplateError as exc:
        assert exc.problems and all(p.source == "fuzz.yaml" for p in exc.problems)


@budget(300)
@given(st.text(alphabet=st.sampled_from(list("ab1:-[]{},&*!|>'\"#%@`?<.~ \n\t\\")), max_size=80))
def test_random_yaml_characters_load_or_raise_template_error(text):
    """Random strings over YAML's special characters never crash the loader."""
    try:
        load(text, "fuzz.yaml")
    except TemplateError as exc:
        assert exc.problems


@budget(300)
@given(st.binary(max_size=200))
def test_random_bytes_load_or_raise_template_error(data):
    """Arbitrary bytes (invalid UTF-8, UTF-16 BOMs, NULs) never crash the loader."""
    try:
        Template.load(data, "fuzz.yaml")
    except TemplateError as exc:
        assert exc.problems


@budget(200)
@given(st.sampled_from(["!!int", "!!float", "!!bool", "!!null", "!!str", "!!timestamp", "!!merge", "!!binary"]),
       st.text(max_size=8))
def test_explicitly_tagged_scalars_load_or_raise_template_error(tag, value):
    """A YAML tag forcing a type onto any value (``!!int abc``) is refused, never a crash."""
    try:
        load(f"a: {tag} {yaml.safe_dump(value, default_style=chr(34)).strip()}\n", "fuzz.yaml")
    except TemplateError as exc:
        assert exc.problems[0].line == 1


# -- (b) random data trees and function calls --------------------------------------------------

FUNCTION_NAMES = sorted({name for version in versions.ALL_VERSIONS
                         for name in (*version.functions, *version.condition_functions)})
WORDS = ["", "a", "p", "n", "j", "l", "b", "c", "r0", "r1", "r9", ",", "%x%", "$x", "list", "none",
         "OS::stack_name", "OS::stack_id", "script.sh", "missing.txt", "sha256", "md5", "metadata",
         "template", "params", "for_each", "expression", "data", "keys", "values", "$.data", "0", "-1"]

scalars = (st.none() | st.booleans() | st.integers(-3, 3) | st.integers()
           | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(WORDS) | st.text(max_size=6))


def _json_like(children):
    return st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=4),
                                                            children, max_size=4)


data_trees = st.recursive(scalars, _json_like, max_leaves=20)
"""JSON-like data: what a template may hold once functions are resolved."""


def _calls(children):
    """Function calls whose arguments have roughly the right shape, or any shape at all."""
    name = st.sampled_from(WORDS)
    resource = st.sampled_from(RESOURCE_NAMES + ["r9", ""]) | children
    small_list = st.lists(children, max_size=4)
    small_map = st.dictionaries(st.sampled_from(WORDS), children, max_size=3)
    condition = st.sampled_from(["c", "never", "missing", True, False]) | children
    shaped = {
        "get_param": name | st.lists(name | children, min_size=1, max_size=3) | children,
        "get_resource": resource,
        "get_attr": st.lists(resource | st.sampled_from(["list", "none", "ip"]) | children, max_size=4),
        "get_file": st.sampled_from(["script.sh", "missing.txt", "child.yaml"]) | children,
        "list_join": st.tuples(name, small_list).map(list) | small_list,
        "str_replace": st.fixed_dictionaries({"template": name | children, "params": small_map | children}),
        "repeat": st.fixed_dictionaries({"for_each": st.dictionaries(st.sampled_from(["%x%", "$y"]),
                                                                      small_list | children, max_size=2),
                                         "template": children},
                                        optional={"permutations": st.booleans() | children}),
        "if": st.tuples(condition, children, children).map(list) | st.tuples(condition, children).map(list)
              | st.lists(children, max_size=4),
        "yaql": st.fixed_dictionaries({"expression": st.sampled_from(
            ["$.data", "$.data.a", "$.data.len()", "1/0", "$.data.where($ > 1)", "", "(", "$.data[0]",
             "range(1000)", "$.data.keys()", "let(x => 1) -> $x"]) | children, "data": children}),
        "map_merge": st.lists(small_map | children, max_size=3),
        "map_replace": st.tuples(small_map, st.fixed_dictionaries(
            {}, optional={"keys": small_map, "values": small_map})).map(list) | small_list,
        "str_split": st.lists(name | st.integers(-2, 4) | children, min_size=0, max_size=4),
        "digest": st.lists(st.sampled_from(["sha256", "md5", "nope"]) | children, max_size=3),
        "filter": st.lists(small_list | children, max_size=3),
        "make_url": st.fixed_dictionaries({}, optional={
            "scheme": name, "host": name | children, "port": st.integers(-1, 70000) | name,
            "path": name, "query": small_map | children, "username": name, "fragment": name}),
        "list_concat": st.lists(small_list | children, max_size=3),
        "contains": st.lists(children, max_size=3),
        "equals": st.lists(children, max_size=3),
        "not": condition,
        "and": st.lists(condition, max_size=3),
        "or": st.lists(condition, max_size=3),
        "resource_facade": st.sampled_from(["metadata", "deletion_policy", "update_policy", "other"]) | children,
        "Fn::Select": st.lists(st.integers(-1, 3) | name | children, max_size=3),
        "Fn::Join": st.tuples(name, small_list).map(list) | small_list,
        "Fn::Split": st.lists(name | children, max_size=3),
        "Fn::Replace": st.lists(small_map | name | children, max_size=3),
        "Fn::MemberListToMap": st.lists(name | small_list | children, max_size=4),
        "Ref": name | resource,
    }

    def call_of(function):
        args = shaped.get(function, children)
        # Mostly well-shaped arguments (to get past the checks), sometimes anything at all.
        return st.one_of(args, args, args, children).map(lambda value: {function: value})

    return st.sampled_from(FUNCTION_NAMES).flatmap(call_of)


snippets = st.recursive(scalars, lambda children: _json_like(children) | _calls(children), max_leaves=16)
"""Template snippets: data with function calls anywhere."""

VALID_VERSIONS = versions.valid_names()
INVALID_VERSIONS = ["2012-12-12", "2013-05-22", "wallaby ", "Newton", "2016-10-14T00:00:00", 20161014, None, ""]


CONDITION_VERSIONS = [name for name in VALID_VERSIONS if versions.by_name(name).has_conditions]
condition_snippets = st.recursive(
    st.sampled_from(["c", "never", "missing", True, False]) | scalars,
    lambda children: st.one_of(
        st.tuples(children, children).map(lambda args: {"equals": list(args)}),
        children.map(lambda arg: {"not": arg}),
        st.lists(children, min_size=2, max_size=3).map(lambda args: {"and": args}),
        st.lists(children, min_size=2, max_size=3).map(lambda args: {"or": args}),
        st.sampled_from(["b", "p", "j", "missing"]).map(lambda name: {"get_param": name}),
        st.tuples(children, children).map(lambda args: {"contains": list(args)}),
        _calls(children)),
    max_leaves=6)
"""Condition expressions: condition functions mostly, any function sometimes."""


@st.composite
def templates(draw):
    """A HOT skeleton (parameters, conditions, resources, outputs) filled with random snippets.

    Most templates use a version with conditions and keys valid for it, so
    that most examples get as far as compiling and resolving; a few use an
    invalid version, an older version, or keys the version does not have.
    """
    kind = draw(st.integers(0, 19))
    if kind == 0:
        version = draw(st.sampled_from(INVALID_VERSIONS))
    elif kind < 5:
        version = draw(st.sampled_from(VALID_VERSIONS))
    else:
        version = draw(st.sampled_from(CONDITION_VERSIONS))
    known = versions.by_name(version)
    has_conditions = known is not None and known.has_conditions
    sloppy = draw(st.integers(0, 9)) == 0  # keys the version may not have
    data = {"heat_template_version": version, "parameters": copy.deepcopy(PARAMETERS)}
    if has_conditions or sloppy:
        data["conditions"] = {"c": draw(st.sampled_from([True, False, {"get_param": "b"}]) | condition_snippets),
                              "never": {"equals": [1, 2]}}
    resources = {}
    for name in RESOURCE_NAMES[:draw(st.integers(0, 3))]:
        resource = {"type": draw(st.sampled_from(["OS::X", "OS::X", "OS::Y", "child.yaml"]) | st.text(max_size=3))}
        keys = [("properties", st.dictionaries(st.sampled_from(WORDS), snippets, max_size=4) | snippets, 2),
                ("metadata", st.dictionaries(st.sampled_from(WORDS), snippets, max_size=3) | snippets, 4),
                ("depends_on", st.sampled_from(RESOURCE_NAMES + [[], ["r0", "r1"]]) | data_trees, 4),
                ("deletion_policy", st.sampled_from(["Delete", "Retain", "Snapshot"]) | snippets, 6),
                ("update_policy", st.dictionaries(st.sampled_from(WORDS), snippets, max_size=2), 6)]
        if has_conditions or sloppy:
            keys += [("condition", st.sampled_from(["c", "never", True, False]) | condition_snippets, 3),
                     ("external_id", st.sampled_from(["abc"]) | snippets, 6)]
        for key, value, one_in in keys:
            if draw(st.integers(1, one_in)) == 1:
                resource[key] = draw(value)
        resources[name] = resource
    data["resources"] = resources
    if draw(st.booleans()):
        data["outputs"] = {f"o{index}": {"value": draw(snippets)} for index in range(draw(st.integers(1, 3)))}
        if (has_conditions or sloppy) and draw(st.booleans()):
            data["outputs"]["o0"]["condition"] = draw(st.sampled_from(["c", "never", True]) | condition_snippets)
    return data


@budget(300)
@given(data_trees)
def test_any_data_tree_is_a_template_or_a_template_error(data):
    """Any JSON-like value as a whole template: refused with TemplateError, never a crash."""
    try:
        run_everything(Template.from_data(data, "fuzz"))
    except TemplateError as exc:
        assert exc.problems


@budget(300)
@given(st.sampled_from(VALID_VERSIONS + INVALID_VERSIONS), data_trees)
def test_data_trees_in_any_section(version, section_value):
    """Random data placed in each top-level section of an otherwise fine template."""
    for section in ("parameters", "parameter_groups", "conditions", "resources", "outputs", "description"):
        data = {"heat_template_version": version, section: section_value}
        try:
            run_everything(Template.from_data(data, "fuzz"))
        except TemplateError as exc:
            assert exc.problems


@budget(900)
@given(templates())
def test_templates_with_random_function_calls_compile_and_resolve_or_raise_template_error(data):
    """Random function calls of every version in properties, metadata, conditions and outputs."""
    try:
        template = Template.from_data(data, "fuzz")
    except TemplateError as exc:
        assert exc.problems
        return
    try:
        run_everything(template)
    except TemplateError as exc:
        assert exc.problems


@budget(150)
@given(templates())
def test_templates_as_yaml_text_keep_locations(data):
    """The same templates as YAML text: every problem names the file and, when it has a path, a line."""
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        template = Template.load(text, "fuzz.yaml")
        run_everything(template)
    except TemplateError as exc:
        for problem in exc.problems:
            assert problem.source in ("fuzz.yaml", "<environment>", "<request>")
            if problem.source == "fuzz.yaml" and problem.path:
                assert problem.line is not None and problem.column is not None


# -- (c) mutations of real templates ---------------------------------------------------------

def _corpus_dir() -> str:
    """The corpus's hot/ folder, found as tests/corpus finds it (a missing corpus fails the test below)."""
    for root in (os.environ.get("ORCHESTRATOR_CORPUS", ""),
                 str(Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "heat-templates"),
                 "/work/shared/corpus/heat-templates"):
        if root and os.path.isdir(os.path.join(root, "hot")):
            return os.path.join(root, "hot")
    return ""


CORPUS_DIR = _corpus_dir()
CORPUS_PATHS = sorted(glob.glob(os.path.join(CORPUS_DIR, "*.yaml"))) if CORPUS_DIR else []
CORPUS = {os.path.basename(path): open(path, encoding="utf-8").read() for path in CORPUS_PATHS}
CORPUS_DATA = {name: load(text, name).data for name, text in CORPUS.items()}
PLACEHOLDER_VALUES = {"string": "x", "number": 1, "json": {}, "comma_delimited_list": ["a"], "boolean": True}
OTHER_TYPES = ["OS::Nova::Server", "OS::Heat::ResourceGroup", "OS::Neutron::Port", "hello_world.yaml", "", "x"]


def _node_paths(data):
    """Every path in a data tree, parents before children."""
    paths, stack = [], [((), data)]
    while stack:
        path, node = stack.pop()
        paths.append(path)
        if isinstance(node, dict):
            stack.extend((path + (key,), value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((path + (index,), value) for index, value in enumerate(node))
    return paths


def _parent_and_key(data, path):
    node = data
    for key in path[:-1]:
        node = node[key]
    return node, path[-1]


@st.composite
def mutated_corpus_templates(draw):
    """A corpus template with a few nodes deleted, replaced, or resource types swapped."""
    name = draw(st.sampled_from(sorted(CORPUS_DATA)))
    data = copy.deepcopy(CORPUS_DATA[name])
    for _ in range(draw(st.integers(1, 3))):
        paths = [path for path in _node_paths(data) if path]
        if not paths:
            break
        path = paths[draw(st.integers(0, len(paths) - 1))]
        parent, key = _parent_and_key(data, path)
        operation = draw(st.sampled_from(["delete", "replace", "swap_type", "function"]))
        if operation == "delete":
            del parent[key]
        elif operation == "replace":
            parent[key] = draw(data_trees)
        elif operation == "function":
            parent[key] = draw(_calls(data_trees))
        else:
            resources = data.get("resources") if isinstance(data, dict) else None
            if isinstance(resources, dict) and resources:
                victim = draw(st.sampled_from(sorted(resources, key=str)))
                if isinstance(resources[victim], dict):
                    resources[victim]["type"] = draw(st.sampled_from(OTHER_TYPES) | data_trees)
    return name, data


def _placeholders(template: Template) -> dict:
    return {name: PLACEHOLDER_VALUES.get(schema.type, "x")
            for name, schema in template.parameters.items() if schema.required}


def test_corpus_is_present_and_compiles_unmutated():
    """The mutation test below starts from templates that are valid as they are."""
    assert len(CORPUS) >= 10, "the Heat template corpus was not found; set ORCHESTRATOR_CORPUS"
    for name, text in CORPUS.items():
        template = Template.load(text, name)
        if name == "multi_region_hello_world.yaml":
            continue  # its get_file needs hello_world.yaml in the files map
        run_everything(template, placeholders=_placeholders(template))


@budget(500)
@given(mutated_corpus_templates())
def test_mutated_corpus_templates_raise_only_template_error(case):
    """Real templates with random damage: parse, compile and resolve fail only with TemplateError."""
    name, data = case
    try:
        template = Template.from_data(data, name)
        run_everything(template, placeholders=_placeholders(template))
    except TemplateError as exc:
        assert exc.problems
    try:
        template = Template.load(yaml.safe_dump(data, sort_keys=False), name)
        run_everything(template, placeholders=_placeholders(template))
    except TemplateError as exc:
        assert all(problem.source in (name, "<environment>", "<request>") for problem in exc.problems)


# -- regressions found by these tests ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "a: !!int abc", "a: !!int ''", "a: !!float abc", "a: !!float ''", "a: !!bool maybe", "a: !!bool ''",
])
def test_explicit_tags_with_impossible_values_are_template_errors(text):
    """``!!int abc`` used to escape as ValueError (and ``!!bool maybe`` as KeyError)."""
    with pytest.raises(TemplateError) as caught:
        load(text, "t.yaml")
    problem = caught.value.problems[0]
    assert (problem.source, problem.line, problem.column) == ("t.yaml", 1, 4)
    assert "cannot be read as" in problem.message


def test_floats_from_explicit_tags_still_work():
    """The fix for impossible values keeps YAML 1.1's float forms."""
    data = load("a: !!float '3'\nb: !!float .inf\nc: !!int 0x1f\n", "t.yaml").data
    assert data["a"] == 3.0 and math.isinf(data["b"]) and data["c"] == 31
