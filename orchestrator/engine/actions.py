"""Stack actions: which graph to walk, what to do at each node, and how the stack ends up.

Graph building is kept apart from walking (``walker``) and from what happens
to one resource (``lifecycle``): each action here only says which resources,
in which order, and how the stack's own state reads at the end.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Mapping

from orchestrator.db.models import utcnow

from . import snapshots
from .events import stack_completed, stack_started
from .graphs import cancelled_or_failed, converge, creation_graph, deletion_graph, first_failure, walk
from .walker import WalkResult
from .lifecycle import ResourceLifecycle
from .operation import Operation
from .trusts import delete_stack_trust


async def create(operation: Operation) -> bool:
    """Create every resource; on failure, roll back if the stack allows it."""
    lifecycle = ResourceLifecycle(operation)
    result = await walk(operation, creation_graph(operation), lifecycle.create)
    if result.ok:
        await operation.set_stack_state("CREATE", "COMPLETE", stack_completed("CREATE"))
        return True
    reason = cancelled_or_failed(operation, result, "CREATE")
    roll_back = not operation.view.row.disable_rollback and operation.cancel_requested != "no_rollback"
    # the rollback still needs the lock
    await operation.set_stack_state("CREATE", "FAILED", reason, release_lock=not roll_back)
    if roll_back:
        await rollback_create(operation)
    return False


async def conclude(operation: Operation, action: str, result: WalkResult, failed_as: str | None = None,
                   **values: Any) -> bool:
    """Write the stack's final state for a walk: COMPLETE (with ``values``) or FAILED with the first failure."""
    if result.ok:
        await operation.set_stack_state(action, "COMPLETE", stack_completed(action), **values)
        return True
    await operation.set_stack_state(action, "FAILED", first_failure(result, failed_as or action))
    return False


async def adopt(operation: Operation) -> bool:
    """Take over the cloud objects of abandoned-stack data (no rollback: nothing here was made)."""
    lifecycle = ResourceLifecycle(operation)
    return await conclude(operation, "ADOPT", await walk(operation, creation_graph(operation), lifecycle.adopt))


async def rollback_create(operation: Operation) -> bool:
    """Undo a failed create: delete everything that was made."""
    operation.action = "ROLLBACK"
    await operation.set_stack_state("ROLLBACK", "IN_PROGRESS", stack_started("ROLLBACK"))
    lifecycle = ResourceLifecycle(operation)
    result = await walk(operation, deletion_graph(operation), lifecycle.delete)
    return await conclude(operation, "ROLLBACK", result, failed_as="DELETE")


async def delete(operation: Operation) -> bool:
    """Delete every resource, dependants first."""
    lifecycle = ResourceLifecycle(operation)
    result = await walk(operation, deletion_graph(operation), lifecycle.delete)
    if result.ok:  # nothing will act for the stack any more (before it is marked gone: a crash retries this)
        await operation.in_thread(delete_stack_trust, operation.context, operation.view.row)
    return await conclude(operation, "DELETE", result, deleted_at=utcnow())


async def update(operation: Operation) -> bool:
    """Update to the stack's new template; on failure or a cancel, roll back if asked to."""
    outcome, result = await converge(operation)
    if result.ok and not operation.cancel_requested:
        await operation.set_stack_state("UPDATE", "COMPLETE", stack_completed("UPDATE"))
        return True
    reason = cancelled_or_failed(operation, result, "UPDATE")
    cancel = operation.cancel_requested
    roll_back = cancel == "rollback" or (cancel is None and not operation.view.row.disable_rollback)
    await operation.set_stack_state("UPDATE", "FAILED", reason, release_lock=not roll_back)
    if roll_back:
        return await rollback_update(operation)
    return False


async def rollback_update(operation: Operation) -> bool:
    """Return to the template (and parameters) the stack had before the failed update."""
    operation.action = "ROLLBACK"
    operation.cancel_requested = None
    # The stored request is consumed too, or the watcher would stop the rollback itself.
    await operation.set_stack_state("ROLLBACK", "IN_PROGRESS", stack_started("ROLLBACK"), cancel_requested=None)
    await operation.in_thread(operation.reload_previous_template)
    _, result = await converge(operation)
    return await conclude(operation, "ROLLBACK", result)


async def check(operation: Operation) -> bool:
    """Ask every resource whether it is healthy; go on past failures and report them all."""
    lifecycle = ResourceLifecycle(operation)
    result = await walk(operation, creation_graph(operation), lifecycle.check, continue_on_failure=True)
    if result.failed:
        await operation.set_stack_state("CHECK", "FAILED", first_failure(result, "CHECK"))
        return False
    reason = stack_completed("CHECK")
    if lifecycle.unsupported:
        reason += ". 'CHECK' not fully supported (see resources)"
    await operation.set_stack_state("CHECK", "COMPLETE", reason)
    return True


async def suspend(operation: Operation) -> bool:
    """Suspend every resource, dependants first."""
    return await _simple(operation, "SUSPEND", deletion_graph(operation))


async def resume(operation: Operation) -> bool:
    """Resume every resource, dependencies first."""
    return await _simple(operation, "RESUME", creation_graph(operation))


async def _simple(operation: Operation, action: str, graph: Mapping[str, Any]) -> bool:
    lifecycle = ResourceLifecycle(operation)
    return await conclude(operation, action,
                          await walk(operation, graph, lambda name: lifecycle.simple_action(name, action)))


#: action name -> the coroutine that carries it out
ACTIONS: dict[str, Callable[[Operation], Awaitable[bool]]] = {
    "CREATE": create,
    "DELETE": delete,
    "UPDATE": update,
    "CHECK": check,
    "SUSPEND": suspend,
    "RESUME": resume,
    "ADOPT": adopt,
    "SNAPSHOT": snapshots.take,
    "RESTORE": snapshots.restore,
}
