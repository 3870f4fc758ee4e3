"""Stack updates of the native data resources: what is kept, changed in place, or made anew."""

from __future__ import annotations

import json

SECRET = """
heat_template_version: 2018-08-31
parameters:
  salt: {type: string, default: one}
  text: {type: string, default: hello}
resources:
  secret:
    type: OS::Heat::RandomString
    properties: {salt: {get_param: salt}}
  user:
    type: OS::Heat::TestResource
    properties: {value: {get_resource: secret}}
  greeting:
    type: OS::Heat::Value
    properties: {value: {get_param: text}, type: string}
outputs:
  greeting: {value: {get_attr: [greeting, value]}}
"""


def test_an_update_without_changes_keeps_the_secret(harness):
    stack_id = harness.create(SECRET)
    before = harness.resources(stack_id)["secret"]
    harness.update(stack_id, SECRET, parameters={"text": "hi"})
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("UPDATE", "COMPLETE"), row.status_reason
    after = harness.resources(stack_id)["secret"]
    assert (after.id, after.data["value"]) == (before.id, before.data["value"])


def test_a_new_salt_makes_a_new_secret_that_dependants_see(harness):
    stack_id = harness.create(SECRET)
    before = harness.resources(stack_id)["secret"].data["value"]
    harness.update(stack_id, SECRET, parameters={"salt": "two"})
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("UPDATE", "COMPLETE"), row.status_reason
    resources = harness.resources(stack_id)
    assert resources["secret"].data["value"] != before
    assert resources["user"].data["value"] == resources["secret"].data["value"]


def test_a_value_changes_in_place(harness):
    stack_id = harness.create(SECRET)
    before = harness.resources(stack_id)["greeting"]
    harness.update(stack_id, SECRET, parameters={"text": "bonjour"})
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("UPDATE", "COMPLETE"), row.status_reason
    after = harness.resources(stack_id)["greeting"]
    assert (after.id, after.physical_id) == (before.id, before.physical_id)
    assert harness.outputs(stack_id)["greeting"] == "bonjour"


WAIT = """
heat_template_version: 2018-08-31
parameters:
  count: {type: number, default: 1}
resources:
  handle: {type: OS::Heat::WaitConditionHandle}
  wait:
    type: OS::Heat::WaitCondition
    properties: {handle: {get_resource: handle}, timeout: 30, count: {get_param: count}}
outputs:
  data: {value: {get_attr: [wait, data]}}
"""


def test_a_larger_count_waits_for_the_signals_still_missing(harness):
    # Created with one signal sent while waiting...
    job = harness.engine.create_stack(harness.request(WAIT, name="waiting"))
    runner = harness.start(job)
    harness.wait_for(lambda: harness.resource_states(job.stack_id)["handle"] == "CREATE_COMPLETE",
                     "the handle to be created")
    harness.engine.signal(job.stack_id, "handle", {"data": "a"})
    runner.join(timeout=30)
    assert harness.state(job.stack_id) == "CREATE_COMPLETE"
    # ...an update to count 2 waits for a second one, the first still counting.
    job = harness.engine.update_stack(job.stack_id, harness.request(WAIT, name="waiting", parameters={"count": 2}))
    runner = harness.start(job)
    harness.wait_for(lambda: harness.resource_states(job.stack_id)["wait"] == "UPDATE_IN_PROGRESS",
                     "the wait condition to be updating")
    harness.engine.signal(job.stack_id, "handle", {"data": "b"})
    runner.join(timeout=30)
    assert harness.state(job.stack_id) == "UPDATE_COMPLETE", harness.stack(job.stack_id).status_reason
    assert harness.resource_states(job.stack_id)["wait"] == "UPDATE_COMPLETE"
    assert json.loads(harness.outputs(job.stack_id)["data"]) == {"1": "a", "2": "b"}
