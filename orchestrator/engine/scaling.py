"""Resizing autoscaling groups when their policies are signalled: the ``"scaling"`` service of the signal path.

A signal is handled where it arrives (the API, usually), but a resize is real
work — servers, pool members — so it is not done there.  In one transaction
the service checks that the group may resize now, stores the group's new
capacity with its nested stack's new template, takes the nested stack's lock
and moves it to ``UPDATE_IN_PROGRESS`` with its event: what
``Engine.update_stack`` does for a stack a user updates.  The signal's caller
queues the ``Job`` made; a worker runs it like any other (``Engine.execute``
runs jobs of nested stacks too).

Nothing is done — ``NoActionRequired``: the signal is accepted and leaves no
event, as in Heat — when:

* the group is not COMPLETE (or is suspended);
* a stack above the group is being changed (an update, a delete), or is
  locked: the resize would race that operation;
* the group's nested stack is in progress or locked: a resize is running
  (two signals at once: both may plan, only one takes the lock);
* the group is in its cooldown: the nested stack's last successful create or
  update ended less than the cooldown in force ago (the signalling policy's
  cooldown at the last resize, else the group's; Heat's ``cooldown_end``);
* the capacity would not change.

The group plugin (``OS::Heat::AutoScalingGroup``) says what the new capacity
is and which template holds it; this module owns the checks and the writes.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from orchestrator.db.models import Event as EventRow
from orchestrator.db.models import Resource as ResourceRow
from orchestrator.db.models import Stack as StackRow
from orchestrator.db.models import utcnow
from orchestrator.db.templates import load_template, store_template
from resources.errors import NoActionRequired

from . import locks
from .events import stack_event_row, stack_started
from .nested import content_digest
from .requests import Job
from .stack_view import ResourceRecord, StackView, load_stack_row

log = logging.getLogger(__name__)

#: group states in which a policy may resize it (Heat: the group is COMPLETE)
RESIZABLE_ACTIONS = frozenset(("CREATE", "UPDATE", "RESUME", "CHECK", "ADOPT", "SNAPSHOT", "ROLLBACK"))
#: plans made again when another resize changed the group between planning and storing
ATTEMPTS = 3


class _PlanOutdated(Exception):
    """The nested stack's template changed after the resize was planned: plan again."""


@dataclass
class GroupScaling:
    """The ``"scaling"`` service of one signal's stack view; ``jobs`` holds the resize it started, if any."""

    engine: Any
    jobs: list[Job] = field(default_factory=list)

    def bound_to(self, view: StackView, record: ResourceRecord) -> "BoundScaling":
        """The service as the signalled policy (``record``) sees it."""
        return BoundScaling(self, view, record)

    def adjust(self, view: StackView, policy: ResourceRecord, group_id: str, adjustment: float, adjustment_type: str,
               min_adjustment_step: int | None, cooldown: float | None) -> Job:
        """Start resizing the group ``group_id`` (its reference id or name) of ``view``; the job that does it.

        Raises ``NoActionRequired`` when the group is left as it is,
        ``LookupError`` when there is no such group in the stack and
        ``ValueError`` when the resource named is no scaling group.
        """
        record = _find_group(view, group_id)
        if record is None:
            raise LookupError(f'Alarm {policy.name} could not find scaling group named "{group_id}"')
        if not hasattr(view.plugin_class(record), "resize_plan"):
            raise ValueError(f"{record.name} ({record.type}) is not a scaling group")
        if record.status != "COMPLETE" or record.action not in RESIZABLE_ACTIONS or record.physical_id is None:
            raise NoActionRequired(f"group {record.name} is {record.state}")
        for _ in range(ATTEMPTS):
            planned = self._nested_row(record.physical_id)
            if planned is None or planned.status == "IN_PROGRESS":
                raise NoActionRequired(f"group {record.name} is resizing")
            group = view.plugin(record)
            capacity = group.adjusted_capacity(adjustment, adjustment_type, min_adjustment_step)
            if capacity == group.current_capacity():
                raise NoActionRequired(f"group {record.name} already has {capacity} members")
            template, data = group.resize_plan(capacity, cooldown,
                                               lambda members: content_digest(members, view.files_digest))
            try:
                job = self._store(view, record, planned, template, data)
            except _PlanOutdated:
                continue
            log.info("%s resizes group %s of stack %s to %d members", policy.name, record.name, view.name, capacity)
            self.jobs.append(job)
            return job
        raise NoActionRequired(f"group {record.name} kept changing while a resize was planned")

    def _nested_row(self, stack_id: str) -> Any:
        with self.engine.context.database.reading() as connection:
            row = load_stack_row(connection, stack_id)
        return None if row is None or row.deleted_at is not None else row

    def _store(self, view: StackView, record: ResourceRecord, planned: Any, template: dict, data: dict) -> Job:
        """Check, store, lock and start, in one transaction (nothing stays if any check refuses)."""
        context = self.engine.context
        lease = context.settings.lock_lease
        job = Job(planned.id, "UPDATE", str(uuid.uuid4()))
        with context.database.engine.begin() as connection:
            _refuse_busy_ancestors(connection, view.id, lease)
            try:
                locks.acquire(connection, planned.id, planned.name, job.holder, "UPDATE", lease)
            except locks.StackBusy:
                raise NoActionRequired(f"group {record.name} is resizing") from None
            row = load_stack_row(connection, planned.id)
            if row is None or row.deleted_at is not None or row.status == "IN_PROGRESS":
                raise NoActionRequired(f"group {record.name} is resizing")
            if row.template_id != planned.template_id:
                raise _PlanOutdated()
            if locks.busy_descendant(connection, row.id, row.root_id) is not None:
                raise NoActionRequired(f"a stack inside group {record.name} is busy")
            stored = connection.execute(select(ResourceRow.data).where(ResourceRow.id == record.id)
                                        .with_for_update()).scalar()
            group = view.plugin(replace(record, data=dict(stored or {})))
            ends = _cooldown_end(connection, row, group.cooldown_in_force())
            if ends is not None and utcnow() < ends:
                raise NoActionRequired(f"group {record.name} is in its cooldown until {ends.isoformat()}")
            _, environment, files, _ = load_template(connection, row.template_id)
            template_id = store_template(connection, template, environment, files)
            connection.execute(update(StackRow).where(StackRow.id == row.id).values(
                action="UPDATE", status="IN_PROGRESS", status_reason=stack_started("UPDATE"),
                prev_template_id=row.template_id, prev_parameters=row.parameters, template_id=template_id,
                updated_at=utcnow(), cancel_requested=None))
            connection.execute(insert(EventRow).values(
                **stack_event_row(row.id, row.name, "UPDATE", "IN_PROGRESS", stack_started("UPDATE"))))
            merged = {key: value for key, value in {**(stored or {}), **data}.items() if value is not None}
            # The group's attributes are read from its members from now on, not from what the parent cached.
            connection.execute(update(ResourceRow).where(ResourceRow.id == record.id)
                               .values(data=merged, attributes={}, updated_at=utcnow()))
        return job


@dataclass(frozen=True)
class BoundScaling:
    """``GroupScaling`` as one policy sees it (``ScalingService`` of ``resources.orchestration.scaling_policy``)."""

    service: GroupScaling
    view: StackView
    policy: ResourceRecord

    def adjust(self, group: str, adjustment: float, adjustment_type: str, min_adjustment_step: int | None,
               cooldown: float | None) -> None:
        """Resize ``group``; ``NoActionRequired`` when it is left as it is."""
        self.service.adjust(self.view, self.policy, group, adjustment, adjustment_type, min_adjustment_step,
                            cooldown)


def _find_group(view: StackView, group_id: str) -> ResourceRecord | None:
    """The resource of the stack whose reference id is ``group_id`` (Heat's ``resource_by_refid``), or so named."""
    for name, record in view.records.items():
        if record.physical_id is not None and str(view.reference(name)) == group_id:
            return record
    return view.records.get(group_id)


def _refuse_busy_ancestors(connection: Connection, stack_id: str, lease: float) -> None:
    """``NoActionRequired`` if the stack holding the group, or one above it, is in progress or locked.

    Each lock is taken and given back in this transaction, so that a request
    that locks one of these stacks at the same moment waits for this one (and
    then finds the resize's lock) or makes this one wait (and be refused).
    """
    probe = str(uuid.uuid4())
    while stack_id is not None:
        row = load_stack_row(connection, stack_id)
        if row is None or row.deleted_at is not None or row.status == "IN_PROGRESS":
            raise NoActionRequired(f"stack {row.name if row else stack_id} is being changed")
        try:
            locks.acquire(connection, stack_id, row.name, probe, "SIGNAL", lease)
        except locks.StackBusy:
            raise NoActionRequired(f"stack {row.name} is being changed") from None
        locks.release(connection, stack_id, probe)
        stack_id = row.owner_id


def _cooldown_end(connection: Connection, nested: Any, cooldown: float) -> datetime | None:
    """When the cooldown after the nested stack's last successful create or update ends (``None``: no cooldown)."""
    if cooldown <= 0:
        return None
    finished = connection.execute(
        select(EventRow.created_at).where(EventRow.stack_id == nested.id, EventRow.physical_id == nested.id,
                                          EventRow.resource_name == nested.name,
                                          EventRow.action.in_(("CREATE", "UPDATE")), EventRow.status == "COMPLETE")
        .order_by(EventRow.id.desc()).limit(1)).scalar()
    if finished is None:
        return None
    return locks.aware(finished) + timedelta(seconds=cooldown)
