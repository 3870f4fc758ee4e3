"""Marking a resource unhealthy, or healthy again (Heat's ``openstack stack resource mark unhealthy``).

An operator (or a monitoring service) says a resource is broken: it goes to
``CHECK_FAILED`` with the reason given, and the next stack update replaces it
as it replaces any failed resource.  Marking it healthy again returns a
``CHECK_FAILED`` resource to ``CHECK_COMPLETE`` and leaves any other state
alone, as Heat does.

The change is refused while an operation runs on the stack (or on the tree
it belongs to): the operation owns its resources' states until it ends.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert, select, update

from orchestrator.db.models import Event as EventRow
from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import utcnow

from . import locks
from .context import EngineContext
from .errors import StackNotFound
from .events import event_row
from .stack_view import load_stack_row

#: the reason Heat records when the request gives none
DEFAULT_REASON = "state changed by resource_mark_unhealthy api"


class ResourceNotFound(LookupError):
    """No current resource of the stack has that name or physical id (HTTP 404)."""

    def __init__(self, name: str):
        super().__init__(f"The Resource ({name}) could not be found.")


def mark_unhealthy(context: EngineContext, stack_id: str, resource: str, unhealthy: bool,
                   reason: str | None = None) -> bool:
    """Mark resource ``resource`` (a name or a physical id) of a stack unhealthy, or healthy again.

    Returns whether the resource's state changed.  Raises ``StackNotFound``,
    ``ResourceNotFound``, and ``StackBusy`` while an operation runs on the
    stack or its root.
    """
    reason = reason or DEFAULT_REASON
    holder = str(uuid.uuid4())
    with context.database.engine.begin() as connection:
        stack = load_stack_row(connection, stack_id)
        if stack is None or stack.deleted_at is not None:
            raise StackNotFound(f"The Stack ({stack_id}) could not be found.")
        _refuse_busy(connection, stack)
        row = _current_resource(connection, stack_id, resource)
        if unhealthy and row.action != "DELETE":
            action, status = "CHECK", "FAILED"
        elif not unhealthy and (row.action, row.status) == ("CHECK", "FAILED"):
            action, status = "CHECK", "COMPLETE"
        else:
            return False
        # Taking the lock in this transaction refuses the change if an operation
        # holds the stack, and keeps one from starting until the change is stored.
        locks.acquire(connection, stack_id, stack.name, holder, "CHECK", context.settings.lock_lease)
        connection.execute(update(ResourceRow).where(ResourceRow.id == row.id).values(
            action=action, status=status, status_reason=reason, updated_at=utcnow()))
        connection.execute(insert(EventRow).values(**event_row(
            stack_id, row.name, action, status, reason, physical_id=row.physical_id, resource_type=row.type)))
        locks.release(connection, stack_id, holder)
    return True


def _refuse_busy(connection: Connection, stack: Any) -> None:
    """``StackBusy`` if the stack, or the root of its tree (which runs its nested stacks), is in progress."""
    rows = [stack]
    if stack.root_id and stack.root_id != stack.id:
        root = load_stack_row(connection, stack.root_id)
        if root is not None:
            rows.append(root)
    for row in rows:
        if row.status == "IN_PROGRESS":
            raise locks.StackBusy(row.name, row.action)


def _current_resource(connection: Connection, stack_id: str, resource: str) -> Any:
    """The current row named ``resource``, else the current row whose physical id it is."""
    current = ResourceRow.stack_id == stack_id, ResourceRow.replaced_by.is_(None)
    for match in (ResourceRow.name == resource, ResourceRow.physical_id == resource):
        row = connection.execute(select(ResourceRow.__table__).where(*current, match)
                                 .order_by(ResourceRow.id.desc())).first()
        if row is not None:
            return row
    raise ResourceNotFound(resource)
