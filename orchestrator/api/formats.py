"""Stacks, resources and events as Heat's API shows them (field names, states, links, times)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import g, request

from .app import services


def isotime(moment: datetime | None) -> str | None:
    """Heat's timestamps: ``2026-11-22T10:00:00Z`` (UTC, whole seconds)."""
    if moment is None:
        return None
    # A list shows three times per stack: plain arithmetic and isoformat, not astimezone (slow with
    # the driver's time zone objects) and strftime (5× slower than isoformat).
    offset = moment.utcoffset()
    if offset is not None:
        moment = moment.replace(tzinfo=None) - offset
    return moment.isoformat(timespec="seconds") + "Z"


def base_url() -> str:
    """The API's address as the caller reached it (or as configured)."""
    # once per request: a list links every stack, and werkzeug builds host_url anew on each read
    known = g.get("orchestrator_base_url")
    if known is None:
        configured = services().settings.api.public_url
        known = g.orchestrator_base_url = configured.rstrip("/") if configured else request.host_url.rstrip("/")
    return known


#: what ``quote(part, safe="")`` leaves as it is: most names and every id need no quoting at all
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def _quoted(part: str) -> str:
    return part if _UNRESERVED.fullmatch(part) else quote(part, safe="")


def stack_url(project_id: str, name: str, stack_id: str, *more: str) -> str:
    """The canonical URL of a stack (or of something under it)."""
    parts = [_quoted(part) for part in (name, stack_id, *more)]
    return f"{base_url()}/v1/{_quoted(project_id)}/stacks/{'/'.join(parts)}"


def link(href: str, rel: str) -> dict[str, str]:
    return {"href": href, "rel": rel}


def stack_summary(row: Any, description: str) -> dict[str, Any]:
    """One stack of a list."""
    return {
        "id": row.id,
        "stack_name": row.name,
        "description": description,
        "stack_status": f"{row.action}_{row.status}",
        "stack_status_reason": row.status_reason,
        "creation_time": isotime(row.created_at),
        "updated_time": isotime(row.updated_at),
        "deletion_time": isotime(row.deleted_at),
        "project": row.project_id,
        "stack_owner": row.username,
        "stack_user_project_id": row.project_id,
        "parent": row.owner_id,
        "tags": list(row.tags) if row.tags else None,
        "links": [link(stack_url(row.project_id, row.name, row.id), "self")],
    }


def stack_detail(row: Any, description: str, parameters: dict[str, Any],
                 outputs: list[dict[str, Any]] | None) -> dict[str, Any]:
    """One stack, shown: its summary plus parameters, outputs and settings."""
    shown = stack_summary(row, description)
    shown.update({
        "template_description": description,
        "parameters": parameters,
        "disable_rollback": row.disable_rollback,
        "timeout_mins": row.timeout_mins,
        "capabilities": [],
        "notification_topics": [],
    })
    if outputs is not None:
        shown["outputs"] = outputs
    return shown


def output(name: str, description: str | None, value: Any = None, error: str | None = None,
           with_value: bool = True) -> dict[str, Any]:
    """An output; ``output_error`` only when there is one (heatclient fails on any ``output_error`` key)."""
    shown: dict[str, Any] = {"output_key": name, "description": description or "No description given"}
    if with_value:
        shown["output_value"] = value
    if error is not None:
        shown["output_error"] = error
    return shown


def resource(row: Any, stack: Any, required_by: list[str], *, nested_stack: Any = None,
             detail: bool = False) -> dict[str, Any]:
    """One resource, as listed (``detail`` adds what ``--long`` shows)."""
    shown = {
        "resource_name": row.name,
        "logical_resource_id": row.name,
        "physical_resource_id": row.physical_id or "",
        "resource_type": row.type,
        "resource_status": f"{row.action}_{row.status}",
        "resource_status_reason": row.status_reason,
        "required_by": required_by,
        "creation_time": isotime(row.created_at),
        "updated_time": isotime(row.updated_at or row.created_at),
        "links": [link(stack_url(stack.project_id, stack.name, stack.id, "resources", row.name), "self"),
                  link(stack_url(stack.project_id, stack.name, stack.id), "stack")],
    }
    if nested_stack is not None:
        shown["links"].append(link(stack_url(nested_stack.project_id, nested_stack.name, nested_stack.id),
                                   "nested"))
    if stack.owner_id is not None:
        shown["parent_resource"] = stack.parent_resource
        shown["stack_name"] = stack.name
    if detail:
        shown["description"] = ""
        shown["stack_name"] = stack.name
    return shown


def event(row: Any, stack: Any, *, root: Any = None, detail: bool = False) -> dict[str, Any]:
    """One event: Heat shows ``resource_status`` as ``ACTION_STATUS``."""
    resource_url = stack_url(stack.project_id, stack.name, stack.id, "resources", row.resource_name)
    shown = {
        "id": row.uuid,
        "event_time": isotime(row.created_at),
        "resource_name": row.resource_name,
        "logical_resource_id": row.resource_name,
        "physical_resource_id": row.physical_id or "",
        "resource_status": f"{row.action}_{row.status}",
        "resource_status_reason": row.reason,
        "links": [link(f"{resource_url}/events/{row.uuid}", "self"), link(resource_url, "resource"),
                  link(stack_url(stack.project_id, stack.name, stack.id), "stack")],
    }
    if root is not None:
        shown["links"].append(link(stack_url(root.project_id, root.name, root.id), "root_stack"))
    if detail:
        shown["resource_type"] = row.resource_type
        shown["resource_properties"] = row.properties or {}
    return shown


def snapshot(row: Any, data: Any = None) -> dict[str, Any]:
    """A stack snapshot (``data`` replaces the stored data, for masking hidden parameters)."""
    return {
        "id": row.id,
        "name": row.name,
        "stack_id": row.stack_id,
        "data": row.data if data is None else data,
        "action": "SNAPSHOT",
        "status": row.status,
        "status_reason": row.status_reason,
        "creation_time": isotime(row.created_at),
    }


def _identity(stack: Any, path: str) -> dict[str, str]:
    return {"tenant": stack.project_id, "stack_name": stack.name, "stack_id": stack.id, "path": path}


def resource_change(stack: Any, name: str, *, row: Any = None, resource_type: str | None = None,
                    required_by: list[str] | None = None) -> dict[str, Any]:
    """One resource of an update preview, as Heat's engine formats it.

    ``row`` is the resource as stored (unchanged, updated and deleted ones);
    without it the resource is the one the new template would make (added and
    replaced ones): ``INIT`` ``COMPLETE``, of the new template's type, no
    physical id yet.  Heat keeps action and status apart here.
    """
    shown = {
        "resource_name": name,
        "logical_resource_id": name,
        "physical_resource_id": (row.physical_id or "") if row is not None else "",
        "resource_type": row.type if row is not None else (resource_type or ""),
        "resource_action": row.action if row is not None else "INIT",
        "resource_status": row.status if row is not None else "COMPLETE",
        "resource_status_reason": row.status_reason if row is not None else "",
        "resource_identity": _identity(stack, f"/resources/{name}"),
        "stack_identity": _identity(stack, ""),
        "stack_name": stack.name,
        "required_by": list(required_by or []),
        "description": "",
        "metadata": (row.metadata_ or {}) if row is not None else {},
        "creation_time": isotime(row.created_at) if row is not None else None,
        "updated_time": isotime(row.updated_at or row.created_at) if row is not None else None,
    }
    return shown


def resource_detail(row: Any, stack: Any, required_by: list[str], *, nested_stack: Any = None,
                    description: str | None = None, metadata: dict[str, Any] | None = None,
                    attributes: dict[str, Any] | None = None) -> dict[str, Any]:
    """One resource with its description and metadata (and, when shown alone, its attributes)."""
    shown = resource(row, stack, required_by, nested_stack=nested_stack, detail=True)
    shown["description"] = description or ""
    shown["metadata"] = metadata or {}
    if attributes is not None:
        shown["attributes"] = attributes
    return shown
