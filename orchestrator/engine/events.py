"""Event rows, with Heat's reason strings (clients match on them)."""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy import Connection, delete, select

from orchestrator.db.models import Event, utcnow

#: reason of an ordinary resource transition
STATE_CHANGED = "state changed"


def stack_started(action: str) -> str:
    """``Stack CREATE started``."""
    return f"Stack {action} started"


def stack_completed(action: str) -> str:
    """``Stack CREATE completed successfully``."""
    return f"Stack {action} completed successfully"


def hook_paused(action: str, hook: str) -> str:
    """``CREATE paused until Hook pre-create is cleared``."""
    return f"{action} paused until Hook {hook} is cleared"


def hook_cleared(hook: str) -> str:
    """``Hook pre-create is cleared``."""
    return f"Hook {hook} is cleared"


def resource_failed(action: str, error: str) -> str:
    """A stack's reason when one of its resources failed: ``Resource CREATE failed: …``."""
    return f"Resource {action} failed: {error}"


def event_row(stack_id: str, name: str, action: str, status: str, reason: str, *,
              physical_id: str | None = None, resource_type: str | None = None,
              properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """One row of the ``event`` table (``name`` is the stack's name for stack events)."""
    return {
        # Event ids need to be unique, not unpredictable: random bits are much
        # cheaper than uuid4's system call, and this runs for every transition.
        "uuid": str(uuid.UUID(int=random.getrandbits(128), version=4)),
        "stack_id": stack_id,
        "resource_name": name,
        "physical_id": physical_id,
        "resource_type": resource_type,
        "action": action,
        "status": status,
        "reason": reason,
        "properties": properties,
        "created_at": utcnow(),
    }


def stack_event_row(stack_id: str, stack_name: str, action: str, status: str, reason: str) -> dict[str, Any]:
    """One row of the ``event`` table about the stack itself (Heat shows the stack as its own resource)."""
    return event_row(stack_id, stack_name, action, status, reason, physical_id=stack_id,
                     resource_type="OS::Heat::Stack")


def init_resource_row(stack_id: str, definition: Any, **values: Any) -> dict[str, Any]:
    """A new resource row, not yet created (``INIT_COMPLETE``), for a resource definition."""
    return {"stack_id": stack_id, "name": definition.name, "type": definition.resolved_type, "action": "INIT",
            "status": "COMPLETE", "status_reason": "", "definition": definition.snippet(), "properties": {},
            "attributes": {}, "metadata_": {}, "data": {}, "requires": sorted(definition.requires),
            "created_at": utcnow(), **values}


def purge_old_events(connection: Connection, stack_id: str, keep: int) -> int:
    """Delete a stack's oldest events beyond the newest ``keep`` (Heat's max_events_per_stack)."""
    if keep < 0:
        return 0
    threshold = connection.execute(select(Event.id).where(Event.stack_id == stack_id).order_by(Event.id.desc())
                                   .offset(keep).limit(1)).scalar()
    if threshold is None:
        return 0
    return connection.execute(delete(Event).where(Event.stack_id == stack_id, Event.id <= threshold)).rowcount
