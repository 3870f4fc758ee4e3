"""A stack's data over HTTP: template, environment, files, outputs, export and abandon (and adopting it back).

Hidden parameters read ``******`` in the environment (parameter_defaults
included, also for parameters of nested templates); export and abandon keep
the values, as Heat does, so that their data can be adopted.
"""

from __future__ import annotations

import pytest
import requests
import yaml

from .service import assert_heat_error

CHILD = {"heat_template_version": "2021-04-16",
         "parameters": {"child_secret": {"type": "string", "hidden": True, "default": "child-default"},
                        "child_plain": {"type": "string", "default": "plain"}},
         "resources": {"inner": {"type": "OS::Heat::Value", "properties": {"value": {"get_param": "child_secret"}}}},
         "outputs": {"secret": {"value": {"get_attr": ["inner", "value"]}}}}
TEMPLATE = {
    "heat_template_version": "2021-04-16",
    "description": "A stack with data to read.",
    "parameters": {"password": {"type": "string", "hidden": True},
                   "greeting": {"type": "string", "default": "hello"}},
    "resources": {
        "value": {"type": "OS::Heat::Value", "properties": {"value": {"get_param": "greeting"}}},
        "script": {"type": "OS::Heat::Value", "properties": {"value": {"get_file": "scripts/boot.sh"}}},
        "child": {"type": "child.yaml"},
    },
    "outputs": {
        "greeting": {"value": {"get_attr": ["value", "value"]}, "description": "What the stack says."},
        "script": {"value": {"get_attr": ["script", "value"]}},
        "broken": {"value": {"str_split": [",", "a,b", 5]}, "description": "Fails when resolved."},
    },
}
FILES = {"scripts/boot.sh": "#!/bin/sh\necho booted\n", "child.yaml": yaml.safe_dump(CHILD)}
ENVIRONMENT = {"parameter_defaults": {"child_secret": "from-defaults", "child_plain": "shown"},
               "resource_registry": {"My::Alias": "OS::Heat::Value"}}



@pytest.fixture(scope="module")
def stack(service):
    stack_id = service.create("with-data", TEMPLATE, files=FILES, environment=ENVIRONMENT,
                              parameters={"password": "pa55word", "greeting": "hi"})
    assert service.wait("with-data", stack_id)["stack_status"] == "CREATE_COMPLETE"
    return "with-data", stack_id


def get(service, stack, subpath: str, who: str = "alpha") -> requests.Response:
    return service.call("GET", f"stacks/{stack[0]}/{stack[1]}/{subpath}", who)


# -- template, environment, files ---------------------------------------------------------------

def test_template_is_the_template_given(service, stack):
    response = get(service, stack, "template")
    assert response.status_code == 200
    assert response.json() == TEMPLATE


def test_a_yaml_template_comes_back_as_json(service):
    text = yaml.safe_dump({"heat_template_version": "2021-04-16",
                           "resources": {"v": {"type": "OS::Heat::Value", "properties": {"value": 1}}}})
    stack_id = service.create("from-yaml", text)
    service.wait("from-yaml", stack_id)
    assert get(service, ("from-yaml", stack_id), "template").json() == yaml.safe_load(text)


def test_environment_masks_hidden_parameters_and_hidden_defaults(service, stack):
    environment = get(service, stack, "environment").json()
    assert environment["parameters"] == {"password": "******", "greeting": "hi"}
    assert environment["parameter_defaults"] == {"child_secret": "******", "child_plain": "shown"}, \
        "parameter_defaults reach the child template, whose child_secret is hidden"
    assert environment["resource_registry"]["My::Alias"] == "OS::Heat::Value"


def test_the_masked_values_are_still_what_the_stack_uses(service, stack):
    response = service.call("GET", f"stacks/{stack[0]}/{stack[1]}/resources/child")
    nested = [link["href"] for link in response.json()["resource"]["links"] if link["rel"] == "nested"]
    assert nested, response.text
    child = requests.get(nested[0], headers=service.headers(), timeout=30).json()["stack"]
    assert child["outputs"][0]["output_value"] == "from-defaults"
    assert child["parameters"]["child_secret"] == "******"


def test_files_are_the_files_given(service, stack):
    assert get(service, stack, "files").json() == FILES


# -- outputs ---------------------------------------------------------------------------------------

def test_output_list_has_keys_and_descriptions_only(service, stack):
    listed = get(service, stack, "outputs").json()["outputs"]
    assert sorted(listed, key=lambda o: o["output_key"]) == [
        {"output_key": "broken", "description": "Fails when resolved."},
        {"output_key": "greeting", "description": "What the stack says."},
        {"output_key": "script", "description": "No description given"},
    ]


def test_output_show_resolves_one_output(service, stack):
    shown = get(service, stack, "outputs/greeting").json()
    assert shown == {"output": {"output_key": "greeting", "output_value": "hi",
                                "description": "What the stack says."}}
    assert get(service, stack, "outputs/script").json()["output"]["output_value"] == FILES["scripts/boot.sh"]


def test_output_error_only_when_the_output_fails(service, stack):
    broken = get(service, stack, "outputs/broken").json()["output"]
    assert broken["output_value"] is None
    assert "str_split" in broken["output_error"]
    assert "output_error" not in get(service, stack, "outputs/greeting").json()["output"], \
        "heatclient fails on any output_error key, even null"


def test_an_unknown_output_is_404(service, stack):
    assert_heat_error(get(service, stack, "outputs/nowhere"), 404, "NotFound",
                      "Specified output key nowhere not found.")


# -- export, abandon, adopt -----------------------------------------------------------------------

def test_export_gives_heats_abandon_data_and_keeps_the_stack(service, stack):
    name, stack_id = stack
    data = get(service, stack, "export").json()
    assert (data["id"], data["name"], data["action"], data["status"]) == (stack_id, name, "CREATE", "COMPLETE")
    assert data["template"] == TEMPLATE and data["files"] == FILES
    assert data["project_id"] == "alpha"
    assert data["environment"]["parameters"]["password"] == "pa55word", "adopt needs the real values"
    assert set(data["resources"]) == {"value", "script", "child"}
    value = data["resources"]["value"]
    assert value["type"] == "OS::Heat::Value" and value["resource_id"]
    assert (value["action"], value["status"]) == ("CREATE", "COMPLETE")
    assert set(data["resources"]["child"]["resources"]) == {"inner"}, "nested stacks under their resource"
    assert service.wait(name, stack_id)["stack_status"] == "CREATE_COMPLETE"


def test_abandon_forgets_the_stack_and_its_data_adopts_it_back(service):
    template = {"heat_template_version": "2021-04-16",
                "parameters": {"secret": {"type": "string", "hidden": True}},
                "resources": {"kept": {"type": "OS::Heat::Value", "properties": {"value": {"get_param": "secret"}}}},
                "outputs": {"kept": {"value": {"get_attr": ["kept", "value"]}}}}
    stack_id = service.create("to-abandon", template, parameters={"secret": "carried-over"})
    service.wait("to-abandon", stack_id)
    response = service.call("DELETE", f"stacks/to-abandon/{stack_id}/abandon")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["id"] == stack_id and data["template"] == template
    physical = data["resources"]["kept"]["resource_id"]
    assert_heat_error(service.call("GET", f"stacks/to-abandon/{stack_id}"), 404)
    assert_heat_error(service.call("GET", "stacks/to-abandon"), 404)
    # what ``openstack stack adopt --adopt-file`` sends: the file's text, no template of its own
    adopted = service.call("POST", "stacks", json={"stack_name": "adopted", "adopt_stack_data": yaml.safe_dump(data),
                                                   "parameters": {}, "files": {}, "environment": {}})
    assert adopted.status_code == 201, adopted.text
    adopted_id = adopted.json()["stack"]["id"]
    stack = service.wait("adopted", adopted_id)
    assert stack["stack_status"] == "ADOPT_COMPLETE", stack["stack_status_reason"]
    assert stack["outputs"][0]["output_value"] == "carried-over"
    resource = service.call("GET", f"stacks/adopted/{adopted_id}/resources/kept").json()["resource"]
    assert resource["physical_resource_id"] == physical


@pytest.mark.parametrize("data, message", [("[1, 2]", "must be a mapping"), ({"name": "x"}, "no template"),
                                           ("{unclosed", "Invalid adopt data")])
def test_bad_adopt_data_is_400(service, data, message):
    response = service.call("POST", "stacks", json={"stack_name": "bad-adopt", "adopt_stack_data": data})
    assert_heat_error(response, 400, message=message)


def test_abandon_of_a_busy_stack_is_409(service):
    slow = {"heat_template_version": "2021-04-16",
            "resources": {"slow": {"type": "OS::Heat::TestResource", "properties": {"action_wait_secs": {"create": 3}}}}}
    stack_id = service.create("busy-abandon", slow)
    assert_heat_error(service.call("DELETE", f"stacks/busy-abandon/{stack_id}/abandon"), 409, "ActionInProgress",
                      "already has an action (CREATE) in progress")
    assert service.wait("busy-abandon", stack_id)["stack_status"] == "CREATE_COMPLETE"


# -- another project's stack: one assertion per endpoint ----------------------------------------

ENDPOINTS = [("GET", "template"), ("GET", "environment"), ("GET", "files"), ("GET", "outputs"),
             ("GET", "outputs/greeting"), ("GET", "export"), ("DELETE", "abandon")]


@pytest.mark.parametrize("method, subpath", ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_beta_cannot_read_alphas_stack_data(service, stack, method, subpath):
    response = service.call(method, f"stacks/{stack[0]}/{stack[1]}/{subpath}", who="beta")
    assert_heat_error(response, 404, "EntityNotFound")


@pytest.mark.parametrize("method, subpath", ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_beta_cannot_use_alphas_project_url(service, stack, method, subpath):
    response = service.call(method, f"stacks/{stack[0]}/{stack[1]}/{subpath}", who="beta", project="alpha")
    assert_heat_error(response, 403, "Forbidden")


def test_beta_by_name_lookup_finds_nothing(service, stack):
    assert_heat_error(service.call("GET", f"stacks/{stack[0]}/outputs/greeting", who="beta"), 404)


def test_an_admin_reads_another_projects_stack_data(service):
    stack_id = service.create("beta-data", TEMPLATE, who="beta", files=FILES, environment=ENVIRONMENT,
                              parameters={"password": "beta-pass"})
    service.wait("beta-data", stack_id, who="beta")
    response = service.call("GET", f"stacks/beta-data/{stack_id}/environment", who="admin", project="beta")
    assert response.status_code == 200 and response.json()["parameters"]["password"] == "******"


def test_alphas_stack_survived_beta(service, stack):
    name, stack_id = stack
    assert service.wait(name, stack_id)["stack_status"] == "CREATE_COMPLETE"
    assert get(service, stack, "outputs/greeting").json()["output"]["output_value"] == "hi"
