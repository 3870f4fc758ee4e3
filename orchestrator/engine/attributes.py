"""Which resource attributes a stack reads, found by looking at its function trees once.

The engine stores these values as soon as a resource is complete, so that
dependants and outputs read them from the database instead of asking the
cloud again (Heat does the same since its convergence engine).
"""

from __future__ import annotations

from typing import Any

from orchestrator.template.compiler import StackDefinition
from orchestrator.template.errors import TemplateError
from orchestrator.template.functions.base import calls_in, resolve
from orchestrator.template.functions.references import GetAttAll, GetAttThenSelect


def referenced_attributes(definition: StackDefinition) -> dict[str, set[tuple[str | None, tuple]]]:
    """resource name -> {(attribute, path)}; ``(None, ())`` stands for "every attribute"."""
    wanted: dict[str, set[tuple[str | None, tuple]]] = {}
    trees: list[Any] = []
    for resource in definition.resources.values():
        trees.extend((resource.properties, resource.metadata))
    trees.extend(output.value for output in definition.outputs.values() if output.enabled)
    for tree in trees:
        for call in calls_in(tree):
            if not isinstance(call, GetAttThenSelect):
                continue
            try:
                args = resolve(call.args, definition.scope)
            except TemplateError:
                continue  # names computed from other resources: read live when needed
            if not args or not isinstance(args[0], str):
                continue
            if isinstance(call, GetAttAll) and len(args) == 1:
                wanted.setdefault(args[0], set()).add((None, ()))
                continue
            if len(args) < 2 or not isinstance(args[1], str):
                continue
            path = tuple(args[2:]) if type(call) is not GetAttThenSelect else ()
            if all(isinstance(item, (str, int)) for item in path):
                wanted.setdefault(args[0], set()).add((args[1], path))
    return wanted
