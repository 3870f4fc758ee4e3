"""What the engine gives each plugin instance (the ``resources.base.Runtime`` contract)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import utcnow

from .stack_view import ResourceRecord, StackView
from .writer import UpdateRow


class PluginRuntime:
    """A plugin's link to the engine: durable writes, naming, the cloud, engine services."""

    def __init__(self, view: StackView, record: ResourceRecord, operation: Any = None, context: Any = None,
                 services: dict[str, Any] | None = None):
        self._view = view
        self._record = record
        self._operation = operation
        self._context = context if context is not None else getattr(operation, "context", None)
        self._services = services if services is not None else getattr(operation, "services", None) or {}
        self.stack_name = view.name
        self.stack_id = view.id
        self.project_id = view.project_id

    def physical_name(self) -> str:
        return self._view.physical_name(self._record)

    def set_physical_id(self, physical_id: str | None) -> None:
        self._record.physical_id = physical_id
        self._store({"physical_id": physical_id})

    def set_data(self, key: str, value: Any) -> None:
        if self._operation is None and self._context is not None:
            # Outside an operation (a signal), other processes may write the same
            # row at the same moment: merge into the stored data under a row lock.
            self._record.data = self._context.writer.write(_merge_data(self._record.id, key, value))
            return
        data = dict(self._record.data)
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        self._record.data = data
        self._store({"data": data})

    def cloud(self) -> Any:
        factory = self._context.cloud_factory if self._context is not None else None
        if factory is None:
            raise RuntimeError("no cloud is configured for this engine")
        return factory(self._view)

    def service(self, name: str) -> Any:
        if name not in self._services:
            raise LookupError(f"the engine offers no service {name!r} here")
        return self._services[name]

    def _store(self, values: dict) -> None:
        if self._context is None:
            return  # a read-only view (the API resolving outputs) stores nothing
        operation = UpdateRow(ResourceRow, self._record.id, {**values, "updated_at": utcnow()})
        writer = self._context.writer
        if self._operation is not None and self._operation.in_loop_thread():
            # A plugin running on the event loop must not wait for the writer; the
            # write is still ordered before the resource's next transition.
            writer.submit(operation)
        else:
            writer.write(operation)


def _merge_data(resource_id: int, key: str, value: Any):
    """A write that sets one key of a resource's stored data, whatever else changed it meanwhile."""

    def merge(connection) -> dict:
        current = connection.execute(select(ResourceRow.data).where(ResourceRow.id == resource_id)
                                     .with_for_update()).scalar()
        data = dict(current or {})
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
        connection.execute(update(ResourceRow).where(ResourceRow.id == resource_id)
                           .values(data=data, updated_at=utcnow()))
        return data

    return merge
