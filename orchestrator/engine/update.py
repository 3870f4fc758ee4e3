"""Updating a stack to a new template: keep, update in place, replace, add or remove each resource.

What happens to a resource is decided when its turn comes, because its new
properties may read attributes of resources updated just before it:

* same type, same resolved properties, same definition: unchanged;
* changed properties that are all ``update_allowed``: the plugin updates the
  object in place (it may still ask for replacement with ``UpdateReplace``);
* any other change, a new type, or a FAILED resource: replacement — a new
  resource is created first, dependants are updated to it, and only then is
  the old one deleted;
* immutable properties and ``restricted_actions`` make the update fail with a
  clear reason.

The graph has an ``update`` node per resource of the new template (in its
dependency order) and a ``cleanup`` node per resource that may have to go
(removed, or replaced).  A cleanup waits for the replacement, for every
resource that used the old one to be updated, and for the cleanups of the
resources that needed it — the order Heat's convergence engine uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete as sql_delete
from sqlalchemy import insert, update

from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import utcnow
from orchestrator.template.definitions import ResourceDefinition
from resources.base import Resource
from resources.errors import UpdateReplace

from .errors import NotSupported
from .events import init_resource_row
from .lifecycle import ResourceLifecycle
from .operation import Operation
from .stack_view import ResourceRecord
from .writer import UpdateRow

UPDATE, CLEANUP = "update", "cleanup"


@dataclass
class UpdateOutcome:
    """What happened to each resource (also what a preview reports)."""

    unchanged: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


class StackUpdate:
    """Carries one stack update (or rollback) out, node by node."""

    def __init__(self, operation: Operation, previous: dict[str, ResourceRecord],
                 leftovers: dict[str, list[ResourceRecord]] | None = None):
        self.op = operation
        self.view = operation.view
        self.lifecycle = ResourceLifecycle(operation)
        self.definition = self.view.definition()
        #: the resources as they were before the update, by name
        self.previous = previous
        #: old records waiting to be deleted (replaced or removed), by name
        self.retiring: dict[str, list[ResourceRecord]] = {}
        #: replaced rows an earlier, interrupted update did not delete (a rollback can restore them)
        self.leftovers = leftovers or {}
        self.outcome = UpdateOutcome()

    # -- the graph ---------------------------------------------------------------------------

    def graph(self) -> dict[tuple[str, str], set[tuple[str, str]]]:
        new = self.definition.resources
        graph: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for name, definition in new.items():
            graph[(UPDATE, name)] = {(UPDATE, needed) for needed in definition.requires}
        old_users: dict[str, set[str]] = {name: set() for name in self.previous}
        for name, record in self.previous.items():
            for needed in record.requires:
                if needed in old_users:
                    old_users[needed].add(name)
        for name in set(self.leftovers) - set(self.previous):
            old_users[name] = set()
        for name in old_users:
            needs: set[tuple[str, str]] = set()
            if name in new:
                needs.add((UPDATE, name))
            for user in old_users[name]:
                needs.add((UPDATE, user) if user in new else (CLEANUP, user))
                if user in new:
                    needs.add((CLEANUP, user))
            graph[(CLEANUP, name)] = needs
        return graph

    async def run(self, node: tuple[str, str]) -> None:
        kind, name = node
        if kind == UPDATE:
            await self.update(name)
        else:
            await self.cleanup(name)

    # -- update nodes -------------------------------------------------------------------------

    async def update(self, name: str) -> None:
        definition = self.definition.resources[name]
        record = self.view.records.get(name)
        if record is None or record.action == "INIT" or record.state == "DELETE_COMPLETE":
            if record is None:
                await self._new_record(definition)
            await self.lifecycle.create(name)
            self.outcome.added.append(name)
            return
        if "pre-update" in definition.hooks:
            await self.op.pause_at_hook(record, "pre-update", "UPDATE")
        try:
            await self._update_existing(record, definition)
        except NotSupported as exc:
            await self.lifecycle.fail(record, "UPDATE", exc)
        if "post-update" in definition.hooks:
            await self.op.pause_at_hook(self.view.records[name], "post-update", "UPDATE")

    async def _update_existing(self, record: ResourceRecord, definition: ResourceDefinition) -> None:
        cls = self.view.plugins.for_definition(definition)
        if await self._restore(record, definition):
            return
        if record.type == definition.resolved_type and await self._external(record, definition):
            return
        if must_replace(record, definition, cls):
            return await self._replace(record, definition)
        try:
            properties = await self.lifecycle.properties_of(definition)
        except Exception as exc:
            await self.lifecycle.fail(record, "UPDATE", exc)
        plugin = self.view.plugin(record, dict(record.properties))
        verdict, changed = await self.op.call_function(
            plugin, lambda: decide(record, cls, plugin, properties))
        if verdict == REPLACED:
            return await self._replace(record, definition)
        if verdict == UNCHANGED:
            return await self._keep(record, definition)
        if changed and "update" in definition.restricted_actions:
            raise NotSupported("update is restricted for resource.")
        await self._update_in_place(record, definition, properties, changed)

    async def _external(self, record: ResourceRecord, definition: ResourceDefinition) -> bool:
        """Heat's update rules for ``external_id``; ``True`` when they settled the resource.

        The id may not be added, removed or changed (``NotSupported``); an
        external resource whose id stays is left alone, whatever else changed.
        One whose adoption failed is adopted again, so that its state tells
        the truth (Heat would only mark it COMPLETE).
        """
        was_external = "external_id" in (record.definition or {})
        if not was_external and definition.external_id is None:
            return False
        try:
            new_id = await self.lifecycle.external_id_of(definition) if definition.external_id is not None else None
        except Exception as exc:
            await self.lifecycle.fail(record, "UPDATE", exc)
        old_id = record.physical_id if was_external else None
        if new_id != old_id and not (was_external and old_id is None and record.status == "FAILED"):
            raise NotSupported(external_id_not_updatable(record))
        if record.status == "FAILED":
            await self.lifecycle.take_external(record, definition)
            self.outcome.updated.append(record.name)
            return True
        await self._keep(record, definition)
        return True

    async def _keep(self, record: ResourceRecord, definition: ResourceDefinition) -> None:
        """Leave the resource as it is, storing the definition it now has (its snippet may differ)."""
        snippet = definition.snippet()
        if snippet != record.definition or sorted(definition.requires) != sorted(record.requires):
            await self.op.write(UpdateRow(ResourceRow, record.id, {
                "definition": snippet, "requires": sorted(definition.requires), "updated_at": utcnow()}))
            record.definition, record.requires = snippet, sorted(definition.requires)
        self.outcome.unchanged.append(record.name)

    async def _update_in_place(self, record: ResourceRecord, definition: ResourceDefinition, properties: dict,
                               changed: dict) -> None:
        plugin = self.view.plugin(record, dict(record.properties))
        await self.op.set_state(record, "UPDATE", "IN_PROGRESS", event_properties=properties)
        try:
            await self.op.call(plugin, "update", properties, changed)
        except UpdateReplace:
            return await self._replace(record, definition)
        except Exception as exc:
            await self.lifecycle.fail(record, "UPDATE", exc)
        plugin.properties = dict(properties)
        try:
            await self.op.wait_until_complete(plugin, "check_update_complete")
        except Exception as exc:
            await self.lifecycle.fail(record, "UPDATE", exc)
        attributes = await self.lifecycle.referenced_attributes(record, plugin)
        await self.op.set_state(record, "UPDATE", "COMPLETE", properties=properties, definition=definition.snippet(),
                                requires=sorted(definition.requires), attributes=attributes)
        self.outcome.updated.append(record.name)

    async def _replace(self, old: ResourceRecord, definition: ResourceDefinition) -> None:
        if "replace" in definition.restricted_actions:
            raise NotSupported("replace is restricted for resource.")
        await self._prepare_for_replace(old)
        await self._new_record(definition, replaces=old)
        self.retiring.setdefault(old.name, []).append(old)
        await self.lifecycle.create(definition.name)
        self.outcome.replaced.append(definition.name)

    async def _prepare_for_replace(self, old: ResourceRecord) -> None:
        """Let the old object give up what its replacement takes over (Heat's ``prepare_for_replace``)."""
        if old.physical_id is None or old.state not in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "CHECK_COMPLETE"):
            return
        plugin = self.view.plugin(old, dict(old.properties))
        if type(plugin).supports("prepare_for_replace"):
            await self.op.call(plugin, "prepare_for_replace")
            await self.op.wait_until_complete(plugin, "check_prepare_for_replace_complete")

    async def _restore(self, record: ResourceRecord, definition: ResourceDefinition) -> bool:
        """Bring back an old resource that still exists and matches the target (rolling back a replacement)."""
        snippet = definition.snippet()
        for old in self.leftovers.get(record.name, ()):
            if old.state in ("CREATE_COMPLETE", "UPDATE_COMPLETE") and old.definition == snippet \
                    and old.type == definition.resolved_type:
                self.leftovers[record.name].remove(old)

                def swap(connection) -> None:
                    connection.execute(update(ResourceRow).where(ResourceRow.id == old.id).values(replaced_by=None))
                    connection.execute(update(ResourceRow).where(ResourceRow.id == record.id)
                                       .values(replaced_by=old.id))

                await self.op.write(swap)
                old.replaced_by, record.replaced_by = None, old.id
                self.view.records[record.name] = old
                await self._restore_after_rollback(old)
                self.retiring.setdefault(record.name, []).append(record)
                self.outcome.replaced.append(record.name)
                return True
        return False

    async def _restore_after_rollback(self, old: ResourceRecord) -> None:
        """Let a restored object take back what its replacement took over (Heat's ``restore_prev_rsrc``)."""
        plugin = self.view.plugin(old, dict(old.properties))
        if old.physical_id is not None and type(plugin).supports("restore_after_rollback"):
            await self.op.call(plugin, "restore_after_rollback")
            await self.op.wait_until_complete(plugin, "check_restore_after_rollback_complete")

    async def _new_record(self, definition: ResourceDefinition, replaces: ResourceRecord | None = None
                          ) -> ResourceRecord:
        """A new row for ``definition``; a replacement is linked both ways to the row it replaces."""
        values = init_resource_row(self.view.id, definition, replaces=replaces.id if replaces else None)

        def store(connection) -> int:
            new_id = connection.execute(insert(ResourceRow).values(**values).returning(ResourceRow.id)).scalar_one()
            if replaces is not None:
                connection.execute(update(ResourceRow).where(ResourceRow.id == replaces.id)
                                   .values(replaced_by=new_id))
            return new_id

        new_id = await self.op.context.writer.write_async(store)
        record = ResourceRecord(id=new_id, name=definition.name, type=definition.resolved_type,
                                definition=values["definition"], requires=values["requires"],
                                replaces=values["replaces"])
        if replaces is not None:
            replaces.replaced_by = new_id
        self.view.records[definition.name] = record
        return record

    # -- cleanup nodes ------------------------------------------------------------------------

    async def cleanup(self, name: str) -> None:
        retiring = self.retiring.pop(name, []) + self.leftovers.pop(name, [])
        if name not in self.definition.resources:
            record = self.view.records.pop(name, None)
            if record is not None:
                retiring.append(record)
            self.outcome.deleted.append(name)
        for old in retiring:
            await self._delete(old)

    async def _delete(self, old: ResourceRecord) -> None:
        if old.state != "DELETE_COMPLETE" and not (old.action == "INIT" and old.physical_id is None):
            await self.lifecycle.remove(old)
        # The row has no further use: events keep its history.
        await self.op.write(lambda connection: connection.execute(
            sql_delete(ResourceRow).where(ResourceRow.id == old.id)))


UNCHANGED, UPDATED, REPLACED = "unchanged", "updated", "replaced"


def external_id_not_updatable(record: ResourceRecord) -> str:
    """Heat's refusal of a change to a resource's ``external_id`` (added, removed or another id)."""
    return f"Update to property external_id of {record.name} ({record.type}) is not supported."


def must_replace(record: ResourceRecord, definition: ResourceDefinition, cls: type | None) -> bool:
    """Whether the resource is replaced whatever its properties say (new type, failed, or always)."""
    return (record.type != definition.resolved_type
            or (cls is not None and record.status == "FAILED" and cls.replace_on_failure)
            or (cls is not None and cls.always_replace_on_update))


def decide(record: ResourceRecord, cls: type | None, plugin: Resource, properties: dict) -> tuple[str, dict]:
    """What an update does to an existing resource, given its new properties: ``(verdict, changed)``.

    Asks the plugin (``outdated``, ``needs_replace``), so it may block.
    Raises ``NotSupported`` when an immutable property changed.  The update
    and its preview both decide here, so they cannot disagree.
    """
    changed = changed_properties(record.properties, properties)
    if not changed:
        return (UPDATED if cls is not None and plugin.outdated(properties) else UNCHANGED), {}
    schema = cls.properties_schema if cls is not None else {}
    immutable = sorted(key for key in changed if key in schema and schema[key].immutable)
    if immutable:
        raise NotSupported(f"Update to immutable properties ({', '.join(immutable)}) of "
                           f"{record.type} is not supported")
    if cls is not None and not cls.accepts_any_properties and any(
            key in schema and not schema[key].update_allowed for key in changed):
        return REPLACED, changed
    if plugin.needs_replace(properties, changed):
        return REPLACED, changed
    return UPDATED, changed


def changed_properties(old: dict, new: dict) -> dict:
    """New values of the properties that differ (a property gone is changed to ``None``)."""
    changed = {key: value for key, value in new.items() if old.get(key) != value}
    changed.update({key: None for key in old if key not in new and old[key] is not None})
    return changed
