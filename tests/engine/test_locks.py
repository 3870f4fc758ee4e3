"""The stack lock: one operation per stack, leases, stealing from the dead, release with the final state."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from orchestrator.db.models import StackLock, utcnow
from orchestrator.engine import locks

ONE = """
heat_template_version: 2018-08-31
resources:
  only:
    type: OS::Heat::TestResource
"""


def lock_rows(harness) -> int:
    with harness.database.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(StackLock)).scalar_one()


def acquire(harness, stack_id: str, holder: str, action: str = "CREATE", lease: float = 30.0) -> bool:
    with harness.database.engine.begin() as connection:
        return locks.acquire(connection, stack_id, "locked", holder, action, lease)


def test_a_second_action_on_a_busy_stack_is_refused_with_heats_message(harness):
    job = harness.engine.create_stack(harness.request(ONE, name="busy"))
    with pytest.raises(locks.StackBusy) as refused:
        harness.engine.delete_stack(job.stack_id)
    assert str(refused.value) == "Stack busy already has an action (CREATE) in progress."
    assert refused.value.action == "CREATE"
    # The refused request changed nothing: the stack still shows the create, held by its job.
    assert harness.state(job.stack_id) == "CREATE_IN_PROGRESS"
    assert harness.lock(job.stack_id)[:2] == (job.holder, "CREATE")
    assert [e[1] for e in harness.events(job.stack_id)] == ["CREATE_IN_PROGRESS"]
    assert harness.run(job)
    assert harness.delete(job.stack_id), "once the create is over the stack takes the next action"


def test_a_live_lease_is_not_stolen(harness):
    stack_id = str(uuid.uuid4())
    assert acquire(harness, stack_id, "alive", "UPDATE") is False
    with pytest.raises(locks.StackBusy, match=r"^Stack locked already has an action \(UPDATE\) in progress\.$"):
        acquire(harness, stack_id, "thief")
    assert harness.lock(stack_id)[:2] == ("alive", "UPDATE")


def test_the_holder_acquiring_again_keeps_the_lock(harness):
    stack_id = str(uuid.uuid4())
    assert acquire(harness, stack_id, "me", lease=1) is False
    assert acquire(harness, stack_id, "me", lease=60) is False
    holder, _, expires = harness.lock(stack_id)
    assert holder == "me" and expires > utcnow() + timedelta(seconds=30)


def test_an_expired_lease_is_stolen(harness):
    stack_id = str(uuid.uuid4())
    acquire(harness, stack_id, "dead", "UPDATE", lease=-5)
    with harness.database.engine.connect() as connection:
        assert (stack_id, "dead", "UPDATE") in locks.expired_locks(connection)
    assert acquire(harness, stack_id, "heir", "DELETE") is True
    holder, action, expires = harness.lock(stack_id)
    assert (holder, action) == ("heir", "DELETE") and expires > utcnow()
    with harness.database.engine.connect() as connection:
        assert locks.expired_locks(connection) == []


@pytest.mark.parametrize("round_", range(5))
def test_two_stealers_race_and_exactly_one_wins(harness, round_):
    stack_id = str(uuid.uuid4())
    acquire(harness, stack_id, "dead", lease=-5)
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def steal(holder: str) -> None:
        start.wait()
        try:
            outcomes[holder] = acquire(harness, stack_id, holder, "DELETE")
        except Exception as exc:  # the loser's exception is part of what is checked
            outcomes[holder] = exc

    threads = [threading.Thread(target=steal, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [holder for holder, outcome in outcomes.items() if outcome is True]
    losers = [outcome for outcome in outcomes.values() if outcome is not True]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1 and isinstance(losers[0], locks.StackBusy), outcomes
    assert harness.lock(stack_id)[:2] == (winners[0], "DELETE")


def test_a_stealer_that_read_a_lease_someone_else_renewed_gets_nothing(harness):
    """The steal is conditional on the lease it saw: a holder that came back keeps its lock."""
    stack_id = str(uuid.uuid4())
    acquire(harness, stack_id, "slow", lease=-5)
    with harness.database.engine.connect() as connection:
        seen = connection.execute(select(StackLock).where(StackLock.stack_id == stack_id)).one()
    with harness.database.engine.begin() as connection:
        assert locks.renew(connection, stack_id, "slow", 30)
    with harness.database.engine.begin() as connection:
        stolen = connection.execute(
            update(StackLock).where(StackLock.stack_id == stack_id, StackLock.engine_id == seen.engine_id,
                                    StackLock.expires_at == seen.expires_at).values(engine_id="thief")).rowcount
    assert stolen == 0
    assert harness.lock(stack_id)[0] == "slow"


def test_renew_extends_the_lease_for_the_holder_only(harness):
    stack_id = str(uuid.uuid4())
    acquire(harness, stack_id, "me", lease=2)
    _, _, first = harness.lock(stack_id)
    with harness.database.engine.begin() as connection:
        assert locks.renew(connection, stack_id, "me", 120) is True
    _, _, renewed = harness.lock(stack_id)
    assert renewed >= first + timedelta(seconds=100)
    with harness.database.engine.begin() as connection:
        assert locks.renew(connection, stack_id, "someone-else", 1000) is False
    assert harness.lock(stack_id) == ("me", "CREATE", renewed)


def test_release_by_a_non_holder_does_nothing(harness):
    stack_id = str(uuid.uuid4())
    acquire(harness, stack_id, "me")
    before = harness.lock(stack_id)
    with harness.database.engine.begin() as connection:
        assert locks.release(connection, stack_id, "someone-else") is False
    assert harness.lock(stack_id) == before
    with harness.database.engine.begin() as connection:
        assert locks.release(connection, stack_id, "me") is True
    assert harness.lock(stack_id) is None


def test_transfer_hands_the_lock_to_the_worker(harness):
    stack_id = str(uuid.uuid4())
    acquire(harness, stack_id, "queued-job")
    with harness.database.engine.begin() as connection:
        assert locks.transfer(connection, stack_id, "not-the-holder", "worker", 30) is False
        assert locks.transfer(connection, stack_id, "queued-job", "worker", 30) is True
    assert harness.lock(stack_id)[:2] == ("worker", "CREATE")


def test_the_final_state_write_releases_the_lock(harness):
    job = harness.engine.create_stack(harness.request(ONE, name="released"))
    assert lock_rows(harness) == 1
    assert harness.run(job)
    assert harness.state(job.stack_id) == "CREATE_COMPLETE"
    assert harness.lock(job.stack_id) is None and lock_rows(harness) == 0
    assert harness.delete(job.stack_id)
    assert lock_rows(harness) == 0


def test_a_failed_operation_releases_the_lock_too(harness):
    stack_id = harness.create("""
        heat_template_version: 2018-08-31
        resources:
          bad:
            type: OS::Heat::TestResource
            properties: {fail: true}
    """, name="failing")
    assert harness.state(stack_id) == "CREATE_FAILED"
    assert lock_rows(harness) == 0


def test_the_running_job_renews_its_lease(harness_with):
    """A job that outlives its lease keeps the stack: the engine renews while it works."""
    lease = 2.0
    harness = harness_with(lock_lease=lease)
    job = harness.engine.create_stack(harness.request("""
        heat_template_version: 2018-08-31
        resources:
          slow:
            type: OS::Heat::TestResource
            properties: {wait_secs: 4.5}
    """, name="renewed"))
    runner = harness.start(job)
    try:
        time.sleep(0.2)
        _, _, first = harness.lock(job.stack_id)
        time.sleep(2 * lease)  # unrenewed, the lock would have expired by now
        holder, _, later = harness.lock(job.stack_id)
        assert holder == job.holder
        assert later >= first + timedelta(seconds=lease * 0.75), "the lease was not renewed"
        with pytest.raises(locks.StackBusy):
            acquire(harness, job.stack_id, "thief")
    finally:
        runner.join(timeout=30)
    assert harness.state(job.stack_id) == "CREATE_COMPLETE"
