"""Finding stacks from URLs: Heat's by-name redirects and canonical ``/stacks/<name>/<id>`` paths.

``/stacks/<name or id>[/<sub-path>]`` answers 302 with the absolute canonical
URL (sub-path and query string kept), for every method: heatclient sends
updates and deletes by name and lets keystoneauth follow the redirect with
the same method and body, and some commands read only the ``Location``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from werkzeug.routing import BaseConverter

from .app import services
from .formats import stack_url
from .queries import find_stack, stack_by_identity

#: what may follow a stack's name in a by-name URL
SUBPATHS = ("resources", "events", "template", "environment", "files", "outputs", "actions", "snapshots",
            "export", "abandon", "preview")
METHODS = ["GET", "PUT", "PATCH", "DELETE", "POST"]


class StackIdConverter(BaseConverter):
    """A stack id (a UUID), so that ``/stacks/<name>/<id>`` never takes ``/stacks/<name>/resources``."""

    regex = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def redirect_to_stack(stack_name: str, subpath: str | None = None, rest: str | None = None) -> Response:
    """302 to the canonical URL of the stack called (or with id) ``stack_name``."""
    project_id = g.context.project_id
    with services().engine.context.database.reading() as connection:
        row = find_stack(connection, project_id, stack_name)
    more = [part for part in (subpath, rest) if part]
    location = stack_url(project_id, row.name, row.id) + "".join(f"/{part}" for part in more)
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    response = Response(status=302)
    response.headers["Location"] = location
    return response


def register(blueprint: Any) -> None:
    """Add the by-name routes to ``blueprint``."""
    any_subpath = f"<any({', '.join(SUBPATHS)}):subpath>"
    blueprint.add_url_rule("/stacks/<stack_name>", "lookup", redirect_to_stack, methods=METHODS)
    blueprint.add_url_rule(f"/stacks/<stack_name>/{any_subpath}", "lookup_sub", redirect_to_stack,
                           methods=METHODS)
    blueprint.add_url_rule(f"/stacks/<stack_name>/{any_subpath}/<path:rest>", "lookup_deep",
                           redirect_to_stack, methods=METHODS)


def stack_row(stack_name: str, stack_id: str) -> Any:
    """The stack a canonical URL names, in the caller's project (404 otherwise)."""
    with services().engine.context.database.reading() as connection:
        return stack_by_identity(connection, g.context.project_id, stack_name, stack_id)
