"""Events of a stack and of its resources: list (filters, sorting, paging, nested stacks) and show.

Event tables grow large, so filtering, sorting and paging happen in the
database: ``marker`` is an event id, and the list continues after that event
in the requested order (``openstack stack event list`` and every ``--wait``
poll rely on it).  With ``nested_depth`` the events of nested stacks down to
that depth come in the same list, each linking to its own stack, with a
``root_stack`` link that tells heatclient the server did the nesting.
"""

from __future__ import annotations

from typing import Any

from . import formats, lookup, queries
from .app import ProjectBlueprint, services
from .faults import NotFound
from .schemas import EventList, EventListArgs, EventShown

blueprint = ProjectBlueprint("events", __name__, description="Events of stacks and resources.")

EVENTS = "/stacks/<stack_name>/<stack_id:stack_id>/events"
RESOURCE_EVENTS = "/stacks/<stack_name>/<stack_id:stack_id>/resources/<resource_name>/events"


@blueprint.route(EVENTS, methods=["GET"])
@blueprint.arguments(EventListArgs, location="query")
@blueprint.response(200, EventList)
def list_events(args: dict[str, Any], stack_name: str, stack_id: str):
    """List a stack's events (and, with ``nested_depth``, those of its nested stacks)."""
    stack = lookup.stack_row(stack_name, stack_id)
    return {"events": _events(stack, args)}


@blueprint.route(RESOURCE_EVENTS, methods=["GET"])
@blueprint.arguments(EventListArgs, location="query")
@blueprint.response(200, EventList)
def list_resource_events(args: dict[str, Any], stack_name: str, stack_id: str, resource_name: str):
    """List the events of one resource (the stack's name lists the events of the stack itself)."""
    stack = lookup.stack_row(stack_name, stack_id)
    return {"events": _events(stack, {**args, "nested_depth": 0}, resource_name)}


@blueprint.route(RESOURCE_EVENTS + "/<event_id>", methods=["GET"])
@blueprint.response(200, EventShown)
def show_event(stack_name: str, stack_id: str, resource_name: str, event_id: str):
    """Show one event, with the resource's type and the properties it had then."""
    stack = lookup.stack_row(stack_name, stack_id)
    with _reading() as connection:
        row = queries.find_event(connection, stack_id, resource_name, event_id)
    return {"event": formats.event(row, stack, detail=True)}


def _events(stack: Any, args: dict[str, Any], resource_name: str | None = None) -> list[dict[str, Any]]:
    depth = min(args["nested_depth"], services().settings.limits.max_nested_stack_depth)
    filters = {key: args[key] for key in queries.EVENT_FILTERS if args.get(key)}
    if resource_name is not None:
        filters["resource_name"] = [resource_name]
    with _reading() as connection:
        tree = queries.stack_tree(connection, stack, depth)
        rows = queries.list_events(connection, queries.EventQuery(
            stack_ids=tuple(row.id for row in tree), filters=filters, limit=args.get("limit"),
            marker=args.get("marker"), sort_keys=tuple(args.get("sort_keys") or ()), sort_dir=args["sort_dir"]))
        if resource_name is not None and not rows and not _resource_known(connection, stack.id, resource_name):
            raise NotFound(f"The Resource ({resource_name}) could not be found.", "ResourceNotFound")
    stacks = {row.id: row for row in tree}
    # the root_stack link says "nesting done by the server"; heatclient walks nested stacks itself without it
    root = stack if args["nested_depth"] else None
    return [formats.event(row, stacks[row.stack_id], root=root) for row in rows]


def _resource_known(connection: Any, stack_id: str, resource_name: str) -> bool:
    """Whether the stack has (or had, as its events tell) a resource of that name."""
    if queries.has_events(connection, stack_id, resource_name):
        return True
    try:
        queries.find_resource(connection, stack_id, resource_name)
    except NotFound:
        return False
    return True


def _reading():
    return services().engine.context.database.reading()
