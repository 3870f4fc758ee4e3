"""Resources over HTTP: list (nesting, filters, detail), show, metadata, signals and hooks, mark unhealthy."""

from __future__ import annotations

import time

import pytest
import yaml

BOTTOM = {"heat_template_version": "2021-04-16",
          "resources": {"bottom": {"type": "OS::Heat::Value", "properties": {"value": "deepest"}}}}
MIDDLE = {"heat_template_version": "2021-04-16",
          "resources": {"leaf": {"type": "OS::Heat::TestResource", "properties": {"value": "inside"}},
                        "deep": {"type": "OS::Heat::Stack", "properties": {"template": yaml.safe_dump(BOTTOM)}}}}
NESTED = {
    "heat_template_version": "2021-04-16",
    "resources": {
        "first": {"type": "OS::Heat::Value", "properties": {"value": "a"}, "description": "the first one",
                  "metadata": {"role": "front", "stack": {"get_param": "OS::stack_name"}}},
        "second": {"type": "OS::Heat::TestResource", "properties": {"value": {"get_attr": ["first", "value"]}}},
        "inner": {"type": "OS::Heat::Stack", "properties": {"template": yaml.safe_dump(MIDDLE)}},
    },
}
SIMPLE = {"heat_template_version": "2021-04-16",
          "resources": {"thing": {"type": "OS::Heat::TestResource", "properties": {"value": "x"}},
                        "other": {"type": "OS::Heat::RandomString"}}}
HOOKED = {"heat_template_version": "2021-04-16",
          "resources": {"paused": {"type": "OS::Heat::TestResource", "properties": {"value": "p"}}}}
HOOK_ENV = {"resource_registry": {"resources": {"paused": {"hooks": "pre-create"}}}}


@pytest.fixture(scope="module")
def nested(service):
    """A stack with a nested stack that has a nested stack: ``(name, id)``."""
    stack_id = service.create("tree", NESTED)
    assert service.wait("tree", stack_id)["stack_status"] == "CREATE_COMPLETE"
    return "tree", stack_id


@pytest.fixture(scope="module")
def simple(service):
    stack_id = service.create("simple", SIMPLE)
    assert service.wait("simple", stack_id)["stack_status"] == "CREATE_COMPLETE"
    return "simple", stack_id


def resources(service, stack, query: str = "", who: str = "alpha") -> list[dict]:
    response = service.call("GET", f"stacks/{stack[0]}/{stack[1]}/resources{query}", who)
    assert response.status_code == 200, response.text
    return response.json()["resources"]


def by_name(listed: list[dict]) -> dict[str, dict]:
    return {resource["resource_name"]: resource for resource in listed}


def links(resource: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in resource["links"]}


def wait_for(check, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# -- list ------------------------------------------------------------------------------------

def test_list_has_heats_fields_and_links(service, nested):
    name, stack_id = nested
    listed = by_name(resources(service, nested))
    assert set(listed) == {"first", "second", "inner"}
    first = listed["first"]
    assert first["resource_type"] == "OS::Heat::Value"
    assert first["resource_status"] == "CREATE_COMPLETE"
    assert first["logical_resource_id"] == "first"
    assert first["required_by"] == ["second"]
    assert listed["second"]["required_by"] == []
    assert first["creation_time"].endswith("Z")
    stack_url = f"{service.endpoint()}/stacks/{name}/{stack_id}"
    assert links(first) == {"self": f"{stack_url}/resources/first", "stack": stack_url}
    assert "parent_resource" not in first


def test_a_nested_stack_resource_links_to_its_stack(service, nested):
    inner = by_name(resources(service, nested))["inner"]
    nested_url = links(inner)["nested"]
    assert nested_url.endswith(f"/{inner['physical_resource_id']}")
    shown = service.call("GET", nested_url[len(service.endpoint()) + 1:])
    assert shown.status_code == 200, shown.text
    assert shown.json()["stack"]["parent"] == nested[1]


def test_nested_depth_lists_resources_of_nested_stacks(service, nested):
    assert set(by_name(resources(service, nested, "?nested_depth=0"))) == {"first", "second", "inner"}
    one = by_name(resources(service, nested, "?nested_depth=1"))
    assert set(one) == {"first", "second", "inner", "leaf", "deep"}
    leaf = one["leaf"]
    assert leaf["parent_resource"] == "inner"
    assert leaf["stack_name"] == links(leaf)["stack"].split("/")[-2]
    assert links(leaf)["stack"] == links(one["inner"])["nested"]
    assert "nested" in links(one["deep"])
    two = by_name(resources(service, nested, "?nested_depth=2"))
    assert set(two) == set(one) | {"bottom"}
    assert two["bottom"]["parent_resource"] == "deep"
    # more than the service's maximum nesting is capped, not refused
    assert set(by_name(resources(service, nested, "?nested_depth=99"))) == set(two)


def test_filters(service, nested):
    def names(query):
        return sorted(r["resource_name"] for r in resources(service, nested, query))

    assert names("?type=OS::Heat::Value") == ["first"]
    assert names("?type=OS::Heat::Value&type=OS::Heat::Stack") == ["first", "inner"]
    assert names("?name=first&name=second") == ["first", "second"]
    assert names("?status=COMPLETE") == ["first", "inner", "second"]
    assert names("?status=CREATE_COMPLETE&action=CREATE") == ["first", "inner", "second"]
    assert names("?status=FAILED") == []
    assert names("?action=DELETE") == []
    inner = by_name(resources(service, nested))["inner"]
    assert names(f"?physical_resource_id={inner['physical_resource_id']}") == ["inner"]
    assert names("?nested_depth=2&type=OS::Heat::Value") == ["bottom", "first"]


def test_a_replaced_resource_is_listed_once(service):
    template = {"heat_template_version": "2021-04-16",
                "resources": {"swapped": {"type": "OS::Heat::TestResource",
                                          "properties": {"value": "old", "update_replace": True}}}}
    stack_id = service.create("swapping", template)
    assert service.wait("swapping", stack_id)["stack_status"] == "CREATE_COMPLETE"
    before = resources(service, ("swapping", stack_id))
    template["resources"]["swapped"]["properties"]["value"] = "new"
    assert service.call("PUT", f"stacks/swapping/{stack_id}", json={"template": template}).status_code == 202
    assert service.wait("swapping", stack_id)["stack_status"] == "UPDATE_COMPLETE"
    after = resources(service, ("swapping", stack_id))
    assert [r["resource_name"] for r in after] == ["swapped"]
    assert after[0]["physical_resource_id"] != before[0]["physical_resource_id"]
    shown = service.call("GET", f"stacks/swapping/{stack_id}/resources/swapped").json()["resource"]
    assert shown["attributes"] == {"output": "new"}


def test_with_detail_adds_description_and_metadata(service, nested):
    listed = by_name(resources(service, nested, "?with_detail=True"))
    assert listed["first"]["description"] == "the first one"
    assert listed["first"]["metadata"] == {"role": "front", "stack": nested[0]}
    assert listed["second"]["metadata"] == {}
    assert listed["second"]["stack_name"] == nested[0]


def test_a_wrong_query_is_a_400(service, nested):
    response = service.call("GET", f"stacks/{nested[0]}/{nested[1]}/resources?nested_depth=deep")
    assert response.status_code == 400
    assert "nested_depth" in response.json()["error"]["message"]


def test_by_name_url_redirects(service, nested):
    response = service.call("GET", f"stacks/{nested[0]}/resources?nested_depth=1")
    assert response.status_code == 302
    assert response.headers["Location"] == (f"{service.endpoint()}/stacks/{nested[0]}/{nested[1]}"
                                             "/resources?nested_depth=1")


# -- show and metadata ---------------------------------------------------------------------------

def test_show_has_attributes_description_and_metadata(service, nested):
    name, stack_id = nested
    response = service.call("GET", f"stacks/{name}/{stack_id}/resources/first")
    assert response.status_code == 200, response.text
    shown = response.json()["resource"]
    assert shown["resource_name"] == "first"
    assert shown["attributes"] == {"value": "a"}
    assert shown["description"] == "the first one"
    assert shown["metadata"] == {"role": "front", "stack": name}
    assert shown["required_by"] == ["second"]
    second = service.call("GET", f"stacks/{name}/{stack_id}/resources/second?with_attr=show").json()["resource"]
    assert second["attributes"] == {"output": "a", "show": None}
    assert second["description"] == ""


def test_show_a_nested_stack_resource(service, nested):
    shown = service.call("GET", f"stacks/{nested[0]}/{nested[1]}/resources/inner").json()["resource"]
    assert "nested" in links(shown)
    assert set(shown["attributes"]) == {"stack_name", "outputs"}


def test_metadata(service, nested):
    name, stack_id = nested
    response = service.call("GET", f"stacks/{name}/{stack_id}/resources/first/metadata")
    assert response.status_code == 200
    assert response.json() == {"metadata": {"role": "front", "stack": name}}
    assert service.call("GET", f"stacks/{name}/{stack_id}/resources/second/metadata").json() == {"metadata": {}}


@pytest.mark.parametrize("method, path", [
    ("GET", "resources/nope"), ("GET", "resources/nope/metadata"), ("POST", "resources/nope/signal"),
    ("PATCH", "resources/nope")])
def test_a_missing_resource_is_heats_404(service, nested, method, path):
    kwargs = {"json": {"mark_unhealthy": True}} if method == "PATCH" else {}
    response = service.call(method, f"stacks/{nested[0]}/{nested[1]}/{path}", **kwargs)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == 404
    assert body["error"]["message"] == "The Resource (nope) could not be found."


def test_a_missing_stack_is_a_404(service, nested):
    response = service.call("GET", f"stacks/{nested[0]}/00000000-0000-4000-8000-000000000000/resources")
    assert response.status_code == 404
    assert "could not be found" in response.json()["error"]["message"]


# -- signals and hooks ----------------------------------------------------------------------------

def test_hook_clear_through_the_signal_endpoint(service):
    stack_id = service.create("hooked", HOOKED, environment=HOOK_ENV)
    path = f"stacks/hooked/{stack_id}"

    def paused():
        events = service.call("GET", f"{path}/events?sort_dir=asc").json()["events"]
        return any(e["resource_status_reason"] == "CREATE paused until Hook pre-create is cleared" for e in events)

    wait_for(paused)
    assert service.call("GET", path).json()["stack"]["stack_status"] == "CREATE_IN_PROGRESS"
    # while paused the stack is busy: no marking its resources
    busy = service.call("PATCH", f"{path}/resources/paused", json={"mark_unhealthy": True})
    assert busy.status_code == 409
    assert "in progress" in busy.json()["error"]["message"]
    wrong = service.call("POST", f"{path}/resources/paused/signal", json={"unset_hook": "pre-update"})
    assert wrong.status_code == 400
    assert "pre-update" in wrong.json()["error"]["message"]
    cleared = service.call("POST", f"{path}/resources/paused/signal", json={"unset_hook": "pre-create"})
    assert cleared.status_code == 200
    assert cleared.text == ""
    assert service.wait("hooked", stack_id)["stack_status"] == "CREATE_COMPLETE"
    reasons = [e["resource_status_reason"] for e in
               service.call("GET", f"{path}/resources/paused/events?sort_dir=asc").json()["events"]]
    assert "Hook pre-create is cleared" in reasons


def test_signal_to_a_resource_that_takes_none_is_a_400(service, simple):
    response = service.call("POST", f"stacks/{simple[0]}/{simple[1]}/resources/thing/signal", data="")
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_a_signal_body_that_is_not_json_is_a_400(service, simple):
    response = service.call("POST", f"stacks/{simple[0]}/{simple[1]}/resources/thing/signal", data="{nope")
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]["message"]


# -- mark unhealthy ---------------------------------------------------------------------------------

def test_mark_unhealthy_and_healthy_again(service, simple):
    name, stack_id = simple
    path = f"stacks/{name}/{stack_id}/resources"
    marked = service.call("PATCH", f"{path}/thing", json={"mark_unhealthy": True,
                                                         "resource_status_reason": "disk gone"})
    assert marked.status_code == 200, marked.text
    thing = service.call("GET", f"{path}/thing").json()["resource"]
    assert thing["resource_status"] == "CHECK_FAILED"
    assert thing["resource_status_reason"] == "disk gone"
    events = service.call("GET", f"{path}/thing/events?sort_dir=desc&limit=1").json()["events"]
    assert (events[0]["resource_status"], events[0]["resource_status_reason"]) == ("CHECK_FAILED", "disk gone")
    # the stack itself is not changed, and other resources neither
    assert service.call("GET", f"stacks/{name}/{stack_id}").json()["stack"]["stack_status"] == "CREATE_COMPLETE"
    assert by_name(resources(service, simple))["other"]["resource_status"] == "CREATE_COMPLETE"

    healed = service.call("PATCH", f"{path}/thing", json={"mark_unhealthy": False})
    assert healed.status_code == 200
    thing = service.call("GET", f"{path}/thing").json()["resource"]
    assert thing["resource_status"] == "CHECK_COMPLETE"
    assert thing["resource_status_reason"] == "state changed by resource_mark_unhealthy api"
    # healthy again when not CHECK_FAILED: nothing changes, no event
    count = len(service.call("GET", f"{path}/thing/events").json()["events"])
    assert service.call("PATCH", f"{path}/thing", json={"mark_unhealthy": False}).status_code == 200
    assert len(service.call("GET", f"{path}/thing/events").json()["events"]) == count


def test_mark_unhealthy_by_physical_id(service, simple):
    name, stack_id = simple
    other = by_name(resources(service, simple))["other"]
    assert other["physical_resource_id"]
    marked = service.call("PATCH", f"stacks/{name}/{stack_id}/resources/{other['physical_resource_id']}",
                          json={"mark_unhealthy": True})
    assert marked.status_code == 200
    assert by_name(resources(service, simple))["other"]["resource_status"] == "CHECK_FAILED"
    service.call("PATCH", f"stacks/{name}/{stack_id}/resources/other", json={"mark_unhealthy": False})
    assert by_name(resources(service, simple))["other"]["resource_status"] == "CHECK_COMPLETE"


@pytest.mark.parametrize("body, words", [
    ({}, "Missing mandatory (mark_unhealthy)"),
    ({"mark_unhealthy": "perhaps"}, "mark_unhealthy is not a boolean"),
    ({"mark_unhealthy": True, "colour": "red"}, "colour"),
])
def test_mark_unhealthy_refuses_bad_bodies(service, simple, body, words):
    response = service.call("PATCH", f"stacks/{simple[0]}/{simple[1]}/resources/thing", json=body)
    assert response.status_code == 400
    assert words in response.json()["error"]["message"]


# -- another project sees nothing ---------------------------------------------------------------------

def _refused(response, *secrets: str) -> None:
    assert response.status_code in (403, 404), response.text
    for secret in secrets:
        assert secret not in response.text


@pytest.mark.parametrize("project", ["beta", "alpha"])
def test_another_project_cannot_list_resources(service, nested, project):
    response = service.call("GET", f"stacks/{nested[0]}/{nested[1]}/resources", who="beta", project=project)
    _refused(response, "first", "OS::Heat::Value")


@pytest.mark.parametrize("project", ["beta", "alpha"])
def test_another_project_cannot_show_a_resource(service, nested, project):
    response = service.call("GET", f"stacks/{nested[0]}/{nested[1]}/resources/first", who="beta",
                            project=project)
    _refused(response, "front", "OS::Heat::Value")


@pytest.mark.parametrize("project", ["beta", "alpha"])
def test_another_project_cannot_read_metadata(service, nested, project):
    response = service.call("GET", f"stacks/{nested[0]}/{nested[1]}/resources/first/metadata", who="beta",
                            project=project)
    _refused(response, "front")


@pytest.mark.parametrize("project", ["beta", "alpha"])
def test_another_project_cannot_signal(service, project):
    stack_id = service.create(f"hooked-{project}", HOOKED, environment=HOOK_ENV)
    path = f"stacks/hooked-{project}/{stack_id}"

    def hook():
        listed = service.call("GET", f"{path}/resources").json()["resources"]
        return listed and listed[0]["resource_status_reason"] == "CREATE paused until Hook pre-create is cleared"

    wait_for(hook)
    response = service.call("POST", f"{path}/resources/paused/signal", who="beta", project=project,
                            json={"unset_hook": "pre-create"})
    _refused(response)
    time.sleep(0.3)  # the hook would be cleared by now
    assert service.call("GET", path).json()["stack"]["stack_status"] == "CREATE_IN_PROGRESS"
    assert service.call("POST", f"{path}/resources/paused/signal", json={"unset_hook": "pre-create"}).ok
    assert service.wait(f"hooked-{project}", stack_id)["stack_status"] == "CREATE_COMPLETE"


@pytest.mark.parametrize("project", ["beta", "alpha"])
def test_another_project_cannot_mark_unhealthy(service, simple, project):
    response = service.call("PATCH", f"stacks/{simple[0]}/{simple[1]}/resources/thing", who="beta",
                            project=project, json={"mark_unhealthy": True, "resource_status_reason": "beta did it"})
    _refused(response)
    thing = service.call("GET", f"stacks/{simple[0]}/{simple[1]}/resources/thing").json()["resource"]
    assert thing["resource_status_reason"] != "beta did it"
    assert thing["resource_status"] != "CHECK_FAILED"
