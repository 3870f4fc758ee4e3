"""The distributed service: ``orchestrator api`` (gunicorn) and two ``orchestrator worker`` processes.

Stacks are created and deleted over HTTP; which worker ran which job is
read from the workers' own logs (``orchestrator.worker`` logs the start and
the outcome of every job it runs), so the test sees the work spread over
both processes and every job run exactly once.  The crash test kills a
worker with SIGKILL in the middle of a create and checks that the other
worker's recovery pass takes the stack over and finishes it.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

#: what ``orchestrator.worker`` logs when a job ends
ENDED = re.compile(r"orchestrator\.worker: (CREATE|DELETE) of stack ([0-9a-f-]{36}) ended (COMPLETE|not COMPLETE)")


def template(wait: float) -> dict:
    """A stack that needs no cloud: a random string, a test resource that takes ``wait`` s, a value of both."""
    return {
        "heat_template_version": "2021-04-16",
        "resources": {
            "secret": {"type": "OS::Heat::RandomString", "properties": {"length": 12}},
            "slow": {"type": "OS::Heat::TestResource",
                     "properties": {"value": "made", "action_wait_secs": {"create": wait}}},
            "joined": {"type": "OS::Heat::Value",
                       "properties": {"value": {"list_join": ["-", [{"get_attr": ["slow", "output"]},
                                                                     {"get_attr": ["secret", "value"]}]]}}},
        },
        "outputs": {"joined": {"value": {"get_attr": ["joined", "value"]}}},
    }


def jobs_run(worker) -> list[tuple[str, str, str]]:
    """``(action, stack_id, outcome)`` of every job ``worker`` finished, from its log."""
    return ENDED.findall(worker.output())


def wait_for_jobs(workers, action: str, stack_ids: set[str], timeout: float = 30) -> None:
    """Until the workers' logs show an end of ``action`` for every stack of ``stack_ids``."""
    deadline = time.monotonic() + timeout
    while True:
        ended = {stack_id for worker in workers for done, stack_id, _ in jobs_run(worker) if done == action}
        if stack_ids <= ended:
            return
        assert time.monotonic() < deadline, f"no {action} logged for {sorted(stack_ids - ended)}"
        time.sleep(0.1)


@pytest.mark.parametrize("broker, count", [("rabbitmq", 20), ("redis", 8)])
def test_stacks_spread_over_two_workers(deploy, broker, count):
    # the default 30 s lease: no job may wait that long, so no recovery pass may take one over
    service = deploy(broker, recovery_interval=1)
    workers = [service.start_worker("first"), service.start_worker("second")]

    # every other stack has a resource that takes a second, so that jobs overlap
    names = [f"stack-{number}" for number in range(count)]
    with ThreadPoolExecutor(count) as pool:
        ids = dict(zip(names, pool.map(lambda name: service.create(name, template(names.index(name) % 2)),
                                       names)))
    for name, stack_id in ids.items():
        stack = service.settle(name, stack_id, timeout=60)
        assert stack["stack_status"] == "CREATE_COMPLETE", stack
        (joined,) = stack["outputs"]
        assert re.fullmatch(r"made-[A-Za-z0-9]{12}", joined["output_value"]), joined

    wait_for_jobs(workers, "CREATE", set(ids.values()))
    creates = {worker.name: [stack_id for action, stack_id, outcome in jobs_run(worker) if action == "CREATE"]
               for worker in workers}
    assert all(creates.values()), f"one worker ran no job: {creates}"
    runs = Counter(stack_id for ran in creates.values() for stack_id in ran)
    assert runs == Counter(set(ids.values())), f"not every stack created exactly once: {runs}"
    for worker in workers:
        assert "took over stack" not in worker.output(), f"{worker.name} had to recover a stack"
        assert all(outcome == "COMPLETE" for _, _, outcome in jobs_run(worker))

    with ThreadPoolExecutor(count) as pool:
        deleted = list(pool.map(lambda item: service.call("DELETE", f"stacks/{item[0]}/{item[1]}"), ids.items()))
    assert [response.status_code for response in deleted] == [204] * count, [r.text for r in deleted]
    for name, stack_id in ids.items():
        stack = service.settle(name, stack_id, timeout=60)
        assert stack is None or stack["stack_status"] == "DELETE_COMPLETE", stack
    wait_for_jobs(workers, "DELETE", set(ids.values()))
    listed = service.call("GET", "stacks")
    assert listed.status_code == 200 and listed.json()["stacks"] == [], listed.text

    for worker in workers:
        assert worker.terminate() == 0, f"{worker.name} did not stop cleanly"


@pytest.mark.parametrize("broker", ["rabbitmq", "redis"])
def test_a_killed_worker_is_taken_over(deploy, broker):
    # a short lease and frequent recovery passes, so that the takeover happens within seconds
    service = deploy(broker, recovery_interval=1, lock_lease_seconds=3)
    workers = {name: service.start_worker(name) for name in ("first", "second")}

    stack_id = service.create("slow", template(6))
    pattern = f"running CREATE of stack {stack_id}"
    deadline = time.monotonic() + 30
    while not (running := [worker for worker in workers.values() if pattern in worker.output()]):
        assert time.monotonic() < deadline, "no worker started the create"
        time.sleep(0.05)
    (victim,) = running
    (survivor,) = [worker for worker in workers.values() if worker is not victim]
    # crash only once the slow resource is under way, so that there is something to resume
    service.wait_for_resource("slow", stack_id, "slow", "CREATE_IN_PROGRESS")
    victim.crash()

    stack = service.settle("slow", stack_id, timeout=60)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack
    assert re.fullmatch(r"made-[A-Za-z0-9]{12}", stack["outputs"][0]["output_value"])
    survivor.wait_for(rf"took over stack {stack_id} from a dead engine: CREATE_COMPLETE", timeout=10)
    assert "ended COMPLETE" not in victim.output(), "the killed worker finished the job after all"

    assert service.call("DELETE", f"stacks/slow/{stack_id}").status_code == 204
    stack = service.settle("slow", stack_id, timeout=30)
    assert stack is None or stack["stack_status"] == "DELETE_COMPLETE", stack
    assert survivor.terminate() == 0


def test_a_job_may_wait_in_the_queue_longer_than_the_lease(deploy):
    # one worker that runs one job at a time, a lease far shorter than the job ahead in the queue
    service = deploy("rabbitmq", recovery_interval=1, lock_lease_seconds=2, concurrency=1)
    worker = service.start_worker("only")
    quick = service.create("quick", template(0))
    assert service.settle("quick", quick, timeout=30)["stack_status"] == "CREATE_COMPLETE"

    slow = service.create("slow", template(6))
    worker.wait_for(f"running CREATE of stack {slow}", timeout=30)
    changed = template(0)
    changed["resources"]["slow"]["properties"]["value"] = "changed"
    assert service.call("PUT", f"stacks/quick/{quick}", json={"template": changed}).status_code == 202

    # the update waits behind the slow create for longer than a lease: it is queued, not abandoned
    stack = service.settle("quick", quick, timeout=60)
    assert (stack["stack_status"], stack["stack_status_reason"]) == ("UPDATE_COMPLETE",
                                                                     "Stack UPDATE completed successfully"), stack
    assert stack["outputs"][0]["output_value"].startswith("changed-"), stack
    assert service.settle("slow", slow, timeout=30)["stack_status"] == "CREATE_COMPLETE"
    assert "took over stack" not in worker.output()


def test_a_job_the_broker_refuses_is_taken_over_at_once(deploy):
    # the API's broker is down (nothing listens on port 1); the workers' is fine
    service = deploy("rabbitmq", api_broker="amqp://guest:guest@127.0.0.1:1//", recovery_interval=1)
    worker = service.start_worker("only")
    stack_id = service.create("orphan", template(0))  # accepted and stored: the broker's refusal is logged

    # not after the hour a queued job may wait, but at the next recovery pass
    stack = service.settle("orphan", stack_id, timeout=30)
    assert stack["stack_status"] == "CREATE_COMPLETE", stack
    worker.wait_for(rf"took over stack {stack_id} from a dead engine: CREATE_COMPLETE", timeout=10)
    assert f"running CREATE of stack {stack_id}" not in worker.output()
