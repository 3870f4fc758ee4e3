"""The plugin contract: what a resource type declares and implements.

A plugin is a small class.  It declares its properties and attributes as data
(``resources.schema``) and implements the actions it supports:

* ``create`` / ``check_create_complete``, ``update`` / ``check_update_complete``,
  ``delete`` / ``check_delete_complete`` — the lifecycle;
* optionally ``suspend``, ``resume``, ``check``, ``snapshot``, ``restore`` and
  ``signal`` (the defaults raise ``NotSupported``), ``adopt`` (the default
  takes the abandoned id and data as they are) and ``metadata_update`` (the
  default does nothing).

``check_*_complete`` returns ``True`` when done, ``False`` to be asked again
later (the engine backs off), or a number of seconds after which asking again
makes sense.  Plugins never sleep: waiting is the engine's job, so thousands of
resources can wait at once.

A plugin keeps nothing in memory between calls: the engine may be restarted
between ``create`` and ``check_create_complete``.  What it needs to remember
goes through ``set_physical_id`` and ``set_data``, which are stored before they
return; ``set_physical_id`` must be called as soon as the cloud returns an id,
so that a crash never leaves an untracked cloud object.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Iterable, Mapping, Protocol

from orchestrator.template.functions.references import select_from_attribute

from .errors import NotSupported, UpdateReplace
from .implicit_dependencies import StackResource, StackResources, rule_for
from .schema import Attribute, Property, PropertyProblem


class Runtime(Protocol):
    """What the engine gives a plugin instance (implemented by the engine)."""

    stack_name: str
    stack_id: str
    project_id: str

    def physical_name(self) -> str:
        """A unique cloud-side name: ``<stack>-<resource>-<random>``, at most 255 characters."""

    def set_physical_id(self, physical_id: str | None) -> None:
        """Record the cloud object's id; returns once it is stored."""

    def set_data(self, key: str, value: Any) -> None:
        """Remember ``value`` under ``key`` (``None`` forgets it); returns once it is stored."""

    def merge_data(self, key: str,
                   entries: Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]) -> dict[str, Any]:
        """Merge ``entries`` into the mapping stored under ``key``, atomically; the mapping as stored.

        The stored mapping is read and written in one transaction with the
        row locked, so concurrent merges (signals arriving together, in
        several processes) never lose one another's entries.  An entry whose
        value is ``None`` removes that key.  ``entries`` may be a function
        given (a copy of) the stored mapping that returns the entries to merge
        (to number them, say): it runs while the row is locked, may run more
        than once, and must not block.  Returns once stored; it always waits
        for the database, so a plugin calling it during an operation should
        not declare ``blocking = False``.
        """

    def cloud(self) -> Any:
        """The openstacksdk connection to act with (the user's cloud)."""

    def service(self, name: str) -> Any:
        """An engine service; ``LookupError`` if it is not offered where the plugin runs.

        ``"stack"`` reads the stored rows of the stack's other resources
        (``engine.siblings.StackResources``); ``"nested_stacks"`` creates,
        updates, deletes and reads nested stacks during an operation, and
        reads them elsewhere (``engine.nested.NestedStacks``).  ``"signals"``
        (the signed URLs of wait condition handles, ``wait_condition.SignalService``)
        is for the API layer to provide: the engine does not offer it yet,
        and handles answer ``None`` for their URL attributes without it.
        ``"scaling"`` (offered to signals only) resizes an autoscaling group
        (``engine.scaling.BoundScaling``); see ``OS::Heat::ScalingPolicy``.
        """


class Resource:
    """Base class of resource plugins; see the module docstring for the contract."""

    #: the type name templates use, e.g. ``OS::Heat::RandomString``
    type_name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    properties_schema: ClassVar[Mapping[str, Property]] = {}
    attributes_schema: ClassVar[Mapping[str, Attribute]] = {}
    #: what the resource's ``update_policy`` section may hold; the engine does not check the
    #: section: a plugin that honours a policy reads and checks it (``OS::Heat::ResourceGroup``)
    update_policy_schema: ClassVar[Mapping[str, Property]] = {}
    #: ``True`` if ``attribute`` answers names beyond ``attributes_schema`` (a group's
    #: ``resource.0.name``): templates' ``get_attr`` names are then not checked against the schema
    dynamic_attributes: ClassVar[bool] = False
    #: types such as OS::Heat::None take any property without checking it
    accepts_any_properties: ClassVar[bool] = False
    #: ``False`` for plugins that only compute (no I/O): the engine calls them
    #: directly instead of handing them to a worker thread (may be a property)
    blocking: bool = True
    #: whether the next update replaces the resource when it is FAILED (Heat's default)
    replace_on_failure: ClassVar[bool] = True
    #: whether every stack update replaces the resource, changed or not
    #: (OS::Heat::UpdateWaitConditionHandle: a new handle for each update)
    always_replace_on_update: ClassVar[bool] = False

    def __init__(self, name: str, properties: Mapping[str, Any], runtime: Runtime, *,
                 physical_id: str | None = None, data: Mapping[str, Any] | None = None,
                 metadata: Mapping[str, Any] | None = None):
        self.name = name
        self.properties = dict(properties)
        self.runtime = runtime
        self.physical_id = physical_id
        self.data: dict[str, Any] = dict(data or {})
        self.metadata: dict[str, Any] = dict(metadata or {})

    # -- storing state ---------------------------------------------------------------

    def set_physical_id(self, physical_id: str | None) -> None:
        """Record the cloud object's id (stored before this returns)."""
        self.runtime.set_physical_id(physical_id)
        self.physical_id = physical_id

    def set_data(self, key: str, value: Any) -> None:
        """Remember ``value`` across calls and restarts (stored before this returns)."""
        self.runtime.set_data(key, value)
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value

    def merge_data(self, key: str,
                   entries: Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]) -> dict[str, Any]:
        """Merge ``entries`` into the mapping stored under ``key``, atomically (see ``Runtime.merge_data``).

        For data that others may change at the same moment (signals); returns
        the mapping as stored, which ``self.data[key]`` then holds.
        """
        merged = dict(self.runtime.merge_data(key, entries))
        if merged:
            self.data[key] = merged
        else:
            self.data.pop(key, None)
        return merged

    # -- lifecycle (override what the type supports) ---------------------------------

    def create(self) -> None:
        """Start creating the cloud object."""

    def check_create_complete(self) -> bool | float:
        """Whether creation has finished (or seconds until it is worth asking again)."""
        return True

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        """Change the object in place; ``changed`` holds the new values of changed properties.

        The default cannot update anything, so any change means replacement,
        as in Heat.
        """
        raise UpdateReplace(f"{self.type_name} cannot be updated in place")

    def check_update_complete(self) -> bool | float:
        """Whether the update has finished."""
        return True

    def outdated(self, properties: Mapping[str, Any]) -> bool:
        """Whether the object needs an update although no property changed.

        A nested stack is outdated when its template changed (a provider
        template's file, say); the engine then calls ``update`` with nothing
        in ``changed``.
        """
        return False

    def needs_replace(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> bool:
        """Whether a change of update-allowed properties still needs a new resource.

        Asked before ``update`` so that the engine can replace without first
        starting an in-place update; ``update`` may still raise ``UpdateReplace``.
        """
        return False

    def delete(self) -> None:
        """Start deleting the cloud object; deleting what is already gone is not an error."""

    def check_delete_complete(self) -> bool | float:
        """Whether the object is gone."""
        return True

    def prepare_for_replace(self) -> None:
        """Let go of what the replacement will take over (a server's ports, say) before it is made (optional).

        Called on the old resource when an update replaces it, before its
        replacement is created; the old object is deleted later, as usual.
        """

    def check_prepare_for_replace_complete(self) -> bool | float:
        return True

    def restore_after_rollback(self) -> None:
        """Take back what ``prepare_for_replace`` gave up, when a rollback brings this resource back (optional).

        Called on the old resource when a rollback restores it in place of its
        replacement, before the replacement is deleted: a server re-attaches
        the ports its replacement took over, say.
        """

    def check_restore_after_rollback_complete(self) -> bool | float:
        return True

    def suspend(self) -> None:
        """Suspend the object (optional)."""
        raise NotSupported(f"SUSPEND not supported for {self.type_name}")

    def check_suspend_complete(self) -> bool | float:
        return True

    def resume(self) -> None:
        """Resume a suspended object (optional)."""
        raise NotSupported(f"RESUME not supported for {self.type_name}")

    def check_resume_complete(self) -> bool | float:
        return True

    def check(self) -> None:
        """Raise ``ResourceFailure`` if the object is not healthy (optional)."""
        raise NotSupported(f"CHECK not supported for {self.type_name}")

    def check_check_complete(self) -> bool | float:
        """Whether a check has finished (a nested stack checks its children)."""
        return True

    def snapshot(self) -> Mapping[str, Any]:
        """Take a snapshot; what it returns is kept in the stack snapshot (optional)."""
        raise NotSupported(f"SNAPSHOT not supported for {self.type_name}")

    def restore(self, snapshot_data: Mapping[str, Any]) -> None:
        """Bring the object back to what ``snapshot`` saved (optional)."""
        raise NotSupported(f"RESTORE not supported for {self.type_name}")

    def signal(self, details: Any) -> str | None:
        """Handle a signal sent to this resource (optional); may say what it did, for the event."""
        raise NotSupported(f"Signal resource during {self.type_name} is not supported.")

    def adopt(self, resource_data: Mapping[str, Any]) -> None:
        """Take over an existing cloud object described by abandoned-stack data.

        The default stores the abandoned ``resource_id`` as the physical id and
        every ``resource_data`` entry with ``set_data``, without calling the
        cloud; a plugin that must check or re-read its object overrides it.
        """
        self.set_physical_id(resource_data.get("resource_id"))
        for key, value in (resource_data.get("resource_data") or {}).items():
            self.set_data(key, value)

    def metadata_update(self, metadata: Mapping[str, Any]) -> None:
        """React to a change of the resource's metadata (optional; the default does nothing).

        Reserved for Heat's metadata updates: the engine does not call it yet.
        """

    # -- what templates read ---------------------------------------------------------

    def reference_id(self) -> Any:
        """What ``get_resource`` gives: the physical id, or the name before there is one."""
        return self.physical_id if self.physical_id is not None else self.name

    def attribute(self, name: str, path: Iterable[Any] = ()) -> Any:
        """Attribute ``name``, followed along ``path`` (``get_attr``)."""
        return select_from_attribute(self.resolve_attribute(name), list(path))

    def resolve_attribute(self, name: str) -> Any:
        """The value of attribute ``name``; plugins override this."""
        if name == "show":
            return self.show()
        return None

    def show(self) -> Any:
        """The cloud object as the cloud describes it (the ``show`` attribute)."""
        return None

    def all_attributes(self) -> dict[str, Any]:
        """Every declared attribute but ``show`` (the one-argument ``get_attr``)."""
        return {name: self.attribute(name) for name in self.attributes_schema if name != "show"}

    # -- validation ------------------------------------------------------------------

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """Checks across properties that a schema cannot express (``min <= max``, say).

        ``properties`` are converted and defaulted; names in ``unknown`` have
        no value yet.
        """
        return ()

    @classmethod
    def implicit_dependencies(cls, resource: "StackResource", stack: "StackResources") -> Iterable[str]:
        """Names of other resources of the stack that ``resource`` needs although no function says so.

        Heat's ``add_dependencies``: a port waits for the subnets of its network,
        say.  The engine asks once per compiled stack, before anything exists:
        ``resource.properties`` are resolved with each ``get_resource`` as a
        ``resources.implicit_dependencies.Ref`` and each ``get_attr`` as ``None``;
        ``stack`` finds the other resources by name or type.  Edges that would
        close a cycle are dropped by the engine.  The default applies the rule
        ``resources.implicit_dependencies.RULES`` holds for ``resource.type``
        (none for most types); a plugin overrides this to state its own.
        """
        rule = rule_for(resource.type)
        return rule(resource, stack) if rule is not None else ()

    @classmethod
    def supports(cls, action: str) -> bool:
        """Whether the plugin implements an optional action (``suspend``, ``snapshot``, …)."""
        return getattr(cls, action) is not getattr(Resource, action)
