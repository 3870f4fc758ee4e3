"""Stack snapshots: each resource's snapshot data with the stack's template, and restoring to it.

A snapshot walks the stack in dependency order and asks every plugin that
can for its snapshot (a server image, a volume backup); plugins that cannot
simply pass, as in Heat.  Restoring updates the stack back to the
snapshot's template and parameters, and hands each plugin its snapshot data.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert, select, update

from orchestrator.db.models import Snapshot
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.models import utcnow

from .events import stack_completed
from .graphs import converge, creation_graph, first_failure, walk
from .lifecycle import failure_reason
from .operation import Operation

MAX_SNAPSHOTS_PER_STACK = 32


class SnapshotRefused(Exception):
    """A snapshot or restore that cannot be done now (HTTP 400)."""


def new_snapshot(connection: Connection, stack_id: str, name: str | None) -> str:
    """Store a snapshot row IN_PROGRESS; its id."""
    count = len(connection.execute(select(Snapshot.id).where(Snapshot.stack_id == stack_id)).all())
    if count >= MAX_SNAPSHOTS_PER_STACK:
        raise SnapshotRefused(f"You have reached the maximum snapshots per stack, {MAX_SNAPSHOTS_PER_STACK}. "
                              "Please delete some snapshots.")
    snapshot_id = str(uuid.uuid4())
    connection.execute(insert(Snapshot).values(id=snapshot_id, stack_id=stack_id, name=name,
                                               status="IN_PROGRESS", status_reason="", data={},
                                               created_at=utcnow()))
    return snapshot_id


async def take(operation: Operation) -> bool:
    """The SNAPSHOT action: every resource's snapshot data, then the snapshot row."""
    collected: dict[str, Any] = {}

    async def one(name: str) -> None:
        record = operation.view.records[name]
        if record.action == "INIT":
            return
        plugin = operation.view.plugin(record)
        await operation.set_state(record, "SNAPSHOT", "IN_PROGRESS")
        if type(plugin).supports("snapshot"):
            try:
                collected[name] = dict(await operation.call(plugin, "snapshot") or {})
            except Exception as exc:
                await operation.set_state(record, "SNAPSHOT", "FAILED", failure_reason(name, exc))
                raise
        await operation.set_state(record, "SNAPSHOT", "COMPLETE")

    result = await walk(operation, creation_graph(operation), one)
    snapshot_id = operation.argument
    row = operation.view.row
    if result.ok:
        data = {"resources": collected, "template_id": row.template_id, "parameters": dict(row.parameters or {})}
        await operation.write(_finish(snapshot_id, "COMPLETE", "Stack SNAPSHOT completed successfully", data))
        await operation.set_stack_state("SNAPSHOT", "COMPLETE", stack_completed("SNAPSHOT"))
        return True
    reason = first_failure(result, "SNAPSHOT")
    await operation.write(_finish(snapshot_id, "FAILED", reason, {}))
    await operation.set_stack_state("SNAPSHOT", "FAILED", reason)
    return False


def _finish(snapshot_id: str, status: str, reason: str, data: dict):
    def store(connection: Connection) -> None:
        connection.execute(update(Snapshot).where(Snapshot.id == snapshot_id)
                           .values(status=status, status_reason=reason, data=data))
    return store


def prepare_restore(connection: Connection, stack_id: str, snapshot_id: str) -> None:
    """Point the stack at the snapshot's template and parameters (keeping the current ones to roll back to)."""
    snapshot = connection.execute(select(Snapshot.__table__).where(Snapshot.id == snapshot_id,
                                                         Snapshot.stack_id == stack_id)).first()
    if snapshot is None:
        raise LookupError(f"The Snapshot ({snapshot_id}) could not be found.")
    if snapshot.status != "COMPLETE":
        raise SnapshotRefused(f"Snapshot {snapshot_id} is {snapshot.status}; only a COMPLETE snapshot can be "
                              "restored.")
    row = connection.execute(select(StackRow.template_id, StackRow.parameters)
                             .where(StackRow.id == stack_id)).one()
    connection.execute(update(StackRow).where(StackRow.id == stack_id).values(
        prev_template_id=row.template_id, prev_parameters=row.parameters,
        template_id=snapshot.data["template_id"], parameters=snapshot.data.get("parameters") or {}))


async def restore(operation: Operation) -> bool:
    """The RESTORE action: converge to the snapshot's template, then let plugins restore their data."""
    _, result = await converge(operation)
    if not result.ok:
        await operation.set_stack_state("RESTORE", "FAILED", first_failure(result, "RESTORE"))
        return False
    snapshot = await operation.in_thread(_load_snapshot, operation, operation.argument)
    for name, data in (snapshot.get("resources") or {}).items():
        record = operation.view.records.get(name)
        if record is None:
            continue
        plugin = operation.view.plugin(record)
        if type(plugin).supports("restore"):
            await operation.call(plugin, "restore", data)
    await operation.set_stack_state("RESTORE", "COMPLETE", stack_completed("RESTORE"))
    return True


def _load_snapshot(operation: Operation, snapshot_id: str) -> dict:
    with operation.context.database.reading() as connection:
        return connection.execute(select(Snapshot.data).where(Snapshot.id == snapshot_id)).scalar() or {}

