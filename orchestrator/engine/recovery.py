"""Picking up the operations an engine left behind when it died.

Every resource transition is committed before the next cloud call and a
physical id is stored as soon as the cloud returns it (decision 2), so the
database says exactly how far a dead engine got.  When an engine process
starts it looks for stacks still ``IN_PROGRESS`` whose lock lease has run out
(the holder stopped renewing it) or that have no lock at all, and takes them
over with the same conditional update any lock stealer uses, so two engines
starting together never both take one stack.

A create or a delete is simply run again: the lifecycle skips resources that
are already finished and polls those that were in progress instead of asking
the cloud twice.  Any other action (update, rollback, suspend, …) cannot be
resumed safely from its rows alone, so it is failed the way Heat fails it —
``<ACTION>_FAILED``, "Engine went down during stack <ACTION>", on the stack
and on every resource that was in progress — and a user can retry it.
Either way no stack is left ``IN_PROGRESS``.

Nested stacks run under their root's lock, are resumed by their parent's
operation, and are failed with their root; the one exception is an
autoscaling group's nested stack while a policy resizes it, which holds a
lock of its own (``scaling.py``): when that lock's lease runs out, the
resize (an update) is failed like any other, with the stacks inside it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, or_, select, update

from orchestrator.db.database import Database
from orchestrator.db.models import Event as EventRow
from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.models import StackLock, utcnow

from . import locks
from .events import event_row, stack_event_row
from .requests import Job

if TYPE_CHECKING:
    from .service import Engine

log = logging.getLogger(__name__)

#: actions that are carried on by running them again
RESUMABLE = frozenset(("CREATE", "DELETE"))


def engine_went_down(action: str) -> str:
    """Heat's reason for an operation its engine abandoned."""
    return f"Engine went down during stack {action}"


@dataclass(frozen=True)
class Orphan:
    """A stack whose operation has nobody working on it."""

    stack_id: str
    name: str
    action: str


def recover(engine: "Engine") -> list[tuple[str, str]]:
    """Resume or fail every abandoned stack operation; ``(stack_id, final ACTION_STATUS)`` of each.

    Resumed operations run together on one event loop, so a restart after a
    crash costs the longest of them, not their sum.
    """
    holder = engine.context.engine_id
    claimed = [taken for orphan in find_orphans(engine) if (taken := _claim(engine, orphan, holder)) is not None]
    resumable = [orphan for orphan in claimed if orphan.action in RESUMABLE]
    for orphan in claimed:
        if orphan.action not in RESUMABLE:
            log.warning("engine went down during %s of stack %s (%s): marking it failed",
                        orphan.action, orphan.name, orphan.stack_id)
            fail_operation(engine.context.database, orphan.stack_id, holder, engine_went_down(orphan.action))
    if resumable:
        asyncio.run(_resume_all(engine, resumable, holder))
    return [(orphan.stack_id, _state_of(engine, orphan.stack_id)) for orphan in claimed]


def find_orphans(engine: "Engine") -> list[Orphan]:
    """Root stacks in progress whose lock has expired or is missing, and nested ones whose own lock expired."""
    with engine.context.database.reading() as connection:
        rows = connection.execute(
            select(StackRow.id, StackRow.name, StackRow.action, StackRow.owner_id)
            .where(StackRow.status == "IN_PROGRESS",
                   or_(StackRow.owner_id.is_(None), StackRow.id.in_(select(StackLock.stack_id))))
            .order_by(StackRow.created_at)).all()
        if not rows:
            return []
        locked = set(connection.execute(select(StackLock.stack_id)).scalars())
        expired = {stack_id for stack_id, _, _ in locks.expired_locks(connection)}
    return [Orphan(row.id, row.name, row.action) for row in rows
            if row.id in expired or (row.owner_id is None and row.id not in locked)]


def _claim(engine: "Engine", orphan: Orphan, holder: str) -> Orphan | None:
    """Take the orphan's lock for ``holder``: the orphan as it now reads, or ``None`` if it is not ours."""
    with engine.context.database.engine.begin() as connection:
        try:
            locks.acquire(connection, orphan.stack_id, orphan.name, holder, orphan.action,
                          engine.context.settings.lock_lease)
        except locks.StackBusy:
            return None
        # Read again under the lock: another engine may have recovered the stack
        # (and released the lock) since we looked.
        row = connection.execute(select(StackRow.action, StackRow.status)
                                 .where(StackRow.id == orphan.stack_id)).one()
        if row.status != "IN_PROGRESS":
            # Released explicitly rather than by rolling back: on SQLite the
            # lock's savepoint may already have committed it.
            locks.release(connection, orphan.stack_id, holder)
            return None
    log.info("engine %s took over %s of stack %s (%s)", holder, row.action, orphan.name, orphan.stack_id)
    return Orphan(orphan.stack_id, orphan.name, row.action)


async def _resume_all(engine: "Engine", orphans: list[Orphan], holder: str) -> None:
    async def resume(orphan: Orphan) -> None:
        log.info("resuming %s of stack %s (%s)", orphan.action, orphan.name, orphan.stack_id)
        # Engine.execute fails the stack itself if the operation breaks; one
        # that ended without a final state (it should not) must not stay in progress.
        await engine.execute(Job(orphan.stack_id, orphan.action, holder))
        if (await asyncio.to_thread(_state_of, engine, orphan.stack_id)).endswith("_IN_PROGRESS"):
            await asyncio.to_thread(fail_operation, engine.context.database, orphan.stack_id, holder,
                                    engine_went_down(orphan.action))

    await asyncio.gather(*(resume(orphan) for orphan in orphans))


def fail_operation(database: Database, stack_id: str, holder: str, reason: str) -> None:
    """Fail a stack, its nested stacks and every resource in progress, and release the lock, at once.

    What an operation that cannot go on (its engine died, or it broke) leaves
    behind: never a stack in progress for ever.
    """
    with database.engine.begin() as connection:
        stacks = connection.execute(
            select(StackRow.id, StackRow.name, StackRow.action)
            .where(or_(StackRow.id == stack_id, StackRow.root_id == stack_id,
                       StackRow.id.in_(_nested_in(connection, stack_id))),
                   StackRow.status == "IN_PROGRESS")).all()
        for stack in stacks:
            # A nested stack's reason names its own action, as Heat's would.
            own_reason = reason if stack.id == stack_id else engine_went_down(stack.action)
            _fail_stack(connection, stack.id, stack.name, stack.action, own_reason)
        locks.release(connection, stack_id, holder)


def _nested_in(connection: Connection, stack_id: str) -> list[str]:
    """The ids of the stacks nested (at any depth) in a nested stack; a root's are found by ``root_id``."""
    found: list[str] = []
    level = [stack_id]
    owner = connection.execute(select(StackRow.owner_id).where(StackRow.id == stack_id)).scalar()
    while level and owner is not None:
        level = list(connection.execute(select(StackRow.id).where(StackRow.owner_id.in_(level))).scalars())
        found.extend(level)
    return found


def _fail_stack(connection: Connection, stack_id: str, name: str, action: str, reason: str) -> None:
    resources = connection.execute(
        select(ResourceRow.id, ResourceRow.name, ResourceRow.type, ResourceRow.action, ResourceRow.physical_id)
        .where(ResourceRow.stack_id == stack_id, ResourceRow.status == "IN_PROGRESS")
        .order_by(ResourceRow.id)).all()
    now = utcnow()
    connection.execute(update(ResourceRow).where(ResourceRow.stack_id == stack_id,
                                                 ResourceRow.status == "IN_PROGRESS")
                       .values(status="FAILED", status_reason=reason, updated_at=now))
    events = [event_row(stack_id, resource.name, resource.action, "FAILED", reason,
                        physical_id=resource.physical_id, resource_type=resource.type) for resource in resources]
    connection.execute(update(StackRow).where(StackRow.id == stack_id).values(
        status="FAILED", status_reason=reason, updated_at=now))
    events.append(stack_event_row(stack_id, name, action, "FAILED", reason))
    connection.execute(insert(EventRow), events)


def _state_of(engine: "Engine", stack_id: str) -> str:
    with engine.context.database.reading() as connection:
        row = connection.execute(select(StackRow.action, StackRow.status).where(StackRow.id == stack_id)).one()
    return f"{row.action}_{row.status}"
