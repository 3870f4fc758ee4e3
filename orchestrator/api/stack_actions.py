"""Stack actions (suspend, resume, check, cancelling an update) and snapshots.

All under the canonical ``/stacks/<name>/<id>`` URL, in the caller's
project.  Requests that start work are stored by the engine with the stack's
lock (a second operation on a busy stack is Heat's 409) and their jobs go to
the workers; the answer returns at once.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from orchestrator.engine.errors import StackNotFound
from orchestrator.engine.locks import StackBusy
from orchestrator.engine.snapshot_store import SnapshotNotFound, delete_snapshot

from . import formats, lookup, queries
from .app import ProjectBlueprint, services
from .faults import BadRequest
from .schemas import ActionBody, Snapshot, SnapshotBody, SnapshotList, SnapshotShown
from .stack_data import hidden_parameters, masked
from .stacks import CANONICAL, enqueue

blueprint = ProjectBlueprint("stack_actions", __name__,
                             description="Stack actions (suspend, resume, check, cancel update) and snapshots.")

#: the actions that start an operation → the engine's action
OPERATIONS = {"suspend": "SUSPEND", "resume": "RESUME", "check": "CHECK"}
#: the actions that cancel the running update → whether it rolls back
CANCELS = {"cancel_update": True, "cancel_without_rollback": False}


@blueprint.route(CANONICAL + "/actions", methods=["POST"])
@blueprint.arguments(ActionBody)
@blueprint.response(200, description="The action was accepted; follow it through the stack's status and events.")
def stack_action(_: dict[str, Any], stack_name: str, stack_id: str):
    """Suspend, resume or check the stack, or cancel its update: the body names exactly one action."""
    # The schema ignores keys it does not know: Heat names the unknown action, so read the body itself.
    body = request.get_json(silent=True) or {}
    if not body:
        raise BadRequest("No action specified")
    if len(body) > 1:
        raise BadRequest("Multiple actions specified")
    action = next(iter(body))
    if action not in OPERATIONS and action not in CANCELS:
        raise BadRequest(f"Invalid action {action} specified")
    row = lookup.stack_row(stack_name, stack_id)
    engine = services().engine
    if action in CANCELS:
        engine.cancel_update(stack_id, rollback=CANCELS[action])
        return Response(status=200)
    _refuse_busy(row)
    enqueue(engine.stack_action(stack_id, OPERATIONS[action]))
    return Response(status=200)


def _refuse_busy(row: Any) -> None:
    """Heat's 409 for a stack with an operation in progress, before the engine's checks of its state.

    The engine's own refusal (its lock) stays the guarantee; this only makes
    the answer Heat's whatever the action, e.g. resume of a stack still being created.
    """
    if row.status == "IN_PROGRESS":
        raise StackBusy(row.name, row.action)


# -- snapshots ------------------------------------------------------------------------------

SNAPSHOTS = CANONICAL + "/snapshots"


@blueprint.route(SNAPSHOTS, methods=["POST"])
@blueprint.arguments(SnapshotBody)
@blueprint.response(200, Snapshot)
def create_snapshot(body: dict[str, Any], stack_name: str, stack_id: str):
    """Start a snapshot of the stack; the snapshot, IN_PROGRESS (Heat answers with it unwrapped)."""
    row = lookup.stack_row(stack_name, stack_id)
    _refuse_busy(row)
    snapshot_id, job = services().engine.snapshot_stack(stack_id, body.get("name"))
    enqueue(job)
    with services().engine.context.database.reading() as connection:
        snapshot = queries.find_snapshot(connection, row, snapshot_id)
        return jsonify(_shown(connection, snapshot))


@blueprint.route(SNAPSHOTS, methods=["GET"])
@blueprint.response(200, SnapshotList)
def list_snapshots(stack_name: str, stack_id: str):
    """The stack's snapshots, oldest first."""
    row = lookup.stack_row(stack_name, stack_id)
    with services().engine.context.database.reading() as connection:
        return jsonify({"snapshots": [_shown(connection, snapshot)
                                      for snapshot in queries.list_snapshots(connection, row.id)]})


@blueprint.route(SNAPSHOTS + "/<snapshot_id>", methods=["GET"])
@blueprint.response(200, SnapshotShown)
def show_snapshot(stack_name: str, stack_id: str, snapshot_id: str):
    """One snapshot, with its data (hidden parameters read ``******``)."""
    row = lookup.stack_row(stack_name, stack_id)
    with services().engine.context.database.reading() as connection:
        return jsonify({"snapshot": _shown(connection, queries.find_snapshot(connection, row, snapshot_id))})


@blueprint.route(SNAPSHOTS + "/<snapshot_id>", methods=["DELETE"])
@blueprint.response(204)
def remove_snapshot(stack_name: str, stack_id: str, snapshot_id: str):
    """Delete a snapshot (not while it is being taken, nor while the stack is being restored)."""
    row = lookup.stack_row(stack_name, stack_id)
    try:
        delete_snapshot(services().engine.context.database, row.id, snapshot_id)
    except SnapshotNotFound:
        raise queries.snapshot_not_found(snapshot_id, row.name) from None
    return Response(status=204)


@blueprint.route(SNAPSHOTS + "/<snapshot_id>/restore", methods=["POST"])
@blueprint.response(202)
def restore_snapshot(stack_name: str, stack_id: str, snapshot_id: str):
    """Restore the stack to a COMPLETE snapshot (202: the restore runs on a worker)."""
    row = lookup.stack_row(stack_name, stack_id)
    with services().engine.context.database.reading() as connection:
        queries.find_snapshot(connection, row, snapshot_id)
    _refuse_busy(row)
    try:
        job = services().engine.restore_snapshot(stack_id, snapshot_id)
    except StackNotFound:
        raise
    except LookupError:  # the snapshot went between the check above and the engine's transaction
        raise queries.snapshot_not_found(snapshot_id, row.name) from None
    enqueue(job)
    return Response(status=202)


def _shown(connection: Any, snapshot: Any) -> dict[str, Any]:
    """A snapshot as the API shows it: the parameter values in its data masked where hidden.

    Unlike abandon data, a snapshot's data never comes back from the client
    (restore reads the stored row), so masking costs nothing.
    """
    data = snapshot.data or {}
    if data.get("parameters") and data.get("template_id") is not None:
        template, _, _ = queries.stored_template(connection, data["template_id"])
        data = {**data, "parameters": masked(data["parameters"], hidden_parameters(template))}
    return formats.snapshot(snapshot, data)
