"""The parameters section, value conversion and binding, from Heat's documented behaviour."""

from __future__ import annotations

import textwrap

import pytest

from orchestrator.template import versions
from orchestrator.template.constraints import (
    AllowedValues, CustomConstraints, Range, default_custom_constraints,
)
from orchestrator.template.errors import InvalidArguments, TemplateError
from orchestrator.template.loader import Document, load
from orchestrator.template.parameters import (
    MISSING, ParameterGroup, ParameterSchema, bind_parameters, convert, masked,
    parse_parameter_groups, parse_parameters,
)

LATEST = "2021-04-16"


def load_params(yaml_text: str, version: str = LATEST):
    """Parse the parameters section of a YAML template body."""
    document = load(textwrap.dedent(yaml_text))
    return parse_parameters(document.data.get("parameters"), versions.by_name(version), document)


def schemas_of(yaml_text: str, version: str = LATEST) -> dict[str, ParameterSchema]:
    schemas, problems = load_params(yaml_text, version)
    assert problems == [], [str(p) for p in problems]
    return schemas


def schema(param_type: str, **kwargs) -> ParameterSchema:
    return ParameterSchema(name="p", type=param_type, **kwargs)


def bind(schemas, user=None, defaults=None, pseudo=None, registry=None, context=None):
    return bind_parameters(schemas, user or {}, defaults or {}, pseudo or {},
                           registry if registry is not None else default_custom_constraints(),
                           context)


def bind_errors(*args, **kwargs) -> list[tuple[tuple, str]]:
    with pytest.raises(TemplateError) as info:
        bind(*args, **kwargs)
    return [(p.path, p.message) for p in info.value.problems]


# -- conversion ----------------------------------------------------------------------------

@pytest.mark.parametrize("param_type, raw, expected", [
    ("string", "abc", "abc"),
    ("string", "", ""),
    ("string", 5, "5"),
    ("string", 1.5, "1.5"),
    ("string", True, "True"),
    ("number", "5", 5),
    ("number", " 7 ", 7),
    ("number", "5.5", 5.5),
    ("number", "1e3", 1000.0),
    ("number", "-3", -3),
    ("number", 4, 4),
    ("number", 4.25, 4.25),
    ("comma_delimited_list", "a,b,c", ["a", "b", "c"]),
    ("comma_delimited_list", "a, b", ["a", " b"]),  # no stripping
    ("comma_delimited_list", "", []),
    ("comma_delimited_list", "one", ["one"]),
    ("comma_delimited_list", "a,,b", ["a", "", "b"]),
    ("comma_delimited_list", ["a", 1, True], ["a", "1", "True"]),
    ("comma_delimited_list", [], []),
    ("json", '{"a": [1, 2]}', {"a": [1, 2]}),
    ("json", "[1, 2]", [1, 2]),
    ("json", {"a": {"b": 1}}, {"a": {"b": 1}}),
    ("json", [1, "x"], [1, "x"]),
    ("json", "", {}),
    ("boolean", True, True),
    ("boolean", False, False),
    ("boolean", "true", True),
    ("boolean", "TRUE", True),
    ("boolean", "t", True),
    ("boolean", "On", True),
    ("boolean", "y", True),
    ("boolean", "yes", True),
    ("boolean", "1", True),
    ("boolean", 1, True),
    ("boolean", "false", False),
    ("boolean", "F", False),
    ("boolean", "off", False),
    ("boolean", "n", False),
    ("boolean", "No", False),
    ("boolean", "0", False),
    ("boolean", 0, False),
])
def test_convert(param_type, raw, expected):
    result = convert(schema(param_type), raw)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("param_type, raw, message", [
    ("number", "abc", "could not convert string to float: 'abc'"),
    ("number", "", "could not convert string to float: ''"),
    ("number", True, 'Value "True" is invalid for data type "number".'),
    ("number", [1], 'Value "[1]" is invalid for data type "number".'),
    ("number", {"a": 1}, 'Value "{\'a\': 1}" is invalid for data type "number".'),
    ("comma_delimited_list", 5,
     "Value must be a comma-delimited list string: 'int' object has no attribute 'split'"),
    ("comma_delimited_list", {"a": 1},
     "Value must be a comma-delimited list string: 'dict' object has no attribute 'split'"),
    ("json", "{not json", "Value must be valid JSON: "),
    ("json", "5", "Value must be valid JSON: expected a map or a list, not a number"),
    ("json", '"text"', "Value must be valid JSON: expected a map or a list, not a string"),
    ("json", 5, "Value must be valid JSON: expected a map or a list, not a number"),
    ("boolean", "maybe",
     "Unrecognized value 'maybe', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', "
     "'off', 'on', 't', 'true', 'y', 'yes'"),
    ("boolean", 2, "Unrecognized value '2'"),
    ("boolean", "", "Unrecognized value ''"),
])
def test_convert_rejects(param_type, raw, message):
    with pytest.raises(InvalidArguments) as info:
        convert(schema(param_type), raw)
    assert info.value.message.startswith(message)


def test_convert_masks_hidden_values():
    with pytest.raises(InvalidArguments) as info:
        convert(schema("number", hidden=True), "s3cret")
    assert "s3cret" not in info.value.message and "******" in info.value.message


def test_json_values_are_copies():
    original = {"a": [1]}
    converted = convert(schema("json"), original)
    converted["a"].append(2)
    assert original == {"a": [1]}


# -- parsing the section ----------------------------------------------------------------------

def test_full_parameter_schema():
    schemas = schemas_of("""
        parameters:
          flavor:
            type: string
            label: Flavor
            description: The server flavor
            default: m1.small
            hidden: true
            immutable: true
            tags: [compute, size]
            constraints:
              - allowed_values: [m1.small, m1.large]
                description: pick a size
          count:
            type: number
    """)
    flavor = schemas["flavor"]
    assert (flavor.name, flavor.type, flavor.label, flavor.description) == \
        ("flavor", "string", "Flavor", "The server flavor")
    assert flavor.default == "m1.small" and not flavor.required
    assert flavor.hidden and flavor.immutable
    assert flavor.tags == ("compute", "size")
    assert flavor.constraints == (AllowedValues(["m1.small", "m1.large"], "pick a size"),)
    assert flavor.path == ("parameters", "flavor")
    count = schemas["count"]
    assert count.default is MISSING and count.required
    assert (count.hidden, count.immutable, count.tags, count.constraints) == (False, False, (), ())


def test_null_default_means_required():
    schemas = schemas_of("""
        parameters:
          p:
            type: string
            default: null
    """)
    assert schemas["p"].required
    assert bind_errors(schemas) == [(("parameters", "p"), "The Parameter (p) was not provided.")]


@pytest.mark.parametrize("body, path, message, line, column", [
    ("parameters: [a, b]", ("parameters",), "must be a map", 1, 1),
    ("parameters:\n  p: string", ("parameters", "p"), "The Parameter (p) has no attributes.",
     2, 3),
    ("parameters:\n  p:\n    description: x", ("parameters", "p"),
     "Missing parameter type for parameter: p", 2, 3),
    ("parameters:\n  p:\n    type: strng", ("parameters", "p", "type"), "Invalid type (strng)", 3, 5),
    ("parameters:\n  p:\n    type: [string]", ("parameters", "p", "type"), "Invalid type", 3, 5),
    ("parameters:\n  p:\n    type: string\n    Default: x", ("parameters", "p", "Default"),
     "Invalid key 'Default' for parameter (p)", 4, 5),
    ("parameters:\n  p:\n    type: string\n    hidden: 'yes'", ("parameters", "p", "hidden"),
     "Invalid hidden for parameter (p), expected a boolean", 4, 5),
    ("parameters:\n  p:\n    type: string\n    immutable: 1", ("parameters", "p", "immutable"),
     "Invalid immutable for parameter (p), expected a boolean", 4, 5),
    ("parameters:\n  p:\n    type: string\n    label: [x]", ("parameters", "p", "label"),
     "Invalid label for parameter (p), expected a string", 4, 5),
    ("parameters:\n  p:\n    type: string\n    description: {a: b}",
     ("parameters", "p", "description"), "Invalid description for parameter (p)", 4, 5),
    ("parameters:\n  p:\n    type: string\n    tags: x", ("parameters", "p", "tags"),
     "Tags property should be a list for parameter: p", 4, 5),
    ("parameters:\n  p:\n    type: string\n    tags:\n      - a\n      - 3",
     ("parameters", "p", "tags", 1), "Tags property should be a list of strings", 6, 9),
    ("parameters:\n  p:\n    type: string\n    constraints: {length: {min: 1}}",
     ("parameters", "p", "constraints"),
     "Invalid parameter constraints for parameter p, expected a list", 4, 5),
    ("parameters:\n  p:\n    type: string\n    constraints:\n      - range: {min: 1}",
     ("parameters", "p", "constraints", 0, "range"), "Range constraint invalid for string", 5, 9),
    ("parameters:\n  p:\n    type: number\n    constraints:\n      - range: {min: 1}\n"
     "      - range: {mini: 1}",
     ("parameters", "p", "constraints", 1, "range", "mini"),
     "Invalid key 'mini' for range constraint", 6, 17),
    ("parameters:\n  p:\n    type: string\n    constraints:\n      - {}",
     ("parameters", "p", "constraints", 0), "No constraint expressed", 5, 9),
])
def test_section_errors_have_path_and_position(body, path, message, line, column):
    schemas, problems = load_params(body)
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert message in problem.message
    assert problem.path == path
    assert (problem.line, problem.column) == (line, column)


def test_every_problem_is_collected():
    _, problems = load_params("""
        parameters:
          a:
            type: strng
          b: 5
          c:
            type: number
            default: abc
          d:
            type: string
            constraints:
              - length: {min: x}
    """)
    assert [p.path for p in problems] == [
        ("parameters", "a", "type"),
        ("parameters", "b"),
        ("parameters", "c", "default"),
        ("parameters", "d", "constraints", 0, "length", "min"),
    ]
    assert all(p.line is not None and p.column is not None for p in problems)


def test_broken_parameters_still_get_a_schema():
    schemas, problems = load_params("""
        parameters:
          a:
            type: strng
            default: x
          b:
            type: number
            default: abc
    """)
    assert len(problems) == 2
    assert schemas["a"].type == "string"
    assert schemas["b"].default is MISSING


@pytest.mark.parametrize("version, ok", [
    ("2017-09-01", False), ("2018-03-02", True), ("queens", True), ("2021-04-16", True),
])
def test_tags_exist_only_from_2018_03_02(version, ok):
    schemas, problems = load_params("""
        parameters:
          p:
            type: string
            tags: [a]
    """, version)
    if ok:
        assert problems == [] and schemas["p"].tags == ("a",)
    else:
        assert len(problems) == 1
        assert problems[0].message.startswith("Invalid key 'tags' for parameter (p)")
        assert "2018-03-02" in problems[0].message
        assert problems[0].path == ("parameters", "p", "tags")


@pytest.mark.parametrize("version, ok", [("2016-10-14", False), ("2017-02-24", True)])
def test_modulo_exists_only_from_2017_02_24(version, ok):
    schemas, problems = load_params("""
        parameters:
          p:
            type: number
            constraints:
              - modulo: {step: 2, offset: 1}
    """, version)
    assert (problems == []) is ok
    if not ok:
        assert "Invalid key 'modulo' for parameter constraints" in problems[0].message
        assert problems[0].path == ("parameters", "p", "constraints", 0, "modulo")


@pytest.mark.parametrize("param_type, default, constraint, message", [
    ("string", "abc", "allowed_values: [x, y]",
     "Parameter 'p' is invalid: Invalid default abc (\"abc\" is not an allowed value [x, y])"),
    ("string", "abc", "length: {max: 2}",
     "Parameter 'p' is invalid: Invalid default abc (length (3) is out of range (min: None, "
     "max: 2))"),
    ("string", "abc", "allowed_pattern: '[0-9]+'",
     "Parameter 'p' is invalid: Invalid default abc (\"abc\" does not match pattern \"[0-9]+\")"),
    ("number", 11, "range: {min: 1, max: 10}",
     "Parameter 'p' is invalid: Invalid default 11 (11 is out of range (min: 1, max: 10))"),
    ("number", 4, "modulo: {step: 2, offset: 1}",
     "Parameter 'p' is invalid: Invalid default 4 (4 is not a multiple of 2 with an offset of 1)"),
    ("number", "abc", "range: {min: 1}",
     "Parameter 'p' is invalid: Invalid default abc (could not convert string to float: 'abc')"),
    ("comma_delimited_list", "'a,b,c'", "length: {max: 2}",
     "Parameter 'p' is invalid: Invalid default a,b,c (length (3) is out of range"),
    ("comma_delimited_list", "'a,z'", "allowed_values: [a, b]",
     "Parameter 'p' is invalid: Invalid default a,z"),
    ("json", "{a: 1, b: 2}", "length: {max: 1}",
     "Parameter 'p' is invalid: Invalid default {'a': 1, 'b': 2} (length (2)"),
    ("json", "'{bad'", "length: {max: 1}", "Value must be valid JSON"),
    ("boolean", "maybe", "allowed_values: [true]", "Unrecognized value 'maybe'"),
    ("boolean", "false", "allowed_values: [true]", "is not an allowed value [True]"),
    ("string", "abc", "{allowed_values: [x], description: Choose x}",
     "Parameter 'p' is invalid: Invalid default abc (Choose x)"),
])
def test_defaults_are_checked(param_type, default, constraint, message):
    body = f"""
        parameters:
          p:
            type: {param_type}
            default: {default}
            constraints:
              - {constraint}
    """
    _, problems = load_params(body)
    assert len(problems) == 1, [str(p) for p in problems]
    assert message in problems[0].message
    assert problems[0].path == ("parameters", "p", "default")
    assert problems[0].line == 5


@pytest.mark.parametrize("param_type, default, constraint", [
    ("number", "'5'", "range: {min: 1, max: 10}"),
    ("number", 3, "allowed_values: ['3', 4]"),
    ("boolean", "'yes'", "allowed_values: [true]"),
    ("comma_delimited_list", "[a, b]", "allowed_values: [a, b]"),
    ("comma_delimited_list", "''", "length: {max: 0}"),
    ("json", "'[1, 2]'", "length: {min: 2}"),
    ("string", "not-an-ip", "custom_constraint: ip_addr"),  # custom: not checked on defaults
    ("string", "x", "custom_constraint: no.such.constraint"),
])
def test_good_defaults_pass(param_type, default, constraint):
    schemas_of(f"""
        parameters:
          p:
            type: {param_type}
            default: {default}
            constraints:
              - {constraint}
    """)


def test_hidden_defaults_are_not_echoed():
    _, problems = load_params("""
        parameters:
          p:
            type: string
            hidden: true
            default: s3cret
            constraints:
              - length: {min: 10}
    """)
    assert "s3cret" not in problems[0].message and "******" in problems[0].message


def test_empty_section():
    assert load_params("heat_template_version: 2021-04-16\nparameters:\n") == ({}, [])
    assert load_params("heat_template_version: 2021-04-16\n") == ({}, [])


# -- binding -------------------------------------------------------------------------------

PRECEDENCE = """
    parameters:
      p:
        type: string
        default: from-template
"""


@pytest.mark.parametrize("user, defaults, expected", [
    ({}, {}, "from-template"),
    ({}, {"p": "from-environment"}, "from-environment"),
    ({"p": "from-user"}, {"p": "from-environment"}, "from-user"),
    ({"p": "from-user"}, {}, "from-user"),
    ({"p": None}, {"p": "from-environment"}, "from-environment"),
    ({"p": ""}, {"p": "from-environment"}, ""),
    ({}, {"p": None}, "from-template"),
])
def test_precedence(user, defaults, expected):
    assert bind(schemas_of(PRECEDENCE), user, defaults) == {"p": expected}


def test_parameter_defaults_make_a_parameter_optional():
    schemas = schemas_of("parameters:\n  p: {type: number}")
    assert bind(schemas, defaults={"p": "3"}) == {"p": 3}


def test_values_are_converted():
    schemas = schemas_of("""
        parameters:
          n: {type: number}
          l: {type: comma_delimited_list}
          j: {type: json}
          b: {type: boolean}
          s: {type: string}
    """)
    values = bind(schemas, {"n": "2.5", "l": "a,b", "j": '{"k": 1}', "b": "yes", "s": 7})
    assert values == {"n": 2.5, "l": ["a", "b"], "j": {"k": 1}, "b": True, "s": "7"}


def test_pseudo_parameters_are_added():
    schemas = schemas_of("parameters:\n  p: {type: string, default: x}")
    pseudo = {"OS::stack_name": "web", "OS::stack_id": "1234", "OS::project_id": "abcd"}
    assert bind(schemas, pseudo=pseudo) == {**pseudo, "p": "x"}


def test_unknown_user_parameters_fail_but_unknown_parameter_defaults_do_not():
    schemas = schemas_of("parameters:\n  p: {type: string, default: x}")
    assert bind(schemas, defaults={"elsewhere": 1}) == {"p": "x"}
    assert bind_errors(schemas, {"q": "1"}) == [
        (("parameters", "q"), "The Parameter (q) was not defined in template.")]


def test_every_failure_is_reported_at_once():
    schemas = schemas_of("""
        parameters:
          missing: {type: string}
          number: {type: number}
          small:
            type: number
            constraints: [{range: {max: 5}}]
          flag: {type: boolean}
          fine: {type: string, default: ok}
    """)
    errors = bind_errors(schemas, {"number": "abc", "small": 6, "flag": "perhaps", "extra": 1})
    assert errors == [
        (("parameters", "extra"), "The Parameter (extra) was not defined in template."),
        (("parameters", "missing"), "The Parameter (missing) was not provided."),
        (("parameters", "number"),
         "Parameter 'number' is invalid: could not convert string to float: 'abc'"),
        (("parameters", "small"),
         "Parameter 'small' is invalid: 6 is out of range (min: None, max: 5)"),
        (("parameters", "flag"),
         "Parameter 'flag' is invalid: Unrecognized value 'perhaps', acceptable values are: "
         "'0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'"),
    ]


@pytest.mark.parametrize("constraint, value, message", [
    ("length: {min: 3}", "ab",
     "Parameter 'p' is invalid: length (2) is out of range (min: 3, max: None)"),
    ("allowed_values: [a, b]", "c", "Parameter 'p' is invalid: \"c\" is not an allowed value [a, b]"),
    ("allowed_pattern: '[a-z]+'", "A", "Parameter 'p' is invalid: \"A\" does not match pattern "
     "\"[a-z]+\""),
    ("{allowed_values: [a], description: Only a}", "b", "Parameter 'p' is invalid: Only a"),
    ("custom_constraint: ip_addr", "10.0.0",
     "Parameter 'p' is invalid: Error validating value '10.0.0': Invalid IP address"),
    ("custom_constraint: no.such", "v",
     "Parameter 'p' is invalid: \"v\" does not validate no.such (constraint not found)"),
])
def test_user_values_are_checked_against_every_constraint(constraint, value, message):
    schemas = schemas_of(f"""
        parameters:
          p:
            type: string
            constraints:
              - {constraint}
    """)
    assert bind_errors(schemas, {"p": value}) == [(("parameters", "p"), message)]


@pytest.mark.parametrize("constraint, good, bad", [
    ("custom_constraint: ip_addr", "10.0.0.1", "10.0.0"),
    ("custom_constraint: dns_domain", "example.org.", "example.org"),
    ("custom_constraint: cron_expression", "0 * * * *", "0 * *"),
])
def test_custom_constraints_apply_to_defaults_when_binding(constraint, good, bad):
    body = """
        parameters:
          p:
            type: string
            default: {default}
            constraints:
              - {constraint}
    """
    assert bind(schemas_of(body.format(default=f"'{good}'", constraint=constraint))) == {"p": good}
    errors = bind_errors(schemas_of(body.format(default=f"'{bad}'", constraint=constraint)))
    assert errors[0][0] == ("parameters", "p")


def test_deferred_constraints_pass_until_the_service_attaches_a_checker():
    schemas = schemas_of("""
        parameters:
          flavor:
            type: string
            constraints:
              - custom_constraint: nova.flavor
    """)
    registry = default_custom_constraints()
    assert bind(schemas, {"flavor": "m1.tiny"}, registry=registry) == {"flavor": "m1.tiny"}
    seen = []

    def flavors(value, context):
        seen.append(context)
        if value != "m1.small":
            raise InvalidArguments(f"The Flavor ({value}) could not be found.")

    registry.attach("nova.flavor", flavors)
    assert bind(schemas, {"flavor": "m1.small"}, registry=registry, context="ctx") == \
        {"flavor": "m1.small"}
    assert seen == ["ctx"]
    assert bind_errors(schemas, {"flavor": "m1.tiny"}, registry=registry) == [
        (("parameters", "flavor"), "Parameter 'flavor' is invalid: Error validating value "
                                   "'m1.tiny': The Flavor (m1.tiny) could not be found.")]


def test_list_items_are_checked_by_custom_constraints():
    schemas = schemas_of("""
        parameters:
          addresses:
            type: comma_delimited_list
            constraints:
              - custom_constraint: ip_addr
    """)
    assert bind(schemas, {"addresses": "10.0.0.1,10.0.0.2"}) == \
        {"addresses": ["10.0.0.1", "10.0.0.2"]}
    assert "'bad'" in bind_errors(schemas, {"addresses": "10.0.0.1,bad"})[0][1]


def test_hidden_values_are_not_echoed_in_errors():
    schemas = schemas_of("""
        parameters:
          password:
            type: string
            hidden: true
            constraints:
              - allowed_pattern: '[a-z]+'
    """)
    message = bind_errors(schemas, {"password": "S3cret!"})[0][1]
    assert "S3cret!" not in message and "******" in message


def test_bind_uses_the_given_registry():
    schemas = {"p": ParameterSchema("p", "number", constraints=(Range(1),))}
    assert bind(schemas, {"p": "2"}, registry=CustomConstraints()) == {"p": 2}
    schemas = schemas_of("""
        parameters:
          p:
            type: string
            constraints: [{custom_constraint: ip_addr}]
    """)
    assert bind_errors(schemas, {"p": "10.0.0.1"}, registry=CustomConstraints()) == [
        (("parameters", "p"),
         "Parameter 'p' is invalid: \"10.0.0.1\" does not validate ip_addr (constraint not found)")]


# -- masking ---------------------------------------------------------------------------------

def test_masked_hides_hidden_parameters_only():
    schemas = schemas_of("""
        parameters:
          password: {type: string, hidden: true}
          user: {type: string}
    """)
    values = {"password": "s3cret", "user": "admin", "OS::stack_name": "web"}
    assert masked(schemas, values) == {"password": "******", "user": "admin",
                                       "OS::stack_name": "web"}
    assert values["password"] == "s3cret"


# -- parameter groups -------------------------------------------------------------------------

GROUPS_HEAD = """
parameters:
  a: {type: string}
  b: {type: string}
  c: {type: string}
"""


def load_groups(groups_yaml: str):
    document = load(GROUPS_HEAD + textwrap.dedent(groups_yaml))
    schemas, problems = parse_parameters(document.data["parameters"],
                                         versions.by_name(LATEST), document)
    assert problems == []
    return parse_parameter_groups(document.data.get("parameter_groups"), schemas, document)


def test_valid_groups():
    groups, problems = load_groups("""
        parameter_groups:
          - label: First
            description: The first group
            parameters: [a, b]
          - parameters: [c, OS::stack_name]
    """)
    assert problems == []
    assert groups == [ParameterGroup("First", "The first group", ("a", "b")),
                      ParameterGroup(None, None, ("c", "OS::stack_name"))]


@pytest.mark.parametrize("groups_yaml, path, message, line", [
    ("parameter_groups: {a: b}", ("parameter_groups",),
     "The parameter_groups should be a list.", 6),
    ("parameter_groups:\n  - label: x", ("parameter_groups", 0),
     "The parameters must be provided for each parameter group.", 7),
    ("parameter_groups:\n  - parameters: a", ("parameter_groups", 0, "parameters"),
     "The parameters of parameter group should be a list.", 7),
    ("parameter_groups:\n  - parameters: [a]\n  - parameters: [b, a]",
     ("parameter_groups", 1, "parameters", 1),
     "The a parameter must be assigned to one parameter group only.", 8),
    ("parameter_groups:\n  - parameters: [a, nope]", ("parameter_groups", 0, "parameters", 1),
     "The grouped parameter nope does not reference a valid parameter.", 7),
    ("parameter_groups:\n  - [a, b]", ("parameter_groups", 0),
     "A parameter group must be a map of label, description and parameters", 7),
])
def test_group_errors(groups_yaml, path, message, line):
    _, problems = load_groups(groups_yaml)
    assert [(p.path, p.message) for p in problems] == [(path, message)]
    assert problems[0].line == line and problems[0].column is not None


def test_group_errors_are_all_collected():
    _, problems = load_groups("""
        parameter_groups:
          - parameters: [a, x]
          - label: no parameters
          - parameters: [a, y]
    """)
    assert [p.path for p in problems] == [
        ("parameter_groups", 0, "parameters", 1),
        ("parameter_groups", 1),
        ("parameter_groups", 2, "parameters", 0),
        ("parameter_groups", 2, "parameters", 1),
    ]


def test_no_groups():
    assert parse_parameter_groups(None, {}, Document(None)) == ([], [])
