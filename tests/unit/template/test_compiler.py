"""Compiling a template with an environment into a ``StackDefinition``.

Pinned down here: conditions (named, inline, nested, literal, circular,
non-boolean), resources disabled by conditions, the two-argument ``if``,
implicit and explicit dependencies, cycles, the stable dependency order,
resource types checked against a catalog and resolved through the registry
(aliases, provider templates, hooks, restricted actions), outputs, resolving
against live resource state, pseudo parameters, placeholders, and the line
and column of every problem found at compile time.
"""

from __future__ import annotations

import textwrap

import pytest

from orchestrator.template.compiler import StackDefinition, StackIdentity, compile_stack
from orchestrator.template.environment import Environment
from orchestrator.template.errors import InvalidArguments, TemplateError
from orchestrator.template.template import Template


def template(text: str) -> Template:
    return Template.load(textwrap.dedent(text), "t.yaml")


def compiled(text: str, environment: dict | None = None, **options) -> StackDefinition:
    env = Environment.from_data(environment) if environment is not None else None
    return compile_stack(template(text), env, **options)


def problems(text: str, environment: dict | None = None, **options) -> list[tuple]:
    """Every problem compiling ``text`` reports, as (message, path, line, column), sorted by position."""
    with pytest.raises(TemplateError) as caught:
        compiled(text, environment, **options)
    assert all(problem.source == "t.yaml" for problem in caught.value.problems)
    return sorted(((p.message, p.path, p.line, p.column) for p in caught.value.problems),
                  key=lambda item: (item[2], item[3]))


class Catalog:
    """Types starting with ``OS::`` exist; servers have the attributes ``ip`` and ``name``."""

    def has_type(self, type_name):
        return type_name.startswith("OS::")

    def attribute_names(self, type_name):
        return frozenset({"ip", "name"}) if type_name == "OS::Nova::Server" else None

    def check_properties(self, type_name, properties, unknown):
        return []

    def supports(self, type_name, action):
        return type_name == "OS::Nova::Server"


class State:
    """Resource state as the engine would give it."""

    def reference(self, name):
        return f"id-of-{name}"

    def attribute(self, name, attribute, path):
        if attribute == "fails":
            raise InvalidArguments(f"{name} cannot say")
        return {"resource": name, "attribute": attribute, "path": list(path)}

    def all_attributes(self, name):
        return {"every": name}


# -- conditions ----------------------------------------------------------------------------------

CONDITIONS = """\
heat_template_version: 2016-10-14
parameters:
  env: {type: string, default: prod}
  big: {type: boolean, default: false}
conditions:
  prod: {equals: [{get_param: env}, prod]}
  dev: {not: prod}
  big_prod: {and: [prod, {get_param: big}]}
  anything: {or: [dev, big_prod, {equals: [{get_param: env}, test]}]}
  always: true
resources:
  p: {type: OS::X, condition: prod}
  d: {type: OS::X, condition: dev}
  bp: {type: OS::X, condition: big_prod}
  any: {type: OS::X, condition: anything}
  inline: {type: OS::X, condition: {not: {equals: [{get_param: env}, prod]}}}
  nested: {type: OS::X, condition: {or: [{and: [prod, always]}, false]}}
  yes_literal: {type: OS::X, condition: true}
  no_literal: {type: OS::X, condition: false}
  always_named: {type: OS::X, condition: always}
  unconditional: {type: OS::X}
"""


@pytest.mark.parametrize("parameters, enabled", [
    ({}, ["p", "nested", "yes_literal", "always_named", "unconditional"]),
    ({"big": True}, ["p", "bp", "any", "nested", "yes_literal", "always_named", "unconditional"]),
    ({"env": "dev"}, ["d", "any", "inline", "yes_literal", "always_named", "unconditional"]),
    ({"env": "test", "big": True}, ["d", "any", "inline", "yes_literal", "always_named", "unconditional"]),
])
def test_named_inline_nested_and_literal_conditions(parameters, enabled):
    definition = compiled(CONDITIONS, {"parameters": parameters})
    assert list(definition.resources) == enabled


def test_conditions_see_environment_parameters_and_defaults():
    definition = compiled(CONDITIONS, {"parameter_defaults": {"env": "dev"}})
    assert "d" in definition.resources and "p" not in definition.resources


def test_circular_condition_definitions_name_the_loop():
    found = problems("""\
        heat_template_version: 2016-10-14
        conditions:
          a: {not: b}
          b: {and: [a, true]}
          me: {or: [me, true]}
        resources: {}
        """)
    assert found == [
        ('Circular definition for condition "b" (b -> a -> b)', ("conditions", "a", "not"), 3, 7),
        ('Circular definition for condition "a" (a -> b -> a)', ("conditions", "b", "and"), 4, 7),
        ('Circular definition for condition "me" (me -> me)', ("conditions", "me", "or"), 5, 8),
    ]


@pytest.mark.parametrize("definition, shown", [
    ("{get_param: name}", "'x'"), ("5", "5"), ("some_name", "'some_name'"), ("[true]", "[True]"),
    ("{get_param: flag}", "'yes'"),
])
def test_a_condition_must_be_a_boolean(definition, shown):
    assert problems(f"""\
        heat_template_version: 2016-10-14
        parameters:
          name: {{type: string, default: x}}
          flag: {{type: string, default: 'yes'}}
        conditions:
          c: {definition}
        resources: {{}}
        """) == [(f'The definition of condition "c" is invalid: it must evaluate to a boolean, not {shown}',
                  ("conditions", "c"), 6, 3)]


def test_undefined_condition_names_are_errors_where_they_are_used():
    assert problems("""\
        heat_template_version: 2016-10-14
        conditions:
          known: true
        resources:
          r: {type: OS::X, condition: nope}
          s: {type: OS::X, properties: {a: {if: [other, 1, 2]}}}
        outputs:
          o: {value: 1, condition: missing}
        """) == [
        ('Invalid condition "nope": no condition of that name is defined', ("resources", "r", "condition"), 5, 20),
        ('Invalid condition "other": no condition of that name is defined',
         ("resources", "s", "properties", "a", "if", 0), 6, 42),
        ('Invalid condition "missing": no condition of that name is defined', ("outputs", "o", "condition"), 8, 17),
    ]


# -- disabled resources --------------------------------------------------------------------------

DISABLED = """\
heat_template_version: 2016-10-14
parameters:
  enable: {type: boolean, default: false}
conditions:
  enabled: {get_param: enable}
resources:
  optional: {type: OS::X, condition: enabled}
  user:
    type: OS::X
    depends_on: [optional]
    properties:
      ref: {if: [enabled, {get_resource: optional}, none]}
      attr: {if: [enabled, {get_attr: [optional, ip]}, {get_param: enable}]}
outputs:
  where: {value: {if: [enabled, {get_attr: [optional, ip]}, nowhere]}}
"""


def test_disabled_resources_are_dropped_and_depends_on_them_is_tolerated():
    definition = compiled(DISABLED)
    assert list(definition.resources) == ["user"]
    user = definition.resources["user"]
    assert user.depends_on == () and user.requires == frozenset()
    assert definition.properties("user") == {"ref": "none", "attr": False}
    assert definition.output("where") == ("nowhere", None)
    assert [r["name"] for r in definition.plan().resources] == ["user"]


def test_enabled_resources_are_depended_on_through_the_taken_branch():
    definition = compiled(DISABLED, {"parameters": {"enable": True}})
    assert list(definition.resources) == ["optional", "user"]
    assert definition.resources["user"].requires == {"optional"}
    assert definition.resources["user"].depends_on == ("optional",)
    assert definition.properties("user", State()) == {
        "ref": "id-of-optional", "attr": {"resource": "optional", "attribute": "ip", "path": []}}


def test_references_to_disabled_resources_are_errors():
    assert problems("""\
        heat_template_version: 2016-10-14
        conditions:
          never: false
        resources:
          gone: {type: OS::X, condition: never}
          inline_gone: {type: OS::X, condition: {equals: [1, 2]}}
          user:
            type: OS::X
            properties:
              a: {get_resource: gone}
              b: {get_attr: [inline_gone, ip]}
              c: {if: [{not: never}, {get_resource: gone}, x]}
            metadata:
              d: {get_attr: [gone]}
        outputs:
          o: {value: {get_resource: gone}}
        """) == [
        ("The specified reference \"gone\" is incorrect: resource gone is disabled by its condition 'never'",
         ("resources", "user", "properties", "a", "get_resource"), 10, 11),
        ("The specified reference \"inline_gone\" is incorrect: resource inline_gone is disabled by its condition "
         "'(inline)'", ("resources", "user", "properties", "b", "get_attr"), 11, 11),
        ("The specified reference \"gone\" is incorrect: resource gone is disabled by its condition 'never'",
         ("resources", "user", "properties", "c", "if", 1, "get_resource"), 12, 31),
        ("The specified reference \"gone\" is incorrect: resource gone is disabled by its condition 'never'",
         ("resources", "user", "metadata", "d", "get_attr"), 14, 11),
        ("The specified reference \"gone\" is incorrect: resource gone is disabled by its condition 'never'",
         ("outputs", "o", "value", "get_resource"), 16, 15),
    ]


# -- the two-argument if -----------------------------------------------------------------------------

ELISION = """\
heat_template_version: 2021-04-16
parameters:
  enable: {type: boolean, default: false}
conditions:
  on_: {get_param: enable}
resources:
  r:
    type: OS::X
    properties:
      dropped: {if: [on_, 1]}
      items: [1, {if: [on_, 2]}, 3]
      nested: {keep: 1, drop: {if: [on_, v]}}
      inner: {if: [on_, {a: 1}, [{if: [on_, x]}]]}
      three: {if: [on_, yes_value, no_value]}
"""


@pytest.mark.parametrize("enable, expected", [
    (False, {"items": [1, 3], "nested": {"keep": 1}, "inner": [], "three": "no_value"}),
    (True, {"dropped": 1, "items": [1, 2, 3], "nested": {"keep": 1, "drop": "v"}, "inner": {"a": 1},
            "three": "yes_value"}),
])
def test_two_argument_if_elides_the_item_holding_it(enable, expected):
    definition = compiled(ELISION, {"parameters": {"enable": enable}})
    assert definition.properties("r") == expected


def test_an_elided_value_resolves_to_none_on_its_own():
    definition = compiled(ELISION)
    assert definition.resolve(definition.resources["r"].properties["dropped"]) is None


@pytest.mark.parametrize("version", ["2016-10-14", "2018-08-31"])
def test_two_argument_if_is_an_error_before_2021_04_16(version):
    with pytest.raises(TemplateError) as caught:
        template(f"""\
            heat_template_version: {version}
            resources:
              r: {{type: OS::X, properties: {{a: {{if: [true, 1]}}}}}}
            """)
    [problem] = caught.value.problems
    assert (problem.message, problem.path, problem.line, problem.column) == (
        'Arguments to "if" must be of the form: [condition_name, value_if_true, value_if_false]',
        ("resources", "r", "properties", "a", "if"), 3, 37)


# -- dependencies --------------------------------------------------------------------------------

def test_implicit_dependencies_come_from_properties_and_metadata():
    definition = compiled("""\
        heat_template_version: 2016-10-14
        resources:
          net: {type: OS::X}
          subnet: {type: OS::X}
          port: {type: OS::X}
          policy_only: {type: OS::X}
          server:
            type: OS::X
            properties:
              networks: [{port: {get_resource: port}}, {subnet: {get_attr: [subnet, id]}}]
              deep: {str_replace: {template: x, params: {x: {get_attr: [net, name]}}}}
            metadata: {net: {get_resource: net}}
            update_policy: {x: {get_resource: policy_only}}
        """)
    server = definition.resources["server"]
    # As in Heat, update_policy does not make dependencies.
    assert server.requires == {"net", "subnet", "port"} and server.depends_on == ()
    assert definition.required_by["net"] == {"server"} and definition.required_by["policy_only"] == frozenset()


def test_an_external_resource_depends_on_nothing():
    definition = compiled("""\
        heat_template_version: 2016-10-14
        resources:
          net: {type: OS::X}
          other: {type: OS::X}
          server:
            type: OS::X
            properties: {network: {get_resource: net}}
            metadata: {net: {get_attr: [net, name]}}
            external_id: {get_resource: other}
        """)
    # Heat (rsrc_defn.dependencies): an external resource has no dependencies, and is Retained
    server = definition.resources["server"]
    assert server.requires == frozenset() and server.deletion_policy == "Retain"


@pytest.mark.parametrize("depends_on, explicit", [("a", ("a",)), ("[a, b]", ("a", "b")), ("[]", ())])
def test_explicit_depends_on_as_a_name_or_a_list(depends_on, explicit):
    definition = compiled(f"""\
        heat_template_version: 2016-10-14
        resources:
          a: {{type: OS::X}}
          b: {{type: OS::X}}
          c: {{type: OS::X, depends_on: {depends_on}}}
        """)
    assert definition.resources["c"].depends_on == explicit
    assert definition.resources["c"].requires == frozenset(explicit)


def test_depends_on_an_unknown_resource_is_an_error():
    assert problems("""\
        heat_template_version: 2016-10-14
        resources:
          a: {type: OS::X}
          c: {type: OS::X, depends_on: [a, ghost]}
          d: {type: OS::X, depends_on: phantom}
        """) == [
        ("The specified reference \"ghost\" (in resources.c.depends_on) is incorrect: there is no resource named "
         "'ghost'", ("resources", "c", "depends_on", 1), 4, 36),
        ("The specified reference \"phantom\" (in resources.d.depends_on) is incorrect: there is no resource named "
         "'phantom'", ("resources", "d", "depends_on", 0), 5, 20),
    ]


@pytest.mark.parametrize("resources, message, name, line", [
    ("a: {type: OS::X, properties: {x: {get_resource: b}}}\n"
     "b: {type: OS::X, metadata: {x: {get_attr: [c, y]}}}\n"
     "c: {type: OS::X, depends_on: a}\n", "a -> b -> c -> a", "a", 3),
    ("d: {type: OS::X, depends_on: d}\n", "d -> d", "d", 3),
    ("free: {type: OS::X}\n"
     "x: {type: OS::X, depends_on: y}\n"
     "y: {type: OS::X, properties: {p: {get_resource: x}}}\n", "x -> y -> x", "x", 4),
])
def test_cycles_are_named_in_needs_order(resources, message, name, line):
    text = "heat_template_version: 2016-10-14\nresources:\n" + textwrap.indent(resources, "  ")
    with pytest.raises(TemplateError) as caught:
        compile_stack(Template.load(text, "t.yaml"))
    [problem] = caught.value.problems
    assert (problem.message, problem.path, problem.line, problem.column) == (
        f"Circular Dependency Found: {message} (each resource needs the next)", ("resources", name), line, 3)


def test_dependency_order_is_stable_with_ties_in_template_order():
    definition = compiled("""\
        heat_template_version: 2016-10-14
        resources:
          z: {type: OS::X, depends_on: y}
          y: {type: OS::X}
          a: {type: OS::X}
          m: {type: OS::X, properties: {p: {get_resource: a}}}
          b: {type: OS::X, depends_on: [z, a]}
          c: {type: OS::X}
        """)
    assert list(definition.resources) == ["y", "z", "a", "m", "b", "c"]
    assert [r["name"] for r in definition.plan().resources] == ["y", "z", "a", "m", "b", "c"]
    assert definition.required_by == {"y": {"z"}, "z": {"b"}, "a": {"m", "b"}, "m": frozenset(), "b": frozenset(),
                                      "c": frozenset()}


def test_dependency_order_is_the_same_on_every_compile():
    text = "heat_template_version: 2016-10-14\nresources:\n" + "".join(
        f"  r{i}: {{type: OS::X, depends_on: r{(i * 3) // 4}}}\n" if i % 3 else f"  r{i}: {{type: OS::X}}\n"
        for i in range(20))
    orders = {tuple(compile_stack(Template.load(text)).resources) for _ in range(5)}
    assert len(orders) == 1


# -- types, registry, provider templates ------------------------------------------------------------

TYPES = """\
heat_template_version: 2016-10-14
resources:
  server: {type: OS::Nova::Server}
  custom: {type: My::Thing}
  aliased: {type: Alias::Server, properties: {ip: {get_attr: [server, ip]}}}
"""


def test_unknown_types_are_errors_with_a_catalog():
    assert problems(TYPES, catalog=Catalog()) == [
        ("The Resource Type (My::Thing) could not be found.", ("resources", "custom", "type"), 4, 12),
        ("The Resource Type (Alias::Server) could not be found.", ("resources", "aliased", "type"), 5, 13),
    ]


def test_unknown_types_are_warnings_when_allowed():
    definition = compiled(TYPES, catalog=Catalog(), allow_unknown_types=True)
    assert list(definition.resources) == ["server", "custom", "aliased"]
    assert [(w.message, w.path, w.line, w.column) for w in definition.warnings] == [
        ("The Resource Type (My::Thing) could not be found. Accepted as an unknown type, deferred",
         ("resources", "custom", "type"), 4, 12),
        ("The Resource Type (Alias::Server) could not be found. Accepted as an unknown type, deferred",
         ("resources", "aliased", "type"), 5, 13),
    ]


def test_without_a_catalog_every_type_is_accepted():
    assert list(compiled(TYPES).resources) == ["server", "custom", "aliased"]


def test_attributes_are_checked_against_the_catalog():
    assert problems("""\
        heat_template_version: 2016-10-14
        resources:
          server: {type: OS::Nova::Server}
          other: {type: OS::X, properties: {a: {get_attr: [server, ip]}, b: {get_attr: [server, nope]}}}
        """, catalog=Catalog()) == [
        ("The Referenced Attribute (server nope) is incorrect: OS::Nova::Server has no attribute 'nope'",
         ("resources", "other", "properties", "b", "get_attr"), 4, 70),
    ]


REGISTRY = {"resource_registry": {
    "Alias::Server": "OS::Nova::Server",
    "My::Thing": "thing.yaml",
    "resources": {"server": {"hooks": ["pre-create", "pre-update"], "restricted_actions": "replace"},
                  "*": {"hooks": "pre-delete"},
                  "al*": {"restricted_actions": ["update"]}},
}}


def test_registry_aliases_provider_templates_hooks_and_restricted_actions():
    definition = compiled(TYPES, REGISTRY, catalog=Catalog(), files={"thing.yaml": "heat_template_version: 2016"})
    server, custom, aliased = definition.resources.values()
    assert (server.type, server.resolved_type, server.template, server.is_template_resource) == (
        "OS::Nova::Server", "OS::Nova::Server", None, False)
    assert (custom.type, custom.resolved_type, custom.template, custom.is_template_resource) == (
        "My::Thing", "My::Thing", "thing.yaml", True)
    assert (aliased.type, aliased.resolved_type, aliased.template) == ("Alias::Server", "OS::Nova::Server", None)
    assert server.hooks == {"pre-create", "pre-update", "pre-delete"} and server.restricted_actions == {"replace"}
    assert custom.hooks == {"pre-delete"} and custom.restricted_actions == frozenset()
    assert aliased.hooks == {"pre-delete"} and aliased.restricted_actions == {"update"}
    assert [(r["type"], r["resolved_type"]) for r in definition.plan().resources] == [
        ("OS::Nova::Server", "OS::Nova::Server"), ("My::Thing", "My::Thing"), ("Alias::Server", "OS::Nova::Server")]


def test_provider_template_must_be_in_the_files_map():
    assert problems(TYPES, REGISTRY, catalog=Catalog()) == [
        ('Could not fetch remote template "thing.yaml": it is not in the files map (a client sends the templates '
         'a stack uses in "files")', ("resources", "custom", "type"), 4, 12),
    ]


def test_a_type_naming_a_template_is_a_template_resource():
    definition = compiled("""\
        heat_template_version: 2016-10-14
        resources:
          child: {type: nested/child.yaml}
        """, files={"nested/child.yaml": "{}"})
    assert definition.resources["child"].template == "nested/child.yaml"


def test_registry_mapping_loops_are_errors_located_in_the_environment():
    with pytest.raises(TemplateError) as caught:
        compiled(TYPES, {"resource_registry": {"My::Thing": "Other::Thing", "Other::Thing": "My::Thing"}})
    [problem] = caught.value.problems
    assert problem.message == "Resource type mapping loop: My::Thing -> Other::Thing -> My::Thing"
    assert problem.path == ("resource_registry", "Other::Thing")


# -- outputs and resolution --------------------------------------------------------------------------

OUTPUTS = """\
heat_template_version: 2016-10-14
parameters:
  greeting: {type: string, default: hello}
  count: {type: number}
conditions:
  never: {equals: [1, 2]}
resources:
  s: {type: OS::X, properties: {name: {get_param: OS::stack_name}, ip: {get_attr: [s2, ip, 0]}}}
  s2: {type: OS::X}
outputs:
  ref: {value: {get_resource: s}, description: the id}
  attr: {value: {get_attr: [s, first_address, 0]}}
  all: {value: {get_attr: [s]}}
  hidden: {value: {get_attr: [s, x]}, condition: never}
  fails: {value: {str_split: [",", {get_attr: [s, x]}, 5]}}
  raises: {value: {get_attr: [s, fails]}}
  pseudo: {value: [{get_param: OS::stack_name}, {get_param: OS::stack_id}, {get_param: OS::project_id}]}
  params: {value: [{get_param: greeting}, {get_param: count}]}
"""


def outputs_definition() -> StackDefinition:
    return compiled(OUTPUTS, {"parameters": {"count": "3"}}, identity=StackIdentity("web", "abc-123", "proj-1"))


@pytest.mark.parametrize("name, before, after", [
    ("ref", ("s", None), ("id-of-s", None)),
    ("attr", (None, None), ({"resource": "s", "attribute": "first_address", "path": [0]}, None)),
    ("all", (None, None), ({"every": "s"}, None)),
    ("hidden", (None, None), (None, None)),
    ("fails", (None, None), (None, 'outputs.fails.value.str_split[1]: The string to split with "str_split" must be '
                                   "a string, not a map")),
    ("raises", (None, None), (None, "outputs.raises.value.get_attr: s cannot say")),
    ("pseudo", (["web", "abc-123", "proj-1"], None), (["web", "abc-123", "proj-1"], None)),
    ("params", (["hello", 3], None), (["hello", 3], None)),
])
def test_outputs_before_and_after_resources_exist(name, before, after):
    """A disabled output is (None, None); a failing one is (None, message), never an exception."""
    definition = outputs_definition()
    assert definition.output(name) == before
    assert definition.output(name, State()) == after


def test_output_definitions_keep_their_description_and_condition():
    definition = outputs_definition()
    assert (definition.outputs["ref"].description, definition.outputs["ref"].enabled) == ("the id", True)
    assert definition.outputs["hidden"].enabled is False
    assert [(o["name"], o["enabled"]) for o in definition.plan().outputs][2:4] == [("all", True), ("hidden", False)]


def test_resolve_reads_references_and_attributes_from_the_state():
    definition = outputs_definition()
    assert definition.properties("s") == {"name": "web", "ip": None}
    assert definition.properties("s", State()) == {
        "name": "web", "ip": {"resource": "s2", "attribute": "ip", "path": [0]}}
    assert definition.resources["s"].requires == {"s2"}


def test_resolve_errors_are_located_in_the_template():
    definition = outputs_definition()
    with pytest.raises(TemplateError) as caught:
        definition.resolve(definition.outputs["fails"].value, State())
    [problem] = caught.value.problems
    assert (problem.path, problem.source, problem.line, problem.column) == (
        ("outputs", "fails", "value", "str_split", 1), "t.yaml", 15, 36)


def test_pseudo_parameters_have_defaults():
    definition = compiled(OUTPUTS, {"parameters": {"count": 1}})
    assert definition.output("pseudo") == (["stack", "None", ""], None)
    assert definition.parameters["OS::stack_name"] == "stack"


def test_parameter_values_are_bound_and_hidden_ones_masked():
    definition = compiled("""\
        heat_template_version: 2016-10-14
        parameters:
          password: {type: string, hidden: true}
          size: {type: number, default: 1}
        resources: {}
        """, {"parameters": {"password": "s3cret", "size": "2"}})
    assert definition.parameters["password"] == "s3cret" and definition.parameters["size"] == 2
    shown = definition.displayed_parameters()
    assert (shown["password"], shown["size"], shown["OS::stack_name"]) == ("******", 2, "stack")


PLACEHOLDERS = """\
heat_template_version: 2016-10-14
parameters:
  count: {type: number, constraints: [{range: {min: 5}}]}
resources:
  r: {type: OS::X, properties: {n: {get_param: count}}}
"""


def test_placeholders_stand_in_for_missing_values_unchecked():
    definition = compiled(PLACEHOLDERS, placeholders={"count": 0})
    assert definition.properties("r") == {"n": 0}


def test_missing_required_parameter_without_placeholder_is_an_error():
    assert problems(PLACEHOLDERS) == [("The Parameter (count) was not provided.", ("parameters", "count"), 3, 3)]


def test_other_parameters_are_still_checked_next_to_placeholders():
    text = PLACEHOLDERS.replace("resources:", "  other: {type: number}\nresources:")
    [(message, path, line, column)] = problems(text, {"parameters": {"other": "many"}}, placeholders={"count": 0})
    assert message.startswith("Parameter 'other' is invalid")
    assert (path, line, column) == (("parameters", "other"), 4, 3)


# -- where compile-time problems point --------------------------------------------------------------

def test_compile_time_problems_are_all_reported_with_their_locations():
    assert problems("""\
        heat_template_version: 2016-10-14
        resources:
          a:
            type: OS::X
            properties:
              x: {get_param: nope}
              y: {get_resource: ghost}
            metadata:
              z: {get_file: missing.txt}
        outputs:
          o: {value: {get_attr: [phantom, ip]}}
        """) == [
        ("The Parameter (nope) was not provided: the template declares no parameter 'nope'",
         ("resources", "a", "properties", "x", "get_param"), 6, 11),
        ("The specified reference \"ghost\" is incorrect: there is no resource named 'ghost'",
         ("resources", "a", "properties", "y", "get_resource"), 7, 11),
        ('No content found in the "files" section for get_file path: missing.txt',
         ("resources", "a", "metadata", "z", "get_file"), 9, 11),
        ("The specified reference \"phantom\" is incorrect: there is no resource named 'phantom'",
         ("outputs", "o", "value", "get_attr"), 11, 15),
    ]


def test_data_templates_report_paths_without_positions():
    data = {"heat_template_version": "2016-10-14",
            "resources": {"a": {"type": "OS::X", "properties": {"x": {"get_resource": "ghost"}}}}}
    with pytest.raises(TemplateError) as caught:
        compile_stack(Template.from_data(data, "request"))
    [problem] = caught.value.problems
    assert (problem.path, problem.source, problem.line, problem.column) == (
        ("resources", "a", "properties", "x", "get_resource"), "request", None, None)


def test_reference_errors_inside_dependency_walks_are_template_errors_with_a_catalog():
    """Regression: ``{Ref: ''}`` used to escape compile_stack as InvalidArguments when a catalog was given."""
    data = {"heat_template_version": "2013-05-23",
            "resources": {"r": {"type": "OS::X", "properties": {"Ref": ""}}}}
    with pytest.raises(TemplateError) as caught:
        compile_stack(Template.from_data(data, "request"), catalog=Catalog())
    assert caught.value.problems[0].message == (
        "The specified reference \"\" is incorrect: there is no parameter or resource named ''")
    assert caught.value.problems[0].path == ("resources", "r", "properties", "Ref")


def test_snapshot_deletion_policy_needs_a_plugin_that_snapshots():
    from orchestrator.template.compiler import compile_stack
    from orchestrator.template.errors import TemplateError
    from orchestrator.template.template import Template
    from resources.registry import PluginRegistry

    template = Template.load("heat_template_version: 2018-08-31\nresources:\n"
                             "  r: {type: OS::Heat::TestResource, deletion_policy: Snapshot}\n", "t.yaml")
    with pytest.raises(TemplateError) as failure:
        compile_stack(template, catalog=PluginRegistry.discover())
    problem = failure.value.problems[0]
    assert problem.message.startswith('"Snapshot" deletion policy not supported')
    assert (problem.line, problem.column) == (3, 37)
