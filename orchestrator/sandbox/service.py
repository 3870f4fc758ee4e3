"""What every emulated service shares: the caller, errors in the service's own shape, latency and faults.

A service module makes its blueprint with ``ServiceBlueprint(name, prefix,
style)``.  Its views read the authenticated caller from ``caller()``, the
store from ``store()``, raise ``SandboxError`` subclasses for failures, and
return ``reply(body, status)``.  The blueprint checks ``X-Auth-Token`` against
the identity service's tokens (version documents need none), injects the
configured latency and faults, and renders errors the way the real service
does, so that openstacksdk raises the same exceptions with the same messages.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any, Callable

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.http import HTTP_STATUS_CODES

from .store import Store


@dataclass(frozen=True)
class Caller:
    """Who a request acts for (from its token)."""

    user_id: str
    user_name: str
    project_id: str
    project_name: str
    roles: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class SandboxError(Exception):
    """A failure as the service reports it: a status, a message and the service's error type."""

    status = 400
    #: Neutron's ``type``, Nova's body key, … (each style picks what it needs)
    kind = "BadRequest"

    def __init__(self, message: str, kind: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind
        if status is not None:
            self.status = status


class BadRequest(SandboxError):
    status, kind = 400, "BadRequest"


class Unauthorized(SandboxError):
    status, kind = 401, "Unauthorized"


class Forbidden(SandboxError):
    status, kind = 403, "Forbidden"


class NotFound(SandboxError):
    status, kind = 404, "NotFound"


class Conflict(SandboxError):
    status, kind = 409, "Conflict"


class OverQuota(SandboxError):
    """Over a project quota (Nova and Neutron answer 403/409, Cinder 413: the style decides)."""

    status, kind = 403, "OverQuota"


class InjectedFault(SandboxError):
    status, kind = 503, "ServiceUnavailable"


# -- error bodies, per service -------------------------------------------------------------

_NOVA_KEYS = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound", 409: "conflictingRequest",
              413: "overLimit", 500: "computeFault", 503: "serviceUnavailable"}


def _nova_style(error: SandboxError) -> dict[str, Any]:
    return {_NOVA_KEYS.get(error.status, "computeFault"): {"code": error.status, "message": error.message}}


def _neutron_style(error: SandboxError) -> dict[str, Any]:
    return {"NeutronError": {"type": error.kind, "message": error.message, "detail": ""}}


def _octavia_style(error: SandboxError) -> dict[str, Any]:
    return {"faultcode": "Client" if error.status < 500 else "Server", "faultstring": error.message,
            "debuginfo": None}


def _keystone_style(error: SandboxError) -> dict[str, Any]:
    return {"error": {"code": error.status, "title": error.kind, "message": error.message}}


def _aodh_style(error: SandboxError) -> dict[str, Any]:
    return {"error_message": _octavia_style(error)}


def _gnocchi_style(error: SandboxError) -> dict[str, Any]:
    return {"code": error.status, "title": HTTP_STATUS_CODES.get(error.status, "Error"), "description": error.message}


#: error body builders by style name; each real service has its own shape
ERROR_STYLES: dict[str, Callable[[SandboxError], dict[str, Any]]] = {
    "nova": _nova_style, "cinder": _nova_style, "glance": _keystone_style,
    "neutron": _neutron_style, "octavia": _octavia_style, "keystone": _keystone_style,
    "aodh": _aodh_style, "gnocchi": _gnocchi_style,
}


# -- what views use ------------------------------------------------------------------------

def store() -> Store:
    """The sandbox's object store."""
    return current_app.extensions["sandbox"].store


def settings() -> Any:
    """The sandbox's settings (``config.SandboxSettings``)."""
    return current_app.extensions["sandbox"].settings


def caller() -> Caller:
    """The authenticated caller of this request."""
    return g.caller


def reply(body: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (an empty one for ``None``)."""
    response = jsonify(body) if body is not None else Response(status=status)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def body_of(key: str | None = None) -> Any:
    """The request's JSON body, or its ``key`` member; a 400 when it is missing or not JSON."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("The request body is not a JSON object.")
    if key is None:
        return data
    if not isinstance(data.get(key), dict):
        raise BadRequest(f"The request body has no '{key}' object.")
    return data[key]


def base_url() -> str:
    """The sandbox's root URL as this request reached it (links and the catalog use it).

    Mounted under a prefix (``/sandbox`` in ``orchestrator serve``), the root
    includes the prefix, so the catalog leads back through it.
    """
    configured = settings().public_url
    return configured.rstrip("/") if configured else request.url_root.rstrip("/")


def version_document(path: str, version: str, *, status: str = "CURRENT", min_version: str = "",
                     max_version: str = "", media_type: str = "") -> dict[str, Any]:
    """One entry of a service's versions document, as openstacksdk's discovery reads it."""
    entry: dict[str, Any] = {"id": version, "status": status,
                             "links": [{"rel": "self", "href": f"{base_url()}{path}/"}],
                             "updated": "2022-10-01T00:00:00Z"}
    if max_version:
        entry.update(version=max_version, min_version=min_version)
    if media_type:
        entry["media-types"] = [{"base": "application/json", "type": media_type}]
    return entry


# -- the blueprint --------------------------------------------------------------------------

class ServiceBlueprint(Blueprint):
    """A service's routes, authenticated, with injected latency and faults and the service's error bodies.

    ``public`` endpoints (version documents, token issue) need no token.
    """

    def __init__(self, name: str, url_prefix: str, style: str, import_name: str):
        super().__init__(name, import_name, url_prefix=url_prefix)
        self.style = ERROR_STYLES[style]
        self.public_endpoints: set[str] = set()
        self.before_request(self._before)
        self.register_error_handler(SandboxError, self._render)

    def public(self, view: Callable) -> Callable:
        """Mark a view as needing no token."""
        self.public_endpoints.add(view.__name__)
        return view

    def _before(self) -> None:
        endpoint = (request.endpoint or "").rpartition(".")[2]
        _inject_latency_and_faults()
        if endpoint in self.public_endpoints:
            return
        token = request.headers.get("X-Auth-Token")
        if not token:
            raise Unauthorized("The request you have made requires authentication.")
        from .identity import caller_of

        found = caller_of(token)
        if found is None:
            raise Unauthorized("The request you have made requires authentication.")
        g.caller = found

    def _render(self, error: SandboxError) -> Response:
        return reply(self.style(error), error.status)


def _inject_latency_and_faults() -> None:
    configured = settings()
    if configured.latency_ms > 0:
        time.sleep(configured.latency_ms / 1000.0)
    if request.method != "GET" and configured.fault_rate > 0 and random.random() < configured.fault_rate:
        raise InjectedFault("The service is unavailable (a fault injected by the sandbox).")
