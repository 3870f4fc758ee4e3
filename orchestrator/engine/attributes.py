"""Which resource attributes a stack reads, found by looking at its function trees once.

The engine stores these values as soon as a resource is complete, so that
dependants and outputs read them from the database instead of asking the
cloud again (Heat does the same since its convergence engine).
"""

from __future__ import annotations

from typing import Any

from orchestrator.template.compiler import StackDefinition
from orchestrator.template.errors import InvalidArguments, TemplateError
from orchestrator.template.functions.base import calls_in
from orchestrator.template.functions.references import GetAttThenSelect


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
                resource, attribute, path = call.referenced_attribute(definition.scope)
            except (InvalidArguments, TemplateError):
                continue  # names computed from other resources: read live when needed
            # A path item that is not a plain key (a map, say) cannot key the stored values.
            if all(isinstance(item, (str, int)) for item in path):
                wanted.setdefault(resource, set()).add((attribute, path))
    return wanted
