"""Stack actions: which graph to walk, what to do at each node, and how the stack ends up.

Graph building is kept apart from walking (``walker``) and from what happens
to one resource (``lifecycle``): each action here only says which resources,
in which order, and how the stack's own state reads at the end.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Mapping

from orchestrator.db.models import utcnow

from .events import resource_failed, stack_completed, stack_started
from .lifecycle import ResourceActionFailed, ResourceLifecycle
from .operation import Operation
from .walker import WalkResult, Walker


def creation_graph(operation: Operation) -> dict[str, frozenset[str]]:
    """Each resource of the template needs the resources it refers to or depends on."""
    return {name: resource.requires for name, resource in operation.view.definition().resources.items()}


def deletion_graph(operation: Operation) -> dict[str, set[str]]:
    """The reverse of what the stored resources required: dependants go first."""
    records = operation.view.records
    graph: dict[str, set[str]] = {name: set() for name in records}
    for name, record in records.items():
        for needed in record.requires:
            if needed in graph:
                graph[needed].add(name)
    return graph


async def walk(graph: Mapping[str, object], run: Callable[[str], Awaitable[object]], *,
               continue_on_failure: bool = False) -> WalkResult[str]:
    """Walk ``graph`` with ``run`` at every node."""
    return await Walker(graph, run, continue_on_failure=continue_on_failure).walk()


def first_failure(result: WalkResult[str], action: str) -> str:
    """The stack's status reason for a walk that failed."""
    for error in result.failed.values():
        if isinstance(error, ResourceActionFailed):
            return resource_failed(error.action, error.reason)
    name, error = next(iter(result.failed.items()))
    return resource_failed(action, f"{type(error).__name__}: resources.{name}: {error}")


async def create(operation: Operation) -> bool:
    """Create every resource; on failure, roll back if the stack allows it."""
    lifecycle = ResourceLifecycle(operation)
    result = await walk(creation_graph(operation), lifecycle.create)
    if result.ok:
        await operation.set_stack_state("CREATE", "COMPLETE", stack_completed("CREATE"))
        return True
    reason = first_failure(result, "CREATE")
    roll_back = not operation.view.row.disable_rollback
    operation.final_state_releases_lock = not roll_back  # the rollback still needs the lock
    await operation.set_stack_state("CREATE", "FAILED", reason)
    if roll_back:
        operation.final_state_releases_lock = True
        await rollback_create(operation)
    return False


async def rollback_create(operation: Operation) -> bool:
    """Undo a failed create: delete everything that was made."""
    operation.action = "ROLLBACK"
    await operation.set_stack_state("ROLLBACK", "IN_PROGRESS", stack_started("ROLLBACK"))
    lifecycle = ResourceLifecycle(operation)
    result = await walk(deletion_graph(operation), lifecycle.delete)
    if result.ok:
        await operation.set_stack_state("ROLLBACK", "COMPLETE", stack_completed("ROLLBACK"))
        return True
    await operation.set_stack_state("ROLLBACK", "FAILED", first_failure(result, "DELETE"))
    return False


async def delete(operation: Operation) -> bool:
    """Delete every resource, dependants first."""
    lifecycle = ResourceLifecycle(operation)
    result = await walk(deletion_graph(operation), lifecycle.delete)
    if result.ok:
        await operation.set_stack_state("DELETE", "COMPLETE", stack_completed("DELETE"), deleted_at=utcnow())
        return True
    await operation.set_stack_state("DELETE", "FAILED", first_failure(result, "DELETE"))
    return False


#: action name -> the coroutine that carries it out
ACTIONS: dict[str, Callable[[Operation], Awaitable[bool]]] = {
    "CREATE": create,
    "DELETE": delete,
}
