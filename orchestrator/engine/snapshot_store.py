"""Deleting a stack's snapshots.

A snapshot is one row: the template id, parameters and each resource's
snapshot data.  No plugin keeps anything of its own for a snapshot that
would need cleaning up, so deleting one is deleting its row, refused while
the snapshot is still being taken or while the stack is being restored
(the restore reads the row as it runs).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from orchestrator.db.database import Database
from orchestrator.db.models import Snapshot

from .errors import NotSupported
from .locks import StackBusy
from .stack_view import load_stack_row


class SnapshotNotFound(LookupError):
    """No snapshot by that id for the stack (HTTP 404)."""


def delete_snapshot(database: Database, stack_id: str, snapshot_id: str) -> None:
    """Delete the snapshot ``snapshot_id`` of the stack ``stack_id``.

    Raises ``SnapshotNotFound``, ``NotSupported`` (it is still IN_PROGRESS,
    as in Heat) or ``StackBusy`` (the stack is being restored).
    """
    with database.engine.begin() as connection:
        snapshot = connection.execute(select(Snapshot.status).where(Snapshot.id == snapshot_id,
                                                                     Snapshot.stack_id == stack_id)).first()
        if snapshot is None:
            raise SnapshotNotFound(f"The Snapshot ({snapshot_id}) could not be found.")
        if snapshot.status == "IN_PROGRESS":
            raise NotSupported("Deleting in-progress snapshot is not supported.")
        stack = load_stack_row(connection, stack_id)
        if stack is not None and stack.action == "RESTORE" and stack.status == "IN_PROGRESS":
            raise StackBusy(stack.name, "RESTORE")
        connection.execute(delete(Snapshot).where(Snapshot.id == snapshot_id, Snapshot.stack_id == stack_id))
