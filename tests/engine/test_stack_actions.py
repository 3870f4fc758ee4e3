"""Check, suspend, resume and cancelling an update."""

from __future__ import annotations

import pytest

from orchestrator.engine.errors import NotSupported

TEMPLATE = """
heat_template_version: 2018-08-31
resources:
  test:
    type: OS::Heat::TestResource
  nothing:
    type: OS::Heat::None
    depends_on: test
"""


def run_action(harness, stack_id, action):
    harness.run(harness.engine.stack_action(stack_id, action))
    return harness.stack(stack_id)


def test_check_reports_what_plugins_cannot_check(harness):
    stack_id = harness.create(TEMPLATE)
    row = run_action(harness, stack_id, "CHECK")
    assert (row.action, row.status) == ("CHECK", "COMPLETE")
    assert row.status_reason == "Stack CHECK completed successfully. 'CHECK' not fully supported (see resources)"
    resources = harness.resources(stack_id)
    assert resources["test"].status_reason == "CHECK not supported for OS::Heat::TestResource"


def test_suspend_then_resume(harness):
    stack_id = harness.create(TEMPLATE)
    row = run_action(harness, stack_id, "SUSPEND")
    assert (row.action, row.status) == ("SUSPEND", "COMPLETE")
    assert harness.resource_states(stack_id) == {"test": "SUSPEND_COMPLETE", "nothing": "SUSPEND_COMPLETE"}
    suspended = [name for name, state, _ in harness.events(stack_id) if state == "SUSPEND_IN_PROGRESS"][1:]
    assert suspended == ["nothing", "test"], "dependants are suspended first"
    row = run_action(harness, stack_id, "RESUME")
    assert (row.action, row.status) == ("RESUME", "COMPLETE")


def test_resume_needs_a_suspended_stack(harness):
    stack_id = harness.create(TEMPLATE)
    with pytest.raises(NotSupported):
        harness.engine.stack_action(stack_id, "RESUME")


def test_cancel_update_rolls_back(harness):
    slow = """
    heat_template_version: 2018-08-31
    parameters:
      wait: {type: number, default: 0}
    resources:
      first:
        type: OS::Heat::TestResource
        properties: {value: {get_param: wait}, wait_secs: {get_param: wait}}
      second:
        type: OS::Heat::TestResource
        depends_on: first
        properties: {value: {get_param: wait}}
    """
    stack_id = harness.create(slow)
    job = harness.engine.update_stack(stack_id, harness.request(slow, parameters={"wait": 2}))
    runner = harness.start(job)
    harness.wait_for(lambda: harness.resource_states(stack_id)["first"] == "UPDATE_IN_PROGRESS",
                     "first to be updating")
    harness.engine.cancel_update(stack_id)
    runner.join(timeout=15)
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("ROLLBACK", "COMPLETE"), row.status_reason
    reasons = [reason for name, state, reason in harness.events(stack_id) if state == "UPDATE_FAILED"]
    assert reasons == ["Stack UPDATE cancelled"]
    assert harness.resources(stack_id)["second"].data["value"] == "0", "second was never updated"
