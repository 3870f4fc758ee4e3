"""The resource registry of an environment, checked against Heat's documented behaviour."""

from __future__ import annotations

import json

import pytest

from orchestrator.template.errors import TemplateError
from orchestrator.template.loader import load
from orchestrator.template.registry import HOOK_TYPES, ResolvedType, ResourceRegistry


def registry(data) -> ResourceRegistry:
    return ResourceRegistry.from_data(data)


def problems_of(data) -> list:
    with pytest.raises(TemplateError) as caught:
        ResourceRegistry.from_data(data)
    return caught.value.problems


# -- resolution ------------------------------------------------------------------------

RESOLVE_CASES = [
    # (id, registry data, type, resource name, (type_name, template, mapped_from))
    ("unmapped type is itself", {}, "OS::Nova::Server", None, ("OS::Nova::Server", None, ())),
    ("alias", {"OS::A": "OS::B"}, "OS::A", None, ("OS::B", None, ("OS::A",))),
    ("alias chain", {"OS::A": "OS::B", "OS::B": "OS::C"}, "OS::A", None, ("OS::C", None, ("OS::A", "OS::B"))),
    ("alias to a provider template", {"OS::A": "OS::B", "OS::B": "b.yaml"}, "OS::A", None,
     ("OS::B", "b.yaml", ("OS::A",))),
    ("provider .template", {"My::Db": "db.template"}, "My::Db", None, ("My::Db", "db.template", ())),
    ("provider URL", {"My::Db": "https://example.com/db"}, "My::Db", None,
     ("My::Db", "https://example.com/db", ())),
    ("file URL", {"My::Db": "file:///tmp/db.yaml"}, "My::Db", None, ("My::Db", "file:///tmp/db.yaml", ())),
    ("type naming a template", {}, "child.yaml", None, ("child.yaml", "child.yaml", ())),
    ("key naming a template is its own template", {"a.yaml": "b.yaml"}, "a.yaml", None,
     ("a.yaml", "a.yaml", ())),
    ("glob keeps the suffix", {"OS::Networking::*": "OS::Neutron::*"}, "OS::Networking::FloatingIP", None,
     ("OS::Neutron::FloatingIP", None, ("OS::Networking::FloatingIP",))),
    ("glob with a partial name", {"OS::Net*": "OS::Neutron*"}, "OS::NetX", None,
     ("OS::NeutronX", None, ("OS::NetX",))),
    ("glob many-to-one", {"OS::*": "OS::Heat::None"}, "OS::Nova::Server", None,
     ("OS::Heat::None", None, ("OS::Nova::Server",))),
    ("many-to-one does not catch its target", {"OS::*": "OS::Heat::None"}, "OS::Heat::None", None,
     ("OS::Heat::None", None, ())),
    ("glob does not match other prefixes", {"OS::*": "OS::Heat::None"}, "AWS::EC2::Instance", None,
     ("AWS::EC2::Instance", None, ())),
    ("longer glob first", {"OS::*": "OS::Heat::None", "OS::Nova::*": "Custom::*"}, "OS::Nova::Server", None,
     ("Custom::Server", None, ("OS::Nova::Server",))),
    ("shorter glob for the rest", {"OS::*": "OS::Heat::None", "OS::Nova::*": "Custom::*"}, "OS::Cinder::Volume",
     None, ("OS::Heat::None", None, ("OS::Cinder::Volume",))),
    ("exact mapping before a glob", {"OS::*": "OS::Heat::None", "OS::Nova::Server": "My::Server"},
     "OS::Nova::Server", None, ("My::Server", None, ("OS::Nova::Server",))),
    ("glob then alias", {"Old::*": "New::*", "New::Thing": "thing.yaml"}, "Old::Thing", None,
     ("New::Thing", "thing.yaml", ("Old::Thing",))),
    ("glob to a template never matches (as in Heat)", {"OS::*": "all.yaml"}, "OS::Foo", None,
     ("OS::Foo", None, ())),
    ("per-resource mapping", {"OS::DB": "OS::Trove::Instance", "resources": {"db": {"OS::DB": "db.yaml"}}},
     "OS::DB", "db", ("OS::DB", "db.yaml", ())),
    ("per-resource mapping is for that resource only",
     {"OS::DB": "OS::Trove::Instance", "resources": {"db": {"OS::DB": "db.yaml"}}},
     "OS::DB", "other", ("OS::Trove::Instance", None, ("OS::DB",))),
    ("per-resource mapping before the exact one", {"OS::A": "a.yaml", "resources": {"r": {"OS::A": "OS::B"}}},
     "OS::A", "r", ("OS::B", None, ("OS::A",))),
    ("per-resource type mappings match the exact name", {"resources": {"db*": {"OS::DB": "db.yaml"}}},
     "OS::DB", "db1", ("OS::DB", None, ())),
    ("per-resource mapping on a later step", {"OS::A": "OS::B", "resources": {"r": {"OS::B": "b.yaml"}}},
     "OS::A", "r", ("OS::B", "b.yaml", ("OS::A",))),
    ("null after an entry removes it", {"OS::A": "a.yaml", "OS::A*": None}, "OS::A", None, ("OS::A", None, ())),
    ("null before an entry does not", {"OS::*": None, "OS::A": "a.yaml"}, "OS::A", None,
     ("OS::A", "a.yaml", ())),
    ("null with * removes every match", {"OS::A": "a.yaml", "OS::B": "OS::C", "OS::*": None}, "OS::B", None,
     ("OS::B", None, ())),
    ("null with * spares other prefixes", {"My::A": "a.yaml", "OS::*": None}, "My::A", None,
     ("My::A", "a.yaml", ())),
]


@pytest.mark.parametrize("data, type_name, resource, expected", [case[1:] for case in RESOLVE_CASES],
                         ids=[case[0] for case in RESOLVE_CASES])
def test_resolve(data, type_name, resource, expected):
    resolved = registry(data).resolve(type_name, resource)
    assert (resolved.type_name, resolved.template, resolved.mapped_from) == expected


def test_resolved_type_records_the_entry_that_chose_the_template():
    reg = registry({"OS::A": "a.yaml", "resources": {"r": {"OS::B": "b.yaml"}}})
    assert reg.resolve("OS::A").entry == ("OS::A",)
    assert reg.resolve("OS::B", "r").entry == ("resources", "r", "OS::B")
    assert reg.resolve("x.yaml").entry == ()


LOOP_CASES = [
    ("two aliases", {"OS::A": "OS::B", "OS::B": "OS::A"}, "OS::A", None, "OS::A -> OS::B -> OS::A"),
    ("self alias", {"OS::A": "OS::A"}, "OS::A", None, "OS::A -> OS::A"),
    ("three aliases", {"A": "B", "B": "C", "C": "A"}, "B", None, "B -> C -> A -> B"),
    ("per-resource loop", {"resources": {"r": {"OS::A": "OS::B", "OS::B": "OS::A"}}}, "OS::A", "r",
     "OS::A -> OS::B -> OS::A"),
    ("glob back to an alias", {"Old::*": "New::*", "New::X": "Old::X"}, "Old::X", None,
     "Old::X -> New::X -> Old::X"),
    ("glob feeding itself", {"OS::*": "OS::X::*"}, "OS::A", None, "mapped more than"),
]


@pytest.mark.parametrize("data, type_name, resource, fragment", [case[1:] for case in LOOP_CASES],
                         ids=[case[0] for case in LOOP_CASES])
def test_mapping_loops_are_reported(data, type_name, resource, fragment):
    with pytest.raises(TemplateError) as caught:
        registry(data).resolve(type_name, resource)
    assert fragment in caught.value.problems[0].message


def test_loop_points_at_the_entry_that_closes_it():
    text = "resource_registry:\n  OS::A: OS::B\n  OS::B: OS::A\n"
    document = load(text, "env.yaml")
    reg = ResourceRegistry.from_data(document.data["resource_registry"], document)
    with pytest.raises(TemplateError) as caught:
        reg.resolve("OS::A")
    problem = caught.value.problems[0]
    assert (problem.source, problem.path, problem.line, problem.column) == (
        "env.yaml", ("resource_registry", "OS::B"), 3, 3)


def test_an_empty_registry_maps_nothing():
    assert ResourceRegistry().resolve("OS::Nova::Server") == ResolvedType("OS::Nova::Server")
    assert ResourceRegistry().to_data() == {"resources": {}}


# -- checking --------------------------------------------------------------------------

INVALID_CASES = [
    ("not a map", ["OS::A"], "must be a map", ("resource_registry",)),
    ("number value", {"OS::A": 5}, "not a number", ("resource_registry", "OS::A")),
    ("list value", {"OS::A": ["x"]}, "not a list", ("resource_registry", "OS::A")),
    ("map value outside resources", {"OS::A": {"x": "y"}}, "not a map", ("resource_registry", "OS::A")),
    ("empty value", {"OS::A": ""}, "empty string", ("resource_registry", "OS::A")),
    ("non-string key", {1: "OS::A"}, "non-empty strings", ("resource_registry", 1)),
    ("resources not a map", {"resources": ["a"]}, "resources must be a map", ("resource_registry", "resources")),
    ("resource settings not a map", {"resources": {"web": "OS::A"}}, "must be a map",
     ("resource_registry", "resources", "web")),
    ("invalid hook", {"resources": {"web": {"hooks": "pre-creat"}}},
     'Invalid hook type "pre-creat" for resource breakpoint', ("resource_registry", "resources", "web", "hooks")),
    ("invalid hook in a list", {"resources": {"web": {"hooks": ["pre-create", "on-create"]}}},
     'Invalid hook type "on-create"', ("resource_registry", "resources", "web", "hooks", 1)),
    ("hooks as a map", {"resources": {"web": {"hooks": {"pre-create": True}}}}, "Invalid hook type",
     ("resource_registry", "resources", "web", "hooks")),
    ("invalid hook in a nested stack", {"resources": {"app": {"db": {"hooks": "pre-start"}}}},
     'Invalid hook type "pre-start"', ("resource_registry", "resources", "app", "db", "hooks")),
    ("invalid restricted action", {"resources": {"web": {"restricted_actions": "delete"}}},
     'Invalid restricted_action type "delete" for resource, acceptable restricted_action types are: '
     "update, replace", ("resource_registry", "resources", "web", "restricted_actions")),
    ("invalid restricted action in a list", {"resources": {"web": {"restricted_actions": ["update", "create"]}}},
     'Invalid restricted_action type "create"', ("resource_registry", "resources", "web", "restricted_actions", 1)),
    ("hooks at the top level", {"hooks": "pre-create"}, "under resources.<resource name>.hooks",
     ("resource_registry", "hooks")),
    ("base_url not a string", {"base_url": 3}, "base_url must be a string", ("resource_registry", "base_url")),
]


@pytest.mark.parametrize("data, fragment, path", [case[1:] for case in INVALID_CASES],
                         ids=[case[0] for case in INVALID_CASES])
def test_invalid_registries(data, fragment, path):
    problems = problems_of(data)
    assert len(problems) == 1
    assert fragment in problems[0].message
    assert problems[0].path == path


def test_hook_error_lists_every_hook_type():
    message = problems_of({"resources": {"web": {"hooks": "x"}}})[0].message
    assert message.endswith("acceptable hook types are: " + ", ".join(HOOK_TYPES))


def test_every_problem_is_reported_at_once():
    problems = problems_of({"OS::A": 1, "resources": {"a": {"hooks": "bad"}, "b": {"restricted_actions": "bad"}}})
    assert [p.path[-1] for p in problems] == ["OS::A", "hooks", "restricted_actions"]


def test_problems_point_into_the_yaml_text():
    text = ("resource_registry:\n"
            "  OS::A: a.yaml\n"
            "  resources:\n"
            "    web:\n"
            "      hooks: [pre-create, pre-creat]\n")
    document = load(text, "env.yaml")
    with pytest.raises(TemplateError) as caught:
        ResourceRegistry.from_data(document.data["resource_registry"], document)
    problem = caught.value.problems[0]
    assert (problem.source, problem.line, problem.column) == ("env.yaml", 5, 27)


VALID_CASES = [
    {"base_url": "file:///home/user/templates/"},
    {"OS::A": None},
    {"resources": None},
    {"resources": {"web": None}},
    {"resources": {"web": {"hooks": []}}},
    {"resources": {"web": {"hooks": list(HOOK_TYPES), "restricted_actions": ["update", "replace"]}}},
    {"resources": {"*": {"hooks": None, "OS::A": None}}},
]


@pytest.mark.parametrize("data", VALID_CASES, ids=[json.dumps(d) for d in VALID_CASES])
def test_valid_registries(data):
    reg = ResourceRegistry.from_data(data)
    assert ResourceRegistry.from_data(reg.to_data()) == reg


# -- hooks and restricted actions ------------------------------------------------------------

HOOK_REGISTRY = {
    "resources": {
        "web": {"hooks": "pre-create"},
        "both": {"hooks": ["pre-create", "pre-update"]},
        "prefix_*": {"hooks": "pre-delete"},
        "*_server": {"hooks": ["post-create"]},
        "*": {"hooks": "pre-update"},
        "nested": {"inner": {"hooks": "pre-create"}},
    }
}

HOOK_CASES = [
    ("web", {"pre-create", "pre-update"}),
    ("both", {"pre-create", "pre-update"}),
    ("prefix_", {"pre-delete", "pre-update"}),
    ("prefix_db", {"pre-delete", "pre-update"}),
    ("db_prefix", {"pre-update"}),
    ("app_server", {"post-create", "pre-update"}),
    ("_server", {"post-create", "pre-update"}),
    ("app_server_2", {"pre-update"}),
    ("inner", {"pre-update"}),
    ("nested", {"pre-update"}),
]


@pytest.mark.parametrize("name, expected", HOOK_CASES, ids=[case[0] for case in HOOK_CASES])
def test_hooks_match_resource_name_patterns(name, expected):
    assert registry(HOOK_REGISTRY).hooks(name) == frozenset(expected)


def test_hook_patterns_are_case_sensitive():
    assert registry({"resources": {"Web*": {"hooks": "pre-create"}}}).hooks("web1") == frozenset()


RESTRICTED_CASES = [
    ({"web": {"restricted_actions": "update"}}, "web", {"update"}),
    ({"web": {"restricted_actions": ["update", "replace"]}}, "web", {"update", "replace"}),
    ({"db_*": {"restricted_actions": "replace"}, "*_1": {"restricted_actions": "update"}}, "db_1",
     {"update", "replace"}),
    ({"db_*": {"restricted_actions": "replace"}}, "web", set()),
    ({"web": {"hooks": "pre-create"}}, "web", set()),
]


@pytest.mark.parametrize("resources, name, expected", RESTRICTED_CASES)
def test_restricted_actions(resources, name, expected):
    assert registry({"resources": resources}).restricted_actions(name) == frozenset(expected)


# -- nested stacks --------------------------------------------------------------------------

DRILL_DOWN = {
    "OS::Food": "fruity.yaml",
    "resources": {
        "a": {"OS::Fruit": "apples.yaml", "hooks": "pre-create"},
        "nested": {
            "b": {"OS::Fruit": "carrots.yaml"},
            "nested_res": {"hooks": "pre-create"},
            "hooks": "pre-update",
        },
        "nest*": {"from_glob": {"hooks": "post-create"}},
        "*_no_match": {"lost": {"hooks": "pre-create"}},
    },
}


def test_for_child_keeps_what_was_nested_under_the_parent_name():
    child = registry(DRILL_DOWN).for_child("nested")
    assert child.hooks("nested_res") == {"pre-create"}
    assert child.hooks("from_glob") == {"post-create"}
    assert child.hooks("lost") == frozenset()
    assert child.hooks("a") == frozenset()
    assert child.resolve("OS::Fruit", "b").template == "carrots.yaml"
    assert child.resolve("OS::Fruit", "a").template is None
    assert child.resolve("OS::Food").template == "fruity.yaml"


def test_for_child_drops_the_parent_resource_own_settings():
    data = registry(DRILL_DOWN).for_child("nested").to_data()
    assert set(data["resources"]) == {"b", "nested_res", "from_glob"}


def test_for_child_prefers_the_exact_name():
    reg = registry({"resources": {
        "res*": {"inner": {"hooks": "pre-create"}},
        "resource": {"inner": {"hooks": "pre-update"}},
        "*source": {"inner": {"hooks": "pre-delete"}},
    }})
    assert reg.for_child("resource").hooks("inner") == {"pre-update"}


def test_for_child_for_a_resource_with_no_entry():
    child = registry(DRILL_DOWN).for_child("unrelated")
    assert child.to_data()["resources"] == {}
    assert child.resolve("OS::Food").template == "fruity.yaml"


def test_for_child_twice_reaches_two_levels_down():
    reg = registry({"resources": {"a": {"b": {"c": {"hooks": "pre-create", "OS::X": "x.yaml"}}}}})
    grandchild = reg.for_child("a").for_child("b")
    assert grandchild.hooks("c") == {"pre-create"}
    assert grandchild.resolve("OS::X", "c").template == "x.yaml"
    assert reg.for_child("a").hooks("c") == frozenset()


def test_for_child_lets_a_provider_template_use_the_type_it_implements():
    reg = registry({"OS::Nova::Server": "server.yaml"})
    provider = reg.resolve("OS::Nova::Server", "web")
    assert reg.for_child("web").resolve("OS::Nova::Server").template == "server.yaml"
    assert reg.for_child("web", provider).resolve("OS::Nova::Server").template is None
    assert reg.resolve("OS::Nova::Server").template == "server.yaml"  # the parent is unchanged


def test_for_child_keeps_the_general_mapping_when_a_per_resource_one_was_used():
    reg = registry({"OS::Food": "fruity.yaml", "resources": {"abc": {"OS::Food": "nutty.yaml"}}})
    provider = reg.resolve("OS::Food", "abc")
    assert provider.template == "nutty.yaml"
    assert reg.for_child("abc", provider).resolve("OS::Food").template == "fruity.yaml"


def test_for_child_of_a_template_named_type_removes_nothing():
    reg = registry({"OS::A": "a.yaml"})
    provider = reg.resolve("child.yaml", "r")
    assert reg.for_child("r", provider).resolve("OS::A").template == "a.yaml"


# -- merging --------------------------------------------------------------------------------

MERGE_CASES = [
    ("later entry wins", {"OS::A": "a.yaml"}, {"OS::A": "b.yaml"}, ("OS::A", None), "b.yaml"),
    ("earlier entry kept", {"OS::A": "a.yaml"}, {"OS::B": "b.yaml"}, ("OS::A", None), "a.yaml"),
    ("later null removes", {"OS::A": "a.yaml"}, {"OS::A": None}, ("OS::A", None), None),
    ("later glob null removes", {"OS::A": "a.yaml", "My::A": "m.yaml"}, {"OS::*": None}, ("OS::A", None), None),
    ("glob null spares others", {"OS::A": "a.yaml", "My::A": "m.yaml"}, {"OS::*": None}, ("My::A", None),
     "m.yaml"),
    ("null then redefinition", {"OS::A": "a.yaml"}, {"OS::*": None, "OS::A": "b.yaml"}, ("OS::A", None), "b.yaml"),
    ("per-resource entries merge", {"resources": {"r": {"OS::A": "a.yaml"}}},
     {"resources": {"r": {"hooks": "pre-create"}}}, ("OS::A", "r"), "a.yaml"),
    ("later removes a resource's settings", {"resources": {"r": {"OS::A": "a.yaml"}}},
     {"resources": {"r": None}}, ("OS::A", "r"), None),
]


@pytest.mark.parametrize("first, second, query, template", [case[1:] for case in MERGE_CASES],
                         ids=[case[0] for case in MERGE_CASES])
def test_merged(first, second, query, template):
    assert registry(first).merged(registry(second)).resolve(*query).template == template


@pytest.mark.parametrize("pattern", ["*", "b*"])
def test_glob_null_removes_type_mappings_only(pattern):
    first = registry({"base_url": "file:///envs/", "OS::A": "OS::B", "bar::A": "bar.yaml"})
    for merged in (first.merged(registry({pattern: None})),
                   registry({"base_url": "file:///envs/", "bar::A": "bar.yaml", pattern: None})):
        assert merged.base_url == "file:///envs/"
        assert merged.resolve("bar::A").template is None


def test_merged_keeps_hooks_of_both():
    merged = registry({"resources": {"r": {"hooks": "pre-create"}, "s": {"hooks": "pre-update"}}}).merged(
        registry({"resources": {"r": {"restricted_actions": "replace"}}}))
    assert (merged.hooks("r"), merged.hooks("s"), merged.restricted_actions("r")) == (
        {"pre-create"}, {"pre-update"}, {"replace"})


def test_merged_is_associative_for_removals():
    a, b, c = registry({"OS::A": "a.yaml"}), registry({"OS::*": None}), registry({"OS::B": "b.yaml"})
    assert a.merged(b).merged(c) == a.merged(b.merged(c))
    assert a.merged(b.merged(c)).resolve("OS::A").template is None


def test_merged_does_not_change_either_registry():
    first, second = registry({"OS::A": "a.yaml"}), registry({"OS::A": None})
    first.merged(second)
    assert first.resolve("OS::A").template == "a.yaml"
    assert second.to_data() == {"OS::A": None, "resources": {}}


# -- data -----------------------------------------------------------------------------------

ROUND_TRIP_CASES = [
    {},
    {"OS::A": "OS::B", "OS::Net*": "OS::Neutron*", "My::T": "https://example.com/t.yaml"},
    {"base_url": "file:///tmp/", "a.yaml": "a.yaml"},
    {"OS::*": None, "OS::A": "a.yaml"},
    HOOK_REGISTRY,
    DRILL_DOWN,
    {"resources": {"r": {"hooks": ["pre-create"], "restricted_actions": "update", "OS::A": None}}},
]


@pytest.mark.parametrize("data", ROUND_TRIP_CASES, ids=range(len(ROUND_TRIP_CASES)))
def test_to_data_round_trips(data):
    reg = registry(data)
    again = ResourceRegistry.from_data(json.loads(json.dumps(reg.to_data())))
    assert again == reg
    assert again.to_data() == reg.to_data()


def test_to_data_keeps_entries_as_written():
    data = {"OS::A": "a.yaml", "resources": {"r": {"hooks": "pre-create", "OS::B": "OS::C"}}}
    assert registry(data).to_data() == data


def test_to_data_writes_removals_before_entries():
    assert list(registry({"OS::*": None, "OS::A": "a.yaml"}).to_data()) == ["OS::*", "OS::A", "resources"]
    assert registry({"OS::A": "a.yaml", "OS::*": None}).to_data() == {"OS::*": None, "resources": {}}


def test_template_urls():
    reg = registry({
        "base_url": "file:///tmp/",
        "OS::A": "a.yaml",
        "OS::B": "OS::C",
        "OS::D": "https://example.com/d",
        "OS::E": "a.yaml",
        "x.template": "x.template",
        "resources": {"r": {"OS::F": "f.yaml", "hooks": "pre-create", "n": {"OS::G": "g.yaml"}}},
    })
    assert reg.template_urls() == ("a.yaml", "https://example.com/d", "x.template", "f.yaml", "g.yaml")
    assert reg.base_url == "file:///tmp/"
