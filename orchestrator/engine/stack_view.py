"""A stack as the engine sees it: its row, compiled template, and resources with their plugins.

``StackView`` is also the ``ResourceState`` that template functions read:
``get_resource`` asks a resource's plugin for its reference id, and
``get_attr`` reads the attribute cache first and asks the plugin only on a
miss (the engine fills the cache with every attribute the stack refers to as
soon as a resource is complete, so outputs need no cloud call).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any, Callable

from sqlalchemy import Connection, select

from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.templates import digest_of, load_template
from orchestrator.template.compiler import StackDefinition, StackIdentity, compile_stack
from orchestrator.template.environment import Environment
from orchestrator.template.errors import InvalidArguments, TemplateError
from orchestrator.template.functions.references import select_from_attribute
from orchestrator.template.template import Template
from resources.base import Resource
from resources.errors import ResourceFailure

from .dependencies import with_implicit_dependencies

#: actions after which a resource's attributes can be read (Heat's list)
READABLE_ACTIONS = frozenset(("CREATE", "ADOPT", "SUSPEND", "RESUME", "UPDATE", "ROLLBACK", "SNAPSHOT", "CHECK"))


@dataclass
class ResourceRecord:
    """One resource row, in memory."""

    id: int
    name: str
    type: str
    action: str = "INIT"
    status: str = "COMPLETE"
    status_reason: str = ""
    physical_id: str | None = None
    definition: dict = field(default_factory=dict)
    properties: dict = field(default_factory=dict)
    attributes: dict = field(default_factory=dict)
    metadata_: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    requires: list = field(default_factory=list)
    replaces: int | None = None
    replaced_by: int | None = None
    hook: str | None = None
    nested_stack_id: str | None = None

    @property
    def state(self) -> str:
        """``ACTION_STATUS``, as Heat shows it."""
        return f"{self.action}_{self.status}"

    @property
    def readable(self) -> bool:
        """Whether attributes may be read (the resource exists in the cloud)."""
        return self.action in READABLE_ACTIONS and self.status in ("IN_PROGRESS", "COMPLETE")


def attribute_key(attribute: str, path: tuple = ()) -> str:
    """How an attribute value (with its path) is keyed in a resource's attribute cache."""
    return attribute if not path else json.dumps([attribute, *path])


class StackView:
    """A loaded stack: row fields, compiled definition, current resource records."""

    def __init__(self, row: Any, template: Template, environment: Environment, files: dict,
                 records: dict[str, ResourceRecord], plugins, runtime_factory: Callable | None = None):
        self.row = row
        self.id: str = row.id
        self.name: str = row.name
        self.project_id: str = row.project_id
        #: the Keystone trust the stack acts with, if stacks act with trusts
        self.trust_id: str | None = row.trust_id
        self.template = template
        self.environment = environment
        self.files = files
        self.records = records
        self.plugins = plugins
        self.runtime_factory = runtime_factory
        self._definition: StackDefinition | None = None

    @property
    def identity(self) -> StackIdentity:
        return StackIdentity(self.name, self.id, self.project_id)

    def definition(self, **compile_options: Any) -> StackDefinition:
        """The stack's template compiled with its parameters (once per view), against the plugin catalog.

        ``compile_options`` (``facade``, say) count only on the first call.
        """
        if self._definition is None:
            compile_options.setdefault("custom_constraints", self.plugins.custom_constraints)
            self._definition = with_implicit_dependencies(
                compile_stack(self.template, self.environment, files=self.files, identity=self.identity,
                              catalog=self.plugins, **compile_options), self.plugins)
        return self._definition

    @cached_property
    def files_digest(self) -> str:
        """A digest of the files map (nested stacks compare it to see whether a provider template changed)."""
        return digest_of({}, {}, self.files)

    def use_definition(self, definition: StackDefinition) -> None:
        """Take a definition compiled elsewhere from this very template and environment."""
        self._definition = with_implicit_dependencies(definition, self.plugins)

    # -- plugins -------------------------------------------------------------------

    def plugin_class(self, record: ResourceRecord) -> type[Resource]:
        cls = self.plugins.get(record.type)
        # nested stacks: a type the environment maps to a provider template is a template resource
        try:
            if self.environment.resource_registry.resolve(record.type, record.name).template is not None:
                cls = self.plugins.template_plugin()
        except TemplateError:
            pass  # a mapping loop: the type stays what it was
        if cls is None:
            raise LookupError(f"The Resource Type ({record.type}) could not be found.")
        return cls

    def plugin(self, record: ResourceRecord, properties: dict | None = None) -> Resource:
        """A plugin instance for ``record`` (cheap: plugins keep no state of their own)."""
        cls = self.plugin_class(record)
        runtime = self.runtime_factory(self, record) if self.runtime_factory else None
        return cls(record.name, record.properties if properties is None else properties, runtime,
                   physical_id=record.physical_id, data=record.data, metadata=record.metadata_)

    def physical_name(self, record: ResourceRecord) -> str:
        """``<stack>-<resource>-<short id>``: unique, stable for the record, at most 255 characters."""
        digest = hashlib.sha1(f"{self.id}/{record.id}".encode()).digest()
        short = base64.b32encode(digest).decode().lower()[:12]
        name = f"{self.name}-{record.name}-{short}"
        if len(name) > 255:
            head = f"{self.name[:2]}-"
            name = head + name[-(255 - len(head)):]
        return name

    # -- ResourceState (what get_resource and get_attr read) ---------------------------

    def reference(self, name: str) -> Any:
        record = self.records.get(name)
        if record is None or record.action == "INIT":
            return name
        return self.plugin(record).reference_id()

    def attribute(self, name: str, attribute: str, path: tuple) -> Any:
        record = self.records.get(name)
        if record is None or not record.readable:
            return None
        key = attribute_key(attribute, path)
        if key in record.attributes:
            return record.attributes[key]
        if attribute in record.attributes:
            return select_from_attribute(record.attributes[attribute], path)
        plugin = self._plugin_for_live_read(record)
        try:
            value = plugin.attribute(attribute, path)
        except ResourceFailure as exc:
            # what was asked cannot be read (a group has no member 7): an error of the get_attr that asked
            raise InvalidArguments(str(exc)) from None
        record.attributes[key] = value
        return value

    def all_attributes(self, name: str) -> dict | None:
        record = self.records.get(name)
        if record is None or not record.readable:
            return None
        return self._plugin_for_live_read(record).all_attributes()

    def _plugin_for_live_read(self, record: ResourceRecord) -> Resource:
        plugin = self.plugin(record)
        if plugin.blocking and getattr(_cache_only, "active", False):
            raise LiveReadNeeded(record.name)
        return plugin

    def resolve_cached(self, resolve: Callable[[], Any]) -> Any:
        """Run ``resolve`` allowing only reads that cannot block; ``LiveReadNeeded`` otherwise.

        The engine resolves on its event loop when the values are at hand and
        moves to a worker thread only when an attribute must be read from the cloud.
        """
        _cache_only.active = True
        try:
            return resolve()
        finally:
            _cache_only.active = False


class LiveReadNeeded(Exception):
    """Resolving needs an attribute that only a (blocking) cloud call can give."""


_cache_only = threading.local()


def load_records(connection: Connection, stack_id: str) -> dict[str, ResourceRecord]:
    """The current resources of a stack by name (a replaced row gives way to its replacement)."""
    columns = [getattr(ResourceRow, f.name) for f in fields(ResourceRecord)]
    rows = connection.execute(select(*columns).where(ResourceRow.stack_id == stack_id)
                              .order_by(ResourceRow.id)).all()
    records: dict[str, ResourceRecord] = {}
    for row in rows:
        if row.replaced_by is None:
            records[row.name] = ResourceRecord(*row)
    return records


def load_leftovers(connection: Connection, stack_id: str) -> dict[str, list[ResourceRecord]]:
    """Replaced rows that were never deleted (an update failed or was interrupted), by name."""
    columns = [getattr(ResourceRow, f.name) for f in fields(ResourceRecord)]
    rows = connection.execute(select(*columns).where(ResourceRow.stack_id == stack_id,
                                                     ResourceRow.replaced_by.is_not(None))
                              .order_by(ResourceRow.id)).all()
    leftovers: dict[str, list[ResourceRecord]] = {}
    for row in rows:
        leftovers.setdefault(row.name, []).append(ResourceRecord(*row))
    return leftovers


def load_stack_row(connection: Connection, stack_id: str) -> Any:
    """The stack's row (``None`` if there is none)."""
    return connection.execute(select(StackRow.__table__).where(StackRow.id == stack_id)).first()


def load_stack_view(connection: Connection, stack_id: str, plugins, templates: "TemplateCache",
                    runtime_factory: Callable | None = None) -> StackView:
    """Load everything an operation or a read needs about one stack."""
    row = load_stack_row(connection, stack_id)
    if row is None:
        raise LookupError(f"The Stack ({stack_id}) could not be found.")
    template, environment, files = templates.get(connection, row.template_id)
    # Stored templates leave the user's parameter values out (they live on the
    # stack row), so that stacks differing only in parameters share one row.
    environment = replace(environment, parameters=dict(row.parameters or {}))
    records = load_records(connection, stack_id)
    return StackView(row, template, environment, files, records, plugins, runtime_factory)


class TemplateCache:
    """Parsed templates by stored id: a template is parsed once per process, not per operation.

    Operations read it from their loop and from worker threads, so it is locked.
    """

    def __init__(self, size: int = 256):
        self._size = size
        self._entries: dict[int, tuple[Template, Environment, dict]] = {}
        self._lock = threading.Lock()

    def get(self, connection: Connection, template_id: int) -> tuple[Template, Environment, dict]:
        """The parsed template, environment and files stored under ``template_id``."""
        with self._lock:
            entry = self._entries.get(template_id)
        if entry is None:
            data, environment, files, _ = load_template(connection, template_id)
            entry = (Template.from_data(data, "template"), Environment.from_data(environment), files)
            self._put(template_id, entry)
        return entry

    def put(self, template_id: int, template: Template, environment: Environment, files: dict) -> None:
        """Remember a template the process has just parsed and stored."""
        self._put(template_id, (template, replace(environment, parameters={}), files))

    def _put(self, template_id: int, entry: tuple) -> None:
        with self._lock:
            if len(self._entries) >= self._size and template_id not in self._entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[template_id] = entry
