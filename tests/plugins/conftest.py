"""Fixtures of the plugin suite: the engine with its plugins acting on a sandbox served over real HTTP.

Every test here gets the leftover check (``no_leftovers``, autouse): when the
test ends, the harness deletes every stack still there (through the engine,
to the end), then the sandbox must hold no server, port, volume, floating IP
or load balancer that was not there before the test, other than what the
test's own connections made (see ``SandboxCloud.leftovers``).
"""

from __future__ import annotations

import time
from typing import Iterator

import pytest
from sqlalchemy import select

from orchestrator.db.models import Stack
from tests.engine.harness import Harness, make_harness
from tests.sandbox.cloud import SandboxCloud, sandbox_cloud


@pytest.fixture
def cloud() -> Iterator[SandboxCloud]:
    """A fresh in-memory sandbox on a real socket; ``cloud.connect("demo")`` sees what the stacks made."""
    with sandbox_cloud(over_http=True) as running:
        yield running


@pytest.fixture
def harness(tmp_path, cloud: SandboxCloud) -> Iterator[Harness]:
    """An engine whose plugins act on ``cloud`` (in the stack's project, ``default`` unless the request says).

    On leaving, every stack still there is deleted through the engine.
    """
    with make_harness(tmp_path, cloud=cloud.connections) as running:
        yield running
        problems = delete_remaining_stacks(running)
        assert not problems, "stacks left behind could not be deleted: " + "; ".join(problems)


@pytest.fixture(autouse=True)
def no_leftovers(request, cloud: SandboxCloud) -> Iterator[None]:
    """After the test (and the harness's deletion of its stacks), nothing the stacks made is left in the cloud."""
    before = cloud.inventory()
    yield
    assert_no_leftovers(cloud, before, request.node.nodeid)


def assert_no_leftovers(cloud: SandboxCloud, before: dict, test: str, wait: float = 3.0) -> None:
    """Fail naming ``test`` and every server, port, volume, floating IP or load balancer left since ``before``.

    Objects still being deleted get ``wait`` seconds to go.
    """
    left = cloud.leftovers(before, wait)
    assert not left, f"{test} left in the sandbox after deleting its stacks:\n  " + "\n  ".join(left)


def remaining_stacks(harness: Harness) -> list:
    """The top-level stacks of the harness that are not deleted."""
    with harness.database.engine.connect() as connection:
        rows = connection.execute(select(Stack.__table__).where(Stack.owner_id.is_(None))
                                  .order_by(Stack.created_at)).all()
    return [row for row in rows if row.deleted_at is None and (row.action, row.status) != ("DELETE", "COMPLETE")]


def delete_remaining_stacks(harness: Harness, timeout: float = 30) -> list[str]:
    """Delete every stack still there, newest first, each to its end; what went wrong, per stack."""
    problems = []
    for row in reversed(remaining_stacks(harness)):
        deadline = time.monotonic() + timeout
        # a job a failed test left running (``harness.start``) ends before the deletion starts
        while harness.stack(row.id).status == "IN_PROGRESS" and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            deleted = harness.delete(row.id)
        except Exception as exc:  # the engine refused: say so, and go on with the others
            problems.append(f"{row.name} ({row.id}): {type(exc).__name__}: {exc}")
            continue
        if not deleted:
            after = harness.stack(row.id)
            problems.append(f"{row.name} ({row.id}): {after.action}_{after.status}: {after.status_reason}")
    return problems
