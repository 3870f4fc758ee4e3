"""The stack lock: one operation per stack at a time, enforced by the database.

A lock is a row naming its holder and a lease.  The holder renews the lease
while it works; a lease that has expired means the holder died, and the lock
may be stolen with a conditional update (only one stealer can win).  A
second operation on a locked stack is refused with ``StackBusy`` — never
interleaved.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from orchestrator.db.models import Stack, StackLock, utcnow


class StackBusy(Exception):
    """Another operation holds the stack (HTTP 409 at the API)."""

    def __init__(self, stack_name: str, action: str):
        super().__init__(f"Stack {stack_name} already has an action ({action}) in progress.")
        self.action = action


def aware(moment: datetime) -> datetime:
    """``moment`` with its time zone: SQLite and MariaDB hand back naive datetimes, stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def acquire(connection: Connection, stack_id: str, stack_name: str, holder: str, action: str,
            lease: float) -> bool:
    """Take the lock for ``holder``; ``True`` if it was stolen from a dead holder.

    Raises ``StackBusy`` when a live holder has it.
    """
    now = utcnow()
    expires = now + timedelta(seconds=lease)
    try:
        with connection.begin_nested():
            connection.execute(insert(StackLock).values(stack_id=stack_id, engine_id=holder, action=action,
                                                        expires_at=expires, created_at=now))
        return False
    except IntegrityError:
        pass
    current = connection.execute(select(StackLock).where(StackLock.stack_id == stack_id)).first()
    if current is None:  # released meanwhile: try once more
        return acquire(connection, stack_id, stack_name, holder, action, lease)
    if current.engine_id == holder:
        renew(connection, stack_id, holder, lease)
        return False
    if aware(current.expires_at) > now:
        raise StackBusy(stack_name, current.action)
    stolen = connection.execute(
        update(StackLock)
        .where(StackLock.stack_id == stack_id, StackLock.engine_id == current.engine_id,
               StackLock.expires_at == current.expires_at)
        .values(engine_id=holder, action=action, expires_at=expires, created_at=now)).rowcount
    if stolen != 1:
        raise StackBusy(stack_name, current.action)
    return True


def renew(connection: Connection, stack_id: str, holder: str, lease: float) -> bool:
    """Extend the lease; ``False`` if ``holder`` no longer holds the lock."""
    return connection.execute(
        update(StackLock).where(StackLock.stack_id == stack_id, StackLock.engine_id == holder)
        .values(expires_at=utcnow() + timedelta(seconds=lease))).rowcount == 1


def transfer(connection: Connection, stack_id: str, holder: str, new_holder: str, lease: float) -> bool:
    """Hand the lock from ``holder`` (a queued job) to ``new_holder`` (the worker running it)."""
    return connection.execute(
        update(StackLock).where(StackLock.stack_id == stack_id, StackLock.engine_id == holder)
        .values(engine_id=new_holder, expires_at=utcnow() + timedelta(seconds=lease))).rowcount == 1


def release(connection: Connection, stack_id: str, holder: str) -> bool:
    """Give the lock up; ``False`` if ``holder`` did not hold it."""
    return connection.execute(
        delete(StackLock).where(StackLock.stack_id == stack_id, StackLock.engine_id == holder)).rowcount == 1


def holder_of(connection: Connection, stack_id: str) -> tuple[str, str, datetime] | None:
    """``(holder, action, expires_at)`` of a stack's lock, if it is locked."""
    row = connection.execute(select(StackLock).where(StackLock.stack_id == stack_id)).first()
    return (row.engine_id, row.action, aware(row.expires_at)) if row else None


def expired_locks(connection: Connection) -> list[tuple[str, str, str]]:
    """``(stack_id, holder, action)`` of every lock whose holder stopped renewing it."""
    rows = connection.execute(select(StackLock.stack_id, StackLock.engine_id, StackLock.action,
                                     StackLock.expires_at)).all()
    now = utcnow()
    return [(row.stack_id, row.engine_id, row.action) for row in rows if aware(row.expires_at) <= now]


def busy_descendant(connection: Connection, stack_id: str, root_id: str | None) -> str | None:
    """The action of a lock held by a stack nested (at any depth) in ``stack_id``, if there is one.

    Nested stacks run under their root's lock and hold none of their own,
    except an autoscaling group's while a policy resizes it; a request on a
    stack above such a group must wait for the resize (``StackBusy``).
    """
    root_id = root_id or stack_id
    held = connection.execute(
        select(StackLock.stack_id, StackLock.action, Stack.owner_id).join(Stack, Stack.id == StackLock.stack_id)
        .where(Stack.root_id == root_id, StackLock.stack_id != stack_id)).all()
    for _, action, owner in held:
        if stack_id == root_id:
            return action
        while owner is not None:  # is stack_id above the locked stack?
            if owner == stack_id:
                return action
            owner = connection.execute(select(Stack.owner_id).where(Stack.id == owner)).scalar()
    return None


def refuse_busy_descendants(connection: Connection, row) -> None:
    """``StackBusy`` if a stack nested in the stack of ``row`` holds a lock of its own (a group resizing)."""
    action = busy_descendant(connection, row.id, row.root_id)
    if action is not None:
        raise StackBusy(row.name, action)
