"""The structure of a HOT template: version, sections, resources and outputs, checked per version.

``Template.load`` / ``Template.from_data`` accept a template or raise one
``TemplateError`` that lists every structural problem in document order,
each with its path and, for text, its line and column.  The rules follow
Heat (heat-features.md §1): which keys each version allows, deletion
policies, the ``conditions`` section, outputs, duplicate names, and the
warning for a later version's function name used as plain data.
"""

from __future__ import annotations

import textwrap

import pytest

from orchestrator.template import versions
from orchestrator.template.errors import TemplateError
from orchestrator.template.functions.base import Function
from orchestrator.template.template import Template

ALL_NAMES = ["2013-05-23", "2014-10-16", "2015-04-30", "2015-10-15", "2016-04-08", "2016-10-14", "newton",
             "2017-02-24", "ocata", "2017-09-01", "pike", "2018-03-02", "queens", "2018-08-31", "rocky",
             "2021-04-16", "wallaby"]
BEFORE_CONDITIONS = ["2013-05-23", "2014-10-16", "2015-04-30", "2015-10-15", "2016-04-08"]
WITH_CONDITIONS = [name for name in ALL_NAMES if name not in BEFORE_CONDITIONS]


def template(text: str, name: str = "t.yaml") -> Template:
    return Template.load(textwrap.dedent(text), name)


def problems(text: str) -> list[tuple]:
    """Every problem ``Template.load`` reports, as (message, path, line, column)."""
    with pytest.raises(TemplateError) as caught:
        template(text)
    assert all(problem.source == "t.yaml" for problem in caught.value.problems)
    return [(p.message, p.path, p.line, p.column) for p in caught.value.problems]


def one_problem(text: str) -> tuple:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


# -- versions ------------------------------------------------------------------------------------

def test_the_list_of_valid_names_is_heats():
    assert versions.valid_names() == ALL_NAMES


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_date_and_code_name_is_accepted(name):
    loaded = template(f"heat_template_version: {name}\n")
    expected = versions.by_name(name)
    assert loaded.version is expected
    assert name in (expected.date,) + expected.aliases
    assert loaded.description == "No description" and loaded.resources == {} and loaded.outputs == {}


@pytest.mark.parametrize("alias, date", [("newton", "2016-10-14"), ("ocata", "2017-02-24"), ("pike", "2017-09-01"),
                                         ("queens", "2018-03-02"), ("rocky", "2018-08-31"),
                                         ("wallaby", "2021-04-16")])
def test_code_names_are_their_dates(alias, date):
    assert template(f"heat_template_version: {alias}\n").version.date == date


def test_version_may_be_quoted_or_json():
    assert template("heat_template_version: '2016-10-14'\n").version.date == "2016-10-14"
    assert Template.load('{"heat_template_version": "pike"}').version.date == "2017-09-01"


INVALID_VERSION = ('The template version is invalid: "heat_template_version: {}". "heat_template_version" '
                   "should be one of: " + ", ".join(ALL_NAMES))


@pytest.mark.parametrize("written, shown", [("2099-01-01", "2099-01-01"), ("2016", "2016"), ("Newton", "Newton"),
                                            ("'2016-10-14 '", "2016-10-14 "), ("[2016-10-14]", "['2016-10-14']"),
                                            ("2016-10-14T00:00:00", "2016-10-14T00:00:00"), ("", "None")])
def test_unknown_versions_list_the_valid_ones(written, shown):
    assert one_problem(f"description: x\nheat_template_version: {written}\n") == (
        INVALID_VERSION.format(shown), ("heat_template_version",), 2, 1)


def test_missing_version_is_explained():
    message, path, line, column = one_problem("description: x\nresources: {}\n")
    assert message == ('Template format version not found: a HOT template must declare "heat_template_version" '
                       "(one of " + ", ".join(ALL_NAMES) + ")")
    assert (path, line, column) == ((), 1, 1)


@pytest.mark.parametrize("key, value", [("AWSTemplateFormatVersion", "2010-09-09"),
                                        ("HeatTemplateFormatVersion", "'2012-12-12'")])
def test_cloudformation_templates_are_refused_by_name(key, value):
    assert one_problem(f"Description: x\n{key}: {value}\nResources: {{}}\n") == (
        f'CloudFormation-format templates ({key}) are not supported: write a HOT template with '
        '"heat_template_version"', (key,), 2, 1)


@pytest.mark.parametrize("text, position", [("- a\n- b\n", (1, 1)), ("[1, 2]", (1, 1)), ("just text\n", (None, None)),
                                            ("42\n", (None, None)), ("", (None, None))])
def test_document_must_be_a_mapping(text, position):
    assert one_problem(text) == ("The template is not a JSON object or YAML mapping.", ()) + position


# -- top-level sections --------------------------------------------------------------------------

def test_unknown_sections_are_each_named_with_the_allowed_ones():
    assert problems("""\
        heat_template_version: 2016-10-14
        foo: 1
        Resources: {}
        """) == [
        ("The template section is invalid: foo (a 2016-10-14 template may have conditions, description, "
         "heat_template_version, outputs, parameter_groups, parameters, resources)", ("foo",), 2, 1),
        ("The template section is invalid: Resources (a 2016-10-14 template may have conditions, description, "
         "heat_template_version, outputs, parameter_groups, parameters, resources)", ("Resources",), 3, 1),
    ]


@pytest.mark.parametrize("version", BEFORE_CONDITIONS)
def test_conditions_section_is_refused_before_2016_10_14(version):
    assert one_problem(f"heat_template_version: {version}\nconditions: {{}}\n") == (
        f"The template section is invalid: conditions (a {version} template may have description, "
        "heat_template_version, outputs, parameter_groups, parameters, resources)", ("conditions",), 2, 1)


@pytest.mark.parametrize("version", WITH_CONDITIONS)
def test_conditions_section_is_accepted_from_2016_10_14(version):
    loaded = template(f"heat_template_version: {version}\nconditions:\n  yes_please: true\n")
    assert loaded.conditions == {"yes_please": True}


def test_null_sections_are_empty():
    loaded = template("""\
        heat_template_version: 2016-10-14
        description:
        parameters:
        conditions:
        resources:
        outputs:
        """)
    assert (loaded.description, loaded.parameters, loaded.conditions, loaded.resources, loaded.outputs) == (
        "No description", {}, {}, {}, {})


def test_sections_of_the_wrong_type():
    assert problems("""\
        heat_template_version: 2016-10-14
        description: [1]
        parameters: [1]
        resources: [1]
        outputs: 1
        conditions: two
        """) == [
        ("The description must be a string", ("description",), 2, 1),
        ('The "parameters" section must be a map, not a list', ("parameters",), 3, 1),
        ('The "resources" section must be a map, not a list', ("resources",), 4, 1),
        ('The "outputs" section must be a map, not a number', ("outputs",), 5, 1),
        ('The "conditions" section must be a map, not a string', ("conditions",), 6, 1),
    ]


# -- resources -----------------------------------------------------------------------------------

OLD_RESOURCE_KEYS = "deletion_policy, depends_on, description, metadata, properties, type, update_policy"
NEW_RESOURCE_KEYS = ("condition, deletion_policy, depends_on, description, external_id, metadata, properties, "
                     "type, update_policy")


@pytest.mark.parametrize("version", BEFORE_CONDITIONS)
@pytest.mark.parametrize("key", ["external_id", "condition"])
def test_external_id_and_condition_are_invalid_before_2016_10_14(version, key):
    assert one_problem(f"""\
        heat_template_version: {version}
        resources:
          r:
            type: OS::X
            {key}: abc
        """) == (f'"{key}" is not a valid keyword inside a resource definition (a {version} resource may have '
                 f"{OLD_RESOURCE_KEYS})", ("resources", "r", key), 5, 5)


@pytest.mark.parametrize("version", WITH_CONDITIONS)
def test_every_resource_key_is_valid_from_2016_10_14(version):
    loaded = template(f"""\
        heat_template_version: {version}
        conditions:
          yes_please: true
        resources:
          other: {{type: OS::Y}}
          r:
            type: OS::X
            properties: {{size: 1}}
            metadata: {{role: db}}
            depends_on: other
            deletion_policy: Retain
            update_policy: {{batch: 2}}
            description: the database
            external_id: vol-123
            condition: yes_please
        """)
    resource = loaded.resources["r"]
    assert (resource.name, resource.type, resource.properties, resource.metadata, resource.depends_on,
            resource.deletion_policy, resource.update_policy, resource.description, resource.external_id,
            resource.condition, resource.path) == (
        "r", "OS::X", {"size": 1}, {"role": "db"}, ("other",), "Retain", {"batch": 2}, "the database", "vol-123",
        "yes_please", ("resources", "r"))


def test_invalid_resource_keys_are_each_named():
    assert problems("""\
        heat_template_version: 2016-10-14
        resources:
          r:
            type: OS::X
            Properties: {}
            dependson: s
        """) == [
        (f'"Properties" is not a valid keyword inside a resource definition (a 2016-10-14 resource may have '
         f"{NEW_RESOURCE_KEYS})", ("resources", "r", "Properties"), 5, 5),
        (f'"dependson" is not a valid keyword inside a resource definition (a 2016-10-14 resource may have '
         f"{NEW_RESOURCE_KEYS})", ("resources", "r", "dependson"), 6, 5),
    ]


def test_resource_type_is_required_and_must_be_a_string():
    assert problems("""\
        heat_template_version: 2016-10-14
        resources:
          no_type:
            properties: {}
          empty: {}
          null_resource:
          number: 3
          a_list: [OS::X]
          list_type:
            type: [OS::X]
          number_type:
            type: 5
        """) == [
        ("Each resource must contain a type key.", ("resources", "no_type"), 3, 3),
        ("Each resource must contain a type key.", ("resources", "empty"), 5, 3),
        ("Each resource must contain a type key.", ("resources", "null_resource"), 6, 3),
        ('"resources" must contain a map of resource maps. Found a number instead', ("resources", "number"), 7, 3),
        ('"resources" must contain a map of resource maps. Found a list instead', ("resources", "a_list"), 8, 3),
        ("The type of resource list_type must be a string, not a list", ("resources", "list_type", "type"), 10, 5),
        ("The type of resource number_type must be a string, not a number", ("resources", "number_type", "type"),
         12, 5),
    ]


def test_resource_names_must_be_strings_without_slashes():
    assert problems("""\
        heat_template_version: 2016-10-14
        resources:
          a/b: {type: OS::X}
          1: {type: OS::X}
        """) == [
        ('Resource name may not contain "/": a/b', ("resources", "a/b"), 3, 3),
        ("A resource name must be a string, not a number", ("resources", 1), 4, 3),
    ]


@pytest.mark.parametrize("written, parsed", [
    ("a", ("a",)), ("[a, b]", ("a", "b")), ("[]", ()), ("null", ()), ("[a, a]", ("a", "a")),
])
def test_depends_on_is_a_name_or_a_list_of_names(written, parsed):
    loaded = template(f"""\
        heat_template_version: 2016-10-14
        resources:
          a: {{type: OS::X}}
          b: {{type: OS::X}}
          r: {{type: OS::X, depends_on: {written}}}
        """)
    assert loaded.resources["r"].depends_on == parsed


@pytest.mark.parametrize("written, message, path, column", [
    # a whole value is located at its key (column 20), a list item at the item
    ("{a: 1}", '"depends_on" must be a resource name or a list of them, not a map', (), 20),
    ("5", '"depends_on" must be a resource name or a list of them, not a number', (), 20),
    ("[a, 3]", '"depends_on" items must be resource names, not a number', (1,), 36),
    ("[[a]]", '"depends_on" items must be resource names, not a list', (0,), 33),
    ("{get_resource: a}", '"depends_on" must be a resource name or a list of them, not a map', (), 20),
])
def test_depends_on_of_another_shape_is_refused(written, message, path, column):
    assert one_problem(f"""\
        heat_template_version: 2016-10-14
        resources:
          a: {{type: OS::X}}
          r: {{type: OS::X, depends_on: {written}}}
        """) == (message, ("resources", "r", "depends_on") + path, 4, column)


@pytest.mark.parametrize("version", ALL_NAMES)
@pytest.mark.parametrize("policy", ["Delete", "Retain", "Snapshot", "delete", "retain", "snapshot"])
def test_deletion_policies_per_version(version, policy):
    text = f"heat_template_version: {version}\nresources:\n  r: {{type: OS::X, deletion_policy: {policy}}}\n"
    if policy.istitle() or version in WITH_CONDITIONS:
        assert template(text).resources["r"].deletion_policy == policy.title()  # lowercase is normalised
    else:
        assert one_problem(text) == (f'Invalid deletion policy "{policy}" (allowed: Delete, Retain, Snapshot)',
                                     ("resources", "r", "deletion_policy"), 3, 20)


@pytest.mark.parametrize("policy, message", [
    ("RETAIN", 'Invalid deletion policy "RETAIN" (allowed: Delete, Retain, Snapshot, delete, retain, snapshot)'),
    ("Keep", 'Invalid deletion policy "Keep" (allowed: Delete, Retain, Snapshot, delete, retain, snapshot)'),
    ("[Retain]", '"deletion_policy" of resource r must be a string, not a list'),
    ("5", '"deletion_policy" of resource r must be a string, not a number'),
])
def test_invalid_deletion_policies(policy, message):
    assert one_problem(f"heat_template_version: 2016-10-14\nresources:\n  r: {{type: OS::X, deletion_policy: {policy}}}"
                       ) == (message, ("resources", "r", "deletion_policy"), 3, 20)


def test_deletion_policy_may_come_from_a_parameter():
    loaded = template("""\
        heat_template_version: 2016-10-14
        parameters:
          policy: {type: string, default: Retain}
        resources:
          r: {type: OS::X, deletion_policy: {get_param: policy}}
        """)
    policy = loaded.resources["r"].deletion_policy
    assert isinstance(policy, Function) and policy.to_data() == {"get_param": "policy"}


def test_other_resource_fields_of_the_wrong_type_are_each_reported():
    assert problems("""\
        heat_template_version: 2016-10-14
        resources:
          r:
            type: OS::X
            properties: [1]
            metadata: 2
            update_policy: x
            external_id: [1]
            description: 3
            condition: [1]
        """) == [
        ('"properties" of resource r must be a map, not a list', ("resources", "r", "properties"), 5, 5),
        ('"metadata" of resource r must be a map, not a number', ("resources", "r", "metadata"), 6, 5),
        ('"update_policy" of resource r must be a map, not a string', ("resources", "r", "update_policy"), 7, 5),
        ('"external_id" of resource r must be a string, not a list', ("resources", "r", "external_id"), 8, 5),
        ("A resource description must be a string", ("resources", "r", "description"), 9, 5),
        ("A resource condition must be a condition name, a boolean or a condition function",
         ("resources", "r", "condition"), 10, 5),
    ]


def test_properties_may_be_one_function_call():
    loaded = template("""\
        heat_template_version: 2016-10-14
        parameters:
          props: {type: json, default: {}}
        resources:
          r: {type: OS::X, properties: {get_param: props}}
        """)
    assert isinstance(loaded.resources["r"].properties, Function)


# -- outputs -------------------------------------------------------------------------------------

def test_outputs_need_a_value_and_only_known_keys():
    assert problems("""\
        heat_template_version: 2016-04-08
        outputs:
          no_value: {description: x}
          extra: {value: 1, condition: c, foo: 2}
          number: 5
          bad_description: {value: 1, description: 5}
        """) == [
        ("Each output must contain a value key.", ("outputs", "no_value"), 3, 3),
        ('"condition" is not a valid keyword inside a output definition (an output may have description, value)',
         ("outputs", "extra", "condition"), 4, 21),
        ('"foo" is not a valid keyword inside a output definition (an output may have description, value)',
         ("outputs", "extra", "foo"), 4, 35),
        ('"outputs" must contain a map of output maps. Found a number instead', ("outputs", "number"), 5, 3),
        ("An output description must be a string", ("outputs", "bad_description", "description"), 6, 31),
    ]


@pytest.mark.parametrize("version", WITH_CONDITIONS)
def test_output_condition_from_2016_10_14(version):
    loaded = template(f"""\
        heat_template_version: {version}
        conditions:
          yes_please: true
        outputs:
          named: {{value: 1, condition: yes_please, description: shown}}
          inline: {{value: 2, condition: {{not: yes_please}}}}
          null_value: {{value: null}}
        """)
    named, inline, null_value = loaded.outputs.values()
    assert (named.name, named.value, named.condition, named.description, named.path) == (
        "named", 1, "yes_please", "shown", ("outputs", "named"))
    assert isinstance(inline.condition, Function) and inline.condition.to_data() == {"not": "yes_please"}
    assert null_value.value is None and null_value.condition is None


# -- names, warnings and collecting every problem ---------------------------------------------------

def test_a_parameter_and_a_resource_may_not_share_a_name():
    assert one_problem("""\
        heat_template_version: 2016-10-14
        parameters:
          db: {type: string}
        resources:
          db: {type: OS::X}
        """) == ("Duplicate names db: a parameter and a resource may not share a name", ("resources", "db"), 5, 3)


@pytest.mark.parametrize("section, body", [
    ("parameters", "  p: {type: string}\n  p: {type: number}\n"),
    ("resources", "  r: {type: OS::X}\n  r: {type: OS::Y}\n"),
])
def test_duplicate_names_in_one_section_warn_and_the_later_wins(section, body):
    loaded = template(f"heat_template_version: 2016-10-14\n{section}:\n{body}")
    [warning] = loaded.warnings
    name = body.split(":")[0].strip()
    assert (warning.message, warning.path, warning.source, warning.line, warning.column) == (
        f"duplicate key '{name}': the later value wins, as in Heat", (section, name), "t.yaml", 4, 3)
    later = loaded.parameters[name].type if section == "parameters" else loaded.resources[name].type
    assert later in ("number", "OS::Y")


@pytest.mark.parametrize("version, name, first", [
    ("2015-10-15", "map_merge", "2016-04-08"),
    ("2015-10-15", "if", "2016-10-14"),
    ("2016-10-14", "filter", "2017-02-24"),
    ("2017-02-24", "list_concat", "2017-09-01"),
    ("2013-05-23", "repeat", "2015-04-30"),
    ("newton", "make_url", "2017-09-01"),
])
def test_a_later_versions_function_name_is_data_with_a_warning(version, name, first):
    loaded = template(f"""\
        heat_template_version: {version}
        resources:
          r:
            type: OS::X
            properties:
              p: {{{name}: [a, b]}}
        """)
    assert loaded.resources["r"].properties == {"p": {name: ["a", "b"]}}
    [warning] = loaded.warnings
    date = versions.by_name(version).date
    assert (warning.message, warning.path, warning.line, warning.column) == (
        f'"{name}" is a function only from HOT {first}; in a {date} template it is plain data',
        ("resources", "r", "properties", "p", name), 6, 11)


def test_a_later_function_name_in_a_bigger_map_is_data_without_a_warning():
    loaded = template("""\
        heat_template_version: 2015-10-15
        resources:
          r: {type: OS::X, properties: {p: {map_merge: 1, other: 2}}}
        """)
    assert loaded.warnings == [] and loaded.resources["r"].properties == {"p": {"map_merge": 1, "other": 2}}


def test_a_current_function_name_is_parsed_without_a_warning():
    loaded = template("""\
        heat_template_version: 2016-04-08
        resources:
          r: {type: OS::X, properties: {p: {map_merge: [{a: 1}]}}}
        """)
    assert loaded.warnings == [] and isinstance(loaded.resources["r"].properties["p"], Function)


MANY_ERRORS = """\
heat_template_version: 2016-10-14
bogus: 1
parameters:
  p: {type: strng}
resources:
  a:
    type: OS::X
    foo: 1
  b:
    properties: {x: {get_attr: 5}}
  c:
    type: OS::X
    deletion_policy: Maybe
outputs:
  o: {description: nothing}
"""


def test_every_problem_is_collected_in_document_order():
    with pytest.raises(TemplateError) as caught:
        Template.load(MANY_ERRORS, "t.yaml")
    found = [(p.path, p.line, p.column) for p in caught.value.problems]
    assert found == [
        (("bogus",), 2, 1),
        (("parameters", "p", "type"), 4, 7),
        (("resources", "a", "foo"), 8, 5),
        (("resources", "b"), 9, 3),
        (("resources", "c", "deletion_policy"), 13, 5),
        (("outputs", "o"), 15, 3),
    ]
    messages = [p.message for p in caught.value.problems]
    assert messages[0].startswith("The template section is invalid: bogus")
    assert "strng" in messages[1]
    assert messages[3:] == ["Each resource must contain a type key.",
                            'Invalid deletion policy "Maybe" (allowed: Delete, Retain, Snapshot, delete, retain, '
                            "snapshot)",
                            "Each output must contain a value key."]
    assert caught.value.message == "bogus: " + messages[0]  # the one-line summary is the first problem


def test_problems_in_function_arguments_are_collected_with_the_rest():
    found = problems("""\
        heat_template_version: 2016-10-14
        resources:
          a:
            type: OS::X
            properties:
              x: {get_attr: 5}
              y: {list_join: 3}
          b: {}
        """)
    assert [(path, line, column) for _, path, line, column in found] == [
        (("resources", "a", "properties", "x", "get_attr"), 6, 11),
        (("resources", "a", "properties", "y", "list_join"), 7, 11),
        (("resources", "b"), 8, 3),
    ]


# -- data without positions ------------------------------------------------------------------------

def test_from_data_reports_the_same_problems_without_positions():
    data = {"heat_template_version": "2016-10-14", "bogus": 1,
            "resources": {"a": {"type": "OS::X", "foo": 1}, "b": {}}}
    with pytest.raises(TemplateError) as caught:
        Template.from_data(data, "request")
    assert [(p.path, p.source, p.line, p.column) for p in caught.value.problems] == [
        (("bogus",), "request", None, None),
        (("resources", "a", "foo"), "request", None, None),
        (("resources", "b"), "request", None, None),
    ]


def test_from_data_and_load_build_the_same_template():
    text = "heat_template_version: 2016-10-14\nresources:\n  r: {type: OS::X, properties: {a: {get_param: p}}}\n" \
           "parameters:\n  p: {type: string, default: x}\n"
    loaded = Template.load(text, "t.yaml")
    built = Template.from_data(loaded.data, "t.yaml")
    assert built.resources["r"].properties == loaded.resources["r"].properties
    assert built.data == loaded.data and built.name == loaded.name == "t.yaml"
    assert loaded.document.positions[("resources", "r")] == (3, 3)
    assert built.document.positions == {}


def test_from_data_refuses_data_nested_too_deeply():
    data = {"heat_template_version": "2016-10-14", "resources": {"r": {"type": "OS::X", "properties": {}}}}
    node = data["resources"]["r"]["properties"]
    for _ in range(100):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(TemplateError) as caught:
        Template.from_data(data, "request")
    assert caught.value.problems[0].message == "nesting is deeper than 100 levels"
    assert caught.value.problems[0].source == "request"
