"""How Nova reaches the other emulated services: Neutron ports and Cinder volumes.

Those services may not offer every function (the sandbox grows one service at
a time); a missing one means the server simply gets no ports or volumes.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from ..service import BadRequest, Conflict, NotFound, SandboxError


def _function(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = importlib.import_module(f"orchestrator.sandbox.{module}")
    except ImportError:
        return None
    return getattr(found, name, None)


def available(module: str, name: str) -> bool:
    """Whether ``orchestrator.sandbox.<module>`` offers ``name``."""
    return _function(module, name) is not None


def call(module: str, name: str, *args: Any, prefix: str = "", **kwargs: Any) -> Any:
    """Call another service's function, its errors turned into Nova's (400 for what is missing, 409 for clashes).

    Returns ``None`` when the service does not offer the function.
    """
    function = _function(module, name)
    if function is None:
        return None
    try:
        return function(*args, **kwargs)
    except (NotFound, BadRequest) as error:
        raise BadRequest(prefix + error.message) from None
    except Conflict as error:
        raise Conflict(prefix + error.message) from None
    except SandboxError as error:
        raise SandboxError(prefix + error.message, status=error.status) from None


def addresses(server_id: str) -> dict[str, Any]:
    """The server's ``addresses`` as Neutron's ports give them."""
    return call("network", "device_addresses", server_id) or {}


def release_ports(server_id: str) -> None:
    """Delete the ports made for the server, unbind the ones it was given."""
    call("network", "unbind_ports", server_id)
