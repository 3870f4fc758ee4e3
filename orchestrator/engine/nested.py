"""Nested stacks, for plugins that are made of other stacks (``runtime.service("nested_stacks")``).

STUB: the API below is fixed; the implementation is to be written.

A nested stack is a stack row owned by a resource of its parent
(``owner_id``, ``parent_resource``), with its own resources and events.  Its
operations run on the same event loop as the parent's operation and under
the root stack's lock; they inherit the parent's deadline.
"""

from __future__ import annotations

from typing import Any, Mapping


class NestedStacks:
    """Create, update, delete and read the nested stacks of one operation's stack."""

    def __init__(self, engine: Any, operation: Any):
        self._engine = engine
        self._operation = operation

    def create(self, resource_name: str, template: Mapping[str, Any], *, files: Mapping[str, str] | None = None,
               parameters: Mapping[str, Any] | None = None, environment: Mapping[str, Any] | None = None,
               adopt_data: Mapping[str, Any] | None = None) -> str:
        """Store a nested stack for ``resource_name`` and start creating it; returns its id at once."""
        raise NotImplementedError

    def update(self, stack_id: str, template: Mapping[str, Any], *, files: Mapping[str, str] | None = None,
               parameters: Mapping[str, Any] | None = None, environment: Mapping[str, Any] | None = None) -> None:
        """Start updating a nested stack to a new template or parameters."""
        raise NotImplementedError

    def delete(self, stack_id: str) -> None:
        """Start deleting a nested stack (nothing to do if it is already gone)."""
        raise NotImplementedError

    def action(self, stack_id: str, action: str) -> None:
        """Start another action (``SUSPEND``, ``RESUME``, ``CHECK``) on a nested stack."""
        raise NotImplementedError

    def state(self, stack_id: str) -> tuple[str, str, str]:
        """``(action, status, reason)`` of a nested stack; resumes its operation if it was interrupted."""
        raise NotImplementedError

    def outputs(self, stack_id: str) -> dict[str, Any]:
        """Every output of a nested stack (``None`` for one that failed)."""
        raise NotImplementedError

    def resources(self, stack_id: str) -> dict[str, Any]:
        """The nested stack's resources by name: ``{name: {"physical_id", "reference", "action", "status", …}}``."""
        raise NotImplementedError

    def attribute(self, stack_id: str, resource_name: str, attribute: str, path: tuple = ()) -> Any:
        """An attribute of one resource of a nested stack."""
        raise NotImplementedError
