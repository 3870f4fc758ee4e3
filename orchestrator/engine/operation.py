"""One stack action being carried out, and the steps every resource action is made of.

An ``Operation`` runs on an asyncio event loop.  Plugin calls that may block
run on the engine's worker threads; waiting (for a cloud object to become
ACTIVE, for a hook to be cleared) costs no thread at all, so a thousand
resources can wait at once.  Every state change goes through the engine's
group-commit writer and is durable before the next step.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
import time
from typing import Any, Callable

from sqlalchemy import select, update

from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.models import utcnow

from . import locks
from .context import EngineContext
from .events import STATE_CHANGED, event_row, hook_paused, stack_event_row
from .attributes import referenced_attributes
from .stack_view import ResourceRecord, StackView, load_leftovers
from .writer import UpdateRow, event_rows


#: the actions a cancel request can stop (``Engine.cancel_update``)
CANCELLABLE = frozenset(("CREATE", "UPDATE"))


class OperationTimeout(Exception):
    """The stack's timeout passed while a resource was still working."""


class Operation:
    """Shared state and helpers of one stack action."""

    def __init__(self, context: EngineContext, view: StackView, action: str):
        self.context = context
        self.settings = context.settings
        self.view = view
        self.action = action
        minutes = view.row.timeout_mins or self.settings.default_timeout_mins
        self.deadline = time.monotonic() + self.settings.timeout_unit * minutes
        #: the engine services its plugins may use (``runtime.service(name)``), set by whoever runs it
        self.services: dict[str, Any] = {}
        #: what the action works on besides the stack (a snapshot's id)
        self.argument: str | None = None
        #: resource name -> (attribute, path) pairs that the stack reads (see attributes.py)
        self.referenced_attributes: dict[str, set] = {}
        self.cancel_requested: str | None = None
        #: walkers to stop when a cancel request arrives
        self.walkers: list[Any] = []
        #: the holder of the stack lock this operation runs under (nested stacks run under the root's)
        self.lock_holder: str | None = None
        self._waiting_hooks: dict[int, asyncio.Future] = {}
        self._watcher: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None

    # -- running ---------------------------------------------------------------------

    async def start(self) -> None:
        """Bind to the running loop and start watching for cancel requests and cleared hooks."""
        self.loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()
        self._watcher = asyncio.ensure_future(self._watch())

    async def finish(self) -> None:
        """Stop watching."""
        if self._watcher is not None:
            self._watcher.cancel()
            try:
                await self._watcher
            except asyncio.CancelledError:
                pass

    # nested stacks (nested.py): a child's operation runs inside this one, without a watcher of its own
    def bind_child(self, child: "Operation") -> None:
        """Run ``child`` (a nested stack's operation) on this loop, by this deadline; this watcher serves its hooks."""
        child.loop, child.loop_thread, child.deadline = self.loop, self.loop_thread, self.deadline
        child._waiting_hooks = self._waiting_hooks

    def stop(self) -> None:
        """Start no further resource; what is running finishes (the lock was lost)."""
        self.lock_holder = None
        for walker in self.walkers:
            walker.stop()

    def in_loop_thread(self) -> bool:
        """Whether the caller runs on the operation's event loop (so must not block on a write)."""
        return threading.get_ident() == self.loop_thread

    def time_left(self) -> float:
        """Seconds until the stack's timeout."""
        return self.deadline - time.monotonic()

    def check_deadline(self) -> None:
        """Raise ``OperationTimeout`` once the stack's timeout has passed."""
        if time.monotonic() > self.deadline:
            raise OperationTimeout(f"{self.action.capitalize()} timed out")

    # -- plugin calls ----------------------------------------------------------------------

    async def call(self, plugin: Any, method: str, *args: Any) -> Any:
        """Call a plugin method: on a worker thread if it may block, else right here."""
        function = getattr(plugin, method)
        if not plugin.blocking:
            return function(*args)
        return await self.loop.run_in_executor(self.context.executor, functools.partial(function, *args))

    async def call_function(self, plugin: Any, function: Callable[[], Any]) -> Any:
        """Run ``function`` where ``plugin``'s own methods run (it may call them)."""
        if not plugin.blocking:
            return function()
        return await self.loop.run_in_executor(self.context.executor, function)

    async def in_thread(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run blocking work (resolving attributes may call the cloud) on a worker thread."""
        return await self.loop.run_in_executor(self.context.executor, functools.partial(function, *args))

    async def wait_until_complete(self, plugin: Any, check: str) -> None:
        """Ask ``check`` until it says done, backing off between questions."""
        delay = self.settings.poll_initial
        while True:
            self.check_deadline()
            answer = await self.call(plugin, check)
            if answer is True:
                return
            if isinstance(answer, (asyncio.Future, concurrent.futures.Future)):
                # nested stacks (nested.py): the check hands back its child's task; wake when it ends
                waiter = answer if isinstance(answer, asyncio.Future) else asyncio.wrap_future(answer)
                await asyncio.wait([waiter], timeout=max(self.deadline - time.monotonic(), 0.0) + 0.001)
                continue
            if answer is False or answer is None:
                wait, delay = delay, min(delay * self.settings.poll_factor, self.settings.poll_max)
            else:
                wait = max(float(answer), 0.0)
            await asyncio.sleep(min(wait, max(self.deadline - time.monotonic(), 0.0) + 0.001))

    # -- durable state ---------------------------------------------------------------------

    async def write(self, *operations: Any) -> None:
        """Commit writes and wait until they are durable."""
        await self.context.writer.write_async(*operations)

    async def set_state(self, record: ResourceRecord, action: str, status: str, reason: str = STATE_CHANGED,
                        *, event: bool = True, event_properties: dict | None = None, **values: Any) -> None:
        """Move a resource to ``action``/``status`` (with other column ``values``) and record an event."""
        record.action, record.status, record.status_reason = action, status, reason
        for key, value in values.items():
            setattr(record, key, value)
        columns = {"action": action, "status": status, "status_reason": reason, "updated_at": utcnow(), **values}
        operations: list[Any] = [UpdateRow(ResourceRow, record.id, columns)]
        if event:
            operations.append(event_rows(event_row(
                self.view.id, record.name, action, status, reason, physical_id=record.physical_id,
                resource_type=record.type, properties=event_properties)))
        await self.write(*operations)

    async def set_stack_state(self, action: str, status: str, reason: str, *, release_lock: bool = True,
                              **values: Any) -> None:
        """Move the stack to ``action``/``status`` and record a stack event.

        A final state (COMPLETE or FAILED) is committed together with the
        release of the stack lock, so nobody sees a finished stack that is
        still locked; ``release_lock=False`` keeps the lock for what still
        follows (the rollback after a failed create or update).
        """
        columns = {"action": action, "status": status, "status_reason": reason, "updated_at": utcnow(), **values}
        operations: list[Any] = [
            UpdateRow(StackRow, self.view.id, columns),
            event_rows(stack_event_row(self.view.id, self.view.name, action, status, reason))]
        if status != "IN_PROGRESS" and self.lock_holder is not None and release_lock:
            holder = self.lock_holder
            operations.append(lambda connection: locks.release(connection, self.view.id, holder))
        await self.write(*operations)

    # -- reloading (rollback) -------------------------------------------------------------

    def load_leftovers(self) -> dict:
        """Replaced rows of this stack that still exist (see ``update.StackUpdate``)."""
        with self.context.database.reading() as connection:
            return load_leftovers(connection, self.view.id)

    def reload_previous_template(self) -> None:
        """Make the template before the last update the stack's template again, and reload."""
        with self.context.database.engine.begin() as connection:
            row = connection.execute(select(StackRow.template_id, StackRow.prev_template_id,
                                            StackRow.parameters, StackRow.prev_parameters)
                                     .where(StackRow.id == self.view.id)).one()
            if row.prev_template_id is None:
                raise RuntimeError("the stack has no previous template to roll back to")
            connection.execute(update(StackRow).where(StackRow.id == self.view.id).values(
                template_id=row.prev_template_id, parameters=row.prev_parameters or {},
                prev_template_id=row.template_id, prev_parameters=row.parameters))
        self.view = self.reload()
        self.referenced_attributes = referenced_attributes(self.view.definition())

    def reload(self) -> StackView:
        """A fresh view of the stack from the database (set by the engine)."""
        raise NotImplementedError

    # -- hooks and cancellation ------------------------------------------------------------

    async def pause_at_hook(self, record: ResourceRecord, hook: str, action: str) -> None:
        """Stop at a breakpoint until a signal clears it (Heat's reason strings)."""
        reason = hook_paused(action, hook)
        # The event keeps the resource's current state, as Heat's does.
        await self.set_state(record, record.action, record.status, reason, hook=hook)
        waiter = self.loop.create_future()
        self._waiting_hooks[record.id] = waiter
        try:
            await waiter
        finally:
            self._waiting_hooks.pop(record.id, None)
        record.hook = None

    async def _watch(self) -> None:
        """Read cancel requests and cleared hooks from the database while the operation runs.

        The database is read only when there is something to learn: while the
        action can be cancelled (a create or an update, until a cancel is
        seen) or while a resource (of this stack or a nested one) waits at a hook.
        """
        interval = self.settings.watch_interval
        while True:
            await asyncio.sleep(interval)
            waiting = list(self._waiting_hooks)
            cancellable = self.action in CANCELLABLE and not self.cancel_requested
            if not waiting and not cancellable:
                continue
            cancel, still_hooked = await self.in_thread(self._read_controls, waiting, cancellable)
            if cancel and not self.cancel_requested:
                self.cancel_requested = cancel
                for walker in self.walkers:
                    walker.stop()
            for record_id in waiting:
                if record_id not in still_hooked:
                    waiter = self._waiting_hooks.get(record_id)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(None)

    def _read_controls(self, waiting: list[int], cancellable: bool) -> tuple[str | None, set[int]]:
        with self.context.database.reading() as connection:
            cancel = None
            if cancellable:
                cancel = connection.execute(
                    select(StackRow.cancel_requested).where(StackRow.id == self.view.id)).scalar()
            hooked: set[int] = set()
            if waiting:
                hooked = set(connection.execute(
                    select(ResourceRow.id).where(ResourceRow.id.in_(waiting), ResourceRow.hook.is_not(None))
                ).scalars())
        return cancel, hooked
