"""Creating and deleting stacks: order, parallelism, states and events."""

from __future__ import annotations

import time

TWO_CHAINED = """
heat_template_version: 2018-08-31
resources:
  first:
    type: OS::Heat::TestResource
    properties: {value: one}
  second:
    type: OS::Heat::TestResource
    properties:
      value: {get_attr: [first, output]}
outputs:
  copied: {value: {get_attr: [second, output]}}
"""


def test_create_then_delete(harness):
    stack_id = harness.create(TWO_CHAINED)
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    assert harness.resource_states(stack_id) == {"first": "CREATE_COMPLETE", "second": "CREATE_COMPLETE"}
    resources = harness.resources(stack_id)
    assert resources["second"].data["value"] == "one", "second read first's output attribute"
    assert resources["second"].requires == ["first"]
    assert harness.delete(stack_id)
    assert harness.state(stack_id) == "DELETE_COMPLETE"
    assert harness.resource_states(stack_id) == {"first": "DELETE_COMPLETE", "second": "DELETE_COMPLETE"}


def test_events_use_heats_reasons_in_dependency_order(harness):
    stack_id = harness.create(TWO_CHAINED, name="ordered")
    assert harness.events(stack_id) == [
        ("ordered", "CREATE_IN_PROGRESS", "Stack CREATE started"),
        ("first", "CREATE_IN_PROGRESS", "state changed"),
        ("first", "CREATE_COMPLETE", "state changed"),
        ("second", "CREATE_IN_PROGRESS", "state changed"),
        ("second", "CREATE_COMPLETE", "state changed"),
        ("ordered", "CREATE_COMPLETE", "Stack CREATE completed successfully"),
    ]
    harness.delete(stack_id)
    assert [e[:2] for e in harness.events(stack_id)[6:]] == [
        ("ordered", "DELETE_IN_PROGRESS"), ("second", "DELETE_IN_PROGRESS"), ("second", "DELETE_COMPLETE"),
        ("first", "DELETE_IN_PROGRESS"), ("first", "DELETE_COMPLETE"), ("ordered", "DELETE_COMPLETE")]


def test_independent_resources_wait_together(harness):
    resources = {f"r{i}": {"type": "OS::Heat::TestResource", "properties": {"wait_secs": 0.5}} for i in range(30)}
    started = time.monotonic()
    stack_id = harness.create({"heat_template_version": "2018-08-31", "resources": resources})
    elapsed = time.monotonic() - started
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    # Not a benchmark: 30 waits of 0.5 s one after another would take 15 s.
    assert elapsed < 5


def test_a_failure_fails_the_stack_and_stops_new_work(harness):
    stack_id = harness.create("""
        heat_template_version: 2018-08-31
        resources:
          bad:
            type: OS::Heat::TestResource
            properties: {fail: true}
          after_bad:
            type: OS::Heat::TestResource
            depends_on: bad
    """)
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("CREATE", "FAILED")
    assert row.status_reason == ("Resource CREATE failed: ResourceFailure: resources.bad: Test Resource failed bad")
    assert harness.resource_states(stack_id) == {"bad": "CREATE_FAILED", "after_bad": "INIT_COMPLETE"}


def test_a_pre_create_hook_pauses_one_branch_until_cleared(harness):
    template = """
    heat_template_version: 2018-08-31
    resources:
      held:
        type: OS::Heat::TestResource
      after_held:
        type: OS::Heat::TestResource
        depends_on: held
      free:
        type: OS::Heat::TestResource
    """
    environment = {"resource_registry": {"resources": {"held": {"hooks": "pre-create"}}}}
    job = harness.engine.create_stack(harness.request(template, environment=environment))
    runner = harness.start(job)
    harness.wait_for(lambda: harness.resource_states(job.stack_id)["free"] == "CREATE_COMPLETE",
                     "free to be created", timeout=5)
    harness.wait_for(lambda: harness.resources(job.stack_id)["held"].hook is not None,
                     "held to pause at its hook", timeout=5)
    assert harness.resource_states(job.stack_id) == {
        "held": "INIT_COMPLETE", "after_held": "INIT_COMPLETE", "free": "CREATE_COMPLETE"}
    assert harness.resources(job.stack_id)["held"].status_reason == "CREATE paused until Hook pre-create is cleared"
    assert harness.state(job.stack_id) == "CREATE_IN_PROGRESS"
    harness.engine.signal(job.stack_id, "held", {"unset_hook": "pre-create"})
    runner.join(timeout=10)
    assert harness.state(job.stack_id) == "CREATE_COMPLETE"
    reasons = [reason for name, _, reason in harness.events(job.stack_id, "held")]
    assert reasons == ["CREATE paused until Hook pre-create is cleared", "Hook pre-create is cleared",
                       "state changed", "state changed"]


def test_old_events_are_purged_beyond_the_limit(harness_with):
    harness = harness_with(max_events_per_stack=5)
    stack_id = harness.create(TWO_CHAINED)
    events = harness.events(stack_id)
    assert len(events) == 5
    assert events[-1] == ("stack", "CREATE_COMPLETE", "Stack CREATE completed successfully")
