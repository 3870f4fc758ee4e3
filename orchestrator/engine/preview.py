"""Previews: what a create would make, and what an update would do, without doing it.

An update preview decides for each resource the way the update itself will
(see ``update.StackUpdate``) but with today's attribute values, so, as in
Heat, it is a forecast: a plugin may still ask for a replacement on the day.
It reports in the same five lists as an update (``UpdateOutcome``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orchestrator.template.compiler import StackDefinition
from orchestrator.template.errors import TemplateError

from .stack_view import StackView
from .errors import NotSupported
from .update import UPDATED, UpdateOutcome, decide, must_replace


@dataclass
class ResourcePreview:
    """One resource as a preview shows it."""

    name: str
    type: str
    properties: dict
    requires: list[str]
    required_by: list[str]
    metadata: Any = None
    description: str | None = None
    #: the resources of its nested stack, for template resources
    nested: list["ResourcePreview"] = field(default_factory=list)


def preview_create(definition: StackDefinition) -> list[ResourcePreview]:
    """The resources a create would make, in dependency order, with their properties as now known."""
    previews = []
    for name, resource in definition.resources.items():
        try:
            properties = definition.properties(name)
        except TemplateError:
            properties = {}
        try:
            metadata = definition.resolve(resource.metadata)
        except TemplateError:
            metadata = None
        previews.append(ResourcePreview(name, resource.type, properties, sorted(resource.requires),
                                        sorted(definition.required_by[name]), metadata, resource.description))
    return previews


def preview_update(view: StackView, new: StackDefinition) -> UpdateOutcome:
    """What updating the stack in ``view`` to ``new`` would do to each resource."""
    preview = UpdateOutcome()
    for name, definition in new.resources.items():
        record = view.records.get(name)
        if record is None or record.action == "INIT" or record.state == "DELETE_COMPLETE":
            preview.added.append(name)
            continue
        cls = view.plugins.for_definition(definition)
        was_external = "external_id" in (record.definition or {})
        if record.type == definition.resolved_type and (was_external or definition.external_id is not None):
            # an external resource whose id stays is left alone; a changed id fails the update itself
            try:
                same = was_external and definition.external_id is not None and \
                    new.resolve(definition.external_id, view) == record.physical_id
            except TemplateError:
                same = False
            (preview.unchanged if same else preview.updated).append(name)
            continue
        if cls is None or must_replace(record, definition, cls):
            preview.replaced.append(name)
            continue
        if record.nested_stack_id is not None:
            # as Heat does: a nested stack is always updated, and its own
            # resources decide whether they change
            preview.updated.append(name)
            continue
        try:
            properties, problems = view.plugins.checked_properties(cls, new.properties(name, view))
            verdict = UPDATED if problems else decide(record, cls, view.plugin(record, dict(record.properties)),
                                                      properties)[0]
        except (TemplateError, NotSupported):
            verdict = UPDATED  # known only during the update itself, which reports it
        getattr(preview, verdict).append(name)
    preview.deleted = [name for name in view.records if name not in new.resources]
    return preview
