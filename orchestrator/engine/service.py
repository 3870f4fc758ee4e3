"""The engine's front: accept stack requests quickly, then carry them out as jobs.

A request (create, delete, …) is checked and stored in one transaction: the
stack row in ``<ACTION>_IN_PROGRESS``, its resources, the first event and
the stack lock, held for the job that will do the work.  It returns a
``Job``; whoever runs the job (a Celery worker, or a thread in the embedded
service) calls ``Engine.run``.  So a client that reads the stack right after
its request already sees the operation in progress, and a second request on
the same stack is refused while the first holds the lock.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from sqlalchemy import Connection, insert, select, update

from orchestrator.db.models import Event as EventRow
from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.models import utcnow
from orchestrator.db.templates import store_template
from orchestrator.template.compiler import StackDefinition, StackIdentity, compile_stack
from orchestrator.template.environment import environment_for_request
from orchestrator.template.errors import TemplateError
from orchestrator.template.template import Template

from . import locks
from .actions import ACTIONS
from .attributes import referenced_attributes
from .context import EngineContext
from .events import event_row, stack_started
from .nested import NestedStacks
from .operation import Operation
from .runtime import PluginRuntime
from .siblings import StackResources
from .signals import signal_resource
from .stack_view import StackView, TemplateCache, load_stack_row, load_stack_view


class StackNotFound(LookupError):
    """No such stack in this project (HTTP 404)."""


class StackExists(Exception):
    """The project already has a stack of that name (HTTP 409)."""


class RequestLimitExceeded(Exception):
    """A limit of the service was reached (HTTP 400, as in Heat)."""


@dataclass
class StackRequest:
    """What a client asks for when it creates (or later updates) a stack; Heat's API fields."""

    name: str
    template: Mapping[str, Any] | str
    project_id: str = "default"
    username: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    environment: Mapping[str, Any] | None = None
    environment_files: list[str] | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    timeout_mins: int | None = None
    disable_rollback: bool = True
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """A stored operation waiting to be run: the stack, the action and the lock holder."""

    stack_id: str
    action: str
    holder: str

    def to_message(self) -> dict:
        """What goes on the queue."""
        return {"stack_id": self.stack_id, "action": self.action, "holder": self.holder}


class Engine:
    """Stack operations for one process."""

    def __init__(self, context: EngineContext):
        self.context = context
        self.templates = TemplateCache()
        #: definitions compiled by requests, for their jobs when they run in this process
        self._prepared: dict[str, StackDefinition] = {}

    # -- requests ----------------------------------------------------------------------

    def prepare(self, request: StackRequest, stack_id: str) -> tuple[Template, Any, StackDefinition]:
        """Parse, merge and compile a request; ``TemplateError`` lists every problem."""
        template = (Template.load(request.template, "template") if isinstance(request.template, str)
                    else Template.from_data(request.template, "template"))
        types = {name: schema.type for name, schema in template.parameters.items()}
        environment = environment_for_request(request.environment, request.parameters,
                                              request.environment_files, request.files, types)
        definition = compile_stack(template, environment, files=request.files,
                                   identity=StackIdentity(request.name, stack_id, request.project_id),
                                   catalog=self.context.plugins,
                                   custom_constraints=self.context.custom_constraints)
        limit = self.context.settings.max_resources_per_stack
        if limit >= 0 and len(definition.resources) > limit:
            raise RequestLimitExceeded(f"You have reached the maximum resources per stack, {limit}. "
                                       "Please delete some resources.")
        return template, environment, definition

    def create_stack(self, request: StackRequest) -> Job:
        """Check and store a new stack; the returned job creates its resources."""
        stack_id = str(uuid.uuid4())
        template, environment, definition = self.prepare(request, stack_id)
        job = Job(stack_id, "CREATE", str(uuid.uuid4()))
        with self.context.database.engine.begin() as connection:
            self._refuse_duplicate_name(connection, request)
            template_id = store_template(connection, template.data,
                                         replace(environment, parameters={}).to_data(), dict(request.files))
            connection.execute(insert(StackRow).values(
                id=stack_id, name=request.name, project_id=request.project_id, username=request.username,
                action="CREATE", status="IN_PROGRESS", status_reason=stack_started("CREATE"),
                template_id=template_id, parameters=dict(environment.parameters), tags=list(request.tags),
                timeout_mins=request.timeout_mins, disable_rollback=request.disable_rollback,
                root_id=stack_id, nested_depth=0, created_at=utcnow()))
            rows = [{"stack_id": stack_id, "name": d.name, "type": d.resolved_type, "action": "INIT",
                     "status": "COMPLETE", "status_reason": "", "definition": d.snippet(), "properties": {},
                     "attributes": {}, "metadata_": {}, "data": {}, "requires": sorted(d.requires),
                     "created_at": utcnow()} for d in definition.resources.values()]
            if rows:
                connection.execute(insert(ResourceRow), rows)
            locks.acquire(connection, stack_id, request.name, job.holder, "CREATE", self._lease)
            self._record_start(connection, stack_id, request.name, "CREATE")
        self.templates.put(template_id, template, environment, dict(request.files))
        self._remember(stack_id, definition)
        return job

    def _remember(self, stack_id: str, definition: StackDefinition) -> None:
        """Keep a just-compiled definition for the job that will run in this process soon."""
        if len(self._prepared) >= 64:
            self._prepared.pop(next(iter(self._prepared)))
        self._prepared[stack_id] = definition

    def delete_stack(self, stack_id: str) -> Job:
        """Mark a stack for deletion; the returned job deletes its resources."""
        return self._begin(stack_id, "DELETE")

    def _begin(self, stack_id: str, action: str) -> Job:
        job = Job(stack_id, action, str(uuid.uuid4()))
        with self.context.database.engine.begin() as connection:
            row = load_stack_row(connection, stack_id)
            if row is None or (row.action == "DELETE" and row.status == "COMPLETE"):
                raise StackNotFound(f"The Stack ({stack_id}) could not be found.")
            locks.acquire(connection, stack_id, row.name, job.holder, action, self._lease)
            connection.execute(update(StackRow).where(StackRow.id == stack_id).values(
                action=action, status="IN_PROGRESS", status_reason=stack_started(action), updated_at=utcnow(),
                cancel_requested=None))
            self._record_start(connection, stack_id, row.name, action)
        return job

    @property
    def _lease(self) -> float:
        return self.context.settings.lock_lease

    def _refuse_duplicate_name(self, connection: Connection, request: StackRequest) -> None:
        taken = connection.execute(
            select(StackRow.id).where(StackRow.project_id == request.project_id, StackRow.name == request.name,
                                      StackRow.owner_id.is_(None), StackRow.deleted_at.is_(None))).first()
        if taken is not None:
            raise StackExists(f"The Stack ({request.name}) already exists.")

    @staticmethod
    def _record_start(connection: Connection, stack_id: str, name: str, action: str) -> None:
        connection.execute(insert(EventRow).values(
            **event_row(stack_id, name, action, "IN_PROGRESS", stack_started(action), physical_id=stack_id,
                        resource_type="OS::Heat::Stack")))

    # -- reads and signals ----------------------------------------------------------------

    def view(self, stack_id: str) -> "StackView":
        """A stack as stored, for reading (its plugins write through this process's writer)."""
        context = self.context

        def runtime(view, record):
            return PluginRuntime(view, record, None, context)

        with context.database.engine.connect() as connection:
            try:
                return load_stack_view(connection, stack_id, context.plugins, self.templates, runtime)
            except LookupError:
                raise StackNotFound(f"The Stack ({stack_id}) could not be found.") from None

    def signal(self, stack_id: str, resource_name: str, details: Any) -> None:
        """Deliver a signal to a resource: clear a hook, or let its plugin handle it."""
        signal_resource(self.context, self.view(stack_id), resource_name, details)

    # -- running jobs ---------------------------------------------------------------------

    def run(self, job: Job) -> bool:
        """Carry out a job in this thread; ``True`` if the stack ended up COMPLETE."""
        return asyncio.run(self.execute(job))

    async def execute(self, job: Job) -> bool:
        """Carry out a job on the running event loop."""
        context = self.context
        with context.database.engine.connect() as connection:
            operation: Operation | None = None

            def runtime(view, record):
                return PluginRuntime(view, record, operation, context)

            view = load_stack_view(connection, job.stack_id, context.plugins, self.templates, runtime)
        prepared = self._prepared.pop(job.stack_id, None)
        if prepared is not None and prepared.template is view.template:
            view.use_definition(prepared)
        operation = Operation(context, view, job.action)
        operation.services.update(self.services_for(operation))
        operation.lock_holder = job.holder
        if job.action != "DELETE":
            operation.referenced_attributes = referenced_attributes(
                view.definition(catalog=context.plugins, custom_constraints=context.custom_constraints))
        await operation.start()
        heartbeat = asyncio.ensure_future(self._renew_lock(operation, job))
        try:
            return await ACTIONS[job.action](operation)
        finally:
            heartbeat.cancel()
            await operation.finish()

    def services_for(self, operation: Operation) -> dict[str, Any]:
        """The engine services an operation's plugins may use (``runtime.service(name)``)."""
        return {"stack": StackResources(self.context.database, operation.view.id),
                "nested_stacks": NestedStacks(self, operation)}

    async def _renew_lock(self, operation: Operation, job: Job) -> None:
        lease = self.context.settings.lock_lease

        def renew() -> bool:
            with self.context.database.engine.begin() as connection:
                return locks.renew(connection, job.stack_id, job.holder, lease)

        while True:
            await asyncio.sleep(lease / 3)
            await operation.in_thread(renew)
