"""Durable state writes, committed in groups by one thread.

Every resource transition must be stored before the engine makes the next
cloud call.  Committing each one alone would make a thousand parallel
resources queue on the database; instead callers hand their writes to one
writer thread, which commits whatever has accumulated in a single
transaction (group commit) and then tells every caller that its write is
durable.  Under load a transaction carries hundreds of writes; alone, a write
waits for one short transaction.

Writes are data, so the writer can batch them: row updates with the same
columns become one ``executemany``, as do inserted events.  Anything else is a
function of the connection.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sys
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from sqlalchemy import Connection, bindparam, insert, update

from orchestrator.db.database import Database
from orchestrator.db.models import Event, Resource, Stack

log = logging.getLogger(__name__)

MAX_BATCH = 2000


@dataclass(frozen=True)
class UpdateRow:
    """Set ``values`` on one row of ``table`` (a model class) with primary key ``key``."""

    table: type
    key: Any
    values: dict


@dataclass(frozen=True)
class InsertRows:
    """Insert ``rows`` into ``table``; returns nothing."""

    table: type
    rows: tuple[dict, ...]


Operation = UpdateRow | InsertRows | Callable[[Connection], Any]

_STOP = object()
_PRIMARY_KEYS = {Resource: Resource.id, Stack: Stack.id}


class StateWriter:
    """The single writer thread of one engine process."""

    def __init__(self, database: Database, name: str = "state-writer"):
        self.database = database
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._closed = False
        self._thread.start()

    # -- submitting ----------------------------------------------------------------

    def submit(self, *operations: Operation) -> Future:
        """Queue writes; the future resolves (to the last operation's result) once they are committed."""
        if self._closed:
            raise RuntimeError("the state writer is closed")
        future: Future = Future()
        self._queue.put((operations, future))
        return future

    def write(self, *operations: Operation) -> Any:
        """Queue writes and wait until they are committed."""
        return self.submit(*operations).result()

    async def write_async(self, *operations: Operation) -> Any:
        """Queue writes and wait, without blocking the event loop, until they are committed.

        The writer wakes each event loop once per commit for all of that
        loop's writers, instead of once per write.
        """
        if self._closed:
            raise RuntimeError("the state writer is closed")
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        self._queue.put((operations, _LoopWaiter(loop, waiter)))
        return await waiter

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join()

    # -- the thread --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list) -> None:
        try:
            with self.database.engine.begin() as connection:
                results = _execute(connection, [operations for operations, _ in batch])
        except Exception:
            if len(batch) > 1:
                # One bad write must not fail the others: retry each on its own.
                for item in batch:
                    self._commit([item])
                return
            log.exception("state write failed")
            _, future = batch[0]
            _settle([(future, None, sys.exc_info()[1])])
            return
        _settle([(future, result, None) for (_, future), result in zip(batch, results)])


@dataclass(frozen=True)
class _LoopWaiter:
    """An asyncio future waiting for a write, and the loop it belongs to."""

    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


def _settle(outcomes: list[tuple[Any, Any, BaseException | None]]) -> None:
    """Resolve waiters: thread futures directly, asyncio futures with one call per loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for waiter, result, error in outcomes:
        if isinstance(waiter, _LoopWaiter):
            by_loop.setdefault(waiter.loop, []).append((waiter.future, result, error))
        elif error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(result)
    for loop, waiters in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve_on_loop, waiters)
        except RuntimeError:
            pass  # the loop has closed: nobody is waiting any more


def _resolve_on_loop(waiters: list) -> None:
    for future, result, error in waiters:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


def _execute(connection: Connection, groups: list[Iterable[Operation]]) -> list[Any]:
    """Run every group's operations, batching row updates and inserts; one result per group."""
    results: list[Any] = [None] * len(groups)
    # Several updates of one row (a plugin storing its id, then its data, then
    # the engine its state) become one; rows with the same columns, one executemany.
    pending_updates: dict[tuple, dict] = {}
    pending_inserts: dict[type, list[dict]] = {}

    def flush() -> None:
        by_columns: dict[tuple, list[dict]] = {}
        for (table, key), values in pending_updates.items():
            row = {"_key": key, **{f"_v_{column}": value for column, value in values.items()}}
            by_columns.setdefault((table, tuple(sorted(values))), []).append(row)
        for (table, columns), rows in by_columns.items():
            statement = update(table).where(_PRIMARY_KEYS[table] == bindparam("_key")).values(
                {column: bindparam(f"_v_{column}") for column in columns})
            connection.execute(statement, rows)
        pending_updates.clear()
        for table, rows in pending_inserts.items():
            connection.execute(insert(table), rows)
        pending_inserts.clear()

    for index, operations in enumerate(groups):
        for operation in operations:
            if isinstance(operation, UpdateRow):
                pending_updates.setdefault((operation.table, operation.key), {}).update(operation.values)
            elif isinstance(operation, InsertRows):
                pending_inserts.setdefault(operation.table, []).extend(operation.rows)
            else:
                # A function may read what earlier writes changed: flush them first.
                flush()
                results[index] = operation(connection)
    flush()
    return results


def event_rows(*rows: dict) -> InsertRows:
    """Insert events."""
    return InsertRows(Event, tuple(rows))
