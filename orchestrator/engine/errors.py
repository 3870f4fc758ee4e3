"""Why the engine refuses a request (each maps to an HTTP status at the API, as in Heat).

``locks.StackBusy`` (409) lives with the lock it is about.
"""

from __future__ import annotations


class StackNotFound(LookupError):
    """No such stack in this project (HTTP 404)."""


class StackExists(Exception):
    """The project already has a stack of that name (HTTP 409)."""


class RequestLimitExceeded(Exception):
    """A limit of the service was reached (HTTP 400, as in Heat)."""


class NotSupported(Exception):
    """The request cannot be carried out in the stack's current state (HTTP 400, as in Heat)."""


