"""``POST /v1/<project>/validate`` over HTTP: Heat's answer, nested parameters, problems with their positions."""

from __future__ import annotations

import json

import pytest

#: a template with every kind of parameter and every constraint the validate answer describes
EVERYTHING = {
    "heat_template_version": "2018-03-02",
    "description": "Every parameter key.",
    "parameter_groups": [{"label": "Names", "description": "What things are called", "parameters": ["name"]},
                         {"label": "Sizes", "parameters": ["count", "odd"]}],
    "parameters": {
        "name": {"type": "string", "label": "Server name", "description": "The name.", "default": "web",
                 "hidden": True, "tags": ["role:name"],
                 "constraints": [{"length": {"min": 2, "max": 12}, "description": "2 to 12 characters."},
                                 {"allowed_pattern": "[a-z]+", "description": "Lower case only."}]},
        "count": {"type": "number", "default": 2,
                  "constraints": [{"range": {"min": 1, "max": 5}}, {"allowed_values": [1, 2, 3, 5]}]},
        "odd": {"type": "number", "default": 3, "constraints": [{"modulo": {"step": 2, "offset": 1}}]},
        "flavor": {"type": "string", "constraints": [{"custom_constraint": "nova.flavor"}]},
        "names": {"type": "comma_delimited_list", "default": "a,b"},
        "settings": {"type": "json", "default": {"debug": True}},
        "enabled": {"type": "boolean", "default": False},
    },
    "resources": {"greeting": {"type": "OS::Heat::Value", "properties": {"value": {"get_param": "name"}}}},
}

CHILD = """heat_template_version: 2018-03-02
description: The child.
parameter_groups:
- label: Child group
  parameters: [size]
parameters:
  size:
    type: number
    label: Child size
  colour:
    type: string
    default: blue
resources:
  grandchild:
    type: file:///tpl/grandchild.yaml
    properties:
      depth: {get_param: size}
"""

GRANDCHILD = """heat_template_version: 2018-03-02
description: The grandchild.
parameters:
  depth: {type: number}
resources: {}
"""

NESTING = {"heat_template_version": "2018-03-02",
           "resources": {"child": {"type": "file:///tpl/child.yaml", "properties": {"size": 4}},
                         "plain": {"type": "OS::Heat::Value", "properties": {"value": 1}}}}
NESTED_FILES = {"file:///tpl/child.yaml": CHILD, "file:///tpl/grandchild.yaml": GRANDCHILD}


def validate(service, body: dict, query: str = "", who: str = "alpha"):
    return service.call("POST", "validate" + query, who, json=body)


def valid(service, body: dict, query: str = "") -> dict:
    response = validate(service, body, query)
    assert response.status_code == 200, response.text
    return response.json()


def refusal(service, body: dict, query: str = "") -> str:
    """The message of a 400, after checking the body is Heat's."""
    response = validate(service, body, query)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["code"] == 400 and error["title"] == "Bad Request"
    assert error["error"]["type"] == "HTTPBadRequest"
    return error["error"]["message"]


def test_every_parameter_key_as_heat_spells_it(service):
    answer = valid(service, {"template": EVERYTHING, "parameters": {"count": "3"}})
    assert list(answer) == ["Description", "Parameters", "ParameterGroups", "Environment"]
    assert answer["Description"] == "Every parameter key."
    parameters = answer["Parameters"]
    assert list(parameters) == ["name", "count", "odd", "flavor", "names", "settings", "enabled"]
    assert parameters["name"] == {
        "Type": "String", "Description": "The name.", "NoEcho": "true", "Label": "Server name", "Default": "web",
        "Tags": ["role:name"], "MinLength": 2, "MaxLength": 12, "AllowedPattern": "[a-z]+",
        "ConstraintDescription": "2 to 12 characters. Lower case only."}
    assert parameters["count"] == {
        "Type": "Number", "Description": "", "NoEcho": "false", "Label": "count", "Default": 2, "Value": "3",
        "MinValue": 1, "MaxValue": 5, "AllowedValues": [1, 2, 3, 5]}
    assert parameters["odd"]["Step"] == 2 and parameters["odd"]["Offset"] == 1
    assert parameters["flavor"] == {"Type": "String", "Description": "", "NoEcho": "false", "Label": "flavor",
                                    "CustomConstraint": "nova.flavor"}
    assert "Default" not in parameters["flavor"] and "Value" not in parameters["flavor"]
    assert [parameters[name]["Type"] for name in ("names", "settings", "enabled")] == [
        "CommaDelimitedList", "Json", "Boolean"]
    assert parameters["settings"]["Default"] == {"debug": True}
    assert parameters["enabled"]["Default"] is False


def test_parameter_groups_are_returned_as_written(service):
    answer = valid(service, {"template": EVERYTHING})
    assert answer["ParameterGroups"] == EVERYTHING["parameter_groups"]
    without = {**EVERYTHING, "parameter_groups": None}
    del without["parameter_groups"]
    assert "ParameterGroups" not in valid(service, {"template": without})


def test_environment_is_the_merged_request_environment(service):
    environment = {"parameters": {"name": "db"}, "parameter_defaults": {"count": 5},
                   "resource_registry": {"My::Value": "OS::Heat::Value"}}
    answer = valid(service, {"template": EVERYTHING, "environment": environment, "parameters": {"odd": 5}})
    assert answer["Environment"]["parameters"] == {"name": "db", "odd": 5}
    assert answer["Environment"]["parameter_defaults"] == {"count": 5}
    assert answer["Environment"]["resource_registry"]["My::Value"] == "OS::Heat::Value"
    # A parameter_defaults entry is the default the user sees, as in Heat.
    assert answer["Parameters"]["count"]["Default"] == 5
    assert answer["Parameters"]["name"]["Value"] == "db"


def test_environment_files_are_merged_and_the_inline_environment_ignored(service):
    files = {"file:///env/base.yaml": "parameters:\n  name: base\n  count: 1\n",
             "file:///env/site.yaml": "parameters:\n  name: site\nparameter_defaults:\n  odd: 7\n"}
    answer = valid(service, {"template": EVERYTHING, "files": files,
                             "environment_files": ["file:///env/base.yaml", "file:///env/site.yaml"],
                             "environment": {"parameters": {"name": "inline"}}})
    assert answer["Environment"]["parameters"] == {"name": "site", "count": 1}
    assert answer["Parameters"]["name"]["Value"] == "site"
    assert answer["Parameters"]["count"]["Value"] == 1
    assert answer["Parameters"]["odd"]["Default"] == 7


def test_a_template_sent_as_yaml_text(service):
    text = "heat_template_version: 2021-04-16\ndescription: As text.\nparameters:\n  p: {type: string}\n"
    answer = valid(service, {"template": text})
    assert answer["Description"] == "As text."
    assert answer["Parameters"]["p"]["Type"] == "String"


def test_nested_parameters_only_with_show_nested(service):
    body = {"template": NESTING, "files": NESTED_FILES}
    assert "NestedParameters" not in valid(service, body)
    nested = valid(service, body, "?show_nested=true")["NestedParameters"]
    assert list(nested) == ["child"]
    child = nested["child"]
    assert child["Type"] == "file:///tpl/child.yaml"
    assert child["Description"] == "The child."
    assert child["ParameterGroups"] == [{"label": "Child group", "parameters": ["size"]}]
    assert child["Parameters"]["size"] == {"Type": "Number", "Description": "", "NoEcho": "false",
                                           "Label": "Child size", "Value": 4}
    assert child["Parameters"]["colour"]["Default"] == "blue"
    grandchild = child["NestedParameters"]["grandchild"]
    assert grandchild["Type"] == "file:///tpl/grandchild.yaml"
    assert grandchild["Description"] == "The grandchild."
    assert grandchild["Parameters"]["depth"]["Value"] == 4


def test_a_provider_template_named_in_the_registry_is_nested_too(service):
    template = {"heat_template_version": "2018-03-02",
                "resources": {"deep": {"type": "My::Grandchild", "properties": {"depth": 2}}}}
    body = {"template": template, "files": {"file:///tpl/grandchild.yaml": GRANDCHILD},
            "environment": {"resource_registry": {"My::Grandchild": "file:///tpl/grandchild.yaml"}}}
    nested = valid(service, body, "?show_nested=True")["NestedParameters"]
    assert nested["deep"]["Type"] == "My::Grandchild"
    assert nested["deep"]["Parameters"]["depth"]["Value"] == 2


def test_a_broken_template_names_line_and_column(service):
    text = ("heat_template_version: 2018-08-31\n"
            "resources:\n"
            "  v:\n"
            "    type: OS::Heat::Value\n"
            "    properties:\n"
            "      value: {get_param: nowhere}\n")
    message = refusal(service, {"template": text})
    assert message.startswith("template:6:15: resources.v.properties.value.get_param: ")
    assert "nowhere" in message


def test_every_problem_is_reported(service):
    text = ("heat_template_version: 2018-08-31\n"
            "resources:\n"
            "  a:\n"
            "    type: OS::Heat::Value\n"
            "    properties: {valeu: 1}\n"
            "  b:\n"
            "    type: OS::Heat::Nope\n")
    lines = refusal(service, {"template": text}).splitlines()
    assert any(line.startswith("template:5:18: resources.a.properties.valeu:") for line in lines), lines
    assert any(line.startswith("template:7:5: resources.b.type: The Resource Type (OS::Heat::Nope)") for line in lines), lines


def test_yaml_that_does_not_parse(service):
    message = refusal(service, {"template": "heat_template_version: 2018-08-31\nresources: [oops\n"})
    assert message.startswith("template:3:1: ")


def test_a_problem_in_a_child_template_names_its_file(service):
    broken = CHILD.replace("depth: {get_param: size}", "depth: {get_param: missing}")
    message = refusal(service, {"template": NESTING, "files": {**NESTED_FILES, "file:///tpl/child.yaml": broken}})
    assert message.startswith("file:///tpl/child.yaml:17:15: resources.grandchild.properties.depth.get_param: ")


def test_given_values_are_checked(service):
    message = refusal(service, {"template": EVERYTHING, "parameters": {"count": 4}})
    assert message == "parameters.count: Parameter 'count' is invalid: \"4\" is not an allowed value [1, 2, 3, 5]"
    unknown = refusal(service, {"template": EVERYTHING, "parameters": {"colour": "red"}})
    assert "The Parameter (colour) was not defined in template." in unknown


def test_an_environment_file_missing_from_files(service):
    message = refusal(service, {"template": EVERYTHING, "environment_files": ["file:///nowhere.yaml"]})
    assert "file:///nowhere.yaml" in message and "files map" in message


def test_no_template(service):
    assert refusal(service, {"parameters": {}}) == "No template specified"
    assert "template_url" in refusal(service, {"template_url": "http://example.com/t.yaml"})


def test_ignore_errors_takes_heats_codes_only(service):
    body = {"template": NESTING, "files": NESTED_FILES}
    assert valid(service, body, "?ignore_errors=99001")["Parameters"] == {}
    assert refusal(service, body, "?ignore_errors=99001,12") == "Invalid codes in ignore_errors : ['12']"


def test_bad_request_fields(service):
    assert "files" in refusal(service, {"template": EVERYTHING, "files": {"a": 1}})
    assert "show_nested" in refusal(service, {"template": EVERYTHING}, "?show_nested=perhaps")


def test_too_many_resources(service):
    limit = service.engine.context.settings.max_resources_per_stack
    template = {"heat_template_version": "2018-08-31",
                "resources": {f"r{i}": {"type": "OS::Heat::None"} for i in range(limit + 1)}}
    response = validate(service, {"template": template})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "RequestLimitExceeded"
    assert str(limit) in response.json()["error"]["message"]


@pytest.mark.parametrize("headers, status", [({}, 401), ({"X-Auth-Token": "forged"}, 401),
                                             ({"X-Auth-Token": "beta-token"}, 403)])
def test_validate_needs_a_token_of_the_project(service, headers, status):
    import requests

    response = requests.post(f"{service.endpoint('alpha')}/validate", json={"template": EVERYTHING},
                             headers=headers, timeout=30)
    assert response.status_code == status, response.text
    assert response.json()["code"] == status
    assert "Parameters" not in response.text


def test_admin_and_the_projects_own_token_may_validate(service):
    assert validate(service, {"template": EVERYTHING}, who="admin").status_code == 200
    response = service.call("POST", "validate", "beta", json={"template": EVERYTHING})
    assert response.status_code == 200
    assert json.loads(response.text)["Description"] == "Every parameter key."
