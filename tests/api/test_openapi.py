"""The OpenAPI document at ``/v1/openapi.json``: public, valid, and describing every documented endpoint."""

from __future__ import annotations

import re

import pytest
import requests
from openapi_spec_validator import validate as validate_spec

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def document(service) -> dict:
    response = requests.get(f"{service.url}/v1/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_reachable_without_a_token(service, document):
    # The fixture fetched it with no X-Auth-Token at all; a wrong one changes nothing either.
    again = requests.get(f"{service.url}/v1/openapi.json", headers={"X-Auth-Token": "forged"}, timeout=30)
    assert again.status_code == 200 and again.json() == document


def test_it_is_a_valid_openapi_31_document(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    validate_spec(document)


def test_the_heat_endpoints_are_there(document):
    expected = {
        "/v1/{project_id}/stacks": {"get", "post"},
        "/v1/{project_id}/stacks/{stack_name}/{stack_id}": {"get", "put", "patch", "delete"},
        "/v1/{project_id}/stacks/preview": {"post"},
        "/v1/{project_id}/validate": {"post"},
        "/v1/{project_id}/resource_types": {"get"},
        "/v1/{project_id}/resource_types/{type_name}": {"get"},
        "/v1/{project_id}/resource_types/{type_name}/template": {"get"},
        "/v1/{project_id}/template_versions": {"get"},
        "/v1/{project_id}/template_versions/{template_version}/functions": {"get"},
        "/v1/{project_id}/build_info": {"get"},
    }
    for path, methods in expected.items():
        assert path in document["paths"], path
        assert methods <= set(document["paths"][path]), (path, set(document["paths"][path]))


def test_every_route_of_the_documented_blueprints_is_in_the_document(service, document):
    documented_blueprints = {tag["name"] for tag in document["tags"]}
    assert {"stacks", "validate", "types"} <= documented_blueprints
    missing = []
    for rule in service.app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in documented_blueprints:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in document["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert not missing, missing


def test_every_operation_has_a_summary(document):
    without = [f"{method.upper()} {path}" for path, method, operation in operations(document)
               if not operation.get("summary")]
    assert not without, without


def test_the_project_is_a_path_parameter(document):
    for path, item in document["paths"].items():
        if path.startswith("/v1/{project_id}/"):
            names = {parameter["name"] for parameter in item.get("parameters", []) if parameter["in"] == "path"}
            assert "project_id" in names, path


def schema_of(document: dict, reference: dict) -> dict:
    name = reference["$ref"].rsplit("/", 1)[1]
    return document["components"]["schemas"][name]


def request_schema(document: dict, path: str, method: str) -> dict:
    body = document["paths"][path][method]["requestBody"]
    return schema_of(document, body["content"]["application/json"]["schema"])


def test_request_bodies_of_stacks_and_validate(document):
    create = request_schema(document, "/v1/{project_id}/stacks", "post")
    assert {"stack_name", "template", "parameters", "environment", "environment_files", "files",
            "timeout_mins", "disable_rollback", "tags"} <= set(create["properties"])
    update = request_schema(document, "/v1/{project_id}/stacks/{stack_name}/{stack_id}", "put")
    assert "template" in update["properties"]
    validate = request_schema(document, "/v1/{project_id}/validate", "post")
    assert {"template", "parameters", "environment", "environment_files", "files"} <= set(validate["properties"])
    query = {p["name"] for p in document["paths"]["/v1/{project_id}/validate"]["post"]["parameters"]}
    assert query == {"show_nested", "ignore_errors"}


def test_validate_answer_is_documented_with_heats_keys(document):
    answer = document["paths"]["/v1/{project_id}/validate"]["post"]["responses"]["200"]
    result = schema_of(document, answer["content"]["application/json"]["schema"])
    assert {"Description", "Parameters", "ParameterGroups", "NestedParameters", "Environment"} <= set(
        result["properties"])
    parameter = schema_of(document, result["properties"]["Parameters"]["additionalProperties"])
    assert {"Type", "Description", "Default", "NoEcho", "Label", "Value", "AllowedValues", "AllowedPattern",
            "MinLength", "MaxLength", "MinValue", "MaxValue", "ConstraintDescription",
            "CustomConstraint"} <= set(parameter["properties"])
