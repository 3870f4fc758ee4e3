"""One action on one resource: hooks, plugin calls, completion checks, retries, state and events.

Each method is what the walker runs for one node of a stack action's graph.
It raises ``ResourceActionFailed`` (already recorded as the resource's
FAILED state) when the action fails, so the walker stops starting new work.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, Callable

from orchestrator.template.definitions import ResourceDefinition
from orchestrator.template.errors import TemplateError
from resources.base import Resource
from resources.errors import NotSupported, ResourceFailure, ResourceInError, StackValidationFailed

from .events import hook_cleared
from .operation import Operation
from .stack_view import LiveReadNeeded, ResourceRecord, attribute_key


class ResourceActionFailed(Exception):
    """A resource action failed; ``reason`` is what the resource's status reason says."""

    def __init__(self, name: str, action: str, reason: str):
        super().__init__(reason)
        self.name = name
        self.action = action
        self.reason = reason


def external_object_exists(plugin: Any) -> bool:
    """Whether the object an external resource names exists (Heat's ``validate_external``).

    Asked through the plugin's ``show``; a plugin without one cannot tell, and
    its object is taken on trust, as Heat takes a type without a ``show``.
    """
    if type(plugin).show is Resource.show:
        return True
    try:
        return plugin.show() is not None
    except Exception as exc:
        if getattr(exc, "status_code", None) == 404 or type(exc).__name__ in ("NotFoundException",
                                                                               "ResourceNotFound"):
            return False
        raise


def failure_reason(name: str, error: BaseException) -> str:
    """Heat's wording: ``<ExceptionType>: resources.<name>: <message>``.

    A cloud client's error keeps the cloud's own text in ``details``
    (openstacksdk's ``message`` is only the status line), and that is what
    the user needs to read.
    """
    details = getattr(error, "details", None)
    message = (details if isinstance(details, str) and details else None) or getattr(error, "message", None) \
        or str(error) or type(error).__name__
    return f"{type(error).__name__}: resources.{name}: {message}"


class ResourceLifecycle:
    """The per-resource steps of stack actions, for one ``Operation``."""

    def __init__(self, operation: Operation):
        self.op = operation
        #: resources whose plugin could not check them (the stack's CHECK reason says so)
        self.unsupported: set[str] = set()

    @property
    def view(self):
        """The operation's current view (a rollback loads another one)."""
        return self.op.view

    # -- create ----------------------------------------------------------------------------

    async def create(self, name: str) -> None:
        """Create one resource (or resume a create an engine crash interrupted)."""
        record = self.view.records[name]
        if record.state == "CREATE_COMPLETE":
            return
        definition = self.view.definition().resources[name]
        if definition.external_id is not None:
            await self.take_external(record, definition)
            return
        # Creation hooks apply when the stack is created, not to resources an update adds (Heat).
        stack_create = self.op.action == "CREATE"
        if stack_create and "pre-create" in definition.hooks and record.action == "INIT":
            await self.op.pause_at_hook(record, "pre-create", "CREATE")
        retries = self.op.settings.action_retry_limit
        attempt = 0
        while True:
            try:
                await self._create_once(record, definition)
                break
            except ResourceInError as exc:
                if attempt >= retries:
                    await self.fail(record, "CREATE", exc)
                attempt += 1
                await self.op.set_state(record, "CREATE", "FAILED", failure_reason(name, exc))
                try:
                    await self._delete_cloud_object(record, "DELETE")
                    self.op.check_deadline()
                except Exception as cleanup_error:  # the retry cannot happen: the create has failed
                    await self.fail(record, "CREATE", cleanup_error)
                await asyncio.sleep(min(self._backoff(attempt), max(self.op.time_left(), 0.0)))
            except Exception as exc:
                await self.fail(record, "CREATE", exc)
        if stack_create and "post-create" in definition.hooks:
            await self.op.pause_at_hook(record, "post-create", "CREATE")

    async def _create_once(self, record: ResourceRecord, definition: ResourceDefinition) -> None:
        properties = await self.properties_of(definition)
        plugin = self.view.plugin(record, properties)
        resuming = record.state == "CREATE_IN_PROGRESS" and record.physical_id is not None
        if not resuming:
            await self.op.set_state(record, "CREATE", "IN_PROGRESS", properties=properties,
                                    definition=definition.snippet(), requires=sorted(definition.requires),
                                    event_properties=properties)
            await self.op.call(plugin, "create")
        await self.op.wait_until_complete(plugin, "check_create_complete")
        attributes = await self.referenced_attributes(record, plugin)
        await self.op.set_state(record, "CREATE", "COMPLETE", attributes=attributes)

    # -- external resources ----------------------------------------------------------------

    async def take_external(self, record: ResourceRecord, definition: ResourceDefinition) -> None:
        """Heat's create of a resource with an ``external_id``: adopt the object by its id, then check it.

        Nothing is created: the plugin's ``adopt`` takes the id as the physical
        id, the object must exist (its ``show``), and Heat's ``check`` follows,
        so the resource ends ``CHECK_COMPLETE`` (with "CHECK not supported for
        <type>" when the plugin cannot check).  Every step is stored before the
        next, and none changes the cloud, so an interrupted one is simply done
        again: ``ADOPT_COMPLETE`` resumes at the check, ``CHECK_COMPLETE`` is done.
        """
        if record.state == "CHECK_COMPLETE":
            return
        if record.state not in ("ADOPT_COMPLETE", "CHECK_IN_PROGRESS"):
            try:
                external_id = await self.external_id_of(definition)
                properties = await self._external_properties(definition)
                if record.state != "ADOPT_IN_PROGRESS":
                    await self.op.set_state(record, "ADOPT", "IN_PROGRESS", properties=properties,
                                            definition=definition.snippet(), requires=sorted(definition.requires),
                                            event_properties=properties)
                plugin = self.view.plugin(record, properties)
                await self.op.call(plugin, "adopt", {"resource_id": external_id})
                if not await self.op.call_function(plugin, lambda: external_object_exists(plugin)):
                    raise StackValidationFailed(f"Invalid external resource: Resource {external_id} "
                                                f"({record.type}) can not be found.")
                attributes = await self.referenced_attributes(record, plugin)
            except Exception as exc:
                await self.fail(record, "ADOPT", exc)
            await self.op.set_state(record, "ADOPT", "COMPLETE", attributes=attributes)
        plugin = self.view.plugin(record)
        if not type(plugin).supports("check"):
            await self.op.set_state(record, "CHECK", "COMPLETE", f"CHECK not supported for {record.type}")
            return
        if record.state != "CHECK_IN_PROGRESS":
            await self.op.set_state(record, "CHECK", "IN_PROGRESS")
        try:
            await self.op.call(plugin, "check")
            await self.op.wait_until_complete(plugin, "check_check_complete")
        except NotSupported:
            await self.op.set_state(record, "CHECK", "COMPLETE", f"CHECK not supported for {record.type}")
            return
        except Exception as exc:
            await self.fail(record, "CHECK", exc)
        await self.op.set_state(record, "CHECK", "COMPLETE")

    async def external_id_of(self, definition: ResourceDefinition) -> str:
        """The resolved ``external_id`` of a resource: a string, or ``StackValidationFailed``."""
        stack = self.view.definition()
        value = await self._resolved(lambda: stack.resolve(definition.external_id, self.view))
        if not isinstance(value, str):
            raise StackValidationFailed(f'"external_id" of resource {definition.name} must resolve to a string, '
                                        f"not {type(value).__name__}")
        if not value:
            raise StackValidationFailed("Resource ID was not provided.")
        return value

    async def _external_properties(self, definition: ResourceDefinition) -> dict:
        """The properties of an external resource as given: Heat neither needs nor checks them."""
        stack = self.view.definition()
        try:
            values = await self._resolved(lambda: stack.properties(definition.name, self.view))
        except Exception:  # whatever they read may not exist: an adopted object keeps its own values
            return {}
        cls = self.view.plugins.for_definition(definition)
        if cls is None:
            raise StackValidationFailed(f"The Resource Type ({definition.resolved_type}) could not be found.")
        if not isinstance(values, dict):
            return {}
        checked, problems = self.view.plugins.checked_properties(cls, values)
        return dict(values) if problems else checked

    # -- adopt -----------------------------------------------------------------------------

    async def adopt(self, name: str) -> None:
        """Take over an existing cloud object (abandon data stored with the record), else create."""
        record = self.view.records[name]
        data = record.data.get("_adopt")
        if data is None or record.state == "ADOPT_COMPLETE":
            if record.state != "ADOPT_COMPLETE":
                await self.create(name)
            return
        definition = self.view.definition().resources[name]
        try:
            properties = await self.properties_of(definition)
            plugin = self.view.plugin(record, properties)
            await self.op.set_state(record, "ADOPT", "IN_PROGRESS", properties=properties,
                                    definition=definition.snippet(), requires=sorted(definition.requires),
                                    metadata_=data.get("metadata") or {})
            plugin.set_data("_adopt", None)
            await self.op.call(plugin, "adopt", data)
            attributes = await self.referenced_attributes(record, plugin)
        except Exception as exc:
            await self.fail(record, "ADOPT", exc)
        await self.op.set_state(record, "ADOPT", "COMPLETE", attributes=attributes)

    # -- delete ----------------------------------------------------------------------------

    async def delete(self, name: str) -> None:
        """Delete one resource, honouring its deletion policy."""
        record = self.view.records[name]
        if record.state in ("DELETE_COMPLETE", "INIT_COMPLETE") or (
                record.action == "INIT" and record.physical_id is None):
            if record.state != "DELETE_COMPLETE":
                await self.op.set_state(record, "DELETE", "COMPLETE")
            return
        # Deletion hooks apply when the stack is deleted, not to what an update removes (Heat).
        hooks = self.view.environment.resource_registry.hooks(name) if self.op.action == "DELETE" else frozenset()
        if "pre-delete" in hooks:
            await self.op.pause_at_hook(record, "pre-delete", "DELETE")
        await self.remove(record)
        if "post-delete" in hooks:
            await self.op.pause_at_hook(record, "post-delete", "DELETE")

    async def remove(self, record: ResourceRecord) -> None:
        """Delete a resource's cloud object as its deletion policy says (Retain keeps it, Snapshot saves it first)."""
        policy = (record.definition or {}).get("deletion_policy", "Delete")
        if "external_id" in (record.definition or {}):
            policy = "Retain"  # Heat: an external resource is never deleted, only forgotten
        try:
            if policy == "Retain":
                await self.op.set_state(record, "DELETE", "COMPLETE", "state changed (retained)")
            else:
                await self._delete_cloud_object(record, "DELETE", snapshot=policy == "Snapshot")
        except Exception as exc:
            await self.fail(record, "DELETE", exc)

    async def _delete_cloud_object(self, record: ResourceRecord, action: str, snapshot: bool = False) -> None:
        plugin = self.view.plugin(record)
        # Resuming an interrupted delete asks again (deleting is idempotent) but
        # records no second start.
        if record.state != f"{action}_IN_PROGRESS":
            await self.op.set_state(record, action, "IN_PROGRESS")
        if snapshot:
            data = await self.op.call(plugin, "snapshot")
            plugin.set_data("deletion_snapshot", data)
        await self.op.call(plugin, "delete")
        await self.op.wait_until_complete(plugin, "check_delete_complete")
        await self.op.set_state(record, action, "COMPLETE")

    # -- check, suspend, resume ----------------------------------------------------------------

    async def check(self, name: str) -> None:
        """Ask the plugin whether the object is healthy (CHECK_FAILED if not)."""
        record = self.view.records[name]
        if record.action == "INIT":
            return  # never created: nothing to check
        plugin = self.view.plugin(record)
        await self.op.set_state(record, "CHECK", "IN_PROGRESS")
        try:
            await self.op.call(plugin, "check")
            await self.op.wait_until_complete(plugin, "check_check_complete")
        except NotSupported:
            self.unsupported.add(name)
            await self.op.set_state(record, "CHECK", "COMPLETE", f"CHECK not supported for {record.type}")
            return
        except Exception as exc:
            await self.fail(record, "CHECK", exc)
        await self.op.set_state(record, "CHECK", "COMPLETE")

    async def simple_action(self, name: str, action: str) -> None:
        """SUSPEND or RESUME one resource; a plugin without the action just changes state, as in Heat."""
        record = self.view.records[name]
        if record.action == "INIT":
            return
        method = action.lower()
        plugin = self.view.plugin(record)
        await self.op.set_state(record, action, "IN_PROGRESS")
        if type(plugin).supports(method):
            try:
                await self.op.call(plugin, method)
                await self.op.wait_until_complete(plugin, f"check_{method}_complete")
            except Exception as exc:
                await self.fail(record, action, exc)
        await self.op.set_state(record, action, "COMPLETE")

    # -- shared steps -------------------------------------------------------------------------

    async def _resolved(self, compute: Callable[[], Any]) -> Any:
        """``compute()`` on the values cached so far, else in a thread (it reads the cloud live).

        A template error (a function that cannot resolve) is ``StackValidationFailed``.
        """
        try:
            try:
                return self.view.resolve_cached(compute)
            except LiveReadNeeded:
                return await self.op.in_thread(compute)
        except TemplateError as exc:
            raise StackValidationFailed(exc.message) from None

    async def properties_of(self, definition: ResourceDefinition) -> dict:
        """Resolve and check a resource's properties now that what they read exists."""
        stack = self.view.definition()
        values = await self._resolved(lambda: stack.properties(definition.name, self.view))
        cls = self.view.plugins.for_definition(definition)  # (nested stacks: template resources)
        if cls is None:
            raise StackValidationFailed(f"The Resource Type ({definition.resolved_type}) could not be found.")
        checked, problems = self.view.plugins.checked_properties(cls, values)
        if problems:
            first = problems[0]
            where = ".".join(str(p) for p in first.path)
            raise StackValidationFailed(f"Property error: {definition.name}.properties.{where}: {first.message}")
        return checked

    async def referenced_attributes(self, record: ResourceRecord, plugin: Any) -> dict:
        """Values of the attributes other resources and outputs read (so reads need no cloud call)."""
        wanted = self.op.referenced_attributes.get(record.name, ())
        if not wanted:
            return {}

        def read() -> dict:
            values = {}
            for attribute, path in wanted:
                if attribute is None:
                    for key, value in plugin.all_attributes().items():
                        values[attribute_key(key)] = value
                else:
                    try:
                        values[attribute_key(attribute, path)] = plugin.attribute(attribute, path)
                    except ResourceFailure:
                        # Not readable now (``resource.7`` of a group of two): left to live reads,
                        # where the output that asks shows the error; the resource itself is fine.
                        continue
            return values

        return await self.op.call_function(plugin, read)

    async def clear_hook(self, record: ResourceRecord, hook: str) -> None:
        """Record that a hook was cleared (the signal handler calls this through the database)."""
        await self.op.set_state(record, record.action, record.status, hook_cleared(hook), hook=None)

    async def fail(self, record: ResourceRecord, action: str, error: BaseException) -> None:
        """Record ``action`` FAILED with Heat's reason and raise ``ResourceActionFailed``."""
        reason = failure_reason(record.name, error)
        await self.op.set_state(record, action, "FAILED", reason)
        raise ResourceActionFailed(record.name, action, reason) from error

    def _backoff(self, attempt: int) -> float:
        base = self.op.settings.retry_backoff
        return base * (2 ** (attempt - 1)) + random.uniform(0, base)

