"""Updating stacks: unchanged, in place, replaced, added, removed; restrictions; rollback."""

from __future__ import annotations

import pytest

from orchestrator.engine.requests import StackRequest
from orchestrator.template.errors import TemplateError

BASE = """
heat_template_version: 2018-08-31
parameters:
  value: {type: string, default: one}
resources:
  kept:
    type: OS::Heat::TestResource
    properties: {value: kept}
  changing:
    type: OS::Heat::TestResource
    properties: {value: {get_param: value}}
  user:
    type: OS::Heat::TestResource
    properties: {value: {get_attr: [changing, output]}}
"""


def physical_ids(harness, stack_id):
    return {name: row.physical_id for name, row in harness.resources(stack_id).items()}


def test_in_place_update_keeps_the_resource_and_updates_dependants(harness):
    stack_id = harness.create(BASE)
    before = physical_ids(harness, stack_id)
    harness.update(stack_id, BASE, parameters={"value": "two"})
    row = harness.stack(stack_id)
    assert (row.action, row.status, row.status_reason) == ("UPDATE", "COMPLETE", "Stack UPDATE completed successfully")
    resources = harness.resources(stack_id)
    assert physical_ids(harness, stack_id) == before
    assert resources["changing"].data["value"] == "two"
    assert resources["user"].data["value"] == "two", "the dependant read the new attribute"
    assert harness.resource_states(stack_id) == {
        "kept": "CREATE_COMPLETE", "changing": "UPDATE_COMPLETE", "user": "UPDATE_COMPLETE"}


def test_replacement_creates_the_new_resource_before_deleting_the_old(harness):
    stack_id = harness.create(BASE)
    before = physical_ids(harness, stack_id)
    replacing = BASE.replace("properties: {value: {get_param: value}}",
                             "properties: {value: {get_param: value}, update_replace: true}")
    harness.update(stack_id, replacing, parameters={"value": "two"})
    row = harness.stack(stack_id)
    assert row.status == "COMPLETE", row.status_reason
    after = physical_ids(harness, stack_id)
    assert after["changing"] != before["changing"]
    assert after["kept"] == before["kept"]
    events = [(name, state) for name, state, _ in harness.events(stack_id) if name == "changing"]
    # create (old), then the replacement's create, then the old one's delete
    assert events[2:] == [("changing", "CREATE_IN_PROGRESS"), ("changing", "CREATE_COMPLETE"),
                          ("changing", "DELETE_IN_PROGRESS"), ("changing", "DELETE_COMPLETE")]
    assert list(harness.resources(stack_id)) == ["kept", "user", "changing"]


def test_added_and_removed_resources(harness):
    stack_id = harness.create(BASE)
    changed = BASE.replace("  kept:\n    type: OS::Heat::TestResource\n    properties: {value: kept}\n",
                           "  added:\n    type: OS::Heat::None\n")
    harness.update(stack_id, changed)
    row = harness.stack(stack_id)
    assert row.status == "COMPLETE", row.status_reason
    assert set(harness.resources(stack_id)) == {"added", "changing", "user"}
    assert harness.resource_states(stack_id)["added"] == "CREATE_COMPLETE"
    assert ("kept", "DELETE_COMPLETE", "state changed") in harness.events(stack_id)


def test_a_failed_update_rolls_back_when_asked(harness):
    stack_id = harness.create(BASE, disable_rollback=False)
    failing = BASE.replace("properties: {value: kept}", "properties: {value: kept, fail: true, update_replace: true}")
    harness.update(stack_id, failing)
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("ROLLBACK", "COMPLETE"), row.status_reason
    assert ("stack", "UPDATE_FAILED") in [(n, s) for n, s, _ in harness.events(stack_id)]
    assert harness.resources(stack_id)["kept"].data["value"] == "kept"
    assert all(state.endswith("COMPLETE") for state in harness.resource_states(stack_id).values())


def test_a_failed_update_without_rollback_stays_failed(harness):
    stack_id = harness.create(BASE)
    failing = BASE.replace("properties: {value: kept}", "properties: {value: other, fail: true}")
    harness.update(stack_id, failing)
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("UPDATE", "FAILED")
    assert row.status_reason.startswith("Resource UPDATE failed: ResourceFailure: resources.kept:")


def test_patch_keeps_template_and_parameters(harness):
    stack_id = harness.create(BASE, parameters={"value": "given"})
    job = harness.engine.update_stack(stack_id, StackRequest(name="stack", template=None), existing=True)
    harness.run(job)
    assert harness.state(stack_id) == "UPDATE_COMPLETE"
    assert harness.resources(stack_id)["changing"].data["value"] == "given"
    job = harness.engine.update_stack(stack_id, StackRequest(name="stack", template=None), existing=True,
                                      clear_parameters=("value",))
    harness.run(job)
    assert harness.resources(stack_id)["changing"].data["value"] == "one"


def test_immutable_parameters_may_not_change(harness):
    template = BASE.replace("value: {type: string, default: one}", "value: {type: string, default: one, immutable: true}")
    stack_id = harness.create(template)
    with pytest.raises(TemplateError, match="The following parameters are immutable and may not be updated: value"):
        harness.engine.update_stack(stack_id, harness.request(template, parameters={"value": "two"}))
    assert harness.state(stack_id) == "CREATE_COMPLETE"


@pytest.mark.parametrize("restricted, change, reason", [
    ("update", "properties: {value: kept2}", "update is restricted for resource."),
    ("replace", "properties: {value: kept, update_replace: true}", "replace is restricted for resource."),
])
def test_restricted_actions(harness, restricted, change, reason):
    environment = {"resource_registry": {"resources": {"kept": {"restricted_actions": restricted}}}}
    stack_id = harness.create(BASE, environment=environment)
    harness.update(stack_id, BASE.replace("properties: {value: kept}", change), environment=environment)
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("UPDATE", "FAILED")
    assert row.status_reason == f"Resource UPDATE failed: NotSupported: resources.kept: {reason}"


def test_an_unchanged_stack_updates_nothing(harness):
    stack_id = harness.create(BASE)
    count = len(harness.events(stack_id))
    harness.update(stack_id, BASE)
    row = harness.stack(stack_id)
    assert row.status == "COMPLETE"
    assert [e[0] for e in harness.events(stack_id)[count:]] == ["stack", "stack"]
