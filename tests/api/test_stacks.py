"""Stacks over HTTP: create, list, show, update, delete, previews, by-name lookups, limits, auth and tenancy.

Every test talks to the live service (waitress + a Celery worker thread +
SQLite) with ``requests``; settings that a test narrows (limits) are put
back when it ends.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import replace

import pytest
import requests
import yaml

from .service import assert_heat_error

VALUE = {"heat_template_version": "2021-04-16",
         "parameters": {"word": {"type": "string", "default": "hello"},
                        "secret": {"type": "string", "hidden": True, "default": "the-default-secret"}},
         "resources": {"said": {"type": "OS::Heat::Value", "properties": {"value": {"get_param": "word"}}}},
         "outputs": {"said": {"value": {"get_attr": ["said", "value"]}}}}
SLOW = {"heat_template_version": "2021-04-16",
        "resources": {"slow": {"type": "OS::Heat::TestResource", "properties": {"action_wait_secs": {"create": 3}}}}}
#: the sub-paths a by-name URL may carry (lookup.SUBPATHS)
SUBPATHS = ("resources", "events", "template", "environment", "files", "outputs", "actions", "snapshots", "export",
            "abandon", "preview")
METHODS = ("GET", "PUT", "PATCH", "DELETE", "POST")


def outputs(service, name: str, stack_id: str, who: str = "alpha") -> dict:
    stack = service.wait(name, stack_id, who)
    return {output["output_key"]: output.get("output_value") for output in stack["outputs"]}


def listed(service, query: str = "", who: str = "alpha", path: str = "stacks") -> list[dict]:
    response = service.call("GET", f"{path}{query}", who)
    assert response.status_code == 200, response.text
    return response.json()["stacks"]


def wait_gone(service, name: str, stack_id: str) -> None:
    deadline = time.monotonic() + 30
    while service.call("GET", f"stacks/{name}/{stack_id}").status_code != 404:
        assert time.monotonic() < deadline, f"{name} was never deleted"
        time.sleep(0.05)


@contextlib.contextmanager
def api_limits(service, **changes):
    """Narrow ``[limits]`` as the API reads them, for the duration of a test."""
    services = service.app.extensions["orchestrator"]
    before = services.settings
    services.settings = replace(before, limits=replace(before.limits, **changes))
    try:
        yield
    finally:
        services.settings = before


@contextlib.contextmanager
def engine_limits(service, **changes):
    """Narrow the engine's limits (the same engine runs the API's requests and the worker's jobs)."""
    context = service.engine.context
    before = context.settings
    context.settings = replace(before, **changes)
    try:
        yield
    finally:
        context.settings = before


@pytest.fixture(scope="module")
def alpha_stack(service):
    """A stack of project alpha that the cross-project tests try to reach; it must come out untouched."""
    stack_id = service.create("alpha-private", VALUE, parameters={"word": "mine", "secret": "s3cr3t"})
    assert service.wait("alpha-private", stack_id)["stack_status"] == "CREATE_COMPLETE"
    return "alpha-private", stack_id


# -- create -------------------------------------------------------------------------------------

def test_create_answers_201_with_the_id_links_and_location(service):
    response = service.call("POST", "stacks", json={"stack_name": "made", "template": VALUE})
    assert response.status_code == 201, response.text
    stack = response.json()["stack"]
    url = f"{service.endpoint()}/stacks/made/{stack['id']}"
    assert response.headers["Location"] == url
    assert stack["links"] == [{"href": url, "rel": "self"}]
    assert service.wait("made", stack["id"])["stack_status"] == "CREATE_COMPLETE"


def test_create_accepts_a_yaml_text_template_and_tags(service):
    stack_id = service.create("from-text", yaml.safe_dump(VALUE), tags="one,two", parameters={"word": "text"})
    stack = service.wait("from-text", stack_id)
    assert stack["tags"] == ["one", "two"]
    assert outputs(service, "from-text", stack_id) == {"said": "text"}


def test_a_second_stack_of_the_same_name_is_409(service):
    service.create("twice", VALUE)
    again = service.call("POST", "stacks", json={"stack_name": "twice", "template": VALUE})
    assert_heat_error(again, 409, "StackExists", "The Stack (twice) already exists.")


@pytest.mark.parametrize("body, message", [
    ({"template": VALUE}, "No stack name specified"),
    ({"stack_name": "no-template"}, "No template specified"),
    ({"stack_name": "9lives", "template": VALUE}, "Invalid stack name 9lives"),
    ({"stack_name": "bad-param", "template": VALUE, "parameters": {"nope": 1}}, "nope"),
    ({"stack_name": "by-url", "template_url": "http://example.com/t.yaml"}, "template_url is not supported"),
])
def test_bad_create_requests_are_400(service, body, message):
    assert_heat_error(service.call("POST", "stacks", json=body), 400, message=message)


def test_a_body_that_is_not_json_is_400(service):
    response = service.call("POST", "stacks", data="{not json")
    assert_heat_error(response, 400)


# -- show and list ------------------------------------------------------------------------------

def test_show_masks_hidden_parameters_and_resolves_outputs(service, alpha_stack):
    name, stack_id = alpha_stack
    stack = service.call("GET", f"stacks/{name}/{stack_id}").json()["stack"]
    assert stack["parameters"]["secret"] == "******"
    assert stack["parameters"]["word"] == "mine"
    assert stack["parameters"]["OS::stack_id"] == stack_id
    assert stack["outputs"] == [{"output_key": "said", "output_value": "mine", "description": "No description given"}]
    unresolved = service.call("GET", f"stacks/{name}/{stack_id}?resolve_outputs=false").json()["stack"]
    assert "outputs" not in unresolved


def test_list_detail_masks_hidden_parameters_too(service, alpha_stack):
    name, stack_id = alpha_stack
    stack = next(s for s in listed(service, path="stacks/detail") if s["id"] == stack_id)
    assert stack["parameters"]["secret"] == "******"
    assert stack["parameters"]["word"] == "mine"
    assert stack["parameters"]["OS::stack_name"] == name
    stack_id_2 = service.create("defaults-only", VALUE)
    service.wait("defaults-only", stack_id_2)
    shown = next(s for s in listed(service, path="stacks/detail") if s["id"] == stack_id_2)
    assert shown["parameters"]["secret"] == "******", "a hidden default is as secret as a given value"
    assert shown["parameters"]["word"] == "hello"


@pytest.fixture(scope="module")
def paged(service):
    """Five stacks tagged ``paged``, made one after the other."""
    ids = {}
    for name in ("page-c", "page-a", "page-e", "page-b", "page-d"):
        ids[name] = service.create(name, VALUE, tags="paged")
    for name, stack_id in ids.items():
        service.wait(name, stack_id)
    return ids


def test_limit_and_marker_page_through_every_stack_once(service, paged):
    everything = [s["id"] for s in listed(service, "?tags=paged")]
    assert sorted(everything) == sorted(paged.values())
    seen, marker = [], ""
    while True:
        page = listed(service, f"?tags=paged&limit=2{marker}")
        assert len(page) <= 2
        seen.extend(s["id"] for s in page)
        if len(page) < 2:
            break
        marker = f"&marker={page[-1]['id']}"
    assert seen == everything


def test_sort_keys_and_sort_dir(service, paged):
    ascending = [s["stack_name"] for s in listed(service, "?tags=paged&sort_keys=stack_name&sort_dir=asc")]
    assert ascending == ["page-a", "page-b", "page-c", "page-d", "page-e"]
    descending = [s["stack_name"] for s in listed(service, "?tags=paged&sort_keys=stack_name&sort_dir=desc")]
    assert descending == ascending[::-1]
    newest_first = [s["stack_name"] for s in listed(service, "?tags=paged")]
    assert newest_first == ["page-d", "page-b", "page-e", "page-a", "page-c"], "Heat's default: newest first"


def test_with_count_counts_every_match_not_the_page(service, paged):
    response = service.call("GET", "stacks?tags=paged&limit=2&with_count=true")
    assert len(response.json()["stacks"]) == 2
    assert response.json()["count"] == 5
    assert "count" not in service.call("GET", "stacks?tags=paged").json()


@pytest.mark.parametrize("query, status, message", [
    ("?sort_keys=colour", 400, "Sort key colour is not supported"),
    ("?sort_dir=sideways", 400, "sort_dir"),
    ("?limit=-1", 400, "limit"),
    ("?marker=00000000-0000-0000-0000-000000000000", 404, "marker"),
])
def test_bad_list_queries(service, query, status, message):
    assert_heat_error(service.call("GET", f"stacks{query}"), status, message=message)


def test_filters_by_name_and_status(service, paged):
    assert [s["stack_name"] for s in listed(service, "?name=page-b")] == ["page-b"]
    names = {s["stack_name"] for s in listed(service, "?tags=paged&name=page-a&name=page-e")}
    assert names == {"page-a", "page-e"}
    assert {s["stack_name"] for s in listed(service, "?tags=paged&status=COMPLETE&action=CREATE")} == set(paged)
    assert listed(service, "?tags=paged&status=FAILED") == []


def test_tag_filters(service):
    made = {name: service.create(name, VALUE, tags=tags)
            for name, tags in (("tag-ab", ["ta", "tb"]), ("tag-bc", ["tb", "tc"]), ("tag-none", []))}
    only = "?name=tag-ab&name=tag-bc&name=tag-none"

    def names(query: str) -> set[str]:
        return {s["stack_name"] for s in listed(service, only + query)}

    assert names("") == set(made)
    assert names("&tags=ta,tb") == {"tag-ab"}
    assert names("&tags=tb") == {"tag-ab", "tag-bc"}
    assert names("&tags_any=ta,tc") == {"tag-ab", "tag-bc"}
    assert names("&not_tags=ta,tb") == {"tag-bc", "tag-none"}
    assert names("&not_tags_any=ta,tc") == {"tag-none"}


def test_show_nested_lists_nested_stacks(service):
    child = yaml.safe_dump({"heat_template_version": "2021-04-16",
                            "resources": {"leaf": {"type": "OS::Heat::Value", "properties": {"value": 1}}}})
    parent = {"heat_template_version": "2021-04-16",
              "resources": {"inner": {"type": "OS::Heat::Stack", "properties": {"template": child}}}}
    parent_id = service.create("has-child", parent, tags="nesting")
    assert service.wait("has-child", parent_id)["stack_status"] == "CREATE_COMPLETE"
    assert [s["id"] for s in listed(service, "?tags=nesting")] == [parent_id]
    nested = [s for s in listed(service, "?show_nested=true") if s["parent"] == parent_id]
    assert len(nested) == 1 and nested[0]["stack_status"] == "CREATE_COMPLETE"


def test_show_deleted_lists_deleted_stacks(service):
    stack_id = service.create("to-forget", VALUE)
    service.wait("to-forget", stack_id)
    assert service.call("DELETE", f"stacks/to-forget/{stack_id}").status_code == 204
    wait_gone(service, "to-forget", stack_id)
    assert stack_id not in [s["id"] for s in listed(service)]
    deleted = [s for s in listed(service, "?show_deleted=true") if s["id"] == stack_id]
    assert len(deleted) == 1
    assert deleted[0]["stack_status"] == "DELETE_COMPLETE" and deleted[0]["deletion_time"]


def test_global_tenant_is_for_admins(service):
    beta_id = service.create("beta-listed", VALUE, who="beta")
    service.wait("beta-listed", beta_id, who="beta")
    everyone = listed(service, "?global_tenant=true", who="admin")
    assert {"alpha", "beta"} <= {s["project"] for s in everyone}
    assert beta_id in [s["id"] for s in everyone]
    assert beta_id not in [s["id"] for s in listed(service, who="admin")], "without it, only the URL's project"
    assert_heat_error(service.call("GET", "stacks?global_tenant=true", who="beta"), 403, "Forbidden")


# -- update, delete, busy stacks --------------------------------------------------------------

def test_put_update_is_202_and_takes_the_new_template(service):
    stack_id = service.create("to-update", VALUE, parameters={"word": "before"})
    service.wait("to-update", stack_id)
    new = json.loads(json.dumps(VALUE))
    new["outputs"]["shouted"] = {"value": {"str_replace": {"template": "W!", "params": {"W": {"get_param": "word"}}}}}
    response = service.call("PUT", f"stacks/to-update/{stack_id}", json={"template": new, "parameters": {"word": "after"}})
    assert response.status_code == 202, response.text
    assert service.wait("to-update", stack_id)["stack_status"] == "UPDATE_COMPLETE"
    assert outputs(service, "to-update", stack_id) == {"said": "after", "shouted": "after!"}


def test_patch_with_heatclients_existing_body_keeps_the_template(service):
    stack_id = service.create("to-patch", VALUE, parameters={"word": "before", "secret": "kept"})
    service.wait("to-patch", stack_id)
    body = {"parameters": {"word": "patched"}, "template": None, "files": {}, "environment": {}}
    response = service.call("PATCH", f"stacks/to-patch/{stack_id}", json=body)
    assert response.status_code == 202, response.text
    assert service.wait("to-patch", stack_id)["stack_status"] == "UPDATE_COMPLETE"
    assert outputs(service, "to-patch", stack_id) == {"said": "patched"}
    environment = service.call("GET", f"stacks/to-patch/{stack_id}/environment").json()
    assert environment["parameters"] == {"word": "patched", "secret": "******"}
    exported = service.call("GET", f"stacks/to-patch/{stack_id}/export").json()
    assert exported["environment"]["parameters"]["secret"] == "kept", "PATCH keeps the values it is not given"


def test_put_without_a_template_is_400(service, alpha_stack):
    name, stack_id = alpha_stack
    assert_heat_error(service.call("PUT", f"stacks/{name}/{stack_id}", json={"parameters": {}}), 400,
                      message="No template specified")


def test_delete_is_204_and_the_stack_goes(service):
    stack_id = service.create("to-delete", VALUE)
    service.wait("to-delete", stack_id)
    response = service.call("DELETE", f"stacks/to-delete/{stack_id}")
    assert response.status_code == 204 and response.content == b""
    wait_gone(service, "to-delete", stack_id)
    assert_heat_error(service.call("GET", "stacks/to-delete"), 404, "EntityNotFound")


def test_a_busy_stack_answers_409_to_update_patch_and_delete(service):
    stack_id = service.create("busy", SLOW)
    canonical = f"stacks/busy/{stack_id}"
    message = "Stack busy already has an action (CREATE) in progress."
    assert_heat_error(service.call("PUT", canonical, json={"template": SLOW}), 409, "ActionInProgress", message)
    assert_heat_error(service.call("PATCH", canonical, json={"template": None, "parameters": {}}), 409,
                      "ActionInProgress", message)
    assert_heat_error(service.call("DELETE", canonical), 409, "ActionInProgress", message)
    assert service.wait("busy", stack_id)["stack_status"] == "CREATE_COMPLETE"


def test_unknown_stacks_are_404(service):
    assert_heat_error(service.call("GET", "stacks/nowhere"), 404, "EntityNotFound", "nowhere")
    assert_heat_error(service.call("GET", "stacks/nowhere/0b5c6a6c-0d3e-4f7e-9a57-1f2b3c4d5e6f"), 404,
                      "EntityNotFound")


def test_a_canonical_url_with_the_wrong_name_is_404(service, alpha_stack):
    _, stack_id = alpha_stack
    assert_heat_error(service.call("GET", f"stacks/other-name/{stack_id}"), 404, "EntityNotFound")


# -- previews -----------------------------------------------------------------------------------

def test_preview_create_shows_the_resources_and_stores_nothing(service):
    template = {"heat_template_version": "2021-04-16",
                "resources": {"first": {"type": "OS::Heat::Value", "properties": {"value": "one"}},
                              "second": {"type": "OS::Heat::RandomString", "depends_on": ["first"]}}}
    response = service.call("POST", "stacks/preview", json={"stack_name": "previewed", "template": template})
    assert response.status_code == 200, response.text
    stack = response.json()["stack"]
    assert stack["stack_name"] == "previewed"
    resources = {r["resource_name"]: r for r in stack["resources"]}
    assert resources["first"]["resource_type"] == "OS::Heat::Value"
    assert resources["first"]["properties"] == {"value": "one"}
    assert resources["first"]["required_by"] == ["second"]
    assert_heat_error(service.call("GET", "stacks/previewed"), 404)


def test_preview_update_puts_each_resource_in_its_list(service):
    old = {"heat_template_version": "2021-04-16",
           "resources": {"kept": {"type": "OS::Heat::Value", "properties": {"value": "same"}},
                         "changed": {"type": "OS::Heat::TestResource", "properties": {"value": "old"}},
                         "swapped": {"type": "OS::Heat::Value", "properties": {"value": "x"}},
                         "dropped": {"type": "OS::Heat::Value", "properties": {"value": "gone"}}}}
    new = {"heat_template_version": "2021-04-16",
           "resources": {"kept": {"type": "OS::Heat::Value", "properties": {"value": "same"}},
                         "changed": {"type": "OS::Heat::TestResource", "properties": {"value": "new"}},
                         "swapped": {"type": "OS::Heat::RandomString"},
                         "fresh": {"type": "OS::Heat::RandomString"}}}
    stack_id = service.create("to-preview", old)
    service.wait("to-preview", stack_id)
    response = service.call("PUT", f"stacks/to-preview/{stack_id}/preview", json={"template": new})
    assert response.status_code == 200, response.text
    changes = response.json()["resource_changes"]
    assert {kind: [r["resource_name"] for r in entries] for kind, entries in changes.items()} == {
        "added": ["fresh"], "deleted": ["dropped"], "replaced": ["swapped"], "unchanged": ["kept"],
        "updated": ["changed"]}
    fresh, swapped = changes["added"][0], changes["replaced"][0]
    assert (fresh["resource_type"], fresh["resource_action"], fresh["resource_status"]) == (
        "OS::Heat::RandomString", "INIT", "COMPLETE")
    assert swapped["resource_type"] == "OS::Heat::RandomString", "what will be made, from the new template"
    kept = changes["unchanged"][0]
    assert (kept["resource_type"], kept["resource_action"], kept["resource_status"]) == (
        "OS::Heat::Value", "CREATE", "COMPLETE")
    assert kept["physical_resource_id"] and kept["stack_name"] == "to-preview"
    assert kept["resource_identity"] == {"tenant": "alpha", "stack_name": "to-preview", "stack_id": stack_id,
                                         "path": "/resources/kept"}
    assert service.wait("to-preview", stack_id)["stack_status"] == "CREATE_COMPLETE", "a preview changes nothing"


def test_preview_patch_with_heatclients_body(service):
    stack_id = service.create("to-preview-patch", VALUE)
    service.wait("to-preview-patch", stack_id)
    body = {"parameters": {"word": "other"}, "template": None, "files": {}, "environment": {}}
    response = service.call("PATCH", f"stacks/to-preview-patch/{stack_id}/preview", json=body)
    assert response.status_code == 200, response.text
    changes = response.json()["resource_changes"]
    assert [r["resource_name"] for r in changes["updated"]] == ["said"]
    assert changes["added"] == changes["deleted"] == changes["replaced"] == changes["unchanged"] == []
    assert outputs(service, "to-preview-patch", stack_id) == {"said": "hello"}


# -- by-name and by-id lookups ------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_the_name_and_the_id_redirect_for_every_method(service, alpha_stack, method):
    name, stack_id = alpha_stack
    for key in (name, stack_id):
        response = service.call(method, f"stacks/{key}", json={} if method in ("PUT", "PATCH", "POST") else None)
        assert response.status_code == 302, (method, key, response.text)
        assert response.headers["Location"] == f"{service.endpoint()}/stacks/{name}/{stack_id}"


@pytest.mark.parametrize("subpath", SUBPATHS)
def test_sub_paths_and_queries_are_kept_for_every_method(service, alpha_stack, subpath):
    name, stack_id = alpha_stack
    for method in METHODS:
        for key in (name, stack_id):
            response = service.call(method, f"stacks/{key}/{subpath}?sort_dir=asc&limit=1")
            assert response.status_code == 302, (method, subpath, response.text)
            assert response.headers["Location"] == (
                f"{service.endpoint()}/stacks/{name}/{stack_id}/{subpath}?sort_dir=asc&limit=1")


@pytest.mark.parametrize("deeper", ["outputs/said", "resources/said/events", "snapshots/abc/restore"])
def test_deeper_paths_are_kept(service, alpha_stack, deeper):
    name, stack_id = alpha_stack
    response = service.call("GET", f"stacks/{name}/{deeper}?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{service.endpoint()}/stacks/{name}/{stack_id}/{deeper}?x=1"
    assert response.headers["Location"].startswith("http://127.0.0.1:"), "absolute"


def test_following_a_redirect_reaches_the_stack(service, alpha_stack):
    name, stack_id = alpha_stack
    response = requests.get(f"{service.endpoint()}/stacks/{name}/outputs/said", headers=service.headers(),
                            timeout=30)
    assert response.status_code == 200 and response.json()["output"]["output_value"] == "mine"


# -- limits ------------------------------------------------------------------------------------

def test_stacks_per_project_limit_spares_admins(service):
    count = service.call("GET", "stacks?with_count=true").json()["count"]
    with api_limits(service, max_stacks_per_project=count):
        refused = service.call("POST", "stacks", json={"stack_name": "one-too-many", "template": VALUE})
        assert_heat_error(refused, 400, "RequestLimitExceeded",
                          f"You have reached the maximum stacks per tenant, {count}.")
        admin = service.call("POST", "stacks", json={"stack_name": "admins-may", "template": VALUE}, who="admin")
        assert admin.status_code == 201, admin.text
        other = service.call("POST", "stacks", json={"stack_name": "beta-counts-alone", "template": VALUE},
                             who="beta")
        assert other.status_code == 201, "the limit counts each project's own stacks"


def test_a_request_body_over_the_limit_is_413_with_heats_body(service):
    too_big = json.dumps({"stack_name": "huge", "template": VALUE, "files": {"blob": "x" * (1024 * 1024)}})
    for path in ("stacks", "validate", "stacks/preview"):
        response = service.call("POST", path, data=too_big)
        assert_heat_error(response, 413, "RequestLimitExceeded", "exceeds maximum allowed size (1048576 bytes)")
    configured = service.app.config["MAX_CONTENT_LENGTH"]
    with api_limits(service, max_request_bytes=10_000):
        service.app.config["MAX_CONTENT_LENGTH"] = 10_000  # what create_app sets from the same setting
        try:
            response = service.call("POST", "stacks", json={"stack_name": "big", "template": VALUE,
                                                            "files": {"blob": "x" * 20_000}})
        finally:
            service.app.config["MAX_CONTENT_LENGTH"] = configured
    assert_heat_error(response, 413, "RequestLimitExceeded", "exceeds maximum allowed size (10000 bytes)")


@pytest.mark.parametrize("as_text", [False, True])
def test_a_template_over_512_kib_is_400_with_a_clear_message(service, alpha_stack, as_text):
    template = dict(VALUE, description="d" * (600 * 1024))
    body = {"stack_name": "too-long", "template": yaml.safe_dump(template) if as_text else template}
    assert_heat_error(service.call("POST", "stacks", json=body), 400, "RequestLimitExceeded",
                      "exceeds maximum allowed size (524288 bytes)")
    name, stack_id = alpha_stack
    update = service.call("PUT", f"stacks/{name}/{stack_id}", json={"template": body["template"]})
    assert_heat_error(update, 400, "RequestLimitExceeded", "Template size (")


def test_resources_per_stack_limit(service):
    three = {"heat_template_version": "2021-04-16",
             "resources": {name: {"type": "OS::Heat::Value", "properties": {"value": name}} for name in "abc"}}
    with engine_limits(service, max_resources_per_stack=2):
        refused = service.call("POST", "stacks", json={"stack_name": "three", "template": three})
        assert_heat_error(refused, 400, "RequestLimitExceeded", "maximum resources per stack, 2")
        # nested stacks count against their root: the child's two resources make three
        child = yaml.safe_dump({"heat_template_version": "2021-04-16",
                                "resources": {n: {"type": "OS::Heat::Value", "properties": {"value": n}}
                                              for n in "xy"}})
        parent = {"heat_template_version": "2021-04-16",
                  "resources": {"inner": {"type": "OS::Heat::Stack", "properties": {"template": child}}}}
        stack_id = service.create("tree-too-big", parent)
        stack = service.wait("tree-too-big", stack_id)
    assert stack["stack_status"] == "CREATE_FAILED"
    assert "Maximum resources per stack exceeded." in stack["stack_status_reason"]


def test_nested_depth_limit(service):
    leaf = {"heat_template_version": "2021-04-16",
            "resources": {"v": {"type": "OS::Heat::Value", "properties": {"value": 1}}}}
    middle = {"heat_template_version": "2021-04-16", "resources": {"n": {"type": "leaf.yaml"}}}
    top = {"heat_template_version": "2021-04-16", "resources": {"n": {"type": "middle.yaml"}}}
    files = {"leaf.yaml": yaml.safe_dump(leaf), "middle.yaml": yaml.safe_dump(middle)}
    inline_middle = {"heat_template_version": "2021-04-16",
                     "resources": {"n": {"type": "OS::Heat::Stack", "properties": {"template": yaml.safe_dump(leaf)}}}}
    inline_top = {"heat_template_version": "2021-04-16",
                  "resources": {"n": {"type": "OS::Heat::Stack",
                                      "properties": {"template": yaml.safe_dump(inline_middle)}}}}
    with engine_limits(service, max_nested_depth=1):
        refused = service.call("POST", "stacks", json={"stack_name": "deep", "template": top, "files": files})
        assert_heat_error(refused, 400, message="Recursion depth exceeds 1.")
        stack_id = service.create("deep-inline", inline_top)
        stack = service.wait("deep-inline", stack_id)
    assert stack["stack_status"] == "CREATE_FAILED"
    assert "Recursion depth exceeds 1." in stack["stack_status_reason"]
    allowed = service.call("POST", "stacks", json={"stack_name": "deep-ok", "template": top, "files": files})
    assert allowed.status_code == 201, "the default depth (5) allows two levels"


def test_old_events_are_purged_beyond_the_limit(service):
    template = {"heat_template_version": "2021-04-16",
                "resources": {name: {"type": "OS::Heat::Value", "properties": {"value": name}} for name in "abcd"}}
    with engine_limits(service, max_events_per_stack=3):
        stack_id = service.create("forgetful", template)
        service.wait("forgetful", stack_id)
        deadline = time.monotonic() + 10
        while True:  # the purge runs just after the operation's final state is stored
            events = service.call("GET", f"stacks/forgetful/{stack_id}/events?sort_dir=asc").json()["events"]
            if len(events) <= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert len(events) == 3
    assert events[-1]["resource_status_reason"] == "Stack CREATE completed successfully", "the newest are kept"


# -- authentication and projects ------------------------------------------------------------------

def test_no_token_is_401_with_heats_body(service):
    response = requests.get(f"{service.endpoint()}/stacks", timeout=30)
    assert_heat_error(response, 401, "HTTPUnauthorized", "requires authentication")


def test_a_bad_token_is_401(service):
    response = requests.get(f"{service.endpoint()}/stacks", headers={"X-Auth-Token": "forged"}, timeout=30)
    assert_heat_error(response, 401, "HTTPUnauthorized", "not valid")


@pytest.mark.parametrize("method, path", [("GET", "stacks"), ("POST", "stacks"), ("GET", "stacks/anything")])
def test_a_project_url_that_is_not_the_tokens_is_403(service, method, path):
    response = service.call(method, path, who="beta", project="alpha", json={} if method == "POST" else None)
    assert_heat_error(response, 403, "Forbidden", "alpha")


def test_an_admin_acts_in_another_projects_url(service):
    stack_id = service.create("beta-own", VALUE, who="beta")
    service.wait("beta-own", stack_id, who="beta")
    shown = service.call("GET", f"stacks/beta-own/{stack_id}", who="admin", project="beta")
    assert shown.status_code == 200 and shown.json()["stack"]["id"] == stack_id
    lookup = service.call("GET", "stacks/beta-own", who="admin", project="beta")
    assert lookup.headers["Location"] == f"{service.endpoint('beta')}/stacks/beta-own/{stack_id}"
    checked = service.call("POST", f"stacks/beta-own/{stack_id}/actions", json={"check": None}, who="admin",
                           project="beta")
    assert checked.status_code == 200, checked.text
    assert service.wait("beta-own", stack_id, who="beta")["stack_status"] == "CHECK_COMPLETE"
    made = service.call("POST", "stacks", json={"stack_name": "made-by-admin", "template": VALUE}, who="admin",
                        project="beta")
    assert made.status_code == 201
    assert made.headers["Location"].startswith(f"{service.endpoint('beta')}/stacks/made-by-admin/")
    assert "made-by-admin" in [s["stack_name"] for s in listed(service, who="beta")]


# -- another project's stack: one assertion per endpoint ----------------------------------------

CROSS_PROJECT = [
    ("GET", "", None),
    ("PUT", "", {"template": VALUE, "parameters": {"word": "stolen"}}),
    ("PATCH", "", {"parameters": {"word": "stolen"}, "template": None, "files": {}, "environment": {}}),
    ("DELETE", "", None),
    ("PUT", "/preview", {"template": VALUE}),
    ("PATCH", "/preview", {"parameters": {"word": "stolen"}, "template": None}),
]


@pytest.mark.parametrize("method, subpath, body", CROSS_PROJECT, ids=[f"{m} {p or '/'}" for m, p, _ in CROSS_PROJECT])
def test_beta_cannot_reach_alphas_stack(service, alpha_stack, method, subpath, body):
    name, stack_id = alpha_stack
    response = service.call(method, f"stacks/{name}/{stack_id}{subpath}", who="beta", json=body)
    assert_heat_error(response, 404, "EntityNotFound")


@pytest.mark.parametrize("key", ["name", "id"])
def test_beta_lookups_do_not_redirect_to_alphas_stack(service, alpha_stack, key):
    name, stack_id = alpha_stack
    response = service.call("GET", f"stacks/{name if key == 'name' else stack_id}/template", who="beta")
    assert_heat_error(response, 404, "EntityNotFound")


def test_beta_does_not_list_alphas_stacks(service, alpha_stack):
    _, stack_id = alpha_stack
    assert stack_id not in [s["id"] for s in listed(service, who="beta")]
    assert stack_id not in [s["id"] for s in listed(service, "?tenant=alpha", who="beta")]


def test_alphas_stack_came_out_untouched(service, alpha_stack):
    name, stack_id = alpha_stack
    stack = service.wait(name, stack_id)
    assert stack["stack_status"] == "CREATE_COMPLETE"
    assert outputs(service, name, stack_id) == {"said": "mine"}
