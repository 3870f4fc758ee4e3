"""What Cinder's views share: the URL's project, admin checks, list filters and paging, links."""

from __future__ import annotations

import ast
import json
from typing import Any

from flask import request

from ..service import BadRequest, Forbidden, base_url, caller, store

#: where every route below the version documents lives
PREFIX = "/v3/<project_id>"


def project_of(project_id: str) -> str:
    """The URL's project, once it is known to be the caller's (or the caller is an admin)."""
    if project_id != caller().project_id and not caller().is_admin:
        raise BadRequest("Malformed request url")
    return project_id


def require_admin(policy: str) -> None:
    """Cinder's 403 for a non-admin caller of an admin-only API."""
    if not caller().is_admin:
        raise Forbidden(f"Policy doesn't allow {policy} to be performed.")


def scope(project_id: str) -> str | None:
    """The project whose objects a list shows: all of them for an admin asking with ``all_tenants``."""
    if caller().is_admin and truthy(request.args.get("all_tenants") or request.args.get("all_projects")):
        return request.args.get("project_id") or None
    return project_of(project_id)


def truthy(value: str | None) -> bool:
    """A query or body flag as Cinder reads it."""
    return str(value or "").lower() in ("1", "true", "yes", "on")


def links(project_id: str, collection: str, object_id: str) -> list[dict[str, str]]:
    """An object's ``self`` and ``bookmark`` links."""
    return [{"rel": "self", "href": f"{base_url()}/volume/v3/{project_id}/{collection}/{object_id}"},
            {"rel": "bookmark", "href": f"{base_url()}/volume/{project_id}/{collection}/{object_id}"}]


def _metadata_filter(text: str) -> dict[str, str]:
    """Cinder reads the ``metadata`` filter as a Python (or JSON) dict literal."""
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
    raise BadRequest(f"Invalid input received: Invalid filter value {text} for metadata.")


def listed(kind: str, project: str | None, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects a list shows: filtered by ``fields`` and ``metadata``, paged by ``marker`` and ``limit``."""
    wanted = {name: request.args[name] for name in fields if name in request.args}
    metadata = _metadata_filter(request.args["metadata"]) if "metadata" in request.args else {}

    def keep(item: dict[str, Any]) -> bool:
        return (all(str(item.get(name)) == value for name, value in wanted.items())
                and all(item.get("metadata", {}).get(k) == v for k, v in metadata.items()))

    found = sorted(store().list(kind, project, keep), key=lambda item: item["created_at"], reverse=True)
    marker = request.args.get("marker")
    if marker:
        ids = [item["id"] for item in found]
        if marker not in ids:
            raise BadRequest(f"Invalid input received: marker [{marker}] not found")
        found = found[ids.index(marker) + 1:]
    if "limit" in request.args:
        try:
            found = found[:max(int(request.args["limit"]), 0)]
        except ValueError:
            raise BadRequest("limit param must be an integer") from None
    return found


def first_of(data: dict[str, Any], *names: str) -> Any:
    """The value of the first of ``names`` in a request body (Cinder still takes the v1 ``display_`` names)."""
    for name in names:
        if name in data:
            return data[name]
    return None
