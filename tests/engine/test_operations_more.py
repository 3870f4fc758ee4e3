"""Previews, export/abandon/adopt, snapshots, timeouts, retries and deletion policies."""

from __future__ import annotations

import pytest

from resources.base import Resource
from resources.errors import ResourceInError
from resources.registry import PluginRegistry

from .harness import CHILD

TEMPLATE = """
heat_template_version: 2018-08-31
parameters:
  value: {type: string, default: one}
resources:
  a:
    type: OS::Heat::TestResource
    properties: {value: {get_param: value}}
  b:
    type: OS::Heat::TestResource
    properties: {value: {get_attr: [a, output]}}
  c:
    type: OS::Heat::None
"""


def test_preview_create_lists_resources_in_order(harness):
    previews = harness.engine.preview_create(harness.request(TEMPLATE))
    assert [(p.name, p.type) for p in previews] == [
        ("a", "OS::Heat::TestResource"), ("b", "OS::Heat::TestResource"), ("c", "OS::Heat::None")]
    assert previews[0].properties["value"] == "one"
    assert previews[0].required_by == ["b"]
    with harness.database.engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from stack").scalar() == 0


def test_preview_update_sorts_resources_by_what_would_happen(harness):
    stack_id = harness.create(TEMPLATE)
    new = TEMPLATE.replace("  c:\n    type: OS::Heat::None\n", "  d:\n    type: OS::Heat::None\n").replace(
        "properties: {value: {get_param: value}}", "properties: {value: {get_param: value}, update_replace: true}")
    preview = harness.engine.preview_update(stack_id, harness.request(new, parameters={"value": "two"}))
    assert preview.replaced == ["a"]
    assert preview.unchanged == ["b"], "b's value comes from a's attribute, known only after a is replaced"
    assert preview.added == ["d"] and preview.deleted == ["c"]
    assert harness.state(stack_id) == "CREATE_COMPLETE", "a preview changes nothing"


def test_export_abandon_and_adopt(harness):
    stack_id = harness.create(TEMPLATE)
    exported = harness.engine.export_stack(stack_id)
    assert exported["resources"]["a"]["resource_id"] == harness.resources(stack_id)["a"].physical_id
    data = harness.engine.abandon_stack(stack_id)
    assert data["resources"]["a"]["resource_data"]["value"] == "one"
    row = harness.stack(stack_id)
    assert (row.action, row.status, row.status_reason) == ("DELETE", "COMPLETE", "Stack abandoned")

    job = harness.engine.adopt_stack(harness.request(TEMPLATE, name="adopted"), data)
    harness.run(job)
    assert harness.state(job.stack_id) == "ADOPT_COMPLETE"
    adopted = harness.resources(job.stack_id)
    assert adopted["a"].physical_id == data["resources"]["a"]["resource_id"]
    assert adopted["a"].data == {"value": "one", "wait": data["resources"]["a"]["resource_data"]["wait"]}
    assert harness.resource_states(job.stack_id) == {"a": "ADOPT_COMPLETE", "b": "ADOPT_COMPLETE",
                                                     "c": "ADOPT_COMPLETE"}


def test_snapshot_and_restore(harness):
    stack_id = harness.create(TEMPLATE)
    snapshot_id, job = harness.engine.snapshot_stack(stack_id, "first")
    harness.run(job)
    assert harness.state(stack_id) == "SNAPSHOT_COMPLETE"
    harness.update(stack_id, TEMPLATE, parameters={"value": "two"})
    assert harness.resources(stack_id)["a"].data["value"] == "two"
    harness.run(harness.engine.restore_snapshot(stack_id, snapshot_id))
    assert harness.state(stack_id) == "RESTORE_COMPLETE"
    assert harness.resources(stack_id)["a"].data["value"] == "one"


def test_a_stack_timeout_fails_the_create(harness_with):
    harness = harness_with(timeout_unit=0.5)
    stack_id = harness.create("""
        heat_template_version: 2018-08-31
        resources:
          slow: {type: OS::Heat::TestResource, properties: {wait_secs: 30}}
    """, timeout_mins=1)
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("CREATE", "FAILED")
    assert "Create timed out" in row.status_reason


class Flaky(Resource):
    """Goes into an error state the first ``failures`` times it is created."""

    type_name = "Test::Flaky"
    blocking = False

    def create(self) -> None:
        attempts = self.data.get("attempts", 0) + 1
        Flaky.created.append(attempts)
        self.set_data("attempts", attempts)
        self.set_physical_id(f"flaky-{attempts}")

    def check_create_complete(self) -> bool:
        if len(Flaky.created) <= Flaky.failures:
            raise ResourceInError("went to status ERROR")
        return True


@pytest.mark.parametrize("failures, expected", [(1, "CREATE_COMPLETE"), (2, "CREATE_COMPLETE"), (3, "CREATE_FAILED")])
def test_create_retries_resources_in_error(harness_with, failures, expected):
    Flaky.created, Flaky.failures = [], failures
    plugins = PluginRegistry.discover()
    plugins.register("Test::Flaky", Flaky)
    harness = harness_with(plugins=plugins)
    stack_id = harness.create("heat_template_version: 2018-08-31\nresources:\n  f: {type: Test::Flaky}\n")
    assert harness.resource_states(stack_id)["f"] == expected
    assert len(Flaky.created) == min(failures + 1, 3), "action_retry_limit 2: at most three attempts"


def test_retain_keeps_the_resource(harness):
    stack_id = harness.create("""
        heat_template_version: 2018-08-31
        resources:
          kept: {type: OS::Heat::TestResource, deletion_policy: Retain, properties: {wait_secs: 0}}
    """)
    assert harness.delete(stack_id)
    assert ("kept", "DELETE_COMPLETE", "state changed (retained)") in harness.events(stack_id)


def test_preview_update_lists_an_unchanged_template_resource_as_updated(harness):
    template = """
    heat_template_version: 2018-08-31
    resources:
      child:
        type: child.yaml
        properties: {value: same}
      plain:
        type: OS::Heat::None
    """
    stack_id = harness.create(template, files={"child.yaml": CHILD})
    preview = harness.engine.preview_update(stack_id, harness.request(template, files={"child.yaml": CHILD}))
    # as Heat does: the nested stack's own resources decide whether they change
    assert (preview.updated, preview.unchanged) == (["child"], ["plain"])
