"""OS::Heat::None: a resource that does nothing, to stub out types through the registry."""

from __future__ import annotations

from typing import Any, Mapping

from resources.base import Resource


class NoneResource(Resource):
    """Accepts any properties, creates nothing; every attribute is ``None``.

    Environments map unwanted types to it (``"OS::Nova::Server": OS::Heat::None``).
    """

    type_name = "OS::Heat::None"
    description = "Does nothing; stands in for other types."
    accepts_any_properties = True
    blocking = False

    def create(self) -> None:
        self.set_physical_id(self.runtime.physical_name())

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        """Never replaced: whatever changes, there is nothing to do."""

    def attribute(self, name: str, path=()) -> Any:
        return None
