"""The operation's watcher reads the database only when a cancel or a cleared hook can be waiting there."""

from __future__ import annotations

import pytest

from orchestrator.engine.operation import Operation

SLOW = """
heat_template_version: 2018-08-31
resources:
  slow:
    type: OS::Heat::TestResource
    properties: {action_wait_secs: {create: 0.3, delete: 0.3}}
"""


@pytest.fixture
def reads(monkeypatch):
    """How many times operations read their controls (cancel request, hooks) from the database."""
    count = [0]
    original = Operation._read_controls

    def counted(self, *args):
        count[0] += 1
        return original(self, *args)

    monkeypatch.setattr(Operation, "_read_controls", counted)
    return count


def test_a_create_watches_for_a_cancel(harness, reads):
    harness.create(SLOW)
    assert reads[0] > 0


def test_a_delete_reads_nothing_while_nobody_waits_at_a_hook(harness, reads):
    stack_id = harness.create(SLOW)
    reads[0] = 0
    assert harness.delete(stack_id)
    assert reads[0] == 0, "a delete cannot be cancelled and has no hook waiting"


def test_a_delete_watches_a_hook_until_it_is_cleared(harness, reads):
    environment = {"resource_registry": {"resources": {"slow": {"hooks": "pre-delete"}}}}
    stack_id = harness.create(SLOW, environment=environment)
    reads[0] = 0
    runner = harness.start(harness.engine.delete_stack(stack_id))
    harness.wait_for(lambda: harness.resources(stack_id)["slow"].hook == "pre-delete", "the pre-delete hook")
    harness.wait_for(lambda: reads[0] > 0, "the watcher to look at the hook")
    harness.engine.signal(stack_id, "slow", {"unset_hook": "pre-delete"})
    runner.join(timeout=15)
    assert harness.state(stack_id) == "DELETE_COMPLETE"
