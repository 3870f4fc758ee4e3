"""Recovery after an engine dies: operations are resumed (create, delete) or failed cleanly (the rest).

The crash tests kill a real engine process with SIGKILL in the middle of a
job, on the same database as the test (SQLite file, or the per-test
PostgreSQL/MariaDB database), then let a fresh engine take over once the
dead one's lease has run out.
"""

from __future__ import annotations

import json
import os
import select as selectors
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict
from typing import Any, Callable

import pytest
from sqlalchemy import insert, select, update

from orchestrator.db.database import Database
from orchestrator.db.models import Resource, Stack, StackLock, utcnow
from orchestrator.engine import locks
from orchestrator.engine.context import EngineContext
from orchestrator.engine.service import Engine

from .harness import Harness

#: the lock lease of the crash tests: how long a fresh engine waits for the dead one's lock
LEASE = 2.0

#: what the engine process that is going to die runs
ENGINE_PROCESS = """
import json, sys
from orchestrator.db.database import Database
from orchestrator.engine.context import EngineContext, EngineSettings
from orchestrator.engine.requests import StackRequest
from orchestrator.engine.service import Engine
from resources.registry import PluginRegistry

url, action, argument, settings = sys.argv[1:5]
context = EngineContext(Database(url), PluginRegistry.discover(), settings=EngineSettings(**json.loads(settings)))
engine = Engine(context)
if action == "CREATE":
    job = engine.create_stack(StackRequest(name="crashing", template=json.loads(argument)))
else:
    job = engine.delete_stack(argument)
print(json.dumps(job.to_message()), flush=True)
engine.run(job)
print("finished", flush=True)
"""

MIXED = {
    "heat_template_version": "2018-08-31",
    "resources": {
        "fast1": {"type": "OS::Heat::TestResource", "properties": {"value": "one", "wait_secs": 0}},
        "fast2": {"type": "OS::Heat::TestResource", "properties": {"wait_secs": 0}},
        "slow1": {"type": "OS::Heat::TestResource", "properties": {"wait_secs": 3}},
        "slow2": {"type": "OS::Heat::TestResource", "properties": {"wait_secs": 3}},
        "after": {"type": "OS::Heat::TestResource", "depends_on": ["slow1"],
                  "properties": {"value": {"get_attr": ["fast1", "output"]}}},
    },
}


class DyingEngine:
    """An engine in another process (with the harness's settings), running one job until it is killed."""

    def __init__(self, harness: Harness, action: str, argument: str):
        self.harness = harness
        settings = asdict(harness.context.settings)
        self.process = subprocess.Popen(
            [sys.executable, "-c", ENGINE_PROCESS, harness.database.url, action, argument, json.dumps(settings)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready, _, _ = selectors.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.process.kill()
            pytest.fail(f"the engine process did not start its job: {self.process.communicate()[1]}")
        self.job = json.loads(line)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
        """``Harness.wait_for``, failing at once if the process ends first, and killing it on a timeout."""
        def reached() -> bool:
            if condition():
                return True
            if self.process.poll() is not None:
                pytest.fail(f"the engine process ended before {what}: {self.process.communicate()}")
            return False

        try:
            self.harness.wait_for(reached, what, timeout)
        except AssertionError:
            self.kill()
            raise

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process.stdout.close()
        self.process.stderr.close()


def wait_for_lease_to_expire(harness: Harness, stack_id: str) -> None:
    def expired() -> bool:
        lock = harness.lock(stack_id)
        return lock is None or lock[2] <= utcnow()

    harness.wait_for(expired, "the dead engine's lease to run out", timeout=LEASE + 5)


def event_states(harness: Harness, stack_id: str, name: str) -> list[str]:
    return [state for _, state, _ in harness.events(stack_id, name)]


# -- real crashes ----------------------------------------------------------------------------------


def test_a_create_interrupted_by_a_crash_is_resumed(harness_with):
    harness = harness_with(lock_lease=LEASE)
    started = time.monotonic()
    dying = DyingEngine(harness, "CREATE", json.dumps(MIXED))
    stack_id = dying.job["stack_id"]

    def halfway() -> bool:
        rows = harness.resources(stack_id)
        return (all(rows[name].status == "COMPLETE" and rows[name].action == "CREATE" for name in ("fast1", "fast2"))
                and all(rows[name].action == "CREATE" and rows[name].status == "IN_PROGRESS"
                        and rows[name].physical_id and "wait" in rows[name].data for name in ("slow1", "slow2")))

    dying.wait_for(halfway, "fast resources to be complete and slow ones in progress")
    before = harness.resources(stack_id)
    dying.kill()
    killed = time.monotonic()
    assert harness.resource_states(stack_id) == {"fast1": "CREATE_COMPLETE", "fast2": "CREATE_COMPLETE",
                                                 "slow1": "CREATE_IN_PROGRESS", "slow2": "CREATE_IN_PROGRESS",
                                                 "after": "INIT_COMPLETE"}
    assert harness.engine.recover() == [], "a lease still running means its holder may be alive"
    assert harness.state(stack_id) == "CREATE_IN_PROGRESS"

    wait_for_lease_to_expire(harness, stack_id)
    expired = time.monotonic()
    assert harness.engine.recover() == [(stack_id, "CREATE_COMPLETE")]
    recovered = time.monotonic()
    print(f"\ncreate crash: killed {killed - started:.2f}s after start, lease expired {expired - killed:.2f}s "
          f"later, recovery took {recovered - expired:.2f}s, total {recovered - started:.2f}s")

    assert harness.resource_states(stack_id) == dict.fromkeys(MIXED["resources"], "CREATE_COMPLETE")
    after = harness.resources(stack_id)
    for name in MIXED["resources"]:
        assert event_states(harness, stack_id, name) == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"], name
    for name in ("slow1", "slow2"):
        # Polled to completion, not created again: same cloud object, same wait started by the dead engine.
        assert after[name].physical_id == before[name].physical_id
        assert after[name].data["wait"] == before[name].data["wait"]
    for name in ("fast1", "fast2"):
        assert after[name].updated_at == before[name].updated_at, f"{name} was touched again"
    assert after["after"].data["value"] == "one"
    assert [state for _, state, _ in harness.events(stack_id, "crashing")] == ["CREATE_IN_PROGRESS",
                                                                                "CREATE_COMPLETE"]
    assert harness.lock(stack_id) is None
    # What the new engine created runs and deletes like anything else.
    assert harness.delete(stack_id)


def test_a_delete_interrupted_by_a_crash_is_resumed(harness_with):
    harness = harness_with(lock_lease=LEASE)
    stack_id = harness.create({
        "heat_template_version": "2018-08-31",
        "resources": {
            "base": {"type": "OS::Heat::TestResource"},
            "slow": {"type": "OS::Heat::TestResource", "depends_on": ["base"],
                     "properties": {"action_wait_secs": {"delete": 3}}},
            "quick": {"type": "OS::Heat::TestResource"},
        },
    }, name="doomed")
    started = time.monotonic()
    dying = DyingEngine(harness, "DELETE", stack_id)

    def halfway() -> bool:
        return harness.resource_states(stack_id) == {"base": "CREATE_COMPLETE", "slow": "DELETE_IN_PROGRESS",
                                                     "quick": "DELETE_COMPLETE"}

    dying.wait_for(halfway, "quick to be deleted while slow is being deleted")
    dying.kill()
    killed = time.monotonic()
    assert harness.engine.recover() == []
    wait_for_lease_to_expire(harness, stack_id)
    expired = time.monotonic()
    assert harness.engine.recover() == [(stack_id, "DELETE_COMPLETE")]
    recovered = time.monotonic()
    print(f"\ndelete crash: killed {killed - started:.2f}s after start, lease expired {expired - killed:.2f}s "
          f"later, recovery took {recovered - expired:.2f}s, total {recovered - started:.2f}s")

    assert harness.resource_states(stack_id) == dict.fromkeys(("base", "slow", "quick"), "DELETE_COMPLETE")
    assert harness.stack(stack_id).deleted_at is not None
    assert event_states(harness, stack_id, "quick").count("DELETE_IN_PROGRESS") == 1, "quick was deleted again"
    assert event_states(harness, stack_id, "base") == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE",
                                                       "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    events = [(name, state) for name, state, _ in harness.events(stack_id)]
    assert events.index(("base", "DELETE_IN_PROGRESS")) > events.index(("slow", "DELETE_COMPLETE")), \
        "base went before what depends on it"
    assert events[-1] == ("doomed", "DELETE_COMPLETE")
    assert harness.lock(stack_id) is None


# -- operations that cannot be resumed ------------------------------------------------------------

TWO = """
heat_template_version: 2018-08-31
resources:
  changing:
    type: OS::Heat::TestResource
  steady:
    type: OS::Heat::TestResource
"""


def abandon(harness: Harness, stack_id: str, action: str, *, lock: str = "expired",
            in_progress: tuple[str, ...] = ()) -> None:
    """Leave a stack as an engine that died during ``action`` would (``lock``: expired, live or missing)."""
    with harness.database.engine.begin() as connection:
        name = connection.execute(select(Stack.name).where(Stack.id == stack_id)).scalar_one()
        connection.execute(update(Stack).where(Stack.id == stack_id).values(action=action, status="IN_PROGRESS",
                                                                             status_reason=f"Stack {action} started"))
        if in_progress:
            connection.execute(update(Resource).where(Resource.stack_id == stack_id, Resource.name.in_(in_progress))
                               .values(action=action, status="IN_PROGRESS"))
        if lock != "missing":
            locks.acquire(connection, stack_id, name, "dead-engine", action, -5 if lock == "expired" else 60)


def test_an_interrupted_update_is_failed_with_heats_reason(harness):
    stack_id = harness.create(TWO, name="updating")
    events_before = len(harness.events(stack_id))
    abandon(harness, stack_id, "UPDATE", in_progress=("changing",))
    assert harness.engine.recover() == [(stack_id, "UPDATE_FAILED")]
    row = harness.stack(stack_id)
    assert (row.action, row.status, row.status_reason) == ("UPDATE", "FAILED", "Engine went down during stack UPDATE")
    resources = harness.resources(stack_id)
    assert (resources["changing"].action, resources["changing"].status) == ("UPDATE", "FAILED")
    assert resources["changing"].status_reason == "Engine went down during stack UPDATE"
    assert (resources["steady"].action, resources["steady"].status) == ("CREATE", "COMPLETE")
    assert harness.events(stack_id)[events_before:] == [
        ("changing", "UPDATE_FAILED", "Engine went down during stack UPDATE"),
        ("updating", "UPDATE_FAILED", "Engine went down during stack UPDATE")]
    assert harness.lock(stack_id) is None
    assert harness.engine.recover() == [], "a failed stack is not recovered twice"


def test_a_stack_in_progress_without_a_lock_is_taken_over(harness):
    stack_id = harness.create(TWO, name="suspending")
    abandon(harness, stack_id, "SUSPEND", lock="missing", in_progress=("changing", "steady"))
    assert harness.engine.recover() == [(stack_id, "SUSPEND_FAILED")]
    assert harness.resource_states(stack_id) == {"changing": "SUSPEND_FAILED", "steady": "SUSPEND_FAILED"}
    assert harness.stack(stack_id).status_reason == "Engine went down during stack SUSPEND"


def test_a_create_whose_job_never_ran_is_carried_out(harness):
    """A request was stored but the process died before its job began (and its lock is gone)."""
    job = harness.engine.create_stack(harness.request(TWO, name="queued"))
    with harness.database.engine.begin() as connection:
        locks.release(connection, job.stack_id, job.holder)
    assert harness.engine.recover() == [(job.stack_id, "CREATE_COMPLETE")]
    assert harness.resource_states(job.stack_id) == {"changing": "CREATE_COMPLETE", "steady": "CREATE_COMPLETE"}


def test_live_operations_and_finished_stacks_are_left_alone(harness):
    busy = harness.create(TWO, name="busy")
    abandon(harness, busy, "UPDATE", lock="live", in_progress=("changing",))
    finished = harness.create(TWO, name="finished")
    with harness.database.engine.begin() as connection:  # a stale lock on a finished stack is no operation
        locks.acquire(connection, finished, "finished", "dead-engine", "UPDATE", -5)
    assert harness.engine.recover() == []
    assert harness.state(busy) == "UPDATE_IN_PROGRESS"
    assert harness.lock(busy)[0] == "dead-engine"
    assert harness.state(finished) == "CREATE_COMPLETE"


def nested_under(harness: Harness, root_id: str, action: str) -> str:
    """A nested stack row of ``root_id`` in ``action`` IN_PROGRESS, with one resource in progress."""
    nested_id = str(uuid.uuid4())
    with harness.database.engine.begin() as connection:
        template_id = connection.execute(select(Stack.template_id).where(Stack.id == root_id)).scalar_one()
        connection.execute(insert(Stack).values(
            id=nested_id, name=f"root-child-{nested_id[:8]}", project_id="default", action=action,
            status="IN_PROGRESS", status_reason="", template_id=template_id, parameters={}, tags=[],
            owner_id=root_id, root_id=root_id, parent_resource="changing", nested_depth=1,
            disable_rollback=True, created_at=utcnow()))
        connection.execute(insert(Resource).values(
            stack_id=nested_id, name="inner", type="OS::Heat::TestResource", action=action, status="IN_PROGRESS",
            status_reason="", definition={}, properties={}, attributes={}, metadata_={}, data={}, requires=[],
            created_at=utcnow()))
    return nested_id


def test_nested_stacks_fail_with_their_root_and_are_not_recovered_alone(harness):
    root = harness.create(TWO, name="root")
    abandon(harness, root, "UPDATE", in_progress=("changing",))
    nested = nested_under(harness, root, "CREATE")
    assert harness.engine.recover() == [(root, "UPDATE_FAILED")]
    row = harness.stack(nested)
    assert (row.action, row.status, row.status_reason) == ("CREATE", "FAILED", "Engine went down during stack CREATE")
    assert harness.resource_states(nested) == {"inner": "CREATE_FAILED"}

    # A nested stack of a live operation has no lock of its own, and needs none.
    other = harness.create(TWO, name="other")
    abandon(harness, other, "UPDATE", lock="live")
    child = nested_under(harness, other, "CREATE")
    assert harness.engine.recover() == []
    assert harness.state(child) == "CREATE_IN_PROGRESS"


def test_two_engines_starting_together_take_each_stack_once(harness):
    stacks = []
    for index in range(4):
        stack_id = harness.create(TWO, name=f"orphan{index}")
        abandon(harness, stack_id, "UPDATE", in_progress=("changing",))
        stacks.append(stack_id)
    database = Database(harness.database.url)
    second = Engine(EngineContext(database, harness.context.plugins, settings=harness.context.settings))
    results: dict[str, Any] = {}
    start = threading.Barrier(2)

    def run(name: str, engine: Engine) -> None:
        start.wait()
        try:
            results[name] = engine.recover()
        except Exception as exc:  # reported by the assertion below
            results[name] = exc

    threads = [threading.Thread(target=run, args=item) for item in (("first", harness.engine), ("second", second))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        second.context.close()
        database.dispose()
    assert all(isinstance(result, list) for result in results.values()), results
    taken = [stack_id for result in results.values() for stack_id, _ in result]
    assert sorted(taken) == sorted(stacks), results
    for stack_id in stacks:
        assert harness.state(stack_id) == "UPDATE_FAILED"
        failures = [e for e in harness.events(stack_id) if e[1] == "UPDATE_FAILED" and e[0].startswith("orphan")]
        assert len(failures) == 1, "the stack was failed twice"
    with harness.database.engine.connect() as connection:
        assert connection.execute(select(StackLock)).all() == []
