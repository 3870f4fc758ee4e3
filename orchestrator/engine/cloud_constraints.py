"""Custom constraints that ask the cloud: ``nova.flavor``, ``glance.image``, ``neutron.network``, …

The template language registers these names as *deferred* (known, passing
until someone attaches a checker).  Each plugin module says how to look its
names up: ``CUSTOM_CONSTRAINTS = {"nova.flavor": lookup}``, where
``lookup(connection, value)`` raises when the value is not in the cloud.
``attach_cloud_constraints`` hands those lookups to an engine's registry.

A lookup needs the project the stack lives in, so checks run only inside
``cloud_checks(project_id)`` (requests that create, update or validate a
stack enter it).  Outside it, or when no cloud is configured, the checks
pass: validating a template offline must not need a cloud, and a stack
whose flavor has since been deleted must still be deletable.

Within one ``cloud_checks`` block a value found once is not looked up again
(twenty servers of one flavor cost one request).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from orchestrator.template.errors import InvalidArguments

#: ``(connection, value) -> None``; raises when ``value`` is not in the cloud
Lookup = Callable[[Any, str], None]

log = logging.getLogger(__name__)


@dataclass
class CloudCheckScope:
    """One operation's cloud checks: the project they act in and what was already found."""

    project_id: str
    found: set[tuple[str, str]] = field(default_factory=set)
    #: the requesting user's own cloud credentials (``keystone.CallerToken``), when the cloud needs them
    credentials: Any = None


_current: ContextVar[CloudCheckScope | None] = ContextVar("cloud_check_scope", default=None)


@contextlib.contextmanager
def cloud_checks(project_id: str, credentials: Any = None) -> Iterator[CloudCheckScope]:
    """Check deferred constraints against the cloud, in ``project_id`` (as ``credentials``), inside this block."""
    current = _current.get()
    if current is not None and current.project_id == project_id:
        yield current  # nested (a request compiling its nested stacks): one scope, one cache
        return
    scope = CloudCheckScope(project_id, credentials=credentials)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def plugin_lookups(plugins: Any) -> dict[str, Lookup]:
    """Every ``CUSTOM_CONSTRAINTS`` entry of the modules that define the discovered plugin types.

    A plugin package (``resources/network/``) may declare them in its
    ``__init__`` rather than beside each class, so the packages above a
    plugin's module count too.
    """
    lookups: dict[str, Lookup] = {}
    seen: set[str] = set()
    for type_name in plugins.types():
        parts = plugins.get(type_name).__module__.split(".")
        for depth in range(len(parts), 0, -1):
            module_name = ".".join(parts[:depth])
            if module_name in seen:
                continue
            seen.add(module_name)
            declared = getattr(sys.modules.get(module_name), "CUSTOM_CONSTRAINTS", None)
            if isinstance(declared, dict):
                for name, lookup in declared.items():
                    if callable(lookup):
                        lookups.setdefault(name, lookup)
    return lookups


def attach_cloud_constraints(context: Any, lookups: dict[str, Lookup] | None = None) -> list[str]:
    """Give ``context.custom_constraints`` a cloud checker for each plugin lookup; the names attached.

    ``context`` is the engine's ``EngineContext``: its ``cloud_factory`` is read
    at check time, so a cloud set after this call is used.
    """
    registry = context.custom_constraints
    found = plugin_lookups(context.plugins) if lookups is None else lookups
    for name, lookup in found.items():
        if not registry.is_deferred(name):
            registry.register_deferred(name)
        registry.attach(name, _checker(context, name, lookup))
    return sorted(found)


def _checker(context: Any, name: str, lookup: Lookup) -> Callable[[Any, Any], None]:
    def check(value: Any, constraint_context: Any = None) -> None:
        scope = constraint_context if isinstance(constraint_context, CloudCheckScope) else _current.get()
        factory = context.cloud_factory
        # an empty value means "none" for optional properties (a key pair, a security group)
        if scope is None or factory is None or not isinstance(value, str) or not value:
            return
        key = (name, value)
        if key in scope.found:
            return
        try:
            lookup(factory(scope), value)
        except Exception as exc:  # whatever the lookup raises says what is missing
            log.debug("custom constraint %s refused %r: %s", name, value, exc)
            raise InvalidArguments(failure_message(exc)) from None
        scope.found.add(key)

    check.__name__ = f"check_{name.replace('.', '_')}"
    return check


def failure_message(exc: BaseException) -> str:
    """What a failed lookup says, without the HTTP details openstacksdk adds to its messages."""
    details = getattr(exc, "details", None)
    if isinstance(details, str) and details.strip():
        return details.strip()
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message.strip():
        return message.strip()
    return str(exc).strip() or type(exc).__name__

