"""Template resources: a resource type implemented by a provider template (``type: x.yaml`` or a registry mapping).

The template's parameters are the resource's properties (all of them
updatable, Heat's rule) and its outputs are the resource's attributes.  The
engine routes every resource whose definition names a template here
(``PluginRegistry.template_plugin``), whatever its type is called, and the
child stack gets the parent's environment narrowed to this resource, so
hooks and mappings reach the resources inside.

``get_resource`` gives the template's ``OS::stack_id`` output when it has
one, else the child stack's id.  That value is kept in the resource's data
when an action completes, so references need no database read.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from orchestrator.template.functions.references import select_from_attribute

from resources.errors import StackValidationFailed

from .stack_resource import StackResource

#: the output that, when a template has it, is the resource's reference id
STACK_ID_OUTPUT = "OS::stack_id"


class TemplateResource(StackResource):
    """A nested stack made from a provider template; properties in, outputs out."""

    description = "A resource implemented by a provider template (a nested stack)."
    #: properties are checked against the template's parameters, not a fixed schema
    accepts_any_properties = True

    def child_template(self, properties: Mapping[str, Any]) -> Any:
        return self.nested().provider_template(self.name)

    def child_parameters(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """The properties as the template's parameters, checked as Heat checks properties."""
        template = self.nested().provider_template(self.name)
        for name in properties:
            if name not in template.parameters:
                raise StackValidationFailed(f"Property error: resources.{self.name}.properties: "
                                            f"Unknown Property {name}")
        for name, schema in template.parameters.items():
            if schema.required and properties.get(name) is None and not self._has_default(name):
                raise StackValidationFailed(f"Property error: resources.{self.name}.properties: "
                                            f"Property {name} not assigned")
        # An unset property leaves the parameter to its default (or the environment's).
        return {name: value for name, value in properties.items() if value is not None}

    def _has_default(self, name: str) -> bool:
        """Whether the environment's ``parameter_defaults`` give the parameter a value."""
        defaults = self.nested().parameter_defaults()
        return defaults.get(name) is not None

    # -- completing actions: remember the reference id ------------------------------------------

    def check_create_complete(self) -> Any:
        done = super().check_create_complete()
        return self._remember_reference() if done is True else done

    def check_update_complete(self) -> Any:
        done = super().check_update_complete()
        return self._remember_reference() if done is True else done

    def _remember_reference(self) -> bool:
        if STACK_ID_OUTPUT in self.nested().provider_template(self.name).outputs:
            value = self.nested().outputs(self.physical_id).get(STACK_ID_OUTPUT)
            if value != self.data.get("reference_id"):
                self.set_data("reference_id", value)
        return True

    # -- what templates read -----------------------------------------------------------------------

    def reference_id(self) -> Any:
        if self.data.get("reference_id") is not None:
            return self.data["reference_id"]
        return super().reference_id()

    def attribute(self, name: str, path: Iterable[Any] = ()) -> Any:
        """Output ``name`` of the child, followed along ``path``."""
        if self.physical_id is None:
            return None
        return select_from_attribute(self.nested().outputs(self.physical_id).get(name), list(path))

    def all_attributes(self) -> dict[str, Any]:
        if self.physical_id is None:
            return {}
        return self.nested().outputs(self.physical_id)
