"""OS::Heat::Stack: a stack inside a stack, from a template given as a property.

In Heat this type talks to the Heat API of a region (``context.region_name``)
and may create the stack in another cloud.  Here it makes a local nested
stack, with its own rows, under the parent's lock and deadline.  A template
naming a region is valid (whether a region exists is a fact of the
deployment, not of the template), but creating such a stack fails with a
clear reason, because remote stacks are not supported.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from orchestrator.template.errors import TemplateError
from orchestrator.template.functions.references import select_from_attribute
from orchestrator.template.template import Template
from resources.errors import ResourceFailure, StackValidationFailed
from resources.schema import Attribute, Boolean, Integer, Map, PropertyProblem, Range, String

from .stack_resource import StackResource


class Stack(StackResource):
    """A nested stack from an inline template; its outputs are readable as ``outputs``."""

    type_name = "OS::Heat::Stack"
    description = "A nested stack made from the template property (local only: no remote regions)."
    properties_schema = {
        "context": Map("Where the stack is made; only the local cloud is supported.", schema={
            "region_name": String("A region of another cloud (not supported: leave it out)."),
            "credential_secret_id": String("Credentials for a remote cloud (not supported)."),
            "ca_cert": String("CA certificate of a remote cloud (not supported)."),
            "insecure": Boolean("Skip certificate checks of a remote cloud (not supported).", default=False),
        }),
        "template": String("The template of the nested stack (YAML or JSON).", required=True,
                           update_allowed=True),
        "timeout": Integer("The nested stack's timeout in minutes.", constraints=(Range(min=1),),
                           update_allowed=True),
        "parameters": Map("Parameter values of the nested stack.", default={}, update_allowed=True),
    }
    attributes_schema = {
        "stack_name": Attribute("The name of the nested stack.", type="string"),
        "outputs": Attribute("The nested stack's outputs by name (get_attr: [res, outputs, name]).",
                             type="map"),
    }

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """A known template must parse."""
        if "template" not in unknown and isinstance(properties.get("template"), str):
            try:
                Template.load(properties["template"], "template")
            except TemplateError as exc:
                yield PropertyProblem(("template",), f"Failed to parse the template: {exc.message}")

    def child_template(self, properties: Mapping[str, Any]) -> Any:
        region = (properties.get("context") or {}).get("region_name")
        if region:
            raise ResourceFailure(f"Cannot create a stack in region {region}: remote stacks are not supported, "
                                  "only local nested stacks (leave context.region_name out)")
        try:
            return Template.load(properties["template"], "template")
        except TemplateError as exc:
            raise StackValidationFailed(f"Failed to parse the template: {exc.message}") from None

    def child_parameters(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        return dict(properties.get("parameters") or {})

    def child_timeout(self, properties: Mapping[str, Any]) -> int | None:
        return properties.get("timeout")

    def attribute(self, name: str, path: Iterable[Any] = ()) -> Any:
        if name == "stack_name":
            return select_from_attribute(self.runtime.physical_name(), list(path))
        if name == "outputs":
            outputs = self.nested().outputs(self.physical_id) if self.physical_id is not None else None
            return select_from_attribute(outputs, list(path))
        return super().attribute(name, path)
