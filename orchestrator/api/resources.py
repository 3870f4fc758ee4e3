"""Resources of a stack: list, show, metadata, signal, mark unhealthy.

Everything here sits under a stack's canonical URL
(``/stacks/<name>/<id>/resources...``), which is checked first: a stack of
another project is "not found".  Listing reads rows only (nothing is asked of
the cloud); showing one resource resolves its attributes through its plugin,
from the engine's attribute cache when it holds them.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Iterable

from flask import Response, request

from orchestrator.engine.health import ResourceNotFound, mark_unhealthy

from . import formats, lookup, queries
from .app import ProjectBlueprint, services
from .faults import BadRequest, NotFound
from .schemas import (MarkUnhealthyBody, ResourceList, ResourceListArgs, ResourceMetadata, ResourceShowArgs,
                      ResourceShown)
from .stacks import enqueue

log = logging.getLogger(__name__)

blueprint = ProjectBlueprint("resources", __name__, description="Resources of stacks: list, show, signal, "
                                                                "mark unhealthy.")

RESOURCES = "/stacks/<stack_name>/<stack_id:stack_id>/resources"
RESOURCE = RESOURCES + "/<resource_name>"


@blueprint.route(RESOURCES, methods=["GET"])
@blueprint.arguments(ResourceListArgs, location="query")
@blueprint.response(200, ResourceList)
def list_resources(args: dict[str, Any], stack_name: str, stack_id: str):
    """List a stack's resources (with ``nested_depth``, those of its nested stacks too), with Heat's filters."""
    stack = lookup.stack_row(stack_name, stack_id)
    depth = min(args["nested_depth"], services().settings.limits.max_nested_stack_depth)
    with _reading() as connection:
        tree = queries.stack_tree(connection, stack, depth)
        rows = queries.current_resources(connection, [row.id for row in tree])
        children = queries.child_stacks(connection, [row.id for row in tree])
    stacks = {row.id: row for row in tree}
    position = {row.id: index for index, row in enumerate(tree)}
    required = required_by(rows)
    views: dict[str, Any] = {}
    shown = []
    for row in sorted(rows, key=lambda r: (position[r.stack_id], r.id)):
        if not _matches(row, args):
            continue
        owner = stacks[row.stack_id]
        nested = queries.nested_stack_of(row, children)
        if args["with_detail"]:
            view = views.get(owner.id) or views.setdefault(owner.id, _view(owner.id))
            shown.append(formats.resource_detail(row, owner, required[(row.stack_id, row.name)], nested_stack=nested,
                                                 description=_description(row),
                                                 metadata=resource_metadata(view, row)))
        else:
            shown.append(formats.resource(row, owner, required[(row.stack_id, row.name)], nested_stack=nested))
    return {"resources": shown}


@blueprint.route(RESOURCE, methods=["GET"])
@blueprint.arguments(ResourceShowArgs, location="query")
@blueprint.response(200, ResourceShown)
def show_resource(args: dict[str, Any], stack_name: str, stack_id: str, resource_name: str):
    """Show one resource with its attributes (the type's own, and any named in ``with_attr``)."""
    stack = lookup.stack_row(stack_name, stack_id)
    with _reading() as connection:
        row = queries.find_resource(connection, stack_id, resource_name)
        rows = queries.current_resources(connection, [stack_id])
        children = queries.child_stacks(connection, [stack_id])
    view = _view(stack_id)
    return {"resource": formats.resource_detail(
        row, stack, required_by(rows)[(stack_id, row.name)], nested_stack=queries.nested_stack_of(row, children),
        description=_description(row), metadata=resource_metadata(view, row),
        attributes=_attributes(view, row.name, args["with_attr"]))}


@blueprint.route(RESOURCE + "/metadata", methods=["GET"])
@blueprint.response(200, ResourceMetadata)
def show_metadata(stack_name: str, stack_id: str, resource_name: str):
    """A resource's metadata."""
    lookup.stack_row(stack_name, stack_id)
    with _reading() as connection:
        row = queries.find_resource(connection, stack_id, resource_name)
    return {"metadata": resource_metadata(_view(stack_id), row)}


@blueprint.route(RESOURCE + "/signal", methods=["POST"])
@blueprint.response(200)
def signal_resource(stack_name: str, stack_id: str, resource_name: str):
    """Signal a resource (any JSON body, or none); ``{"unset_hook": "pre-create"}`` clears a hook."""
    lookup.stack_row(stack_name, stack_id)
    deliver_signal(stack_id, resource_name, signal_body())
    return Response(status=200)  # an empty body, as Heat answers


@blueprint.route(RESOURCE, methods=["PATCH"])
@blueprint.arguments(MarkUnhealthyBody)
@blueprint.response(200)
def mark_resource_unhealthy(body: dict[str, Any], stack_name: str, stack_id: str, resource_name: str):
    """Mark a resource (by name or physical id) unhealthy (``CHECK_FAILED``), or healthy again."""
    lookup.stack_row(stack_name, stack_id)
    try:
        mark_unhealthy(services().engine.context, stack_id, resource_name, body["mark_unhealthy"],
                       body.get("resource_status_reason"))
    except ResourceNotFound as exc:
        raise NotFound(str(exc), "ResourceNotFound") from None
    return Response(status=200)  # an empty body, as Heat answers


# -- shared with the signed-URL endpoint -----------------------------------------------------

def signal_body() -> Any:
    """The request's JSON body, any JSON at all, whatever its content type; ``None`` when empty."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The signal body is not valid JSON.") from None


def deliver_signal(stack_id: str, resource_name: str, details: Any) -> None:
    """Hand a signal to the engine, and to the workers the job it started (a group's resize); unknown is a 404."""
    try:
        job = services().engine.signal(stack_id, resource_name, details)
    except LookupError as exc:
        raise NotFound(str(exc), "ResourceNotFound") from None
    if job is not None:
        enqueue(job)


# -- helpers ------------------------------------------------------------------------------

def required_by(rows: Iterable[Any]) -> dict[tuple[str, str], list[str]]:
    """``(stack id, name)`` → names of the resources of that stack that require it."""
    required: dict[tuple[str, str], list[str]] = {}
    rows = list(rows)
    for row in rows:
        required.setdefault((row.stack_id, row.name), [])
    for row in rows:
        for name in row.requires or ():
            required.setdefault((row.stack_id, name), []).append(row.name)
    return required


def resource_metadata(view: Any, row: Any) -> dict[str, Any]:
    """What the resource stored as metadata, else its template's ``metadata`` section, resolved."""
    stored = row._mapping["metadata"]
    if stored:
        return dict(stored)
    if view is None:
        return {}
    try:
        definition = view.definition()
        resource = definition.resources.get(row.name)
        if resource is None:
            return {}
        resolved = definition.resolve(resource.metadata, view)
        return dict(resolved) if isinstance(resolved, dict) else {}
    except Exception:  # a template that no longer resolves shows no metadata rather than failing the read
        log.debug("metadata of %s not resolved", row.name, exc_info=True)
        return {}


def _attributes(view: Any, name: str, extra: Iterable[str]) -> dict[str, Any]:
    """The resource's attributes by name: those of its type (but ``show``) and those asked for."""
    record = view.records.get(name)
    if record is None:
        return {}
    try:
        names = [n for n in view.plugin_class(record).attributes_schema if n != "show"]
    except LookupError:
        names = []
    names += [n for n in extra if n not in names]
    values = {}
    for attribute in names:
        try:
            values[attribute] = view.attribute(name, attribute, ())
        except Exception:  # one attribute the cloud cannot give must not hide the others
            log.debug("attribute %s of %s not resolved", attribute, name, exc_info=True)
            values[attribute] = None
    return values


def _description(row: Any) -> str:
    description = (row.definition or {}).get("description")
    return description if isinstance(description, str) else ""


def _matches(row: Any, args: dict[str, Any]) -> bool:
    """Whether a resource row passes Heat's list filters (values of one filter are alternatives)."""
    checks = (("type", row.type), ("name", row.name), ("id", str(row.id)),
              ("physical_resource_id", row.physical_id or ""))
    for key, value in checks:
        if args.get(key) and value not in args[key]:
            return False
    if args.get("action") and row.action not in {a.upper() for a in args["action"]}:
        return False
    if args.get("status"):
        statuses, pairs = queries.state_filter(args["status"])
        if row.status not in statuses and (row.action, row.status) not in pairs:
            return False
    return True


def _view(stack_id: str) -> Any:
    return services().engine.view(stack_id)


def _reading():
    return services().engine.context.database.reading()
