"""OS::Heat::ResourceGroup: members, scaling up and down, removal policies, index_var, attributes, policies."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.template.errors import TemplateError

from .harness import CHILD


def group_template(count: Any, properties: dict | None = None, outputs: dict | None = None,
                   member_type: str = "OS::Heat::TestResource", update_policy: dict | None = None,
                   **group_properties: Any) -> dict:
    group = {"type": "OS::Heat::ResourceGroup", "properties": {
        "count": count,
        "resource_def": {"type": member_type, "properties": properties or {"value": "member-%index%"}},
        **group_properties}}
    if update_policy is not None:
        group["update_policy"] = update_policy
    return {"heat_template_version": "2018-08-31", "resources": {"group": group}, "outputs": outputs or {}}


def members(harness, stack_id: str) -> dict[str, Any]:
    """The group's member rows by name, in index order."""
    child = harness.children(stack_id)["group"]
    rows = harness.resources(child.id)
    return {name: rows[name] for name in sorted(rows, key=int) if rows[name].action != "DELETE"}


def test_a_group_scales_up_and_down(harness):
    stack_id = harness.create(group_template(3))
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    child = harness.children(stack_id)["group"]
    assert harness.resources(stack_id)["group"].physical_id == child.id
    first = members(harness, stack_id)
    assert list(first) == ["0", "1", "2"]
    assert [row.data["value"] for row in first.values()] == ["member-0", "member-1", "member-2"]

    assert harness.update(stack_id, group_template(5)), harness.stack(stack_id).status_reason
    grown = members(harness, stack_id)
    assert list(grown) == ["0", "1", "2", "3", "4"]
    assert all(grown[name].physical_id == first[name].physical_id for name in first), "existing members kept"
    assert harness.children(stack_id)["group"].id == child.id, "scaling updates the same nested stack"

    assert harness.update(stack_id, group_template(2)), harness.stack(stack_id).status_reason
    shrunk = members(harness, stack_id)
    assert list(shrunk) == ["0", "1"], "the highest indices go"
    assert all(shrunk[name].physical_id == first[name].physical_id for name in shrunk)
    deleted = [name for name, state, _ in harness.events(child.id) if state == "DELETE_COMPLETE"]
    assert sorted(deleted) == ["2", "3", "4"]
    assert harness.delete(stack_id)
    assert harness.state(child.id) == "DELETE_COMPLETE"


def test_removal_policies_remove_named_members_and_never_reuse_their_names(harness):
    stack_id = harness.create(group_template(4))
    by_reference = members(harness, stack_id)["3"].physical_id
    removing = group_template(3, removal_policies=[{"resource_list": ["1", by_reference]}])
    assert harness.update(stack_id, removing), harness.stack(stack_id).status_reason
    assert list(members(harness, stack_id)) == ["0", "2", "4"]
    assert harness.resources(stack_id)["group"].data["name_blacklist"] == ["1", "3"]
    # Appending: the names stay removed when the policy no longer lists them.
    removing = group_template(4, removal_policies=[{"resource_list": ["0"]}])
    assert harness.update(stack_id, removing), harness.stack(stack_id).status_reason
    assert list(members(harness, stack_id)) == ["2", "4", "5", "6"]
    # Mode "update" replaces the list: removed names become usable again.
    replacing = group_template(4, removal_policies=[], removal_policies_mode="update")
    assert harness.update(stack_id, replacing), harness.stack(stack_id).status_reason
    assert list(members(harness, stack_id)) == ["0", "1", "2", "3"]


def test_removal_policies_on_create_skip_the_names(harness):
    stack_id = harness.create(group_template(2, removal_policies=[{"resource_list": [0]}],
                                             outputs={"removed": {"value": {"get_attr": ["group",
                                                                                         "removed_rsrc_list"]}}}))
    assert list(members(harness, stack_id)) == ["1", "2"]
    assert harness.output(stack_id, "removed") == ["0"]


def test_index_var_is_replaced_in_every_string_of_the_definition(harness):
    template = group_template(2, index_var="__n__", properties={"value": "server-__n__-of-%index%"})
    template["resources"]["group"]["properties"]["resource_def"]["metadata"] = {"tags": ["slot __n__"]}
    stack_id = harness.create(template)
    rows = members(harness, stack_id)
    assert [row.data["value"] for row in rows.values()] == ["server-0-of-%index%", "server-1-of-%index%"]
    child = harness.children(stack_id)["group"]
    assert [row.definition["metadata"] for row in harness.resources(child.id).values()] == [
        {"tags": ["slot 0"]}, {"tags": ["slot 1"]}]


def test_attributes_of_a_group(harness):
    outputs = {name: {"value": {"get_attr": ["group", *path]}} for name, path in {
        "refs": ["refs"], "refs_map": ["refs_map"], "values": ["attributes", "output"],
        "listed": ["output"], "one": ["resource.1"], "one_output": ["resource.1.output"],
        "removed": ["removed_rsrc_list"], "first_ref": ["refs", 0]}.items()}
    template = group_template(3, outputs=outputs)
    template["resources"]["reader"] = {"type": "OS::Heat::TestResource",
                                       "properties": {"value": {"get_attr": ["group", "resource.2.output"]}}}
    stack_id = harness.create(template)
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.stack(stack_id).status_reason
    refs = [row.physical_id for row in members(harness, stack_id).values()]
    expected = {"refs": refs, "refs_map": dict(zip(["0", "1", "2"], refs)),
                "values": {"0": "member-0", "1": "member-1", "2": "member-2"},
                "listed": ["member-0", "member-1", "member-2"], "one": refs[1], "one_output": "member-1",
                "removed": [], "first_ref": refs[0]}
    assert {name: harness.output(stack_id, name) for name in expected} == expected
    assert harness.resources(stack_id)["reader"].data["value"] == "member-2"


def test_a_group_of_zero_members_and_growing_from_it(harness):
    stack_id = harness.create(group_template(0, outputs={"refs": {"value": {"get_attr": ["group", "refs"]}}}))
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    assert members(harness, stack_id) == {}
    assert harness.output(stack_id, "refs") == []
    assert harness.update(stack_id, group_template(2)), harness.stack(stack_id).status_reason
    assert list(members(harness, stack_id)) == ["0", "1"]
    assert harness.update(stack_id, group_template(0)), harness.stack(stack_id).status_reason
    assert members(harness, stack_id) == {}


def test_members_of_a_provider_template_type(harness):
    template = group_template(2, properties={"value": "m%index%"}, member_type="child.yaml",
                              outputs={"outs": {"value": {"get_attr": ["group", "out"]}}})
    stack_id = harness.create(template, files={"child.yaml": CHILD})
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.stack(stack_id).status_reason
    assert harness.output(stack_id, "outs") == ["m0!", "m1!"]
    group = harness.children(stack_id)["group"]
    member_stacks = harness.children(group.id)
    assert sorted(member_stacks) == ["0", "1"]
    assert {row.nested_depth for row in member_stacks.values()} == {2}
    assert {row.root_id for row in member_stacks.values()} == {stack_id}
    # Scaling down deletes the removed member's own nested stack.
    shrunk = template | {"resources": {"group": {**template["resources"]["group"], "properties": {
        **template["resources"]["group"]["properties"], "count": 1}}}}
    assert harness.update(stack_id, shrunk, files={"child.yaml": CHILD}), harness.stack(stack_id).status_reason
    assert harness.state(member_stacks["1"].id) == "DELETE_COMPLETE"
    assert harness.state(member_stacks["0"].id) == "CREATE_COMPLETE"
    assert harness.output(stack_id, "outs") == ["m0!"]


def test_batch_create_chains_members_in_batches(harness):
    stack_id = harness.create(group_template(5, update_policy={"batch_create": {"max_batch_size": 2}}))
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    rows = members(harness, stack_id)
    assert [row.requires for row in rows.values()] == [[], [], ["0", "1"], ["0", "1"], ["2", "3"]]
    child = harness.children(stack_id)["group"]
    completed = [name for name, state, _ in harness.events(child.id)
                 if state == "CREATE_COMPLETE" and name != child.name]
    started = [name for name, state, _ in harness.events(child.id) if state == "CREATE_IN_PROGRESS"]
    assert started.index("2") > completed.index("1") and started.index("4") > completed.index("3")


def test_rolling_update_changes_members_in_batches(harness):
    policy = {"rolling_update": {"max_batch_size": 2, "min_in_service": 1}}
    stack_id = harness.create(group_template(3, update_policy=policy))
    assert [row.requires for row in members(harness, stack_id).values()] == [[], [], []]
    changed = group_template(3, properties={"value": "new-%index%"}, update_policy=policy)
    assert harness.update(stack_id, changed), harness.stack(stack_id).status_reason
    rows = members(harness, stack_id)
    assert [row.data["value"] for row in rows.values()] == ["new-0", "new-1", "new-2"]
    assert [row.requires for row in rows.values()] == [[], [], ["0", "1"]]


def test_an_invalid_update_policy_fails_the_group(harness):
    stack_id = harness.create(group_template(1, update_policy={"batch_create": {"max_batch_size": 0}}))
    assert harness.state(stack_id) == "CREATE_FAILED"
    assert "batch_create.max_batch_size" in harness.resources(stack_id)["group"].status_reason


def test_a_group_property_error_is_found_on_request(harness):
    with pytest.raises(TemplateError, match="count"):
        harness.engine.create_stack(harness.request(group_template(-1)))


@pytest.mark.parametrize("policy", [{"batch_create": {"max_batch_size": 1}},
                                    {"rolling_update": {"max_batch_size": 1}}])
def test_an_update_that_changes_no_member_leaves_a_batched_group_alone(harness, policy):
    stack_id = harness.create(group_template(3, update_policy=policy))
    if "rolling_update" in policy:  # members chained by a rolling update of their definition
        template = group_template(3, properties={"value": "new-%index%"}, update_policy=policy)
        assert harness.update(stack_id, template), harness.stack(stack_id).status_reason
    else:
        template = group_template(3, update_policy=policy)
    before = members(harness, stack_id)
    child = harness.children(stack_id)["group"]
    child_events = len(harness.events(child.id))

    assert harness.update(stack_id, template), harness.stack(stack_id).status_reason
    group_updates = [state for _, state, _ in harness.events(stack_id, "group") if state.startswith("UPDATE")]
    expected = 2 if "rolling_update" in policy else 0  # the rolling update's own, before the one tested
    assert len(group_updates) == expected, "the group is not outdated: its members did not change"
    assert len(harness.events(child.id)) == child_events, "the nested stack is not updated"
    after = members(harness, stack_id)
    assert {name: row.physical_id for name, row in after.items()} == \
        {name: row.physical_id for name, row in before.items()}, "no member is replaced"
    assert [row.id for row in after.values()] == [row.id for row in before.values()]
