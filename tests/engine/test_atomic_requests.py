"""Requests are checked and stored in one transaction: a refused request leaves the stack as it was.

Snapshot, restore and adopt each store more than the stack's new state (a
snapshot row, the snapshot's template, the adopted resources' data); an
update plans from one read of the stack and must not write over an update
that committed after that read.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from orchestrator.db.models import Snapshot
from orchestrator.db.models import Stack as StackRow
from orchestrator.engine import locks
from orchestrator.engine.errors import NotSupported, StackNotFound

TEMPLATE = """
heat_template_version: 2018-08-31
parameters:
  value: {type: string, default: one}
resources:
  a:
    type: OS::Heat::TestResource
    properties: {value: {get_param: value}}
"""

OTHER = TEMPLATE.replace("default: one", "default: other")


def snapshot_count(harness, stack_id: str) -> int:
    with harness.database.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Snapshot)
                                  .where(Snapshot.stack_id == stack_id)).scalar()


def hold_lock(harness, stack_id: str, holder: str = "someone-else") -> None:
    with harness.database.engine.begin() as connection:
        locks.acquire(connection, stack_id, "stack", holder, "CHECK", 60)


def commits_during(harness, call):
    """What ``call()`` returns, and how many transactions it committed."""
    commits = []

    def count(connection) -> None:
        commits.append(1)

    event.listen(harness.database.engine, "commit", count)
    try:
        result = call()
    finally:
        event.remove(harness.database.engine, "commit", count)
    return result, len(commits)


def test_a_snapshot_refused_by_the_lock_stores_no_snapshot(harness):
    stack_id = harness.create(TEMPLATE)
    hold_lock(harness, stack_id)
    events = harness.events(stack_id)
    with pytest.raises(locks.StackBusy):
        harness.engine.snapshot_stack(stack_id, "refused")
    assert snapshot_count(harness, stack_id) == 0, "no snapshot row is left IN_PROGRESS"
    assert harness.state(stack_id) == "CREATE_COMPLETE"
    assert harness.events(stack_id) == events


def test_a_snapshot_is_stored_with_the_stack_state_in_one_transaction(harness):
    stack_id = harness.create(TEMPLATE)
    (snapshot_id, job), commits = commits_during(harness, lambda: harness.engine.snapshot_stack(stack_id, "s"))
    assert commits == 1
    assert job.argument == snapshot_id and harness.state(stack_id) == "SNAPSHOT_IN_PROGRESS"
    assert harness.run(job) and harness.state(stack_id) == "SNAPSHOT_COMPLETE"


def test_restoring_an_unknown_snapshot_leaves_the_stack_untouched(harness):
    stack_id = harness.create(TEMPLATE)
    before, events = harness.stack(stack_id), harness.events(stack_id)
    with pytest.raises(LookupError, match="could not be found"):
        harness.engine.restore_snapshot(stack_id, "no-such-snapshot")
    after = harness.stack(stack_id)
    assert (after.action, after.status, after.status_reason) == (before.action, before.status, before.status_reason)
    assert (after.template_id, after.prev_template_id) == (before.template_id, before.prev_template_id)
    assert harness.lock(stack_id) is None
    assert harness.events(stack_id) == events


def test_restoring_a_snapshot_of_another_stack_is_refused_without_a_trace(harness):
    first = harness.create(TEMPLATE, name="first")
    second = harness.create(TEMPLATE, name="second")
    snapshot_id, job = harness.engine.snapshot_stack(first)
    harness.run(job)
    events = harness.events(second)
    with pytest.raises(LookupError):
        harness.engine.restore_snapshot(second, snapshot_id)
    assert harness.state(second) == "CREATE_COMPLETE" and harness.lock(second) is None
    assert harness.events(second) == events


def test_a_restore_is_stored_in_one_transaction(harness):
    stack_id = harness.create(TEMPLATE)
    snapshot_id, job = harness.engine.snapshot_stack(stack_id)
    harness.run(job)
    harness.update(stack_id, TEMPLATE, parameters={"value": "two"})
    job, commits = commits_during(harness, lambda: harness.engine.restore_snapshot(stack_id, snapshot_id))
    assert commits == 1 and job.argument == snapshot_id
    assert harness.run(job) and harness.state(stack_id) == "RESTORE_COMPLETE"
    assert harness.resources(stack_id)["a"].data["value"] == "one"


def test_an_adopt_is_stored_in_one_transaction(harness):
    stack_id = harness.create(TEMPLATE)
    data = harness.engine.abandon_stack(stack_id)
    job, commits = commits_during(
        harness, lambda: harness.engine.adopt_stack(harness.request(TEMPLATE, name="adopted"), data))
    assert commits == 1, "the resources' adopt data is stored with the stack"
    assert harness.resources(job.stack_id)["a"].data["_adopt"]["resource_id"] == data["resources"]["a"]["resource_id"]
    assert harness.run(job) and harness.state(job.stack_id) == "ADOPT_COMPLETE"


def test_unusable_adopt_data_stores_no_stack(harness):
    stack_id = harness.create(TEMPLATE)
    data = harness.engine.abandon_stack(stack_id)
    data["resources"]["a"] = "not a resource entry"
    with pytest.raises(Exception):
        harness.engine.adopt_stack(harness.request(TEMPLATE, name="adopted"), data)
    with harness.database.engine.connect() as connection:
        assert connection.execute(select(StackRow.id).where(StackRow.name == "adopted")).first() is None


def interleave(harness, monkeypatch, between):
    """Make the next update run ``between()`` after planning and before storing its plan."""
    engine = harness.engine
    plan = engine._plan_update

    def planned_then_overtaken(*args, **kwargs):
        result = plan(*args, **kwargs)
        monkeypatch.setattr(engine, "_plan_update", plan)
        between()
        return result

    monkeypatch.setattr(engine, "_plan_update", planned_then_overtaken)


def test_an_update_overtaken_by_another_update_is_refused(harness, monkeypatch):
    stack_id = harness.create(TEMPLATE)
    original = harness.stack(stack_id)
    interleave(harness, monkeypatch, lambda: harness.update(stack_id, OTHER))
    with pytest.raises(locks.StackBusy, match="changed"):
        harness.engine.update_stack(stack_id, harness.request(TEMPLATE, parameters={"value": "late"}))
    row = harness.stack(stack_id)
    assert (row.action, row.status) == ("UPDATE", "COMPLETE")
    assert row.prev_template_id == original.template_id != row.template_id, "a rollback still finds the original"
    assert harness.resources(stack_id)["a"].data["value"] == "other", "the update that won stays"
    assert harness.lock(stack_id) is None


def test_an_update_overtaken_by_a_parameter_change_is_refused(harness, monkeypatch):
    stack_id = harness.create(TEMPLATE)
    interleave(harness, monkeypatch, lambda: harness.update(stack_id, TEMPLATE, parameters={"value": "two"}))
    with pytest.raises(locks.StackBusy):
        harness.engine.update_stack(stack_id, harness.request(TEMPLATE, parameters={"value": "three"}))
    assert harness.stack(stack_id).parameters == {"value": "two"}


def test_an_update_of_a_stack_deleted_meanwhile_is_refused(harness, monkeypatch):
    stack_id = harness.create(TEMPLATE)
    interleave(harness, monkeypatch, lambda: harness.delete(stack_id))
    with pytest.raises(StackNotFound):
        harness.engine.update_stack(stack_id, harness.request(OTHER))
    assert harness.state(stack_id) == "DELETE_COMPLETE" and harness.lock(stack_id) is None


def test_an_update_not_overtaken_goes_ahead(harness, monkeypatch):
    stack_id = harness.create(TEMPLATE)
    interleave(harness, monkeypatch, lambda: harness.run(harness.engine.stack_action(stack_id, "CHECK")))
    assert harness.run(harness.engine.update_stack(stack_id, harness.request(OTHER)))
    assert harness.resources(stack_id)["a"].data["value"] == "other"


def test_a_snapshot_of_a_stack_in_progress_is_refused_without_a_trace(harness):
    slow = TEMPLATE.replace("properties: {value: {get_param: value}}",
                            "properties: {value: {get_param: value}, wait_secs: 0.5}")
    job = harness.engine.create_stack(harness.request(slow))
    runner = harness.start(job)
    try:
        with pytest.raises(NotSupported, match="at rest"):
            harness.engine.snapshot_stack(job.stack_id)
        assert snapshot_count(harness, job.stack_id) == 0
    finally:
        runner.join(timeout=15)
    assert harness.state(job.stack_id) == "CREATE_COMPLETE"
