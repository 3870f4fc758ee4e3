"""Nested stacks, for plugins that are made of other stacks (``runtime.service("nested_stacks")``).

A nested stack is a stack row owned by a resource of its parent
(``owner_id``, ``parent_resource``, ``nested_depth``, ``root_id``), with its
own resources and events.  This module is what plugins call: create,
update, delete and act on a child, and read its state, outputs and
resources.  Running the children's operations is ``nested_runs``.

Plugins are synchronous and usually run on worker threads, so every method
here returns at once: work is scheduled on the loop and ``state`` tells how
it went.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any, Mapping

from sqlalchemy import and_, func, insert, not_, or_, select, update

from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.models import utcnow
from orchestrator.db.templates import digest_of
from orchestrator.template.compiler import StackDefinition, StackIdentity, compile_stack
from orchestrator.template.environment import Environment
from orchestrator.template.errors import TemplateError
from orchestrator.template.template import Template
from orchestrator.template.validation import Validator

from .errors import RequestLimitExceeded
from .events import init_resource_row, stack_started
from .nested_runs import ChildRuns, Tree, error_of
from .runtime import PluginRuntime
from .siblings import StackResources
from .stack_view import StackView, load_stack_row, load_stack_view

#: the resource rows that count against the resource limit: current and not deleted
_LIVE = (ResourceRow.replaced_by.is_(None),
         not_(and_(ResourceRow.action == "DELETE", ResourceRow.status == "COMPLETE")))


def check_provider_templates(context: Any, template: Template, environment: Environment,
                             files: Mapping[str, str], definition: StackDefinition,
                             identity: StackIdentity) -> None:
    """Check a request's template resources against their templates, as Heat does before it accepts it.

    Properties must be the template's parameters ("Unknown Property x",
    "Property x not assigned"), the templates must compile and the nesting
    must stay within the depth limit.  Only requests pay for this: children
    of nested stacks are checked when they are created.
    """
    if not any(resource.template is not None for resource in definition.resources.values()):
        return
    validator = Validator(catalog=context.plugins, custom_constraints=context.custom_constraints,
                          max_nested_depth=context.settings.max_nested_depth)
    report = validator.validate(template, files=files, environment=environment.to_data(), identity=identity)
    if report.all_problems():
        raise TemplateError(report.all_problems())


def content_digest(template: Mapping[str, Any] | Template, files_digest: str) -> str:
    """A digest of a child's template and of the digest of the files map it may use (``StackView.files_digest``)."""
    data = template.data if isinstance(template, Template) else template
    return digest_of(data, {}, {"files": files_digest})


def resource_facade(view: StackView, resource_name: str) -> dict[str, Any]:
    """The resolved ``metadata``, ``deletion_policy`` and ``update_policy`` of resource ``resource_name`` of ``view``.

    What a nested stack made for that resource reads with ``resource_facade``.
    """
    try:
        stack = view.definition()
        resource = stack.resources.get(resource_name)
        if resource is None:
            return {}
        return {"metadata": stack.resolve(resource.metadata, view) or {},
                "deletion_policy": stack.resolve(resource.deletion_policy, view) or "Delete",
                "update_policy": stack.resolve(resource.update_policy, view) or {}}
    except TemplateError:
        return {}


class NestedStacks:
    """Create, update, delete and read the nested stacks of one operation's stack.

    Without an operation (``NestedStacks(engine, None)``) it can only read:
    what the API needs to show a template resource's attributes.
    """

    def __init__(self, engine: Any, operation: Any, tree: Tree | None = None):
        self._engine = engine
        self._operation = operation
        self._tree = tree if tree is not None else Tree()
        self._runs = ChildRuns(engine, operation, self._tree, lambda child: NestedStacks(engine, child, self._tree),
                               self._facade_of)

    @property
    def _context(self) -> Any:
        return self._engine.context

    # -- starting actions ----------------------------------------------------------------

    def create(self, resource_name: str, template: Mapping[str, Any] | Template, *,
               files: Mapping[str, str] | None = None, parameters: Mapping[str, Any] | None = None,
               environment: Mapping[str, Any] | None = None, adopt_data: Mapping[str, Any] | None = None,
               timeout_mins: int | None = None) -> str:
        """Store a nested stack for ``resource_name`` and start creating it; returns its id at once.

        Raises (``TemplateError``, ``RequestLimitExceeded``) when the child
        cannot be made, so the parent resource fails with that reason.
        """
        if adopt_data:
            raise NotImplementedError("Adopting nested stacks is not supported")
        parent = self._operation.view
        record = parent.records.get(resource_name)
        existing = self._unfinished_child(record)
        if existing is not None:
            return existing  # an engine restart interrupted this very create: carry it on
        depth = (parent.row.nested_depth or 0) + 1
        limit = self._context.settings.max_nested_depth
        if depth > limit:
            raise RequestLimitExceeded(f"Recursion depth exceeds {limit}.")
        child_id = str(uuid.uuid4())
        name = parent.physical_name(record) if record is not None else f"{parent.name}-{resource_name}"
        files = dict(parent.files if files is None else files)
        facade = self.facade(resource_name)
        parsed, env, definition = self._prepare(resource_name, template, files, parameters, environment,
                                                StackIdentity(name, child_id, parent.project_id), facade)
        self._reserve(len(definition.resources))
        row = {"id": child_id, "name": name, "project_id": parent.project_id, "username": parent.row.username,
               "action": "CREATE", "status": "IN_PROGRESS", "status_reason": stack_started("CREATE"),
               "parameters": dict(env.parameters), "tags": [], "disable_rollback": True,
               "timeout_mins": timeout_mins if timeout_mins is not None else parent.row.timeout_mins,
               "owner_id": parent.id, "root_id": parent.row.root_id or parent.id, "parent_resource": resource_name,
               "nested_depth": depth, "created_at": utcnow(),
               # a nested stack acts with its root's trust
               "trust_id": parent.row.trust_id, "trustor_id": parent.row.trustor_id}
        resources = [init_resource_row(child_id, d) for d in definition.resources.values()]

        def store(connection, template_id: int) -> None:
            connection.execute(insert(StackRow).values(template_id=template_id, **row))
            if resources:
                connection.execute(insert(ResourceRow), resources)
            if record is not None:  # so that a restarted engine finds the child of a create it interrupted
                connection.execute(update(ResourceRow).where(ResourceRow.id == record.id)
                                   .values(nested_stack_id=child_id))

        self._runs.store_and_run(child_id, name, "CREATE", store, parsed, env, files, definition, facade, timeout_mins)
        if record is not None:
            record.nested_stack_id = child_id
        return child_id

    def update(self, stack_id: str, template: Mapping[str, Any] | Template, *,
               files: Mapping[str, str] | None = None, parameters: Mapping[str, Any] | None = None,
               environment: Mapping[str, Any] | None = None, timeout_mins: int | None = None) -> None:
        """Start updating a nested stack to a new template or parameters (its resources converge as in any update)."""
        row, current = self._row_and_size(stack_id)
        if row is None:
            raise LookupError(f"The Stack ({stack_id}) could not be found.")
        files = dict(self._operation.view.files if files is None else files)
        facade = self.facade(row.parent_resource)
        parsed, env, definition = self._prepare(row.parent_resource, template, files, parameters, environment,
                                                StackIdentity(row.name, stack_id, row.project_id), facade)
        self._reserve(len(definition.resources) - current)
        values = {"action": "UPDATE", "status": "IN_PROGRESS", "status_reason": stack_started("UPDATE"),
                  "prev_template_id": row.template_id, "prev_parameters": row.parameters,
                  "parameters": dict(env.parameters), "updated_at": utcnow(), "cancel_requested": None,
                  "timeout_mins": timeout_mins if timeout_mins is not None else row.timeout_mins}

        def store(connection, template_id: int) -> None:
            connection.execute(update(StackRow).where(StackRow.id == stack_id)
                               .values(template_id=template_id, **values))

        self._runs.store_and_run(stack_id, row.name, "UPDATE", store, parsed, env, files, definition, facade,
                            timeout_mins)

    def delete(self, stack_id: str) -> None:
        """Start deleting a nested stack (nothing to do if it is already gone)."""
        self.action(stack_id, "DELETE")

    def action(self, stack_id: str, action: str) -> None:
        """Start another action (``SUSPEND``, ``RESUME``, ``CHECK``; ``DELETE``) on a nested stack."""
        if action not in ("DELETE", "SUSPEND", "RESUME", "CHECK"):
            raise ValueError(f"unknown nested stack action {action}")

        self._runs.launch(stack_id, action, lambda: self._runs.operate(stack_id, action, start=True))

    # -- reading -----------------------------------------------------------------------

    def state(self, stack_id: str) -> tuple[str, str, str]:
        """``(action, status, reason)`` of a nested stack; resumes its operation if it was interrupted."""
        tree = self._tree
        task = tree.tasks.get(stack_id)
        if task is not None:
            if not task.done():
                return tree.actions[stack_id], "IN_PROGRESS", ""
            error = error_of(task)
            if error is not None:
                return tree.actions[stack_id], "FAILED", f"{type(error).__name__}: {error}"
            if stack_id in tree.results:
                return tree.results[stack_id]
        row = self._row(stack_id)
        if row is None:
            raise LookupError(f"The Stack ({stack_id}) could not be found.")
        if row.status == "IN_PROGRESS" and task is None and self._operation is not None:
            self._runs.resume(row)
            return row.action, "IN_PROGRESS", row.status_reason
        return row.action, row.status, row.status_reason

    def waiter(self, stack_id: str) -> Any:
        """The running task of a child, for a plugin's ``check_*_complete`` to hand to the engine.

        The engine then wakes the parent resource when the child's operation
        ends instead of polling it (``Operation.wait_until_complete``).
        """
        task = self._tree.tasks.get(stack_id)
        return task if task is not None and not task.done() else None

    def outputs(self, stack_id: str) -> dict[str, Any]:
        """Every output of a nested stack (``None`` for one that failed)."""
        view = self._view(stack_id, compiled=True)
        definition = view.definition()
        return {name: definition.output(name, view)[0] for name in definition.outputs}

    def template(self, stack_id: str) -> dict[str, Any]:
        """The template a nested stack has now, as data (a group reads its members' names from it)."""
        return dict(self._view(stack_id).template.data)

    def resources(self, stack_id: str) -> dict[str, Any]:
        """The nested stack's resources by name: ``{name: {"physical_id", "reference", "action", "status", …}}``."""
        view = self._view(stack_id)
        return {name: {"id": record.id, "type": record.type, "physical_id": record.physical_id,
                       "reference": view.reference(name), "action": record.action, "status": record.status,
                       "status_reason": record.status_reason, "data": dict(record.data),
                       "nested_stack_id": record.nested_stack_id}
                for name, record in view.records.items()}

    def attribute(self, stack_id: str, resource_name: str, attribute: str, path: tuple = ()) -> Any:
        """An attribute of one resource of a nested stack."""
        return self._view(stack_id).attribute(resource_name, attribute, tuple(path))

    def attributes(self, stack_id: str, names: list[str], attribute: str, path: tuple = ()) -> dict[str, Any]:
        """One attribute of several resources of a nested stack, read from one view (groups read members)."""
        view = self._view(stack_id)
        return {name: view.attribute(name, attribute, tuple(path)) for name in names}

    # -- what plugins need to know about their own resource --------------------------------

    def provider_template(self, resource_name: str) -> Template:
        """The parsed provider template of template resource ``resource_name`` (parsed once per tree)."""
        view = self._operation.view
        key = view.definition().resources[resource_name].template
        text = view.files.get(key) if key is not None else None
        if not isinstance(text, str):
            raise LookupError(f'Could not fetch remote template "{key}": it is not in the files map')
        cached = self._tree.templates.get((key, text))
        if cached is None:
            cached = self._tree.templates[(key, text)] = Template.load(text, key)
        return cached

    def content_digest(self, template: Mapping[str, Any] | Template) -> str:
        """A digest of a child's template and of the files map it may use (types, get_file).

        Stored by nested-stack plugins, it tells an update that a provider
        template changed although no property did.
        """
        return content_digest(template, self._operation.view.files_digest)

    def parameter_defaults(self) -> dict[str, Any]:
        """The environment's ``parameter_defaults``, which children inherit."""
        return dict(self._operation.view.environment.parameter_defaults)

    def facade(self, resource_name: str) -> dict[str, Any]:
        """The resolved ``metadata``, ``deletion_policy`` and ``update_policy`` of resource ``resource_name``.

        Provider templates read them with ``resource_facade``; groups read
        their update policy from here.
        """
        return resource_facade(self._operation.view, resource_name)

    # -- preparing ----------------------------------------------------------------------

    def _prepare(self, resource_name: str, template: Mapping[str, Any] | Template, files: dict,
                 parameters: Mapping[str, Any] | None, environment: Mapping[str, Any] | None,
                 identity: StackIdentity, facade: Mapping[str, Any]) -> tuple[Template, Environment, StackDefinition]:
        """Parse and compile a child: the parent's environment narrowed to the parent resource."""
        parsed = template if isinstance(template, Template) else Template.from_data(dict(template), "template")
        parent = self._operation.view
        registry = parent.environment.resource_registry
        resource = parent.definition().resources.get(resource_name)
        provider = registry.resolve(resource.type, resource_name) if resource is not None and resource.template \
            else None
        env = Environment(parameters=dict(parameters or {}),
                          parameter_defaults=dict(parent.environment.parameter_defaults),
                          resource_registry=registry.for_child(resource_name, provider),
                          event_sinks=list(parent.environment.event_sinks),
                          encrypted_param_names=list(parent.environment.encrypted_param_names))
        if environment:
            extra = Environment.from_data(dict(environment))
            env = replace(env, parameters={**extra.parameters, **env.parameters},
                          parameter_defaults={**env.parameter_defaults, **extra.parameter_defaults},
                          resource_registry=env.resource_registry.merged(extra.resource_registry))
        definition = compile_stack(parsed, env, files=files, identity=identity, catalog=self._context.plugins,
                                   custom_constraints=self._context.custom_constraints,
                                   facade=facade)
        return parsed, env, definition

    def _unfinished_child(self, record: Any) -> str | None:
        """The child a create interrupted by an engine restart had already stored, if any."""
        if record is None or record.nested_stack_id is None:
            return None
        row = self._row(record.nested_stack_id)
        if row is None or row.action != "CREATE" or row.deleted_at is not None:
            return None
        return row.id

    def _reserve(self, added: int) -> None:
        """Count ``added`` resources against the root tree's limit (Heat's ``max_resources_per_stack``)."""
        limit = self._context.settings.max_resources_per_stack
        if limit < 0:
            return
        tree = self._tree
        with tree.lock:
            if tree.resource_count is None:
                tree.resource_count = self._count_tree_resources()
            if added > 0 and tree.resource_count + added > limit:
                raise RequestLimitExceeded("Maximum resources per stack exceeded.")
            tree.resource_count += added

    def _count_tree_resources(self) -> int:
        row = self._operation.view.row
        root = row.root_id or row.id
        with self._context.database.reading() as connection:
            return connection.execute(
                select(func.count(ResourceRow.id)).join(StackRow, StackRow.id == ResourceRow.stack_id)
                .where(or_(StackRow.root_id == root, StackRow.id == root), StackRow.deleted_at.is_(None),
                       *_LIVE)).scalar_one()

    # -- reading rows and views -------------------------------------------------------------

    def _row(self, stack_id: str) -> Any:
        with self._context.database.reading() as connection:
            return load_stack_row(connection, stack_id)

    def _row_and_size(self, stack_id: str) -> tuple[Any, int]:
        with self._context.database.reading() as connection:
            row = load_stack_row(connection, stack_id)
            size = connection.execute(select(func.count(ResourceRow.id))
                                      .where(ResourceRow.stack_id == stack_id, *_LIVE)).scalar_one()
        return row, size

    def _view(self, stack_id: str, compiled: bool = False) -> StackView:
        """The child as its last operation in this process left it, else as stored."""
        view = self._tree.views.get(stack_id)
        if view is None:
            context = self._context

            def runtime(v: StackView, record: Any) -> PluginRuntime:
                # Reading only: members that are nested stacks themselves read through this service.
                return PluginRuntime(v, record, None, context,
                                     services={"nested_stacks": self, "stack": StackResources(context.database, v.id)})

            with context.database.reading() as connection:
                view = load_stack_view(connection, stack_id, context.plugins, self._engine.templates, runtime)
        if compiled:
            view.definition(facade=self._facade_of(view))
        return view

    def _facade_of(self, view: StackView) -> dict[str, Any]:
        """The facade of a child whose parent resource belongs to this operation's stack."""
        if self._operation is None or view.row.owner_id != self._operation.view.id \
                or view.row.parent_resource is None:
            return {}
        return self.facade(view.row.parent_resource)
