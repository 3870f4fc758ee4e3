"""Plugins reading the other resources of their stack (``runtime.service("stack")``).

A wait condition reads the signals its handle has received; a software
deployment reads its config.  They read stored state, never another plugin's
memory: the signal may have arrived in another process.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from orchestrator.db.database import Database
from orchestrator.db.models import Resource as ResourceRow


class StackResources:
    """Read access to one stack's resources, as stored."""

    def __init__(self, database: Database, stack_id: str):
        self._database = database
        self._stack_id = stack_id

    def resource(self, name: str) -> dict[str, Any] | None:
        """The current row of resource ``name`` as a dict (``physical_id``, ``data``, ``metadata``, …)."""
        with self._database.reading() as connection:
            rows = connection.execute(
                select(ResourceRow.__table__).where(ResourceRow.stack_id == self._stack_id,
                                                    ResourceRow.name == name,
                                                    ResourceRow.replaced_by.is_(None))
                .order_by(ResourceRow.id.desc())).all()
        if not rows:
            return None
        return dict(rows[0]._mapping)

    def resource_by_reference(self, reference: str) -> dict[str, Any] | None:
        """The resource whose physical id is ``reference`` (what ``get_resource`` gave)."""
        with self._database.reading() as connection:
            row = connection.execute(
                select(ResourceRow.__table__).where(ResourceRow.stack_id == self._stack_id,
                                                    ResourceRow.physical_id == reference,
                                                    ResourceRow.replaced_by.is_(None))).first()
        return dict(row._mapping) if row is not None else None
