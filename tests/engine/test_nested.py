"""Nested stacks: provider templates, OS::Heat::Stack, their rows, limits, failures, updates, hooks and resumes."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import update

from orchestrator.db.models import Resource, Stack
from orchestrator.template.errors import TemplateError

from .harness import CHILD

PARENT = """
heat_template_version: 2018-08-31
resources:
  member:
    type: child.yaml
    properties: {value: hello}
  reader:
    type: OS::Heat::TestResource
    properties: {value: {get_attr: [member, out]}}
outputs:
  copied: {value: {get_attr: [member, out]}}
"""


def test_a_provider_template_in_the_files_map_is_a_nested_stack(harness):
    stack_id = harness.create(PARENT, name="outer", files={"child.yaml": CHILD})
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    member = harness.resources(stack_id)["member"]
    child = harness.children(stack_id)["member"]
    assert member.physical_id == child.id == member.nested_stack_id
    assert (child.owner_id, child.root_id, child.nested_depth, child.parent_resource) == (
        stack_id, stack_id, 1, "member")
    assert child.name.startswith("outer-member-") and child.parameters == {"value": "hello"}
    assert harness.state(child.id) == "CREATE_COMPLETE"
    assert harness.resource_states(child.id) == {"inner": "CREATE_COMPLETE"}
    assert harness.resources(child.id)["inner"].data["value"] == "hello!", "properties became parameters"
    # Outputs are attributes, read by another resource and by an output of the parent.
    assert harness.resources(stack_id)["reader"].data["value"] == "hello!"
    assert harness.output(stack_id, "copied") == "hello!"
    assert harness.output(child.id, "name") == child.name
    # The child's events are its own.
    assert ("inner", "CREATE_COMPLETE", "state changed") in harness.events(child.id)
    assert all(name != "inner" for name, _, _ in harness.events(stack_id))


def test_a_registry_mapping_makes_a_type_a_provider_template(harness):
    template = """
    heat_template_version: 2018-08-31
    resources:
      member:
        type: My::Child
        properties: {value: mapped, suffix: "?"}
    outputs:
      copied: {value: {get_attr: [member, out]}}
    """
    environment = {"resource_registry": {"My::Child": "child.yaml"}}
    stack_id = harness.create(template, files={"child.yaml": CHILD}, environment=environment)
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    assert harness.resources(stack_id)["member"].type == "My::Child", "the row keeps the type as written"
    assert harness.output(stack_id, "copied") == "mapped?"


def test_a_template_resource_whose_template_maps_the_type_it_implements_uses_the_plugin(harness):
    # The mapping that chose the template is dropped in the child, so the template can wrap the type.
    wrapper = """
    heat_template_version: 2018-08-31
    parameters:
      value: {type: string}
    resources:
      real: {type: OS::Heat::TestResource, properties: {value: {get_param: value}}}
    outputs:
      output: {value: {get_attr: [real, output]}}
      OS::stack_id: {value: {get_resource: real}}
    """
    template = """
    heat_template_version: 2018-08-31
    resources:
      wrapped: {type: OS::Heat::TestResource, properties: {value: inside}}
    outputs:
      ref: {value: {get_resource: wrapped}}
    """
    environment = {"resource_registry": {"OS::Heat::TestResource": "wrapper.yaml"}}
    stack_id = harness.create(template, files={"wrapper.yaml": wrapper}, environment=environment)
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.stack(stack_id).status_reason
    child = harness.children(stack_id)["wrapped"]
    real = harness.resources(child.id)["real"]
    assert real.data["value"] == "inside"
    # get_resource gives the template's OS::stack_id output, not the nested stack's id.
    assert harness.output(stack_id, "ref") == real.physical_id != child.id


def test_properties_are_checked_against_the_templates_parameters_on_request(harness):
    template = """
    heat_template_version: 2018-08-31
    resources:
      member:
        type: child.yaml
        properties: {valeu: typo}
    """
    with pytest.raises(TemplateError) as failure:
        harness.engine.create_stack(harness.request(template, files={"child.yaml": CHILD}))
    messages = [problem.message for problem in failure.value.problems]
    assert any(message.startswith("Unknown Property valeu") for message in messages)
    assert "Property value not assigned" in messages


def test_a_recursive_template_is_refused_at_the_nesting_limit(harness):
    recursive = """
    heat_template_version: 2018-08-31
    resources:
      again: {type: self.yaml}
    """
    with pytest.raises(TemplateError) as failure:
        harness.engine.create_stack(harness.request(recursive, files={"self.yaml": recursive}))
    assert "Recursion depth exceeds 5." in [problem.message for problem in failure.value.problems]


def test_the_nesting_limit_holds_at_run_time(harness_with):
    harness = harness_with(max_nested_depth=1)
    # The group's nested stack is depth 1; its members' stacks would be depth 2.
    template = """
    heat_template_version: 2018-08-31
    resources:
      group:
        type: OS::Heat::ResourceGroup
        properties:
          count: 1
          resource_def: {type: child.yaml, properties: {value: deep}}
    """
    stack_id = harness.create(template, files={"child.yaml": CHILD})
    assert harness.state(stack_id) == "CREATE_FAILED"
    group = harness.children(stack_id)["group"]
    assert harness.resources(group.id)["0"].status_reason == (
        "RequestLimitExceeded: resources.0: Recursion depth exceeds 1.")
    assert "Recursion depth exceeds 1." in harness.stack(stack_id).status_reason


def test_the_resource_limit_counts_the_whole_tree(harness_with):
    harness = harness_with(max_resources_per_stack=4)
    template = """
    heat_template_version: 2018-08-31
    resources:
      group:
        type: OS::Heat::ResourceGroup
        properties:
          count: 2
          resource_def: {type: child.yaml, properties: {value: x}}
    """
    # 1 group + 2 members + 2 inner resources = 5 resources in the tree.
    stack_id = harness.create(template, files={"child.yaml": CHILD})
    assert harness.state(stack_id) == "CREATE_FAILED"
    assert "Maximum resources per stack exceeded." in harness.stack(stack_id).status_reason


def test_a_failing_child_fails_the_parent_resource_with_its_reason(harness):
    failing = """
    heat_template_version: 2018-08-31
    resources:
      broken: {type: OS::Heat::TestResource, properties: {fail: true}}
    """
    stack_id = harness.create("""
        heat_template_version: 2018-08-31
        resources:
          member: {type: failing.yaml}
          after: {type: OS::Heat::TestResource, depends_on: member}
        """, files={"failing.yaml": failing})
    assert harness.state(stack_id) == "CREATE_FAILED"
    member = harness.resources(stack_id)["member"]
    assert member.status == "FAILED"
    assert member.status_reason == (
        "ResourceFailure: resources.member: Nested stack CREATE failed: Resource CREATE failed: "
        "ResourceFailure: resources.broken: Test Resource failed broken")
    assert harness.state(member.physical_id) == "CREATE_FAILED"
    assert harness.resource_states(stack_id)["after"] == "INIT_COMPLETE"


def test_deleting_the_parent_deletes_the_child(harness):
    stack_id = harness.create(PARENT, files={"child.yaml": CHILD})
    child_id = harness.resources(stack_id)["member"].physical_id
    assert harness.delete(stack_id)
    assert harness.state(child_id) == "DELETE_COMPLETE"
    assert harness.stack(child_id).deleted_at is not None
    assert harness.resource_states(child_id) == {"inner": "DELETE_COMPLETE"}


def test_a_property_change_updates_the_child_in_place(harness):
    stack_id = harness.create(PARENT, files={"child.yaml": CHILD})
    member = harness.resources(stack_id)["member"]
    inner = harness.resources(member.physical_id)["inner"]
    changed = PARENT.replace("value: hello", "value: changed")
    assert harness.update(stack_id, changed, files={"child.yaml": CHILD}), harness.stack(stack_id).status_reason
    after = harness.resources(stack_id)["member"]
    assert after.physical_id == member.physical_id and after.id == member.id, "the same child stack"
    assert harness.state(member.physical_id) == "UPDATE_COMPLETE"
    updated = harness.resources(member.physical_id)["inner"]
    assert (updated.id, updated.physical_id) == (inner.id, inner.physical_id), "updated in place"
    assert updated.data["value"] == "changed!"
    assert harness.resources(stack_id)["reader"].data["value"] == "changed!", "dependants read the new output"
    assert harness.output(stack_id, "copied") == "changed!"


def test_a_hook_inside_a_child_pauses_it_until_cleared_there(harness):
    environment = {"resource_registry": {"resources": {"member": {"inner": {"hooks": "pre-create"}}}}}
    job = harness.engine.create_stack(harness.request(PARENT, files={"child.yaml": CHILD},
                                                      environment=environment))
    runner = harness.start(job)
    try:
        harness.wait_for(lambda: harness.resources(job.stack_id)["member"].physical_id is not None, "the child")
        child_id = harness.resources(job.stack_id)["member"].physical_id
        harness.wait_for(lambda: harness.resources(child_id)["inner"].hook == "pre-create", "the hook")
        time.sleep(0.1)
        assert harness.resource_states(child_id) == {"inner": "INIT_COMPLETE"}
        assert harness.state(job.stack_id) == "CREATE_IN_PROGRESS"
        harness.engine.signal(child_id, "inner", {"unset_hook": "pre-create"})
    finally:
        runner.join(timeout=10)
    assert harness.state(job.stack_id) == "CREATE_COMPLETE"
    assert [reason for _, _, reason in harness.events(child_id, "inner")][:2] == [
        "CREATE paused until Hook pre-create is cleared", "Hook pre-create is cleared"]


def test_an_interrupted_child_is_resumed(harness):
    stack_id = harness.create(PARENT, files={"child.yaml": CHILD})
    member = harness.resources(stack_id)["member"]
    child_id = member.physical_id
    # As a crash would leave it: the child stored but its resource never created, and the
    # parent resource's physical id not yet stored (the child is found through nested_stack_id).
    with harness.database.engine.begin() as connection:
        connection.execute(update(Stack).where(Stack.id.in_([stack_id, child_id]))
                           .values(action="CREATE", status="IN_PROGRESS"))
        connection.execute(update(Resource).where(Resource.id == member.id)
                           .values(action="CREATE", status="IN_PROGRESS", physical_id=None, attributes={}))
        connection.execute(update(Resource).where(Resource.stack_id.in_([stack_id, child_id]),
                                                  Resource.name.in_(["inner", "reader"]))
                           .values(action="INIT", status="COMPLETE", physical_id=None, data={}, attributes={}))
    assert harness.engine.recover() == [(stack_id, "CREATE_COMPLETE")]
    assert harness.resources(stack_id)["member"].physical_id == child_id, "the same child carried on"
    assert list(harness.children(stack_id)) == ["member"]
    assert harness.state(child_id) == "CREATE_COMPLETE"
    assert harness.resources(child_id)["inner"].data["value"] == "hello!"
    assert harness.resources(stack_id)["reader"].data["value"] == "hello!"


def test_resource_facade_reads_the_parent_resource(harness):
    facade = """
    heat_template_version: 2018-08-31
    resources:
      inner:
        type: OS::Heat::TestResource
        properties: {value: {resource_facade: deletion_policy}}
      meta:
        type: OS::Heat::Value
        properties: {value: {resource_facade: metadata}}
    outputs:
      role: {value: {get_attr: [meta, value, role]}}
    """
    stack_id = harness.create("""
        heat_template_version: 2018-08-31
        resources:
          member:
            type: facade.yaml
            deletion_policy: Retain
            metadata: {role: web}
        outputs:
          role: {value: {get_attr: [member, role]}}
        """, files={"facade.yaml": facade})
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.stack(stack_id).status_reason
    child_id = harness.resources(stack_id)["member"].physical_id
    assert harness.resources(child_id)["inner"].data["value"] == "Retain"
    assert harness.output(stack_id, "role") == "web"


def test_os_heat_stack_is_a_local_nested_stack(harness):
    template = {
        "heat_template_version": "2018-08-31",
        "resources": {
            "nested": {"type": "OS::Heat::Stack", "properties": {
                "template": CHILD, "parameters": {"value": "inline"}, "timeout": 5}},
            "reader": {"type": "OS::Heat::TestResource",
                       "properties": {"value": {"get_attr": ["nested", "outputs", "out"]}}},
        },
        "outputs": {"all": {"value": {"get_attr": ["nested", "outputs"]}},
                    "name": {"value": {"get_attr": ["nested", "stack_name"]}}},
    }
    stack_id = harness.create(template, name="host")
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.stack(stack_id).status_reason
    child = harness.children(stack_id)["nested"]
    assert (child.timeout_mins, child.nested_depth) == (5, 1)
    assert harness.resources(stack_id)["reader"].data["value"] == "inline!"
    assert harness.output(stack_id, "all") == {"out": "inline!", "name": child.name}
    assert harness.output(stack_id, "name") == child.name
    # Suspend, resume and check reach the child.
    for action in ("SUSPEND", "RESUME", "CHECK"):
        assert harness.run(harness.engine.stack_action(stack_id, action)), harness.stack(stack_id).status_reason
        assert harness.state(child.id) == f"{action}_COMPLETE"
    assert harness.delete(stack_id) and harness.state(child.id) == "DELETE_COMPLETE"


def test_os_heat_stack_refuses_a_remote_region_when_creating(harness):
    """The template is valid (regions are a fact of the deployment); creating it fails clearly."""
    template = {"heat_template_version": "2018-08-31", "resources": {"remote": {
        "type": "OS::Heat::Stack",
        "properties": {"template": CHILD, "context": {"region_name": "RegionTwo"}}}}}
    stack_id = harness.create(template)
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("CREATE", "FAILED")
    assert "Cannot create a stack in region RegionTwo: remote stacks are not supported" in row.status_reason


def test_a_too_deep_provider_template_fails_at_request_time_with_a_lower_limit(harness_with):
    harness = harness_with(max_nested_depth=1)
    outer = """
    heat_template_version: 2018-08-31
    resources:
      deeper: {type: child.yaml, properties: {value: x}}
    """
    with pytest.raises(TemplateError, match="Recursion depth exceeds 1."):
        harness.engine.create_stack(harness.request("""
            heat_template_version: 2018-08-31
            resources:
              top: {type: outer.yaml}
            """, files={"outer.yaml": outer, "child.yaml": CHILD}))


def test_properties_known_only_at_run_time_are_checked_when_the_child_is_made(harness):
    # Inside a group the members' properties are only known when the group runs.
    template = """
    heat_template_version: 2018-08-31
    resources:
      group:
        type: OS::Heat::ResourceGroup
        properties:
          count: 1
          resource_def: {type: child.yaml, properties: {value: x, colour: red}}
    """
    stack_id = harness.create(template, files={"child.yaml": CHILD})
    assert harness.state(stack_id) == "CREATE_FAILED"
    group = harness.children(stack_id)["group"]
    assert harness.resources(group.id)["0"].status_reason == (
        "StackValidationFailed: resources.0: Property error: resources.0.properties: Unknown Property colour")


def test_a_changed_provider_template_updates_the_nested_stack(harness):
    """No property changed, but the template behind the type did: the child is updated."""
    parent = {"heat_template_version": "2018-08-31",
              "resources": {"thing": {"type": "thing.yaml", "properties": {"value": "v"}}}}
    old = {"heat_template_version": "2018-08-31", "parameters": {"value": {"type": "string"}},
           "resources": {"inner": {"type": "OS::Heat::TestResource", "properties": {"value": {"get_param": "value"}}}}}
    new = {**old, "resources": {**old["resources"], "added": {"type": "OS::Heat::None"}}}
    stack_id = harness.create(parent, files={"thing.yaml": json.dumps(old)})
    child = harness.resources(stack_id)["thing"].physical_id
    assert set(harness.resources(child)) == {"inner"}
    harness.update(stack_id, parent, files={"thing.yaml": json.dumps(new)})
    assert harness.state(stack_id) == "UPDATE_COMPLETE", harness.stack(stack_id).status_reason
    assert set(harness.resources(child)) == {"inner", "added"}
    assert harness.state(child) == "UPDATE_COMPLETE"
    # and an update that changes nothing leaves the child alone
    harness.update(stack_id, parent, files={"thing.yaml": json.dumps(new)})
    assert harness.state(child) == "UPDATE_COMPLETE" and len(harness.events(child)) == len(harness.events(child))


def test_a_template_resource_attribute_can_be_read_outside_any_operation(harness):
    parent = {"heat_template_version": "2018-08-31",
              "resources": {"thing": {"type": "thing.yaml", "properties": {"value": "seen"}}}}
    child = {"heat_template_version": "2018-08-31", "parameters": {"value": {"type": "string"}},
             "resources": {"inner": {"type": "OS::Heat::TestResource", "properties": {"value": {"get_param": "value"}}}},
             "outputs": {"out": {"value": {"get_attr": ["inner", "output"]}}}}
    stack_id = harness.create(parent, files={"thing.yaml": json.dumps(child)})
    view = harness.engine.view(stack_id)
    assert view.attribute("thing", "out", ()) == "seen", "not cached: read through the nested stacks service"
