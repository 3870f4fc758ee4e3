"""OS::Heat::AutoScalingGroup over time: scale-in order, rolling updates, updates, attributes, nested jobs, crashes."""

from __future__ import annotations

import json
import os
import select as selectors
import signal
import subprocess
import sys
from dataclasses import asdict

import pytest
from sqlalchemy import select

from orchestrator.db.models import StackLock
from orchestrator.engine.health import mark_unhealthy

from .autoscaling import ALARM, members, nested, scale, scaling_template
from .test_recovery import LEASE, wait_for_lease_to_expire


def test_scaling_in_removes_failed_members_first_then_the_oldest(harness):
    stack_id = harness.create(scaling_template(1, 6, desired=4))
    oldest, second, third, youngest = members(harness, stack_id)
    mark_unhealthy(harness.context, nested(harness, stack_id).id, third, True, "disk gone")
    assert scale(harness, stack_id, "down", ALARM)
    assert list(members(harness, stack_id)) == [oldest, second, youngest]
    assert scale(harness, stack_id, "down", ALARM)
    assert list(members(harness, stack_id)) == [second, youngest]
    assert scale(harness, stack_id, "up", ALARM)
    newest = [name for name in members(harness, stack_id) if name not in (second, youngest)]
    assert list(members(harness, stack_id)) == [second, youngest, *newest]
    assert scale(harness, stack_id, "down", ALARM)
    assert list(members(harness, stack_id)) == [youngest, *newest]


@pytest.mark.parametrize("rolling, chains", [
    ({"max_batch_size": 2, "min_in_service": 1}, [[], [], [0, 1], [0, 1]]),
    ({"max_batch_size": 2, "min_in_service": 3}, [[], [0], [1], [2]]),
])
def test_a_changed_member_definition_rolls_through_the_group_in_batches(harness, rolling, chains):
    def template(value: str) -> dict:
        member = {"type": "OS::Heat::TestResource", "properties": {"value": value, "update_replace_value": True}}
        return scaling_template(1, 6, desired=2, member=member, rolling=rolling)

    stack_id = harness.create(template("v1"))
    assert scale(harness, stack_id, "up", ALARM) and scale(harness, stack_id, "up", ALARM)
    before = members(harness, stack_id)
    names = list(before)

    assert harness.update(stack_id, template("v2")), harness.stack(stack_id).status_reason
    after = members(harness, stack_id)
    assert list(after) == names, "the scaled size is kept and every member keeps its name"
    assert [row.data["value"] for row in after.values()] == ["v2"] * 4
    assert all(after[name].physical_id != before[name].physical_id for name in names), "each member replaced"
    assert [row.requires for row in after.values()] == [sorted(names[i] for i in chain) for chain in chains]
    events = [(name, state) for name, state, _ in harness.events(nested(harness, stack_id).id)]
    started = {name: [i for i, event in enumerate(events) if event == (name, "CREATE_IN_PROGRESS")][-1]
               for name in names}
    completed = {name: [i for i, event in enumerate(events) if event == (name, "CREATE_COMPLETE")][-1]
                 for name in names}
    for name, needed in zip(names, chains):
        assert all(started[name] > completed[names[i]] for i in needed), f"{name} waited for its batch"
        # the old member leaves service only once its replacement is in it
        assert events.index((name, "DELETE_IN_PROGRESS")) > completed[name]


def test_a_stack_update_keeps_the_scaled_size_unless_desired_capacity_changes(harness):
    stack_id = harness.create(scaling_template(1, 5, desired=2))
    assert scale(harness, stack_id, "up", ALARM)
    scaled = members(harness, stack_id)
    child = nested(harness, stack_id)
    child_events = len(harness.events(child.id))

    assert harness.update(stack_id, scaling_template(1, 5, desired=2)), harness.stack(stack_id).status_reason
    assert len(harness.events(child.id)) == child_events, "an unchanged group is left alone"
    assert harness.update(stack_id, scaling_template(1, 6, desired=2)), harness.stack(stack_id).status_reason
    assert {name: row.id for name, row in members(harness, stack_id).items()} == \
        {name: row.id for name, row in scaled.items()}, "a new max_size keeps the members"

    assert harness.update(stack_id, scaling_template(1, 6, desired=4)), harness.stack(stack_id).status_reason
    grown = members(harness, stack_id)
    assert len(grown) == 4 and list(grown)[:3] == list(scaled)
    assert harness.update(stack_id, scaling_template(5, 6)), harness.stack(stack_id).status_reason
    five = list(members(harness, stack_id))
    assert len(five) == 5 and five[:4] == list(grown), "clamped up to the new min_size"
    assert harness.update(stack_id, scaling_template(1, 3)), harness.stack(stack_id).status_reason
    assert list(members(harness, stack_id)) == five[-3:], "clamped down to the new max_size, the oldest removed"
    assert harness.children(stack_id)["group"].id == child.id


def test_attributes_read_the_members_as_they_are_now(harness):
    outputs = {name: {"value": {"get_attr": ["group", *path]}} for name, path in {
        "size": ["current_size"], "refs": ["refs"], "refs_map": ["refs_map"], "values": ["outputs", "output"],
        "listed": ["outputs_list", "output"], "first": ["resource.0"], "first_output": ["resource.0.output"],
        "missing": ["resource.7"]}.items()}
    stack_id = harness.create(scaling_template(1, 5, outputs=outputs))

    def expected() -> dict:
        rows = members(harness, stack_id)
        refs = [row.physical_id for row in rows.values()]
        return {"size": len(rows), "refs": refs, "refs_map": dict(zip(rows, refs)),
                "values": dict.fromkeys(rows, "member"), "listed": ["member"] * len(rows), "first": refs[0],
                "first_output": "member"}

    def shown() -> dict:
        return {name: harness.output(stack_id, name) for name in expected()}

    assert shown() == expected() and shown()["size"] == 1
    assert harness.resources(stack_id)["group"].attributes, "the stack caches what it reads of the group"
    assert scale(harness, stack_id, "up", ALARM) and scale(harness, stack_id, "up", ALARM)
    assert shown() == expected() and shown()["size"] == 3
    view = harness.engine.view(stack_id)
    _, error = view.definition().output("missing", view)
    assert "Member '7' not found in group group" in str(error)
    assert harness.engine.view(stack_id).all_attributes("group")["current_size"] == 3


def test_deleting_a_scaled_group_leaves_nothing(harness):
    stack_id = harness.create(scaling_template(1, 5, desired=2))
    assert scale(harness, stack_id, "up", ALARM)
    child = nested(harness, stack_id)
    assert harness.delete(stack_id)
    assert harness.state(stack_id) == "DELETE_COMPLETE" and harness.state(child.id) == "DELETE_COMPLETE"
    assert set(harness.resource_states(child.id).values()) <= {"DELETE_COMPLETE"}
    with harness.database.engine.connect() as connection:
        assert connection.execute(select(StackLock.stack_id)).all() == []


# -- jobs on nested stacks ------------------------------------------------------------------------

#: a provider template whose resource reads its parent resource's metadata
FACADE_CHILD = """
heat_template_version: 2018-08-31
resources:
  value:
    type: OS::Heat::Value
    properties: {value: {resource_facade: metadata}}
outputs:
  role: {value: {get_attr: [value, value, role]}}
"""


def test_a_job_on_a_nested_stack_compiles_it_with_its_parents_facade(harness):
    template = {"heat_template_version": "2018-08-31",
                "resources": {"member": {"type": "child.yaml", "metadata": {"role": "web"}}}}
    stack_id = harness.create(template, files={"child.yaml": FACADE_CHILD})
    child = harness.children(stack_id)["member"]
    assert harness.run(harness.engine.stack_action(child.id, "CHECK")), harness.stack(child.id).status_reason
    assert harness.state(child.id) == "CHECK_COMPLETE"


# -- a worker dying in the middle of a resize -----------------------------------------------------

#: what the worker that is going to die runs: one job, given as its queue message
WORKER_PROCESS = """
import json, sys
from orchestrator.db.database import Database
from orchestrator.engine.context import EngineContext, EngineSettings
from orchestrator.engine.requests import Job
from orchestrator.engine.service import Engine
from resources.registry import PluginRegistry

url, message, settings = sys.argv[1:4]
settings = EngineSettings(**json.loads(settings))
engine = Engine(EngineContext(Database(url), PluginRegistry.discover(), settings=settings))
print("running", flush=True)
engine.run(Job(**json.loads(message)))
"""

#: a member that is itself a stack, whose creation takes long
SLOW_MEMBER = """
heat_template_version: 2018-08-31
resources:
  inner:
    type: OS::Heat::TestResource
    properties: {action_wait_secs: {create: 60}}
"""


def test_a_resize_whose_worker_died_is_failed_cleanly_and_the_group_recovers(harness_with):
    harness = harness_with(lock_lease=LEASE)
    template = scaling_template(0, 3, desired=0, member={"type": "member.yaml"})
    stack_id = harness.create(template, files={"member.yaml": SLOW_MEMBER})
    job = harness.engine.signal(stack_id, "up", ALARM)
    child = nested(harness, stack_id)
    worker = subprocess.Popen([sys.executable, "-c", WORKER_PROCESS, harness.database.url,
                               json.dumps(job.to_message()), json.dumps(asdict(harness.context.settings))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = selectors.select([worker.stdout], [], [], 60)
        assert ready and worker.stdout.readline(), worker.communicate()

        def member_creating() -> bool:
            member_stacks = harness.children(child.id)
            return len(member_stacks) == 1 and all(
                state == "CREATE_IN_PROGRESS"
                for state in harness.resource_states(next(iter(member_stacks.values())).id).values())

        harness.wait_for(member_creating, "the new member's stack to be creating", timeout=30)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        worker.stdout.close()
        worker.stderr.close()
    member_stack = next(iter(harness.children(child.id).values()))
    assert harness.engine.recover() == [], "the dead worker's lease still runs"
    wait_for_lease_to_expire(harness, child.id)

    assert harness.engine.recover() == [(child.id, "UPDATE_FAILED")]
    assert harness.stack(child.id).status_reason == "Engine went down during stack UPDATE"
    assert harness.state(member_stack.id) == "CREATE_FAILED", "the stacks inside the resize fail with it"
    assert harness.resource_states(member_stack.id) == {"inner": "CREATE_FAILED"}
    assert list(harness.resource_states(child.id).values()) == ["CREATE_FAILED"]
    assert harness.lock(child.id) is None and harness.state(stack_id) == "CREATE_COMPLETE"

    # The group takes signals again: scaling in removes the failed member first.
    assert scale(harness, stack_id, "down", ALARM)
    assert members(harness, stack_id) == {} and harness.state(child.id) == "UPDATE_COMPLETE"
    assert harness.delete(stack_id)
    assert harness.state(member_stack.id) == "DELETE_COMPLETE"
