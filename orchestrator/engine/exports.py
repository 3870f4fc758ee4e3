"""Export, abandon and adopt: a stack's record handed out, and taken back in.

The data has Heat's abandon format, so a stack abandoned by Heat can be
adopted here and the other way round: the template, environment and files,
and for each resource its physical id, type, state, metadata and plugin
data (nested stacks under their parent resource).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from orchestrator.db.models import Event as EventRow
from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.models import utcnow
from orchestrator.db.templates import load_template

from .events import event_row, stack_completed, stack_event_row
from .stack_view import load_records, load_stack_row

#: what a resource's plugin data may not carry into an export (engine bookkeeping)
_PRIVATE_DATA = frozenset(("_adopt",))


def export_stack(connection: Connection, stack_id: str) -> dict[str, Any]:
    """The stack's abandon data (Heat's format), nested stacks included."""
    row = load_stack_row(connection, stack_id)
    if row is None:
        raise LookupError(f"The Stack ({stack_id}) could not be found.")
    template, environment, files, _ = load_template(connection, row.template_id)
    environment = {**environment, "parameters": dict(row.parameters or {})}
    return {
        "id": row.id, "name": row.name, "action": row.action, "status": row.status,
        "template": template, "environment": environment, "files": files,
        "project_id": row.project_id, "stack_user_project_id": row.project_id, "tags": list(row.tags or []),
        "resources": _resources(connection, stack_id),
    }


def _resources(connection: Connection, stack_id: str) -> dict[str, Any]:
    exported = {}
    for name, record in load_records(connection, stack_id).items():
        entry = {
            "name": name, "resource_id": record.physical_id, "type": record.type, "action": record.action,
            "status": record.status, "metadata": record.metadata_,
            "resource_data": {k: v for k, v in record.data.items() if k not in _PRIVATE_DATA},
        }
        if record.nested_stack_id or _owned_stack(connection, stack_id, name):
            child = record.nested_stack_id or _owned_stack(connection, stack_id, name)
            entry["resources"] = _resources(connection, child)
        exported[name] = entry
    return exported


def _owned_stack(connection: Connection, stack_id: str, resource_name: str) -> str | None:
    return connection.execute(select(StackRow.id).where(StackRow.owner_id == stack_id,
                                                        StackRow.parent_resource == resource_name,
                                                        StackRow.deleted_at.is_(None))).scalar()


def abandon(connection: Connection, stack_id: str) -> None:
    """Forget a stack and its nested stacks without deleting anything in the cloud."""
    row = load_stack_row(connection, stack_id)
    now = utcnow()
    children = connection.execute(select(StackRow.id).where(StackRow.owner_id == stack_id,
                                                            StackRow.deleted_at.is_(None))).scalars().all()
    for child in children:
        abandon(connection, child)
    records = load_records(connection, stack_id)
    for record in records.values():
        connection.execute(update(ResourceRow).where(ResourceRow.id == record.id).values(
            action="DELETE", status="COMPLETE", status_reason="state changed (abandoned)", updated_at=now))
    events = [event_row(stack_id, name, "DELETE", "COMPLETE", "state changed (abandoned)",
                        physical_id=record.physical_id, resource_type=record.type)
              for name, record in records.items()]
    events.append(stack_event_row(stack_id, row.name, "DELETE", "COMPLETE", stack_completed("DELETE")))
    connection.execute(insert(EventRow), events)
    connection.execute(update(StackRow).where(StackRow.id == stack_id).values(
        action="DELETE", status="COMPLETE", status_reason="Stack abandoned", updated_at=now, deleted_at=now))


def adoption_data(adopt_data: dict[str, Any], name: str) -> dict[str, Any] | None:
    """What a resource's plugin needs to take over its cloud object (``None``: create it anew)."""
    entry = (adopt_data.get("resources") or {}).get(name)
    if not entry:
        return None
    return {"resource_id": entry.get("resource_id"), "resource_data": entry.get("resource_data") or {},
            "metadata": entry.get("metadata") or {}}
