"""Resource types, template versions and functions, build information, over HTTP."""

from __future__ import annotations

from importlib.metadata import version as package_version

import pytest
import requests

from orchestrator.template import versions


def get(service, path: str, who: str = "alpha") -> dict:
    response = service.call("GET", path, who)
    assert response.status_code == 200, response.text
    return response.json()


def error(service, path: str, status: int) -> dict:
    response = service.call("GET", path)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status
    return body["error"]


# -- resource types -----------------------------------------------------------------------------

def test_the_list_is_the_engines_catalog(service):
    listed = get(service, "resource_types")["resource_types"]
    assert listed == service.engine.context.plugins.types()
    assert {"OS::Heat::Value", "OS::Heat::TestResource", "OS::Heat::ResourceGroup"} <= set(listed)


def test_filter_by_name_regular_expression(service):
    assert get(service, "resource_types?name=OS::Heat::Wait.*")["resource_types"] == [
        "OS::Heat::WaitCondition", "OS::Heat::WaitConditionHandle"]
    # Matched from the start of the name, as Heat's re.match does.
    assert get(service, "resource_types?name=Value")["resource_types"] == []
    assert get(service, "resource_types?name=.*Value$")["resource_types"] == ["OS::Heat::Value"]
    assert get(service, "resource_types?name=[unclosed")["resource_types"] == []


def test_with_description(service):
    listed = get(service, "resource_types?name=OS::Heat::Value&with_description=true")["resource_types"]
    value_class = service.engine.context.plugins.get("OS::Heat::Value")
    assert listed == [{"resource_type": "OS::Heat::Value", "description": value_class.description}]


def test_support_status_and_version_filters(service):
    everything = get(service, "resource_types")["resource_types"]
    assert get(service, "resource_types?support_status=SUPPORTED")["resource_types"] == everything
    assert get(service, "resource_types?support_status=DEPRECATED")["resource_types"] == []
    assert get(service, "resource_types?version=5.0.0")["resource_types"] == []
    message = error(service, "resource_types?support_status=SOMETIMES", 400)["message"]
    assert message.startswith("Invalid support status and should be one of")


def test_show_a_type(service):
    shown = get(service, "resource_types/OS::Heat::RandomString")
    assert set(shown) == {"resource_type", "properties", "attributes", "support_status", "description"}
    assert shown["resource_type"] == "OS::Heat::RandomString"
    assert shown["properties"]["length"] == {
        "type": "integer", "description": "Length of the string to generate.", "required": False,
        "update_allowed": False, "immutable": False, "default": 32, "constraints": [{"range": {"min": 1, "max": 512}}]}
    classes = shown["properties"]["character_classes"]
    assert classes["type"] == "list" and classes["schema"]["*"]["schema"]["class"]["default"] == "lettersdigits"
    assert shown["attributes"]["value"]["description"]
    assert shown["attributes"]["show"] == {"description": "Detailed information about resource.", "type": "map"}
    assert shown["support_status"] == {"status": "SUPPORTED", "version": None, "message": None,
                                       "previous_status": None}
    assert shown["description"] == service.engine.context.plugins.get("OS::Heat::RandomString").description


def test_required_properties_are_marked(service):
    sequence = get(service, "resource_types/OS::Heat::RandomString")["properties"]["character_sequences"]
    assert sequence["schema"]["*"]["schema"]["sequence"]["required"] is True


def test_an_unknown_type_is_404(service):
    for path in ("resource_types/My::Nothing", "resource_types/My::Nothing/template"):
        assert error(service, path, 404) == {"message": "The Resource Type (My::Nothing) could not be found.",
                                             "type": "ResourceTypeNotFound", "traceback": None}


def test_generated_hot_template(service):
    generated = get(service, "resource_types/OS::Heat::TestResource/template?template_type=hot")
    assert list(generated) == ["heat_template_version", "description", "parameters", "outputs", "resources"]
    assert generated["heat_template_version"] == "2016-10-14"
    assert generated["description"] == "Initial template of TestResource"
    schema = service.engine.context.plugins.get("OS::Heat::TestResource").properties_schema
    assert set(generated["parameters"]) == set(schema)
    assert generated["parameters"]["wait_secs"] == {
        "type": "number", "description": "Seconds to wait after an action (-1: forever).", "default": 0}
    assert generated["parameters"]["action_wait_secs"]["type"] == "json"
    assert generated["parameters"]["fail"]["type"] == "boolean"
    assert generated["resources"] == {"TestResource": {
        "type": "OS::Heat::TestResource", "properties": {name: {"get_param": name} for name in schema}}}
    assert generated["outputs"]["output"]["value"] == {"get_attr": ["TestResource", "output"]}
    assert generated["outputs"]["show"]["value"] == {"get_attr": ["TestResource", "show"]}
    assert generated["outputs"]["OS::stack_id"] == {"value": {"get_resource": "TestResource"}}


def test_generated_constraints_are_hot_constraints(service):
    generated = get(service, "resource_types/OS::Heat::RandomString/template?template_type=hot")
    assert generated["parameters"]["length"]["constraints"] == [{"range": {"min": 1, "max": 512}}]
    assert generated["parameters"]["character_classes"]["type"] == "comma_delimited_list"


def test_every_generated_hot_template_is_valid(service):
    for type_name in get(service, "resource_types")["resource_types"]:
        generated = get(service, f"resource_types/{type_name}/template?template_type=hot")
        response = service.call("POST", "validate", json={"template": generated})
        assert response.status_code == 200, (type_name, response.text)
        assert set(response.json()["Parameters"]) == set(generated["parameters"])


def test_a_generated_template_makes_a_stack(service):
    generated = get(service, "resource_types/OS::Heat::TestResource/template?template_type=hot")
    # Properties without a default (action_wait_secs) become parameters without one: required, as in Heat.
    stack_id = service.create("generated", generated,
                              parameters={"value": "made from the type", "action_wait_secs": {}})
    stack = service.wait("generated", stack_id)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack["stack_status_reason"]
    outputs = {output["output_key"]: output["output_value"] for output in stack["outputs"]}
    assert outputs["output"] == "made from the type"


def test_generated_cfn_template_is_heats_default(service):
    generated = get(service, "resource_types/OS::Heat::RandomString/template")
    assert generated["HeatTemplateFormatVersion"] == "2012-12-12"
    assert generated["Description"] == "Initial template of RandomString"
    assert generated["Parameters"]["length"] == {"Type": "Number", "Description": "Length of the string to generate.",
                                                 "Default": 32, "MinValue": 1, "MaxValue": 512}
    assert generated["Resources"]["RandomString"]["Type"] == "OS::Heat::RandomString"
    properties = generated["Resources"]["RandomString"]["Properties"]
    assert properties["length"] == {"Ref": "length"}
    assert properties["character_classes"] == {"Fn::Split": [",", {"Ref": "character_classes"}]}
    assert generated["Outputs"]["value"]["Value"] == {"Fn::GetAtt": ["RandomString", "value"]}
    assert generated["Outputs"]["OS::stack_id"] == {"Value": {"Ref": "RandomString"}}
    booleans = get(service, "resource_types/OS::Heat::TestResource/template?template_type=cfn")["Parameters"]
    assert booleans["fail"]["AllowedValues"] == ["True", "true", "False", "false"]


def test_an_unknown_template_type(service):
    message = error(service, "resource_types/OS::Heat::Value/template?template_type=tosca", 400)["message"]
    assert message == 'Template type is not supported: Invalid template type "tosca", valid types are: cfn, hot.'


# -- template versions and functions -------------------------------------------------------------

def test_template_versions(service):
    listed = get(service, "template_versions")["template_versions"]
    assert [entry["version"] for entry in listed] == [
        f"heat_template_version.{version.date}" for version in versions.ALL_VERSIONS]
    assert all(entry["type"] == "hot" for entry in listed)
    by_version = {entry["version"]: entry["aliases"] for entry in listed}
    assert by_version["heat_template_version.2016-10-14"] == ["heat_template_version.newton"]
    assert by_version["heat_template_version.2021-04-16"] == ["heat_template_version.wallaby"]
    assert by_version["heat_template_version.2013-05-23"] == []


def names(service, path: str) -> list[str]:
    return [entry["functions"] for entry in get(service, path)["template_functions"]]


def test_functions_of_a_version(service):
    first = names(service, "template_versions/heat_template_version.2013-05-23/functions")
    assert {"get_param", "get_attr", "Fn::Select", "Fn::Join"} <= set(first)
    later = names(service, "template_versions/heat_template_version.2015-10-15/functions")
    assert "Fn::Select" not in later and "str_split" in later
    assert names(service, "template_versions/heat_template_version.newton/functions") == list(
        versions.by_name("2016-10-14").functions)


def test_condition_functions_on_request(service):
    path = "template_versions/heat_template_version.2017-09-01/functions"
    assert "equals" not in names(service, path)
    with_conditions = names(service, path + "?with_condition_func=true")
    assert {"equals", "not", "and", "or", "contains", "yaql", "get_param"} <= set(with_conditions)
    # Asking for them once does not change the plain answer (Heat's table is updated in place).
    assert "equals" not in names(service, path)


def test_function_descriptions_are_the_docstrings_first_line(service):
    listed = get(service, "template_versions/heat_template_version.2021-04-16/functions")["template_functions"]
    described = {entry["functions"]: entry["description"] for entry in listed}
    assert all(described.values())
    assert described["digest"].startswith("digest: [algorithm, value]")
    assert "``" not in "".join(described.values())


@pytest.mark.parametrize("name", ["2016-10-14", "heat_template_version.1999-01-01",
                                  "AWSTemplateFormatVersion.2010-09-09"])
def test_an_unknown_version_is_404(service, name):
    assert error(service, f"template_versions/{name}/functions", 404)["message"] == (
        f"Template with version {name} not found")


# -- build information and access ----------------------------------------------------------------

def test_build_info(service):
    revision = package_version("orchestrator")
    assert get(service, "build_info") == {"api": {"revision": revision}, "engine": {"revision": revision}}


ENDPOINTS = ["resource_types", "resource_types/OS::Heat::Value", "resource_types/OS::Heat::Value/template",
             "template_versions", "template_versions/heat_template_version.2021-04-16/functions", "build_info"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_token_is_needed(service, path):
    for headers in ({}, {"X-Auth-Token": "forged"}):
        response = requests.get(f"{service.endpoint('alpha')}/{path}", headers=headers, timeout=30)
        assert response.status_code == 401, response.text
        assert response.json()["error"]["type"] == "HTTPUnauthorized"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_another_projects_token_is_forbidden(service, path):
    response = service.call("GET", path, "beta", project="alpha")
    assert response.status_code == 403, response.text
    assert response.json()["error"]["type"] == "Forbidden"
    assert service.call("GET", path, "beta").status_code == 200
    assert service.call("GET", path, "admin", project="beta").status_code == 200
