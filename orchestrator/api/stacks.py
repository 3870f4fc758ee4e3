"""Stacks: create, list, show, update, delete and their previews.

A request that starts an operation is checked and stored by the engine in one
transaction, its job goes to the queue, and the answer returns at once:
clients follow the operation through the stack's state and events.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Response, g, jsonify, request

from orchestrator.engine.requests import Job, StackRequest, parse_template
from orchestrator.template.errors import TemplateError
from orchestrator.template.loader import load
from orchestrator.template.parameters import MISSING, masked

from . import formats, lookup, queries
from .app import ProjectBlueprint, services
from .faults import ApiError, BadRequest, Forbidden
from .schemas import (ResourceChangesShown, ShowStackArgs, StackBody, StackCreated, StackDetailList, StackList,
                      StackListArgs, StackPreviewShown, StackShown)

log = logging.getLogger(__name__)

blueprint = ProjectBlueprint("stacks", __name__, description="Stacks: create, list, show, update, delete.")
lookup.register(blueprint)
descriptions = queries.Descriptions()

CANONICAL = "/stacks/<stack_name>/<stack_id:stack_id>"


def enqueue(job: Job) -> None:
    """Hand a stored job to the workers.

    If the broker cannot take it, the operation is not lost: its lock lease
    runs out and a worker's recovery pass takes it over.
    """
    try:
        services().queue.submit(job)
    except Exception:
        log.exception("could not queue %s of stack %s; recovery will take it over when its lease ends",
                      job.action, job.stack_id)


def stack_request(body: dict[str, Any], name: str | None = None) -> StackRequest:
    """The engine's request from a create/update body (Heat's field names)."""
    if body.get("template") is None and body.get("template_url"):
        raise BadRequest("template_url is not supported by this service: send the template itself "
                         "(the openstack client does so for local files and URLs).")
    check_template_size(body.get("template"))
    context = g.context
    return StackRequest(
        name=name or body.get("stack_name") or "",
        template=body.get("template") if body.get("template") is not None else {},
        project_id=context.project_id, username=context.user,
        parameters=body.get("parameters") or {}, environment=body.get("environment"),
        environment_files=body.get("environment_files"), files=body.get("files") or {},
        timeout_mins=body.get("timeout_mins"), disable_rollback=body.get("disable_rollback"),
        tags=body.get("tags"), credentials=context.cloud_credentials())


def check_template_size(template: Any) -> None:
    """Heat's ``max_template_size`` on the template of a request, whether it came as text or as JSON.

    The template loader refuses long texts too, but a template sent as JSON
    arrives already parsed, so the API measures it.
    """
    if template is None:
        return
    limit = services().settings.limits.max_template_bytes
    if isinstance(template, str):
        size = len(template.encode("utf-8", "surrogatepass"))
    else:
        size = len(json.dumps(template, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))
    if size > limit:
        raise ApiError(400, f"Template size ({size} bytes) exceeds maximum allowed size ({limit} bytes).",
                       "RequestLimitExceeded")


@blueprint.route("/stacks", methods=["POST"])
@blueprint.arguments(StackBody)
@blueprint.response(201, StackCreated)
def create_stack(body: dict[str, Any]):
    """Create a stack (or adopt one, with ``adopt_stack_data``): 201 once it is stored and queued."""
    if not body.get("stack_name"):
        raise BadRequest("No stack name specified")
    adopt_data = _adopt_data(body.get("adopt_stack_data"))
    if adopt_data is not None:
        body = _with_adopt_data(body, adopt_data)
    if body.get("template") is None and not body.get("template_url"):
        raise BadRequest("No template specified")
    engine = services().engine
    _check_stack_quota()
    stack = stack_request(body)
    job = engine.create_stack(stack) if adopt_data is None else engine.adopt_stack(stack, adopt_data)
    enqueue(job)
    url = formats.stack_url(g.context.project_id, stack.name, job.stack_id)
    return jsonify({"stack": {"id": job.stack_id, "links": [formats.link(url, "self")]}}), 201, {"Location": url}


def _adopt_data(data: Any) -> dict[str, Any] | None:
    """``adopt_stack_data`` as a mapping: ``openstack stack adopt`` sends the abandon file's text."""
    if data is None:
        return None
    if isinstance(data, str):
        try:
            data = load(data, "adopt_stack_data", services().settings.template_limits()).data
        except TemplateError as exc:
            raise BadRequest(f"Invalid adopt data: {exc.message}") from None
    if not isinstance(data, dict):
        raise BadRequest("Invalid adopt data: it must be a mapping (the data abandon or export returned).")
    if not isinstance(data.get("template"), dict):
        raise BadRequest("Invalid adopt data: it has no template.")
    return data


def _with_adopt_data(body: dict[str, Any], adopt_data: dict[str, Any]) -> dict[str, Any]:
    """The request with what it leaves out taken from the adopt data, as Heat does for the template.

    The data's environment (with its parameter values, hidden ones too) is
    used when the request brings none; the request's ``parameters`` still
    override its values.
    """
    body = dict(body)
    if body.get("template") is None and not body.get("template_url"):
        body["template"] = adopt_data["template"]
    if not body.get("environment") and not body.get("environment_files") and adopt_data.get("environment"):
        body["environment"] = adopt_data["environment"]
    if not body.get("files") and adopt_data.get("files"):
        body["files"] = adopt_data["files"]
    return body


def _check_stack_quota() -> None:
    limit = services().settings.limits.max_stacks_per_project
    if limit < 0 or g.context.is_admin:
        return
    with services().engine.context.database.reading() as connection:
        count = queries.count_top_level_stacks(connection, g.context.project_id)
    if count >= limit:
        raise ApiError(400, f"You have reached the maximum stacks per tenant, {limit}. Please delete some stacks.",
                       "RequestLimitExceeded")


@blueprint.route("/stacks", methods=["GET"])
@blueprint.arguments(StackListArgs, location="query")
@blueprint.response(200, StackList)
def list_stacks(args: dict[str, Any]):
    """List stacks, with Heat's filters, sorting and paging (``limit``, ``marker``)."""
    return _list(args, detail=False)


@blueprint.route("/stacks/detail", methods=["GET"])
@blueprint.arguments(StackListArgs, location="query")
@blueprint.response(200, StackDetailList)
def list_stacks_detail(args: dict[str, Any]):
    """List stacks with every field of a stack shown (outputs left out)."""
    return _list(args, detail=True)


def _list(args: dict[str, Any], detail: bool):
    context = g.context
    # Heat refuses global_tenant to whoever its policy does not allow (403), rather than ignoring it
    if args["global_tenant"] and not context.is_admin:
        raise Forbidden("Listing the stacks of every project (global_tenant) needs the admin role.")
    everywhere = args["global_tenant"]
    query = queries.ListQuery(
        project_id=None if everywhere else context.project_id,
        filters={key: args[key] for key in queries.FILTERS if args.get(key)},
        limit=args.get("limit"), marker=args.get("marker"),
        sort_keys=tuple(args.get("sort_keys") or ("creation_time",)), sort_dir=args["sort_dir"],
        show_deleted=args["show_deleted"], show_nested=args["show_nested"],
        **{key: tuple(args.get(key) or ()) for key in ("tags", "tags_any", "not_tags", "not_tags_any")})
    with services().engine.context.database.reading() as connection:
        rows = queries.list_stacks(connection, query)
        described = descriptions.of(connection, {row.template_id for row in rows})
        total = len(queries.list_stacks(connection, query.__class__(**{
            **query.__dict__, "limit": None, "marker": None}))) if args["with_count"] else None
        if detail:
            stacks = [formats.stack_detail(row, described[row.template_id], _stored_parameters(connection, row),
                                           None) for row in rows]
        else:
            stacks = [formats.stack_summary(row, described[row.template_id]) for row in rows]
    answer: dict[str, Any] = {"stacks": stacks}
    if total is not None:
        answer["count"] = total
    return jsonify(answer)


def _stored_parameters(connection: Any, row: Any) -> dict[str, Any]:
    """A listed stack's parameters as stack show has them, hidden ones masked, without compiling its template.

    The template's defaults, then the environment's ``parameter_defaults``,
    then the values given; the parsed template comes from the engine's cache.
    """
    template, environment, _ = services().engine.templates.get(connection, row.template_id)
    schemas = template.parameters
    values = {name: schema.default for name, schema in schemas.items() if schema.default is not MISSING}
    values.update({name: value for name, value in environment.parameter_defaults.items() if name in schemas})
    values.update(row.parameters or {})
    return {**masked(schemas, values), "OS::stack_id": row.id, "OS::stack_name": row.name,
            "OS::project_id": row.project_id}


@blueprint.route(CANONICAL, methods=["GET"])
@blueprint.arguments(ShowStackArgs, location="query")
@blueprint.response(200, StackShown)
def show_stack(args: dict[str, Any], stack_name: str, stack_id: str):
    """Show a stack, with its outputs resolved unless ``resolve_outputs=false``."""
    lookup.stack_row(stack_name, stack_id)
    view = services().engine.view(stack_id)
    definition = view.definition()
    outputs = None
    if args["resolve_outputs"]:
        outputs = []
        for name, output in definition.outputs.items():
            value, error = definition.output(name, view)
            outputs.append(formats.output(name, output.description, value, error))
    parameters = {**definition.displayed_parameters(), **view.identity.pseudo_parameters()}
    description = view.template.description or ""
    return jsonify({"stack": formats.stack_detail(view.row, description, parameters, outputs)})


@blueprint.route(CANONICAL, methods=["PUT"])
@blueprint.arguments(StackBody)
@blueprint.response(202)
def update_stack(body: dict[str, Any], stack_name: str, stack_id: str):
    """Update a stack to a new template (202: the update runs on a worker)."""
    if body.get("template") is None and not body.get("template_url"):
        raise BadRequest("No template specified")
    return _update(body, stack_name, stack_id, existing=False)


@blueprint.route(CANONICAL, methods=["PATCH"])
@blueprint.arguments(StackBody)
@blueprint.response(202)
def patch_stack(body: dict[str, Any], stack_name: str, stack_id: str):
    """Update a stack keeping what the request leaves out (``stack update --existing``)."""
    return _update(body, stack_name, stack_id, existing=True)


def _update(body: dict[str, Any], stack_name: str, stack_id: str, existing: bool):
    lookup.stack_row(stack_name, stack_id)
    job = services().engine.update_stack(stack_id, stack_request(body, stack_name), existing=existing,
                                         clear_parameters=tuple(body.get("clear_parameters") or ()))
    enqueue(job)
    return Response(status=202)


@blueprint.route(CANONICAL, methods=["DELETE"])
@blueprint.response(204)
def delete_stack(stack_name: str, stack_id: str):
    """Delete a stack (204: the deletion runs on a worker)."""
    lookup.stack_row(stack_name, stack_id)
    enqueue(services().engine.delete_stack(stack_id))
    return Response(status=204)


@blueprint.route("/stacks/preview", methods=["POST"])
@blueprint.arguments(StackBody)
@blueprint.response(200, StackPreviewShown)
def preview_create(body: dict[str, Any]):
    """What creating the stack would make; nothing is stored."""
    if not body.get("stack_name"):
        raise BadRequest("No stack name specified")
    stack = stack_request(body)
    previews = services().engine.preview_create(stack)
    context = g.context
    shown = {
        "id": "None", "stack_name": stack.name, "description": "", "template_description": "",
        "stack_status": "INIT_COMPLETE", "stack_status_reason": "", "parameters": dict(stack.parameters),
        "disable_rollback": True if stack.disable_rollback is None else stack.disable_rollback,
        "timeout_mins": stack.timeout_mins, "stack_owner": context.user, "parent": None,
        "tags": stack.tags, "capabilities": [], "notification_topics": [], "links": [],
        "resources": [_previewed(p, stack.name) for p in previews],
    }
    return jsonify({"stack": shown})


def _previewed(preview: Any, stack_name: str) -> Any:
    shown = {
        "resource_name": preview.name, "logical_resource_id": preview.name, "physical_resource_id": "",
        "resource_type": preview.type, "resource_action": "INIT", "resource_status": "COMPLETE",
        "resource_status_reason": "", "properties": preview.properties, "required_by": preview.required_by,
        "description": preview.description or "", "metadata": preview.metadata or {}, "stack_name": stack_name,
        "attributes": {},
    }
    if preview.nested:
        return [shown, [_previewed(child, stack_name) for child in preview.nested]]
    return shown


@blueprint.route(CANONICAL + "/preview", methods=["PUT", "PATCH"])
@blueprint.arguments(StackBody)
@blueprint.response(200, ResourceChangesShown)
def preview_update(body: dict[str, Any], stack_name: str, stack_id: str):
    """What updating the stack would do to each resource; nothing is stored.

    PUT previews a new template, PATCH an update keeping what the request
    leaves out (``stack update --existing --dry-run``).
    """
    row = lookup.stack_row(stack_name, stack_id)
    existing = request.method == "PATCH"
    if not existing and body.get("template") is None:
        raise BadRequest("No template specified")
    engine = services().engine
    stack = stack_request(body, stack_name)
    outcome = engine.preview_update(stack_id, stack, existing=existing,
                                    clear_parameters=tuple(body.get("clear_parameters") or ()))
    with engine.context.database.reading() as connection:
        resources = queries.resource_rows_by_name(connection, stack_id)
        new_types = _resource_types(stack.template if stack.template else
                                    queries.stored_template(connection, row.template_id)[0])
    required_by: dict[str, list[str]] = {}
    for resource in resources.values():
        for requirement in resource.requires or ():
            required_by.setdefault(requirement, []).append(resource.name)

    def current(name: str) -> dict[str, Any]:
        return formats.resource_change(row, name, row=resources.get(name), resource_type=new_types.get(name),
                                       required_by=required_by.get(name))

    def planned(name: str) -> dict[str, Any]:
        return formats.resource_change(row, name, resource_type=new_types.get(name))

    # As Heat: what will be made (added, replaced) is shown from the new template, the rest as it is now.
    changes = {"added": [planned(name) for name in outcome.added],
               "deleted": [current(name) for name in outcome.deleted],
               "replaced": [planned(name) for name in outcome.replaced],
               "unchanged": [current(name) for name in outcome.unchanged],
               "updated": [current(name) for name in outcome.updated]}
    return jsonify({"resource_changes": changes})


def _resource_types(template: Any) -> dict[str, str]:
    """Each resource's type as the template writes it (the engine has already accepted the template)."""
    parsed = parse_template(template)
    return {name: snippet.type for name, snippet in parsed.resources.items()}
