"""The graphs stack actions walk, and walking them.

Kept apart from the actions so that every action module (create, update,
snapshot, …) builds its graph and reports failures the same way.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Mapping

from .lifecycle import ResourceActionFailed
from .operation import Operation
from .update import StackUpdate, UpdateOutcome
from .events import resource_failed
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


async def walk(operation: Operation, graph: Mapping[Any, object], run: Callable[[Any], Awaitable[object]], *,
               continue_on_failure: bool = False) -> WalkResult:
    """Walk ``graph`` with ``run`` at every node; a cancel request stops it starting new nodes."""
    walker = Walker(graph, run, continue_on_failure=continue_on_failure)
    operation.walkers.append(walker)
    try:
        return await walker.walk()
    finally:
        operation.walkers.remove(walker)


def first_failure(result: WalkResult[str], action: str) -> str:
    """The stack's status reason for a walk that failed."""
    for error in result.failed.values():
        if isinstance(error, ResourceActionFailed):
            return resource_failed(error.action, error.reason)
    if not result.failed:
        return f"Stack {action} stopped before every resource was done"
    name, error = next(iter(result.failed.items()))
    return resource_failed(action, f"{type(error).__name__}: resources.{name}: {error}")


def cancelled_or_failed(operation: Operation, result: WalkResult, action: str) -> str:
    """The stack's reason after a walk that did not finish."""
    if operation.cancel_requested and not result.failed:
        return f"Stack {action} cancelled"
    return first_failure(result, action)


async def converge(operation: Operation) -> tuple[UpdateOutcome, WalkResult]:
    """Walk the update graph from the stored resources to the view's template."""
    leftovers = await operation.in_thread(operation.load_leftovers)
    stack_update = StackUpdate(operation, dict(operation.view.records), leftovers)
    result = await walk(operation, stack_update.graph(), stack_update.run)
    return stack_update.outcome, result
