"""What a plugin raises to tell the engine how an action went wrong."""

from __future__ import annotations


class ResourceFailure(Exception):
    """The action failed; the message becomes the resource's status reason."""


class StackValidationFailed(ResourceFailure):
    """Values that do not fit a schema when the resource is about to be made (Heat's name, shown in reasons)."""


class ResourceInError(ResourceFailure):
    """The cloud object ended up in an error state; the engine deletes it and tries again.

    Heat retries creation on this (up to ``action_retry_limit`` times).
    """


class UpdateReplace(Exception):
    """The resource cannot be updated in place; the engine replaces it instead."""

    def __init__(self, reason: str = "the change needs a new resource"):
        super().__init__(reason)


class NotSupported(Exception):
    """The plugin does not implement this action (suspend, snapshot, signal, …)."""


class NoActionRequired(Exception):
    """A signal that asks for nothing to be done now (a group in cooldown, say): accepted, and no event written.

    Heat's ``NoActionRequired``: the sender gets a success, the stack shows nothing.
    """
