"""Walking a dependency graph in parallel: each node starts the moment its last dependency finishes.

The walker knows nothing about resources or clouds: it is given a graph
(node → the nodes it needs) and an async function to run for a node.  There
are no waves and no polling rounds — a node's completion immediately starts
every node that was waiting only for it.

When a node fails the walker starts nothing new (unless told to carry on, as
a stack check does) and waits for the nodes already running to finish, so a
failure never abandons work half-done.  Nodes that never ran are reported as
skipped.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Generic, Hashable, Iterable, Mapping, TypeVar

Node = TypeVar("Node", bound=Hashable)


@dataclass
class WalkResult(Generic[Node]):
    """How a walk went: the nodes that failed (with why) and those that never ran."""

    failed: dict[Node, BaseException] = field(default_factory=dict)
    skipped: set[Node] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """Whether every node ran and succeeded."""
        return not self.failed and not self.skipped


class GraphCycle(ValueError):
    """The graph has a cycle, so some nodes could never start."""


class Walker(Generic[Node]):
    """Runs ``run(node)`` for every node of ``graph`` in dependency order, in parallel."""

    def __init__(self, graph: Mapping[Node, Iterable[Node]], run: Callable[[Node], Awaitable[object]],
                 *, continue_on_failure: bool = False):
        self._run = run
        self._continue_on_failure = continue_on_failure
        self._waiting_for: dict[Node, int] = {}
        self._dependants: dict[Node, list[Node]] = {node: [] for node in graph}
        for node, needs in graph.items():
            needed = set(needs)
            unknown = needed - graph.keys()
            if unknown:
                raise KeyError(f"{node!r} needs nodes that are not in the graph: {sorted(map(repr, unknown))}")
            self._waiting_for[node] = len(needed)
            for need in needed:
                self._dependants[need].append(node)
        self._stopping = False
        self._result: WalkResult[Node] = WalkResult()

    def stop(self) -> None:
        """Start no further node; those running finish."""
        self._stopping = True

    async def walk(self) -> WalkResult[Node]:
        """Run the graph to the end; never raises for a failing node."""
        result = self._result
        running: set[asyncio.Task] = set()
        done_event = asyncio.Event()
        ready = [node for node, count in self._waiting_for.items() if count == 0]
        if not ready and self._waiting_for:
            raise GraphCycle("no node can start: the graph has a cycle")
        finished: set[Node] = set()

        def start(node: Node) -> None:
            task = asyncio.ensure_future(self._run(node))
            running.add(task)
            task.add_done_callback(lambda t, node=node: on_done(node, t))

        def on_done(node: Node, task: asyncio.Task) -> None:
            running.discard(task)
            finished.add(node)
            error = None if task.cancelled() else task.exception()
            if task.cancelled():
                error = asyncio.CancelledError()
            if error is not None:
                result.failed[node] = error
                if not self._continue_on_failure:
                    self._stopping = True
            elif not self._stopping:
                for dependant in self._dependants[node]:
                    self._waiting_for[dependant] -= 1
                    if self._waiting_for[dependant] == 0:
                        start(dependant)
            if not running:
                done_event.set()

        for node in ready:
            start(node)
        if running:
            await done_event.wait()
        result.skipped = set(self._waiting_for) - finished
        if not result.failed and result.skipped and not self._stopping:
            raise GraphCycle(f"nodes never became ready (a cycle?): {sorted(map(repr, result.skipped))}")
        return result
