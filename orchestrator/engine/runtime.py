"""What the engine gives each plugin instance (the ``resources.base.Runtime`` contract)."""

from __future__ import annotations

from typing import Any, Callable, Mapping

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
            self._record.data = self._context.writer.write(
                _change_data(self._record.id, lambda data: _with(data, key, value)))
            return
        data = _with(dict(self._record.data), key, value)
        self._record.data = data
        self._store({"data": data})

    def merge_data(self, key: str, entries: Mapping[str, Any] | Callable[[dict], Mapping[str, Any]]) -> dict:
        """Merge ``entries`` into the mapping stored under ``key`` in one transaction, under a row lock.

        The row is read and written in one writer transaction: ``SELECT … FOR
        UPDATE`` on PostgreSQL and MariaDB, and on SQLite a transaction that
        takes the write lock at ``BEGIN IMMEDIATE``; so writers in other
        threads and processes queue, and none of their entries is lost.  It
        always waits for the commit, even on the event loop.
        """
        def change(data: dict) -> dict:
            current = data.get(key)
            if current is not None and not isinstance(current, Mapping):
                raise TypeError(f"data {key!r} of resource {self._record.name} is not a mapping")
            merged = dict(current or {})
            for name, value in (entries(dict(merged)) if callable(entries) else entries).items():
                if value is None:
                    merged.pop(name, None)
                else:
                    merged[name] = value
            return _with(data, key, merged or None)

        if self._context is None:  # a read-only view stores nothing
            self._record.data = change(dict(self._record.data))
        else:
            self._record.data = self._context.writer.write(_change_data(self._record.id, change))
        return dict(self._record.data.get(key) or {})

    def cloud(self) -> Any:
        factory = self._context.cloud_factory if self._context is not None else None
        if factory is None:
            raise RuntimeError("no cloud is configured for this engine")
        return factory(self._view)

    def service(self, name: str) -> Any:
        # Services of this operation (or read), else of the whole engine (set up
        # with it): a service that depends on who asks (signed URLs name one
        # resource row, a resize names the policy) is bound to this resource.
        offered = self._services.get(name)
        if offered is None:
            offered = (getattr(self._context, "extra_services", None) or {}).get(name)
        if offered is None:
            raise LookupError(f"the engine offers no service {name!r} here")
        bind = getattr(offered, "bound_to", None)
        return bind(self._view, self._record) if bind is not None else offered

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


def _with(data: dict, key: str, value: Any) -> dict:
    """``data`` with ``key`` set to ``value`` (``None``: removed)."""
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    return data


def _change_data(resource_id: int, change: Callable[[dict], dict]):
    """A write that changes a resource's stored data as it is now, whatever else changed it meanwhile.

    The row is locked while it is read (a no-op on SQLite, whose writer
    transactions hold the database's write lock from their start).
    """

    def write(connection) -> dict:
        current = connection.execute(select(ResourceRow.data).where(ResourceRow.id == resource_id)
                                     .with_for_update()).scalar()
        data = change(dict(current or {}))
        connection.execute(update(ResourceRow).where(ResourceRow.id == resource_id)
                           .values(data=data, updated_at=utcnow()))
        return data

    return write
