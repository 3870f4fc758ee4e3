"""Signals to resources: clearing hooks, and whatever a plugin's ``signal`` does with them.

A signal is handled where it arrives (the API process, usually), not by the
operation that may be running on the stack: it writes what it learned to the
database, and a waiting operation reads it from there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update

from orchestrator.db.models import Event as EventRow
from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import utcnow
from resources.errors import NoActionRequired, NotSupported

from .context import EngineContext
from .events import event_row, hook_cleared
from .stack_view import StackView

HOOKS = ("pre-create", "pre-update", "pre-delete", "post-create", "post-update", "post-delete")
#: actions during which a resource takes no signal (Heat's ``no_signal_actions``)
NO_SIGNAL_ACTIONS = ("SUSPEND", "DELETE")


class SignalRefused(Exception):
    """The signal cannot be accepted (HTTP 400, as in Heat)."""


def describe_signal(details: Any) -> str:
    """The event reason Heat writes for a signal."""
    if details is None:
        return "No signal details provided"
    if isinstance(details, str):
        return details
    if isinstance(details, dict):
        if all(key in details for key in ("previous", "current", "reason")):
            return f"alarm state changed from {details['previous']} to {details['current']} ({details['reason']})"
        if "state" in details:
            return f"alarm state changed to {details['state']}"
        if "deploy_status_code" in details:
            return f"deployment {details.get('deploy_status_code')}"
    return "Unknown"


def signal_resource(context: EngineContext, view: StackView, name: str, details: Any) -> None:
    """Deliver ``details`` to resource ``name`` of the stack in ``view``.

    The plugin is the view's (``view.plugin``), with the runtime the view
    gives its plugins.  A plugin's ``signal`` may return a short description
    of what it did; it becomes the SIGNAL event's reason (``Signal: …``), as in Heat.
    A plugin that raises ``NoActionRequired`` (a scaling group in its cooldown)
    has the signal accepted with no event, as Heat does.
    """
    record = view.records.get(name)
    if record is None:
        raise LookupError(f"The Resource ({name}) could not be found.")
    if isinstance(details, dict) and "unset_hook" in details:
        _clear_hook(context, view, record, details["unset_hook"])
        return
    if view.row.action in NO_SIGNAL_ACTIONS and view.row.status == "IN_PROGRESS":
        raise SignalRefused(f"Signal resource during {view.row.action} is not supported.")
    if not view.plugin_class(record).supports("signal"):
        raise SignalRefused(f"Signal resource during {record.action} is not supported.")
    plugin = view.plugin(record)
    try:
        said = plugin.signal(details)
    except NoActionRequired:
        return
    except NotSupported as exc:
        raise SignalRefused(str(exc)) from None
    except (ValueError, TypeError, KeyError) as exc:
        raise SignalRefused(f"Signal to {name} refused: {exc}") from None
    reason = f"Signal: {said}" if isinstance(said, str) and said else describe_signal(details)
    context.writer.write(_event(view, record, "SIGNAL", record.status, reason))


def _clear_hook(context: EngineContext, view: StackView, record: Any, hook: Any) -> None:
    if hook not in HOOKS:
        raise SignalRefused(f'Invalid hook type "{hook}" for resource breakpoint, acceptable hook types are: '
                            f"{', '.join(HOOKS)}")
    if record.hook != hook:
        raise SignalRefused(f'The "{hook}" hook is not defined on resource "{record.name}"')

    def clear(connection) -> None:
        connection.execute(update(ResourceRow).where(ResourceRow.id == record.id)
                           .values(hook=None, status_reason=hook_cleared(hook), updated_at=utcnow()))

    context.writer.write(clear, _event(view, record, record.action, record.status, hook_cleared(hook)))


def _event(view: StackView, record: Any, action: str, status: str, reason: str):
    row = event_row(view.id, record.name, action, status, reason, physical_id=record.physical_id,
                    resource_type=record.type)
    return lambda connection: connection.execute(insert(EventRow).values(**row))
