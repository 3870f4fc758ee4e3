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
from resources.schema import validate_properties

from .stack_view import StackView
from .update import UpdateOutcome, changed_properties


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
        if record.type != definition.resolved_type or cls is None or (
                record.status == "FAILED" and cls.replace_on_failure):
            preview.replaced.append(name)
            continue
        try:
            resolved = new.properties(name, view)
        except TemplateError:
            preview.updated.append(name)  # values known only during the update itself
            continue
        properties, _ = validate_properties(cls.properties_schema, resolved, accept_any=cls.accepts_any_properties)
        changed = changed_properties(record.properties, properties)
        if not changed:
            preview.unchanged.append(name)
        elif _needs_replacement(view, record, cls, properties, changed):
            preview.replaced.append(name)
        else:
            preview.updated.append(name)
    preview.deleted = [name for name in view.records if name not in new.resources]
    return preview


def _needs_replacement(view: StackView, record: Any, cls: type, properties: dict, changed: dict) -> bool:
    schema = cls.properties_schema
    if not cls.accepts_any_properties and any(key in schema and not schema[key].update_allowed for key in changed):
        return True
    try:
        return bool(view.plugin(record, dict(record.properties)).needs_replace(properties, changed))
    except Exception:
        return False  # a plugin that cannot tell now decides during the update
