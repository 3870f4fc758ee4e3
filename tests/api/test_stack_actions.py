"""Stack actions and snapshots over HTTP: suspend, resume, check, cancelling an update; snapshot round trips."""

from __future__ import annotations

import time

import pytest
import requests

from .service import assert_heat_error

TEMPLATE = {"heat_template_version": "2021-04-16",
            "parameters": {"word": {"type": "string", "default": "one"},
                           "secret": {"type": "string", "hidden": True, "default": "hush"}},
            "resources": {"said": {"type": "OS::Heat::TestResource", "properties": {"value": {"get_param": "word"}}}},
            "outputs": {"said": {"value": {"get_attr": ["said", "output"]}}}}



def made(service, name: str, template: dict = TEMPLATE, **body) -> tuple[str, str]:
    stack_id = service.create(name, template, **body)
    assert service.wait(name, stack_id)["stack_status"] == "CREATE_COMPLETE"
    return name, stack_id


def act(service, stack, body, who: str = "alpha") -> requests.Response:
    return service.call("POST", f"stacks/{stack[0]}/{stack[1]}/actions", who, json=body)


def said(service, stack) -> str:
    return service.wait(*stack)["outputs"][0]["output_value"]


def wait_for(service, stack, state: str, who: str = "alpha") -> dict:
    shown = service.wait(*stack, who=who)
    assert shown["stack_status"] == state, (shown["stack_status"], shown["stack_status_reason"])
    return shown


# -- actions -------------------------------------------------------------------------------------

def test_suspend_then_resume(service):
    stack = made(service, "suspended")
    response = act(service, stack, {"suspend": None})
    assert response.status_code == 200, response.text
    wait_for(service, stack, "SUSPEND_COMPLETE")
    resource = service.call("GET", f"stacks/{stack[0]}/{stack[1]}/resources/said").json()["resource"]
    assert resource["resource_status"] == "SUSPEND_COMPLETE"
    assert act(service, stack, {"resume": None}).status_code == 200
    wait_for(service, stack, "RESUME_COMPLETE")


def test_check(service):
    stack = made(service, "checked")
    assert act(service, stack, {"check": None}).status_code == 200
    reason = wait_for(service, stack, "CHECK_COMPLETE")["stack_status_reason"]
    assert reason.startswith("Stack CHECK completed successfully")


def test_resume_of_a_stack_that_is_not_suspended_is_400(service):
    stack = made(service, "not-suspended")
    assert_heat_error(act(service, stack, {"resume": None}), 400, "NotSupported",
                      "Resume of a stack in state CREATE_COMPLETE is not supported.")


@pytest.mark.parametrize("name, body, message", [
    ("empty-action", {}, "No action specified"),
    ("no-action-body", None, "No action specified"),
    ("two-actions", {"suspend": None, "resume": None}, "Multiple actions specified"),
    ("unknown-action", {"explode": None}, "Invalid action explode specified"),
])
def test_exactly_one_known_action(service, name, body, message):
    stack = made(service, name)
    assert_heat_error(act(service, stack, body), 400, "HTTPBadRequest", message)
    assert service.wait(*stack)["stack_status"] == "CREATE_COMPLETE", "nothing was started"


def test_cancel_update_when_nothing_is_updating_is_400(service):
    stack = made(service, "not-updating")
    for action in ("cancel_update", "cancel_without_rollback"):
        assert_heat_error(act(service, stack, {action: None}), 400, "NotSupported",
                          "Cancelling update when stack is CREATE_COMPLETE is not supported.")


def slow_update(service, stack, word: str) -> None:
    slow = {**TEMPLATE, "resources": {"said": {"type": "OS::Heat::TestResource",
                                               "properties": {"value": {"get_param": "word"},
                                                              "action_wait_secs": {"update": 2}}}}}
    response = service.call("PUT", f"stacks/{stack[0]}/{stack[1]}", json={"template": slow,
                                                                          "parameters": {"word": word}})
    assert response.status_code == 202, response.text
    time.sleep(0.3)  # let the update start on the worker


def test_cancel_update_rolls_back(service):
    stack = made(service, "cancelled")
    slow_update(service, stack, "two")
    assert act(service, stack, {"cancel_update": None}).status_code == 200
    wait_for(service, stack, "ROLLBACK_COMPLETE")
    assert said(service, stack) == "one"


def test_cancel_without_rollback_leaves_the_update_failed(service):
    stack = made(service, "cancelled-no-rollback")
    slow_update(service, stack, "two")
    assert act(service, stack, {"cancel_without_rollback": None}).status_code == 200
    assert wait_for(service, stack, "UPDATE_FAILED")["stack_status_reason"] == "Stack UPDATE cancelled"


def test_an_action_on_a_busy_stack_is_409(service):
    slow = {"heat_template_version": "2021-04-16",
            "resources": {"slow": {"type": "OS::Heat::TestResource", "properties": {"action_wait_secs": {"create": 3}}}}}
    stack = ("busy-actions", service.create("busy-actions", slow))
    for action in ("suspend", "resume", "check"):
        assert_heat_error(act(service, stack, {action: None}), 409, "ActionInProgress",
                          "Stack busy-actions already has an action (CREATE) in progress.")
    wait_for(service, stack, "CREATE_COMPLETE")


# -- snapshots -----------------------------------------------------------------------------------

def snapshots_url(stack) -> str:
    return f"stacks/{stack[0]}/{stack[1]}/snapshots"


def take_snapshot(service, stack, name: str | None) -> dict:
    response = service.call("POST", snapshots_url(stack), json={"name": name} if name else {})
    assert response.status_code == 200, response.text
    snapshot = response.json()
    wait_for(service, stack, "SNAPSHOT_COMPLETE")
    return snapshot


def test_snapshot_round_trip(service):
    stack = made(service, "snapped", parameters={"secret": "very"})
    response = service.call("POST", snapshots_url(stack), json={"name": "first"})
    assert response.status_code == 200, response.text
    created = response.json()  # as Heat: the snapshot itself (``openstack stack snapshot create`` reads it so)
    assert set(created) >= {"id", "name", "stack_id", "data", "action", "status", "status_reason", "creation_time"}
    assert (created["name"], created["stack_id"], created["action"]) == ("first", stack[1], "SNAPSHOT")
    assert created["status"] in ("IN_PROGRESS", "COMPLETE")
    wait_for(service, stack, "SNAPSHOT_COMPLETE")

    listed = service.call("GET", snapshots_url(stack)).json()["snapshots"]
    assert [(s["id"], s["status"]) for s in listed] == [(created["id"], "COMPLETE")]
    shown = service.call("GET", f"{snapshots_url(stack)}/{created['id']}").json()["snapshot"]
    assert shown["id"] == created["id"] and shown["status"] == "COMPLETE" and shown["creation_time"]
    assert shown["data"]["parameters"]["secret"] == "******"

    # change the stack, then restore it to the snapshot
    response = service.call("PUT", f"stacks/{stack[0]}/{stack[1]}", json={"template": TEMPLATE,
                                                                          "parameters": {"word": "changed"}})
    assert response.status_code == 202
    wait_for(service, stack, "UPDATE_COMPLETE")
    assert said(service, stack) == "changed"
    restore = service.call("POST", f"{snapshots_url(stack)}/{created['id']}/restore")
    assert restore.status_code == 202, restore.text
    wait_for(service, stack, "RESTORE_COMPLETE")
    assert said(service, stack) == "one"

    deleted = service.call("DELETE", f"{snapshots_url(stack)}/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert service.call("GET", snapshots_url(stack)).json()["snapshots"] == []
    assert_heat_error(service.call("GET", f"{snapshots_url(stack)}/{created['id']}"), 404, "EntityNotFound",
                      f"The Snapshot ({created['id']}) for Stack (snapped) could not be found.")


def test_snapshots_are_listed_oldest_first_and_a_name_is_optional(service):
    stack = made(service, "snapped-twice")
    first = take_snapshot(service, stack, "a")
    second = take_snapshot(service, stack, None)
    listed = service.call("GET", snapshots_url(stack)).json()["snapshots"]
    assert [s["id"] for s in listed] == [first["id"], second["id"]]
    assert listed[1]["name"] is None


@pytest.mark.parametrize("method, suffix", [("GET", ""), ("DELETE", ""), ("POST", "/restore")])
def test_an_unknown_snapshot_is_404(service, method, suffix):
    stack = made(service, f"no-snapshot-{method.lower()}")
    response = service.call(method, f"{snapshots_url(stack)}/0b5c6a6c-0d3e-4f7e-9a57-1f2b3c4d5e6f{suffix}")
    assert_heat_error(response, 404, "EntityNotFound", "could not be found")


def test_a_snapshot_of_another_stack_is_404(service):
    owner = made(service, "snapshot-owner")
    snapshot = take_snapshot(service, owner, "owned")
    other = made(service, "snapshot-stranger")
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/restore")):
        response = service.call(method, f"{snapshots_url(other)}/{snapshot['id']}{suffix}")
        assert_heat_error(response, 404, "EntityNotFound")
    assert service.call("GET", f"{snapshots_url(owner)}/{snapshot['id']}").status_code == 200


def test_a_snapshot_of_a_busy_stack_is_409(service):
    slow = {"heat_template_version": "2021-04-16",
            "resources": {"slow": {"type": "OS::Heat::TestResource", "properties": {"action_wait_secs": {"create": 3}}}}}
    stack = ("busy-snapshot", service.create("busy-snapshot", slow))
    assert_heat_error(service.call("POST", snapshots_url(stack), json={"name": "now"}), 409, "ActionInProgress",
                      "already has an action (CREATE) in progress")
    wait_for(service, stack, "CREATE_COMPLETE")
    assert service.call("GET", snapshots_url(stack)).json()["snapshots"] == []


def test_a_snapshot_cannot_be_deleted_while_the_stack_restores_it(service):
    slow = {**TEMPLATE, "resources": {"said": {"type": "OS::Heat::TestResource",
                                               "properties": {"value": {"get_param": "word"},
                                                              "action_wait_secs": {"update": 2}}}}}
    stack = made(service, "restoring", slow)
    snapshot = take_snapshot(service, stack, "base")
    assert service.call("PUT", f"stacks/{stack[0]}/{stack[1]}",
                        json={"template": slow, "parameters": {"word": "two"}}).status_code == 202
    wait_for(service, stack, "UPDATE_COMPLETE")
    assert service.call("POST", f"{snapshots_url(stack)}/{snapshot['id']}/restore").status_code == 202
    assert_heat_error(service.call("DELETE", f"{snapshots_url(stack)}/{snapshot['id']}"), 409, "ActionInProgress",
                      "already has an action (RESTORE) in progress")
    wait_for(service, stack, "RESTORE_COMPLETE")
    assert said(service, stack) == "one"


# -- another project's stack: one assertion per endpoint ----------------------------------------

@pytest.fixture(scope="module")
def alpha_stack(service):
    stack = made(service, "alpha-actions")
    snapshot = take_snapshot(service, stack, "alphas")
    return stack, snapshot["id"]


CROSS_PROJECT = [
    ("POST", "actions", {"suspend": None}),
    ("POST", "actions", {"resume": None}),
    ("POST", "actions", {"check": None}),
    ("POST", "actions", {"cancel_update": None}),
    ("POST", "actions", {"cancel_without_rollback": None}),
    ("POST", "snapshots", {"name": "stolen"}),
    ("GET", "snapshots", None),
    ("GET", "snapshots/{snapshot}", None),
    ("DELETE", "snapshots/{snapshot}", None),
    ("POST", "snapshots/{snapshot}/restore", None),
]


@pytest.mark.parametrize("method, subpath, body", CROSS_PROJECT,
                         ids=[f"{m} {p} {next(iter(b or {'': 0}))}" for m, p, b in CROSS_PROJECT])
def test_beta_cannot_act_on_alphas_stack(service, alpha_stack, method, subpath, body):
    (name, stack_id), snapshot_id = alpha_stack
    path = f"stacks/{name}/{stack_id}/{subpath.format(snapshot=snapshot_id)}"
    assert_heat_error(service.call(method, path, who="beta", json=body), 404, "EntityNotFound")


@pytest.mark.parametrize("method, subpath, body", CROSS_PROJECT,
                         ids=[f"{m} {p} {next(iter(b or {'': 0}))}" for m, p, b in CROSS_PROJECT])
def test_beta_cannot_use_alphas_project_url(service, alpha_stack, method, subpath, body):
    (name, stack_id), snapshot_id = alpha_stack
    path = f"stacks/{name}/{stack_id}/{subpath.format(snapshot=snapshot_id)}"
    assert_heat_error(service.call(method, path, who="beta", project="alpha", json=body), 403, "Forbidden")


def test_alphas_stack_and_snapshot_survived_beta(service, alpha_stack):
    stack, snapshot_id = alpha_stack
    assert wait_for(service, stack, "SNAPSHOT_COMPLETE")
    assert [s["id"] for s in service.call("GET", snapshots_url(stack)).json()["snapshots"]] == [snapshot_id]


def test_an_admin_acts_on_another_projects_stack(service):
    stack_id = service.create("beta-acted", TEMPLATE, who="beta")
    stack = ("beta-acted", stack_id)
    wait_for(service, stack, "CREATE_COMPLETE", who="beta")
    response = service.call("POST", f"stacks/beta-acted/{stack_id}/snapshots", json={"name": "by-admin"},
                            who="admin", project="beta")
    assert response.status_code == 200, response.text
    wait_for(service, stack, "SNAPSHOT_COMPLETE", who="beta")
    listed = service.call("GET", f"stacks/beta-acted/{stack_id}/snapshots", who="beta").json()["snapshots"]
    assert [s["name"] for s in listed] == ["by-admin"]
