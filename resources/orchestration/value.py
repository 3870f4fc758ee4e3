"""OS::Heat::Value: a named value computed from parameters and other resources.

Templates use it to compute something once (a joined string, a map built from
several attributes) and read it in many places with ``get_attr``.  Its
``type`` gives the value a HOT parameter type, with the same conversions and
error messages a parameter of that type would get, so a value that cannot be
a number fails validation instead of surprising a later resource.  Nothing
exists outside the stack, so every change is made in place.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from orchestrator.template.errors import InvalidArguments
from orchestrator.template.parameters import BOOLEAN, JSON, LIST, NUMBER, STRING, ParameterSchema, convert
from resources.base import Resource
from resources.schema import AllowedValues, Any_, Attribute, PropertyProblem, String

TYPES = (STRING, NUMBER, LIST, JSON, BOOLEAN)


def typed(value: Any, value_type: str | None) -> Any:
    """``value`` as a parameter of ``value_type`` would hold it (unchanged without a type)."""
    if value_type is None:
        return value
    if value_type == STRING and isinstance(value, (dict, list)):
        # A parameter's str() would turn a map into Python's repr: not a string anyone meant.
        raise InvalidArguments(f"Value must be a string; got {value!r}")
    return convert(ParameterSchema("value", value_type), value)


class Value(Resource):
    """Exposes ``value`` (retyped by ``type``) as the ``value`` attribute."""

    type_name = "OS::Heat::Value"
    description = "Exposes its value property as an attribute, typed like a HOT parameter."
    blocking = False
    properties_schema = {
        "value": Any_('The expression to generate the "value" attribute.', required=True, update_allowed=True),
        "type": String('The type of the "value" property.', constraints=(AllowedValues(TYPES),),
                       update_allowed=True),
    }
    attributes_schema = {
        "value": Attribute('The "value" property, with the type given by the "type" property.'),
    }

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """The value must fit its declared type (checked once both are known)."""
        if unknown & {"value", "type"}:
            return []
        try:
            typed(properties.get("value"), properties.get("type"))
        except InvalidArguments as exc:
            return [PropertyProblem(("value",), exc.message)]
        return []

    def create(self) -> None:
        self.set_physical_id(self.runtime.physical_name())

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        """Nothing to change outside the stack: the engine stores the new properties."""
        self.properties = dict(properties)

    def resolve_attribute(self, name: str) -> Any:
        if name == "value":
            return typed(self.properties.get("value"), self.properties.get("type"))
        return super().resolve_attribute(name)
