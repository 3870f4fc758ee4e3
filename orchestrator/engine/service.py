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
import logging
import threading
import uuid
from dataclasses import replace
from typing import Any, Callable, Mapping

from sqlalchemy import Connection, insert, select, update

from orchestrator.db.models import Event as EventRow
from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.models import utcnow
from orchestrator.db.templates import store_template
from orchestrator.template.compiler import StackDefinition
from orchestrator.template.template import Template

from . import locks, trusts
from .actions import ACTIONS
from .attributes import referenced_attributes
from .context import EngineContext
from .events import init_resource_row, purge_old_events, stack_event_row, stack_started
from .exports import abandon, adoption_data, export_stack
from .nested import NestedStacks, resource_facade
from .operation import Operation
from .dependencies import with_implicit_dependencies
from .preview import ResourcePreview, preview_create, preview_update
from .errors import NotSupported, StackExists, StackNotFound
from .requests import Job, StackRequest, prepare_create, prepare_update
from .update import UpdateOutcome
from .recovery import fail_operation, recover
from .runtime import PluginRuntime
from .siblings import StackResources
from .scaling import GroupScaling
from .signals import signal_resource
from .snapshots import new_snapshot, prepare_restore
from .stack_view import StackView, TemplateCache, load_records, load_stack_row, load_stack_view


log = logging.getLogger(__name__)


class StackChanged(locks.StackBusy):
    """An update planned from a stack that another request changed before it could be stored (HTTP 409)."""

    def __init__(self, stack_name: str):
        super().__init__(stack_name, "UPDATE")
        self.args = (f"Stack {stack_name} was changed by another request while this update was being prepared; "
                     "send the update again.",)


def _refuse_update(stack_id: str, row: Any) -> None:
    """Why a stack cannot be updated now, if it cannot."""
    if row is None or row.deleted_at is not None:
        raise StackNotFound(f"The Stack ({stack_id}) could not be found.")
    if row.action in ("DELETE", "SUSPEND") and row.status != "FAILED":
        raise NotSupported(f"Updating a stack when it is {row.action.lower()}d is not supported."
                           if row.status == "COMPLETE" else
                           f"Stack {row.name} already has an action ({row.action}) in progress.")


class Engine:
    """Stack operations for one process."""

    def __init__(self, context: EngineContext):
        self.context = context
        self.templates = TemplateCache()
        #: definitions compiled by requests, for their jobs when they run in this process
        self._prepared: dict[str, StackDefinition] = {}
        self._prepared_lock = threading.Lock()

    # -- requests ----------------------------------------------------------------------

    def prepare(self, request: StackRequest, stack_id: str) -> tuple[Template, Any, StackDefinition]:
        """Parse, merge and compile a request; ``TemplateError`` lists every problem."""
        return prepare_create(self.context, request, stack_id)

    def create_stack(self, request: StackRequest, *, action: str = "CREATE",
                     prepare: Callable[[Connection, str], None] | None = None) -> Job:
        """Check and store a new stack; the returned job creates (or adopts) its resources.

        ``prepare(connection, stack_id)`` runs in the same transaction once the
        stack and resource rows are stored (adopt stores its data there); if it
        raises, nothing is stored.  When stacks act with Keystone trusts, the
        caller's token makes the stack's trust first, deleted again if the
        stack is not stored.
        """
        stack_id = str(uuid.uuid4())
        template, environment, definition = self.prepare(request, stack_id)
        job = Job(stack_id, action, str(uuid.uuid4()))
        trust = trusts.new_trust(self.context, request.credentials, request.project_id)
        try:
            with self.context.database.engine.begin() as connection:
                self._refuse_duplicate_name(connection, request)
                template_id = store_template(connection, template.data,
                                             replace(environment, parameters={}).to_data(), dict(request.files))
                connection.execute(insert(StackRow).values(
                    id=stack_id, name=request.name, project_id=request.project_id, username=request.username,
                    action=action, status="IN_PROGRESS", status_reason=stack_started(action),
                    template_id=template_id, parameters=dict(environment.parameters), tags=list(request.tags or []),
                    timeout_mins=request.timeout_mins,
                    disable_rollback=True if request.disable_rollback is None else request.disable_rollback,
                    root_id=stack_id, nested_depth=0, created_at=utcnow(), **(trust.columns() if trust else {})))
                rows = [init_resource_row(stack_id, d) for d in definition.resources.values()]
                if rows:
                    connection.execute(insert(ResourceRow), rows)
                if prepare is not None:
                    prepare(connection, stack_id)
                locks.acquire(connection, stack_id, request.name, job.holder, action, self._lease)
                self._record_start(connection, stack_id, request.name, action)
        except BaseException:
            trusts.discard(self.context, trust)
            raise
        self.templates.put(template_id, template, environment, dict(request.files))
        self._remember(stack_id, definition)
        return job

    def _remember(self, stack_id: str, definition: StackDefinition) -> None:
        """Keep a just-compiled definition for the job that will run in this process soon."""
        with self._prepared_lock:
            if len(self._prepared) >= 64:
                self._prepared.pop(next(iter(self._prepared)))
            self._prepared[stack_id] = definition

    def delete_stack(self, stack_id: str) -> Job:
        """Mark a stack for deletion; the returned job deletes its resources."""
        return self._begin(stack_id, "DELETE")

    def stack_action(self, stack_id: str, action: str) -> Job:
        """Start ``CHECK``, ``SUSPEND`` or ``RESUME`` on a stack."""
        rules = {"CHECK": None, "SUSPEND": None,
                 "RESUME": ("SUSPEND_COMPLETE", "RESUME_COMPLETE", "RESUME_FAILED")}
        if action not in rules:
            raise ValueError(f"unknown stack action {action}")
        return self._begin(stack_id, action, allowed_from=rules[action])

    def update_stack(self, stack_id: str, request: StackRequest, *, existing: bool = False,
                     clear_parameters: tuple[str, ...] = ()) -> Job:
        """Check and store a new template (or, with ``existing``, changes to the current one).

        ``existing`` is Heat's PATCH: the current template, files and
        parameters are kept unless the request replaces them, and
        ``clear_parameters`` go back to their defaults.
        """
        plan = self._plan_update(stack_id, request, existing, clear_parameters)
        job = Job(stack_id, "UPDATE", str(uuid.uuid4()))
        template, environment, files, definition, row = plan
        trust = trusts.renewed_trust(self.context, row, request.credentials)
        try:
            with self.context.database.engine.begin() as connection:
                template_id = store_template(connection, template.data,
                                             replace(environment, parameters={}).to_data(), dict(files))
                locks.acquire(connection, stack_id, row.name, job.holder, "UPDATE", self._lease)
                locks.refuse_busy_descendants(connection, row)  # a group of the stack is resizing
                # The plan was made from an earlier read: under the lock, make sure
                # no other update (or a delete) has committed since.
                self._refuse_changed_since_planning(connection, row)
                connection.execute(update(StackRow).where(StackRow.id == stack_id).values(
                    action="UPDATE", status="IN_PROGRESS", status_reason=stack_started("UPDATE"),
                    prev_template_id=row.template_id, prev_parameters=row.parameters, template_id=template_id,
                    parameters=dict(environment.parameters), updated_at=utcnow(), cancel_requested=None,
                    timeout_mins=request.timeout_mins if request.timeout_mins is not None else row.timeout_mins,
                    disable_rollback=(row.disable_rollback if request.disable_rollback is None
                                      else request.disable_rollback),
                    tags=list(request.tags) if request.tags is not None else row.tags))
                if trust is not None:  # the root and every nested stack of it act with the new trust
                    connection.execute(update(StackRow).where(StackRow.root_id == stack_id).values(**trust.columns()))
                self._record_start(connection, stack_id, row.name, "UPDATE")
        except BaseException:
            trusts.discard(self.context, trust)
            raise
        if trust is not None:
            trusts.delete_stack_trust(self.context, row)
        self.templates.put(template_id, template, environment, dict(files))
        self._remember(stack_id, definition)
        return job

    def cancel_update(self, stack_id: str, rollback: bool = True) -> None:
        """Ask the running update (or create, without rollback) to stop; it rolls back if asked to."""
        with self.context.database.engine.begin() as connection:
            row = load_stack_row(connection, stack_id)
            if row is None:
                raise StackNotFound(f"The Stack ({stack_id}) could not be found.")
            allowed = ("UPDATE",) if rollback else ("UPDATE", "CREATE")
            if row.status != "IN_PROGRESS" or row.action not in allowed:
                raise NotSupported(f"Cancelling update when stack is {row.action}_{row.status} is not supported.")
            connection.execute(update(StackRow).where(StackRow.id == stack_id).values(
                cancel_requested="rollback" if rollback else "no_rollback"))

    def _plan_update(self, stack_id: str, request: StackRequest, existing: bool, clear: tuple[str, ...]):
        with self.context.database.reading() as connection:
            row = load_stack_row(connection, stack_id)
            _refuse_update(stack_id, row)
            template, environment, files = self.templates.get(connection, row.template_id)
        return (*prepare_update(self.context, row, (template, environment, files), request, existing, clear), row)

    @staticmethod
    def _refuse_changed_since_planning(connection: Connection, planned: Any) -> None:
        """Refuse an update whose plan is stale: the stack's template or parameters changed, or it went."""
        row = load_stack_row(connection, planned.id)
        _refuse_update(planned.id, row)
        if row.template_id != planned.template_id or (row.parameters or {}) != (planned.parameters or {}):
            raise StackChanged(row.name)

    def _begin(self, stack_id: str, action: str, allowed_from: tuple[str, ...] | None = None,
               prepare: Callable[[Connection, Any], None] | None = None) -> Job:
        """Check, lock and move the stack to ``<action>_IN_PROGRESS`` with its first event, in one transaction.

        ``prepare(connection, row)`` runs in that transaction before the lock
        is taken and the state changes: it may refuse the request (raising
        leaves the stack untouched: no lock, no state, no event) and store
        what the job needs (a snapshot row, the template to restore), which a
        refused lock takes back with the rest.
        """
        job = Job(stack_id, action, str(uuid.uuid4()))
        with self.context.database.engine.begin() as connection:
            row = load_stack_row(connection, stack_id)
            if row is None or (row.action == "DELETE" and row.status == "COMPLETE"):
                raise StackNotFound(f"The Stack ({stack_id}) could not be found.")
            if allowed_from is not None and f"{row.action}_{row.status}" not in allowed_from:
                raise NotSupported(f"{action.capitalize()} of a stack in state {row.action}_{row.status} "
                                   "is not supported.")
            if prepare is not None:
                prepare(connection, row)
            locks.acquire(connection, stack_id, row.name, job.holder, action, self._lease)
            locks.refuse_busy_descendants(connection, row)  # a group of the stack is resizing
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
            **stack_event_row(stack_id, name, action, "IN_PROGRESS", stack_started(action))))

    # -- reads and signals ----------------------------------------------------------------

    def view(self, stack_id: str, services: Mapping[str, Any] | None = None) -> "StackView":
        """A stack as stored, for reading (its plugins write through this process's writer).

        ``services`` are offered to its plugins besides the reading ones.
        """
        context = self.context

        readers = NestedStacks(self, None)

        def runtime(view, record):
            return PluginRuntime(view, record, None, context,
                                 services={"stack": StackResources(context.database, view.id),
                                           "nested_stacks": readers, **(services or {})})

        with context.database.reading() as connection:
            try:
                return load_stack_view(connection, stack_id, context.plugins, self.templates, runtime)
            except LookupError:
                raise StackNotFound(f"The Stack ({stack_id}) could not be found.") from None

    def signal(self, stack_id: str, resource_name: str, details: Any) -> Job | None:
        """Deliver a signal to a resource: clear a hook, or let its plugin handle it.

        A scaling policy's signal may start a resize of its group: the job
        returned is stored and locked like any request's, for the caller to
        queue (see ``scaling.py``).
        """
        scaling = GroupScaling(self)
        signal_resource(self.context, self.view(stack_id, {"scaling": scaling}), resource_name, details)
        return scaling.jobs[-1] if scaling.jobs else None

    # -- previews, export, abandon, adopt, snapshots -----------------------------------------

    def preview_create(self, request: StackRequest) -> list[ResourcePreview]:
        """What creating ``request`` would make; nothing is stored."""
        return preview_create(with_implicit_dependencies(self.prepare(request, "None")[2], self.context.plugins))

    def preview_update(self, stack_id: str, request: StackRequest, *, existing: bool = False,
                       clear_parameters: tuple[str, ...] = ()) -> UpdateOutcome:
        """What updating the stack with ``request`` would do to each resource; nothing is stored."""
        definition = self._plan_update(stack_id, request, existing, clear_parameters)[3]
        return preview_update(self.view(stack_id), definition)

    def export_stack(self, stack_id: str) -> dict[str, Any]:
        """The stack's abandon data, without abandoning it."""
        with self.context.database.reading() as connection:
            try:
                return export_stack(connection, stack_id)
            except LookupError:
                raise StackNotFound(f"The Stack ({stack_id}) could not be found.") from None

    def abandon_stack(self, stack_id: str) -> dict[str, Any]:
        """Forget the stack (its cloud objects stay) and return its data for a later adopt."""
        holder = str(uuid.uuid4())
        with self.context.database.engine.begin() as connection:
            row = load_stack_row(connection, stack_id)
            if row is None or row.deleted_at is not None:
                raise StackNotFound(f"The Stack ({stack_id}) could not be found.")
            locks.acquire(connection, stack_id, row.name, holder, "DELETE", self._lease)
            locks.refuse_busy_descendants(connection, row)
            data = export_stack(connection, stack_id)
            abandon(connection, stack_id)
            locks.release(connection, stack_id, holder)
        trusts.delete_stack_trust(self.context, row)  # nothing acts for a forgotten stack any more
        return data

    def adopt_stack(self, request: StackRequest, adopt_data: Mapping[str, Any]) -> Job:
        """Create a stack whose resources take over the cloud objects described by ``adopt_data``."""
        adopt_data = dict(adopt_data)

        def store_adopt_data(connection: Connection, stack_id: str) -> None:
            for name, record in load_records(connection, stack_id).items():
                data = adoption_data(adopt_data, name)
                if data is not None:
                    connection.execute(update(ResourceRow).where(ResourceRow.id == record.id)
                                       .values(data={"_adopt": data}))

        return self.create_stack(request, action="ADOPT", prepare=store_adopt_data)

    def snapshot_stack(self, stack_id: str, name: str | None = None) -> tuple[str, Job]:
        """Start a snapshot; returns the snapshot's id and the job that takes it."""
        snapshot: list[str] = []

        def store_snapshot(connection: Connection, row: Any) -> None:
            if row.deleted_at is not None:
                raise StackNotFound(f"The Stack ({stack_id}) could not be found.")
            if row.status == "IN_PROGRESS":
                raise NotSupported(f"Stack {row.name} is {row.action}_{row.status}; a snapshot needs a stack at rest.")
            snapshot.append(new_snapshot(connection, stack_id, name))

        job = self._begin(stack_id, "SNAPSHOT", prepare=store_snapshot)
        return snapshot[0], replace(job, argument=snapshot[0])

    def restore_snapshot(self, stack_id: str, snapshot_id: str) -> Job:
        """Start restoring the stack to a snapshot (refused, leaving the stack as it was, if it cannot be)."""
        job = self._begin(stack_id, "RESTORE",
                          prepare=lambda connection, row: prepare_restore(connection, stack_id, snapshot_id))
        return replace(job, argument=snapshot_id)

    # -- running jobs ---------------------------------------------------------------------

    def run(self, job: Job) -> bool:
        """Carry out a job in this thread; ``True`` if the stack ended up COMPLETE."""
        return asyncio.run(self.execute(job))

    async def execute(self, job: Job) -> bool:
        """Carry out a job on the running event loop; ``False`` at once if its lock was taken over.

        A job that waited so long that its lease expired may have been taken
        over by a recovering engine: then it must not run a second time.
        A job whose operation breaks (a bug, a plugin raising where it should
        not) ends with the stack FAILED and its lock released, never in progress.
        """
        if not await asyncio.to_thread(self._still_holds, job):
            return False
        operation: Operation | None = None
        heartbeat: asyncio.Task | None = None
        try:
            view = await asyncio.to_thread(self._load, job.stack_id, lambda: operation)
            with self._prepared_lock:
                prepared = self._prepared.pop(job.stack_id, None)
            if prepared is not None and prepared.template is view.template:
                view.use_definition(prepared)
            operation = Operation(self.context, view, job.action)
            operation.argument = job.argument
            operation.services.update(self.services_for(operation))
            operation.reload = lambda: self._load(job.stack_id, lambda: operation)
            operation.lock_holder = job.holder
            if job.action != "DELETE":
                operation.referenced_attributes = referenced_attributes(view.definition())
            await operation.start()
            heartbeat = asyncio.ensure_future(self._renew_lock(operation, job))
            return await ACTIONS[job.action](operation)
        except Exception as exc:
            log.exception("%s of stack %s broke", job.action, job.stack_id)
            await asyncio.to_thread(fail_operation, self.context.database, job.stack_id, job.holder,
                                    f"{type(exc).__name__}: {exc}")
            return False
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
            if operation is not None:
                await operation.finish()
            await asyncio.to_thread(self._purge_events, job.stack_id)

    def _still_holds(self, job: Job) -> bool:
        """Renew the job's lease; ``False`` if another holder has taken the lock."""
        with self.context.database.engine.begin() as connection:
            return locks.renew(connection, job.stack_id, job.holder, self.context.settings.lock_lease)

    def _purge_events(self, stack_id: str) -> None:
        with self.context.database.engine.begin() as connection:
            purge_old_events(connection, stack_id, self.context.settings.max_events_per_stack)

    def _load(self, stack_id: str, operation: Callable[[], Operation | None]) -> StackView:
        """The stack as stored; its plugins' runtimes belong to the operation ``operation()`` gives.

        A nested stack (a job resizing a group runs on one) is compiled with
        its parent resource's facade, read from the parent as stored.
        """
        context = self.context
        with context.database.reading() as connection:
            view = load_stack_view(connection, stack_id, context.plugins, self.templates,
                                   lambda view, record: PluginRuntime(view, record, operation(), context))
        if view.row.owner_id is not None and view.row.parent_resource is not None:
            view.definition(facade=resource_facade(self.view(view.row.owner_id), view.row.parent_resource))
        return view

    def services_for(self, operation: Operation) -> dict[str, Any]:
        """The engine services an operation's plugins may use (``runtime.service(name)``)."""
        return {"stack": StackResources(self.context.database, operation.view.id),
                "nested_stacks": NestedStacks(self, operation)}

    async def _renew_lock(self, operation: Operation, job: Job) -> None:
        """Keep the lease while the operation runs; stop the operation if the lock was taken over.

        Renewal runs on its own thread, not the plugins' pool, so that slow
        cloud calls can never hold it back past the lease.
        """
        while True:
            await asyncio.sleep(self.context.settings.lock_lease / 3)
            if not await asyncio.to_thread(self._still_holds, job):
                log.error("lost the lock of stack %s to another engine: stopping %s", job.stack_id, job.action)
                operation.stop()
                return

    # -- recovery after a crash (see recovery.py) -------------------------------------------

    def recover(self) -> list[tuple[str, str]]:
        """Resume or fail the operations a dead engine left in progress; run when a process starts.

        Returns ``(stack_id, final ACTION_STATUS)`` for every stack taken over.
        """
        return recover(self)
