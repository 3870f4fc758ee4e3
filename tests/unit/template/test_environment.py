"""Environments: sections, the flat format, and Heat's API and engine merge rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.template.environment import (
    SECTIONS,
    Environment,
    environment_for_request,
    load_environment,
    merge_environments,
)
from orchestrator.template.errors import TemplateError
from orchestrator.template.registry import ResourceRegistry

CORPUS = Path("/work/shared/corpus/heat-templates")


def problems_of(call, *args, **kwargs) -> list:
    with pytest.raises(TemplateError) as caught:
        call(*args, **kwargs)
    return caught.value.problems


def env_text(**sections) -> str:
    return json.dumps(sections)


# -- sections ----------------------------------------------------------------------------


def test_every_section_is_read():
    env = Environment.from_data({
        "parameters": {"flavor": "m1.small"},
        "parameter_defaults": {"image": "cirros"},
        "resource_registry": {"My::Server": "server.yaml"},
        "event_sinks": [{"type": "zaqar-queue", "target": "q", "ttl": 60}],
        "encrypted_param_names": ["password"],
        "parameter_merge_strategies": {"default": "merge", "flavor": "overwrite"},
    })
    assert env.parameters == {"flavor": "m1.small"}
    assert env.parameter_defaults == {"image": "cirros"}
    assert env.resource_registry.resolve("My::Server").template == "server.yaml"
    assert env.event_sinks == [{"type": "zaqar-queue", "target": "q", "ttl": 60}]
    assert env.encrypted_param_names == ["password"]
    assert env.parameter_merge_strategies == {"default": "merge", "flavor": "overwrite"}


def test_missing_sections_are_empty():
    assert Environment.from_data({}) == Environment()
    assert Environment.from_data(None) == Environment()
    assert load_environment("") == Environment()
    assert load_environment("# only a comment\n") == Environment()


INVALID_CASES = [
    ("unknown section", {"paramters": {}}, 'environment has wrong section "paramters"', ("paramters",)),
    ("not a map", ["parameters"], "not a valid YAML mapping", ()),
    ("a string", "parameters", "not a valid YAML mapping", ()),
    ("parameters not a map", {"parameters": ["a"]}, "parameters section must be a map", ("parameters",)),
    ("defaults not a map", {"parameter_defaults": "a"}, "parameter_defaults section must be a map",
     ("parameter_defaults",)),
    ("parameter named by a number", {"parameters": {1: "a"}}, "named by strings", ("parameters", 1)),
    ("event_sinks not a list", {"event_sinks": {"type": "zaqar-queue"}}, "must be a list", ("event_sinks",)),
    ("event sink without type", {"event_sinks": [{"target": "q"}]}, 'needs a "type"', ("event_sinks", 0)),
    ("event sink not a map", {"event_sinks": ["zaqar-queue"]}, "must be a map", ("event_sinks", 0)),
    ("encrypted names not a list", {"encrypted_param_names": "pw"}, "must be a list", ("encrypted_param_names",)),
    ("encrypted name not a string", {"encrypted_param_names": [1]}, "must be a string",
     ("encrypted_param_names", 0)),
    ("unknown merge strategy", {"parameter_merge_strategies": {"p": "append"}}, 'Unknown merge strategy "append"',
     ("parameter_merge_strategies", "p")),
    ("registry problem", {"resource_registry": {"resources": {"r": {"hooks": "nope"}}}}, "Invalid hook type",
     ("resource_registry", "resources", "r", "hooks")),
]


@pytest.mark.parametrize("data, fragment, path", [case[1:] for case in INVALID_CASES],
                         ids=[case[0] for case in INVALID_CASES])
def test_invalid_environments(data, fragment, path):
    problems = problems_of(Environment.from_data, data)
    assert len(problems) == 1
    assert fragment in problems[0].message
    assert problems[0].path == path


@pytest.mark.parametrize("section", SECTIONS)
def test_a_null_section_is_an_error(section):
    problems = problems_of(Environment.from_data, {section: None})
    assert [(p.message, p.path) for p in problems] == [(f'environment has empty section "{section}"', (section,))]


def test_every_problem_is_reported_with_its_line_and_column():
    text = ("parameters:\n"
            "  flavor: m1.small\n"
            "resource_registry:\n"
            "  resources:\n"
            "    web:\n"
            "      restricted_actions: delete\n"
            "paramter_defaults: {}\n"
            "event_sinks:\n")
    problems = problems_of(load_environment, text, "env.yaml")
    assert [(p.source, p.line, p.column, p.path[-1]) for p in problems] == [
        ("env.yaml", 6, 7, "restricted_actions"),
        ("env.yaml", 7, 1, "paramter_defaults"),
        ("env.yaml", 8, 1, "event_sinks"),
    ]


def test_yaml_errors_are_template_errors():
    problems = problems_of(load_environment, "parameters: [\n", "env.yaml")
    assert problems[0].source == "env.yaml" and problems[0].line is not None


# -- the old flat format ------------------------------------------------------------------

FLAT_CASES = [
    ("flat parameters", {"a": "ff", "b": "ss"}, {"a": "ff", "b": "ss"}),
    ("flat parameters beside sections", {"a": 1, "resource_registry": {"X::Y": "y.yaml"}}, {"a": 1}),
    ("sections only", {"parameters": {"a": 1}}, {"a": 1}),
    ("nothing", {}, {}),
]


@pytest.mark.parametrize("data, parameters", [case[1:] for case in FLAT_CASES], ids=[c[0] for c in FLAT_CASES])
def test_flat_format_for_engine_built_dicts(data, parameters):
    assert Environment.from_data(data, legacy_flat=True).parameters == parameters


def test_flat_format_keeps_the_other_sections():
    env = Environment.from_data({"a": 1, "resource_registry": {"X::Y": "y.yaml"}}, legacy_flat=True)
    assert env.resource_registry.resolve("X::Y").template == "y.yaml"


def test_flat_keys_beside_a_parameters_section_are_errors():
    problems = problems_of(Environment.from_data, {"parameters": {"a": 1}, "b": 2}, legacy_flat=True)
    assert problems[0].path == ("b",)


@pytest.mark.parametrize("call", [lambda: Environment.from_data({"a": 1}), lambda: load_environment("a: 1\n")])
def test_flat_format_is_refused_from_users(call):
    with pytest.raises(TemplateError, match='wrong section "a"'):
        call()


# -- data ----------------------------------------------------------------------------------------

ROUND_TRIP_CASES = [
    {},
    {"parameters": {"a": [1, {"b": None}]}, "parameter_defaults": {"c": True}},
    {"resource_registry": {"OS::*": None, "OS::A": "a.yaml", "resources": {"r": {"hooks": ["pre-create"]}}}},
    {"event_sinks": [{"type": "zaqar-queue", "target": "q"}], "encrypted_param_names": ["pw"]},
    {"parameter_merge_strategies": {"default": "deep_merge"}},
]


@pytest.mark.parametrize("data", ROUND_TRIP_CASES, ids=range(len(ROUND_TRIP_CASES)))
def test_to_data_round_trips(data):
    env = Environment.from_data(data)
    again = Environment.from_data(json.loads(json.dumps(env.to_data())))
    assert again == env
    assert again.to_data() == env.to_data()


def test_to_data_has_every_section_heat_stores():
    assert Environment().to_data() == {"parameters": {}, "parameter_defaults": {},
                                       "resource_registry": {"resources": {}}, "event_sinks": [],
                                       "encrypted_param_names": []}


def test_from_data_copies_its_input():
    data = {"parameters": {"a": {"b": 1}}}
    env = Environment.from_data(data)
    data["parameters"]["a"]["b"] = 2
    assert env.parameters == {"a": {"b": 1}}


# -- merging environment files --------------------------------------------------------------------

STRATEGY_CASES = [
    # (id, parameter type, strategy, earlier value, later value, merged value)
    ("string overwrite", "string", "overwrite", "a", "b", "b"),
    ("string merge", "string", "merge", "a", "b", "ab"),
    ("string deep_merge", "string", "deep_merge", "a", "b", "ab"),
    ("number overwrite", "number", "overwrite", 1, 2, 2),
    ("number merge", "number", "merge", 1, 2, 3),
    ("number merge of text", "number", "merge", "1", "2.5", 3.5),
    ("number deep_merge", "number", "deep_merge", 1.5, 1, 2.5),
    ("list merge of text", "comma_delimited_list", "merge", "a,b", "c", "a,b,c"),
    ("list merge of lists", "comma_delimited_list", "merge", ["a"], ["b", "c"], ["a", "b", "c"]),
    ("list merge of both", "comma_delimited_list", "merge", "a,b", ["c"], ["a", "b", "c"]),
    ("list overwrite", "comma_delimited_list", "overwrite", "a,b", "c", "c"),
    ("json overwrite", "json", "overwrite", {"a": 1}, {"b": 2}, {"b": 2}),
    ("json merge is shallow", "json", "merge", {"a": 1, "n": {"x": 1}}, {"b": 2, "n": {"y": 2}},
     {"a": 1, "b": 2, "n": {"y": 2}}),
    ("json deep_merge", "json", "deep_merge", {"a": 1, "n": {"x": 1}}, {"b": 2, "n": {"y": 2}},
     {"a": 1, "b": 2, "n": {"x": 1, "y": 2}}),
    ("json deep_merge joins lists and strings", "json", "deep_merge", {"l": [1], "s": "a", "n": 1},
     {"l": [2], "s": "b", "n": 2}, {"l": [1, 2], "s": "ab", "n": 2}),
    ("json merge of JSON text", "json", "merge", '{"a": 1}', '{"b": 2}', {"a": 1, "b": 2}),
    ("json merge skips nulls", "json", "merge", {"a": 1}, {"a": None, "b": 2}, {"a": 1, "b": 2}),
    ("boolean overwrite", "boolean", "overwrite", True, False, False),
]


def merge_one(ptype, strategy, earlier, later):
    base = Environment(parameters={"p": earlier})
    text = env_text(parameters={"p": later}, parameter_merge_strategies={"p": strategy})
    return merge_environments(base, [("env.yaml", text)], {"p": ptype})


@pytest.mark.parametrize("ptype, strategy, earlier, later, expected", [c[1:] for c in STRATEGY_CASES],
                         ids=[c[0] for c in STRATEGY_CASES])
def test_merge_strategies(ptype, strategy, earlier, later, expected):
    assert merge_one(ptype, strategy, earlier, later).parameters["p"] == expected


@pytest.mark.parametrize("strategy", ["merge", "deep_merge"])
def test_booleans_cannot_be_merged(strategy):
    problems = problems_of(merge_one, "boolean", strategy, True, False)
    assert problems[0].message == f"Invalid merge strategy '{strategy}' for parameter 'p'."
    assert (problems[0].source, problems[0].path) == ("env.yaml", ("parameters", "p"))


@pytest.mark.parametrize("ptype, earlier, later, fragment", [
    ("number", 1, "many", "'many' is not a number"),
    ("json", {"a": 1}, "{not json", "not valid JSON"),
    ("json", {"a": 1}, [1], "cannot merge a list into a map"),
])
def test_values_that_cannot_merge(ptype, earlier, later, fragment):
    problems = problems_of(merge_one, ptype, "merge", earlier, later)
    assert fragment in problems[0].message


def test_the_default_strategy_of_a_file():
    base = Environment(parameters={"s": "a", "n": 1})
    text = env_text(parameters={"s": "b", "n": 2}, parameter_merge_strategies={"default": "merge"})
    merged = merge_environments(base, [("e.yaml", text)], {"s": "string", "n": "number"})
    assert merged.parameters == {"s": "ab", "n": 3}


def test_a_strategy_is_inherited_by_later_files():
    files = [
        ("one.yaml", env_text(parameters={"p": "a"}, parameter_merge_strategies={"p": "merge"})),
        ("two.yaml", env_text(parameters={"p": "b"})),
        ("three.yaml", env_text(parameters={"p": "c"}, parameter_merge_strategies={"default": "overwrite"})),
    ]
    assert merge_environments(Environment(), files, {"p": "string"}).parameters == {"p": "abc"}


def test_a_conflicting_strategy_is_an_error():
    files = [
        ("one.yaml", env_text(parameters={"p": "a"}, parameter_merge_strategies={"p": "merge"})),
        ("two.yaml", "parameter_merge_strategies:\n  p: overwrite\nparameters:\n  p: b\n"),
    ]
    problems = problems_of(merge_environments, Environment(), files, {"p": "string"})
    assert [(p.message, p.source, p.line) for p in problems] == [
        ("Conflicting merge strategy 'overwrite' for parameter 'p' in file 'two.yaml'.", "two.yaml", 2)]


def test_no_conflict_for_a_parameter_the_later_file_does_not_set():
    files = [
        ("one.yaml", env_text(parameters={"p": "a"}, parameter_merge_strategies={"p": "merge"})),
        ("two.yaml", env_text(parameters={"q": "b"}, parameter_merge_strategies={"p": "overwrite"})),
    ]
    assert merge_environments(Environment(), files, None).parameters == {"p": "a", "q": "b"}


def test_parameter_defaults_merge_like_parameters():
    files = [
        ("one.yaml", env_text(parameter_defaults={"p": ["a"]}, parameter_merge_strategies={"p": "merge"})),
        ("two.yaml", env_text(parameter_defaults={"p": ["b"]})),
    ]
    merged = merge_environments(Environment(), files, {"p": "comma_delimited_list"})
    assert merged.parameter_defaults == {"p": ["a", "b"]}


def test_later_files_override_request_parameters():
    base = Environment(parameters={"flavor": "m1.large", "image": "cirros"})
    files = [("env.yaml", env_text(parameters={"flavor": "m1.tiny"}))]
    merged = merge_environments(base, files, {"flavor": "string", "image": "string"})
    assert merged.parameters == {"flavor": "m1.tiny", "image": "cirros"}


@pytest.mark.parametrize("parameter_types, expected", [
    ({"known": "string"}, {"known": "k"}),
    (None, {"known": "k", "unknown": "u"}),
])
def test_parameters_the_template_lacks_are_dropped(parameter_types, expected):
    files = [("env.yaml", env_text(parameters={"known": "k", "unknown": "u"}, parameter_defaults={"unknown": 1}))]
    merged = merge_environments(Environment(), files, parameter_types)
    assert merged.parameters == expected
    assert ("unknown" in merged.parameter_defaults) == (parameter_types is None)


def test_other_sections_merge_shallowly():
    files = [
        ("one.yaml", env_text(resource_registry={"OS::A": "a.yaml", "OS::B": "b.yaml",
                                                 "resources": {"r": {"hooks": "pre-create"}}},
                              event_sinks=[{"type": "zaqar-queue", "target": "one"}])),
        ("two.yaml", env_text(resource_registry={"OS::B": "b2.yaml", "resources": {"s": {"hooks": "pre-update"}}},
                              event_sinks=[{"type": "zaqar-queue", "target": "two"}])),
    ]
    merged = merge_environments(Environment(), files, None)
    registry = merged.resource_registry
    assert registry.resolve("OS::A").template == "a.yaml"
    assert registry.resolve("OS::B").template == "b2.yaml"
    assert registry.hooks("r") == frozenset()  # the whole resources map was replaced
    assert registry.hooks("s") == {"pre-update"}
    assert [sink["target"] for sink in merged.event_sinks] == ["one", "two"]


def test_a_later_file_cannot_remove_a_mapping_with_null():
    files = [("one.yaml", env_text(resource_registry={"OS::A": "a.yaml"})),
             ("two.yaml", env_text(resource_registry={"OS::A": None}))]
    assert merge_environments(Environment(), files, None).resource_registry.resolve("OS::A").template == "a.yaml"


def test_merge_problems_point_into_their_file():
    files = [("one.yaml", env_text(parameters={"p": {"a": 1}}, parameter_merge_strategies={"p": "merge"})),
             ("two.yaml", "parameters:\n  q: 1\n  p: '{broken'\n")]
    problems = problems_of(merge_environments, Environment(), files, {"p": "json", "q": "number"})
    assert [(p.source, p.line, p.path) for p in problems] == [("two.yaml", 3, ("parameters", "p"))]


def test_an_invalid_environment_file_is_reported_in_that_file():
    files = [("one.yaml", "parameters: {}\n"), ("two.yaml", "parameters: {}\nresource_registery: {}\n")]
    problems = problems_of(merge_environments, Environment(), files, None)
    assert [(p.source, p.line, p.path) for p in problems] == [("two.yaml", 2, ("resource_registery",))]


# -- the API's rule --------------------------------------------------------------------------

INLINE = {"parameters": {"flavor": "inline", "size": 1}, "resource_registry": {"My::Inline": "inline.yaml"}}
FILES = {"file:///env.yaml": env_text(parameters={"image": "from-file"},
                                      resource_registry={"My::File": "file.yaml"})}


def test_environment_files_replace_the_inline_environment():
    env = environment_for_request(INLINE, {"flavor": "request"}, ["file:///env.yaml"], FILES, None)
    assert env.parameters == {"flavor": "request", "image": "from-file"}
    assert env.resource_registry.resolve("My::Inline").template is None
    assert env.resource_registry.resolve("My::File").template == "file.yaml"


@pytest.mark.parametrize("environment_files", [None, []])
def test_request_parameters_are_laid_over_the_inline_environment(environment_files):
    env = environment_for_request(INLINE, {"flavor": "request"}, environment_files, FILES, None)
    assert env.parameters == {"flavor": "request", "size": 1}
    assert env.resource_registry.resolve("My::Inline").template == "inline.yaml"


def test_inline_environment_as_text():
    env = environment_for_request("parameters:\n  a: 1\n", {"b": 2}, None, {}, None)
    assert env.parameters == {"a": 1, "b": 2}


def test_no_environment_at_all():
    assert environment_for_request(None, None, None, {}, None) == Environment()


def test_a_missing_environment_file_is_named():
    problems = problems_of(environment_for_request, None, {}, ["file:///env.yaml", "file:///gone.yaml"], FILES, None)
    assert [(p.message, p.path) for p in problems] == [
        ("environment file 'file:///gone.yaml' is not in the files map", ("environment_files", 1))]


def test_the_inline_environment_is_checked():
    problems = problems_of(environment_for_request, {"parameter": {}}, None, None, {}, None)
    assert 'wrong section "parameter"' in problems[0].message


def test_request_parameters_must_be_a_map():
    problems = problems_of(environment_for_request, None, ["a"], None, {}, None)
    assert problems[0].path == ("parameters",)


def test_file_parameters_unknown_to_the_template_are_dropped_but_request_ones_kept():
    files = {"e": env_text(parameters={"x": 1, "y": 2})}
    env = environment_for_request(None, {"z": 3}, ["e"], files, {"x": "number"})
    assert env.parameters == {"z": 3, "x": 1}


# -- real environment files ------------------------------------------------------------------

CORPUS_FILES = sorted(CORPUS.glob("**/*env*.yaml")) if CORPUS.is_dir() else []


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_FILES, reason="the shared Heat template corpus is not available")
def test_every_corpus_environment_loads():
    loaded = {}
    for path in CORPUS_FILES:
        env = load_environment(path.read_text(), str(path))
        loaded[path.name] = env
        assert Environment.from_data(env.to_data()) == env
    assert loaded["none_env.yaml"].resource_registry.resolve("Heat::InstallConfigAgent").type_name == \
        "OS::Heat::SoftwareConfig"
    assert loaded["oso_ha_env.yaml"].resource_registry.template_urls() == ("oso_node.yaml",)
    assert isinstance(loaded["oso_node_env.yaml"].resource_registry, ResourceRegistry)
