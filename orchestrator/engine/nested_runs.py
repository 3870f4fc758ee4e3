"""Running nested stacks' operations inside their parent's operation.

A child's operation is a task on the event loop of the parent's operation,
under the root stack's lock (children take no lock of their own) and the
parent's deadline.  What every operation of one root stack's tree shares in
this process — running tasks, final states, finished views, parsed
templates, the resource count — lives in a ``Tree``, so that reading a child
that just finished needs no database round trip.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable, Callable, Mapping

from sqlalchemy import insert

from orchestrator.db.models import Event as EventRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.models import utcnow
from orchestrator.db.templates import store_template
from orchestrator.template.compiler import StackDefinition
from orchestrator.template.environment import Environment
from orchestrator.template.template import Template

from .actions import ACTIONS
from .attributes import referenced_attributes
from .events import stack_completed, stack_event_row, stack_started
from .operation import Operation
from .runtime import PluginRuntime
from .stack_view import StackView, load_stack_row, load_stack_view
from .writer import UpdateRow, event_rows

#: actions a child can simply run again after an engine restart (the rest are failed, as recovery does)
_RESUMABLE = frozenset(("CREATE", "DELETE", "SUSPEND", "RESUME", "CHECK"))


@dataclass
class Tree:
    """What the operations of one root stack's tree share in this process."""

    tasks: dict[str, Any] = field(default_factory=dict)
    actions: dict[str, str] = field(default_factory=dict)
    results: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    views: dict[str, StackView] = field(default_factory=dict)
    templates: dict[tuple[str, str], Template] = field(default_factory=dict)
    resource_count: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)



class ChildRuns:
    """Starts, resumes and runs the operations of one operation's nested stacks."""

    def __init__(self, engine: Any, operation: Operation | None, tree: Tree,
                 service_for: Callable[[Operation], Any], facade_of: Callable[[StackView], dict]):
        self.engine = engine
        self.operation = operation
        self.tree = tree
        #: the nested-stacks service a child operation's own plugins get
        self.service_for = service_for
        #: the resource facade of a child (``resource_facade`` in its template)
        self.facade_of = facade_of

    @property
    def context(self) -> Any:
        return self.engine.context

    def deadline(self, timeout_mins: int | None) -> float:
        deadline = self.operation.deadline
        if timeout_mins:
            deadline = min(deadline, time.monotonic() + self.context.settings.timeout_unit * timeout_mins)
        return deadline

    # -- running child operations ---------------------------------------------------------

    def store_and_run(self, stack_id: str, name: str, action: str, store: Callable, parsed: Template,
                       env: Environment, files: dict, definition: StackDefinition, facade: Mapping[str, Any],
                       timeout_mins: int | None) -> None:
        """Store the child's template, rows (``store``) and first event, then run ``action`` on it.

        Off the loop the write is durable before this returns, so the parent
        resource's next write (its physical id) never precedes it.
        """
        event = stack_event_row(stack_id, name, action, "IN_PROGRESS", stack_started(action))

        def write(connection) -> int:
            template_id = store_template(connection, parsed.data, replace(env, parameters={}).to_data(), files)
            store(connection, template_id)
            connection.execute(insert(EventRow).values(**event))
            return template_id

        stored = self.context.writer.submit(write)
        if not self.operation.in_loop_thread():
            stored.result()
        deadline = self.deadline(timeout_mins)

        async def work() -> None:
            self.engine.templates.put(await asyncio.wrap_future(stored), parsed, env, files)
            await self.operate(stack_id, action, definition, facade, deadline)

        self.launch(stack_id, action, work)

    def launch(self, stack_id: str, action: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` on the operation's loop, after whatever was still running on that child."""
        tree = self.tree
        previous = tree.tasks.get(stack_id)

        async def run() -> None:
            if previous is not None and not previous.done():
                waiting = previous if isinstance(previous, asyncio.Future) else asyncio.wrap_future(previous)
                await asyncio.wait([waiting])
            await work()

        tree.results.pop(stack_id, None)
        tree.actions[stack_id] = action
        if self.operation.in_loop_thread():
            tree.tasks[stack_id] = asyncio.ensure_future(run())
        else:
            tree.tasks[stack_id] = asyncio.run_coroutine_threadsafe(run(), self.operation.loop)

    def resume(self, row: Any) -> None:
        """Carry on an operation that an engine restart interrupted (or fail it, as recovery does)."""
        if row.action in _RESUMABLE:
            self.launch(row.id, row.action, lambda: self.operate(row.id, row.action))
            return

        async def fail() -> None:
            await self.set_stack_state(row, row.action, "FAILED", f"Engine went down during stack {row.action}")
            self.tree.results[row.id] = (row.action, "FAILED", f"Engine went down during stack {row.action}")

        self.launch(row.id, row.action, fail)

    async def operate(self, stack_id: str, action: str, prepared: StackDefinition | None = None,
                       facade: Mapping[str, Any] | None = None, deadline: float | None = None,
                       start: bool = False) -> None:
        """Run one stack action on a child, inside the parent's operation; record how it ended.

        With ``start`` the child's state is first moved to ``<action>_IN_PROGRESS``
        (create and update store it with their new template).
        """
        engine, context, tree = self.engine, self.context, self.tree
        child: Operation | None = None

        def runtime(view: StackView, record: Any) -> PluginRuntime:
            return PluginRuntime(view, record, child, context)

        def load() -> StackView | None:
            with context.database.reading() as connection:
                try:
                    return load_stack_view(connection, stack_id, context.plugins, engine.templates, runtime)
                except LookupError:
                    return None

        view = await self.in_thread(load)
        gone = view is None or view.row.deleted_at is not None or (view.row.action, view.row.status) == (
            "DELETE", "COMPLETE")
        if gone and action == "DELETE":
            tree.results[stack_id] = ("DELETE", "COMPLETE", "")
            return
        if view is None:
            raise LookupError(f"The Stack ({stack_id}) could not be found.")
        if start:
            await self.set_stack_state(view.row, action, "IN_PROGRESS", stack_started(action))
        child = Operation(context, view, action)
        self.operation.bind_child(child)
        if deadline is not None:
            child.deadline = deadline
        services = engine.services_for(child)
        services["nested_stacks"] = self.service_for(child)
        child.services.update(services)
        facade = facade if facade is not None else self.facade_of(view)

        def reload() -> StackView:
            fresh = load()
            fresh.definition(facade=facade)
            return fresh

        child.reload = reload
        if action != "DELETE":
            if prepared is not None and prepared.template is view.template:
                view.use_definition(prepared)
            child.referenced_attributes = referenced_attributes(view.definition(facade=facade))
        try:
            ok = await ACTIONS[action](child)
        except Exception as exc:  # never leave the child in progress, whatever went wrong
            await self.set_stack_state(view.row, child.action, "FAILED", f"{type(exc).__name__}: {exc}")
            raise
        if ok and child.action == action:
            tree.results[stack_id] = (action, "COMPLETE", stack_completed(action))
        else:  # the reason is the one the action stored
            row = await self.in_thread(self.row, stack_id)
            tree.results[stack_id] = (row.action, row.status, row.status_reason)
        if tree.results[stack_id][:2] == ("DELETE", "COMPLETE"):
            tree.views.pop(stack_id, None)
            with tree.lock:
                if tree.resource_count is not None:
                    tree.resource_count -= len(child.view.records)
        else:
            tree.views[stack_id] = child.view

    async def set_stack_state(self, row: Any, action: str, status: str, reason: str) -> None:
        await self.context.writer.write_async(
            UpdateRow(StackRow, row.id, {"action": action, "status": status, "status_reason": reason,
                                         "updated_at": utcnow()}),
            event_rows(stack_event_row(row.id, row.name, action, status, reason)))

    async def in_thread(self, function: Callable, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.context.executor, function, *args)

    def row(self, stack_id: str) -> Any:
        with self.context.database.reading() as connection:
            return load_stack_row(connection, stack_id)


def error_of(task: Any) -> BaseException | None:
    """The exception a finished task or future ended with, if any."""
    if task.cancelled():
        return asyncio.CancelledError("the nested stack operation was cancelled")
    return task.exception()
