"""What every OS::Zabbix:: type made of one Zabbix object shares: create, update in place, delete, show."""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Mapping

from zabbix_utils import ZabbixAPI

from resources.base import Resource

from .connection import zabbix


class ZabbixResource(Resource):
    """One Zabbix object made, changed in place and deleted through the API object ``api_object``."""

    #: the API object (``host``), its id field (``hostid``) and the attribute that gives the id
    api_object: ClassVar[str] = ""
    id_field: ClassVar[str] = ""
    id_attribute: ClassVar[str] = ""

    def fields(self, api: ZabbixAPI, properties: Mapping[str, Any], changed: Mapping[str, Any] | None) -> dict:
        """The API's parameters for the properties: all of them to create (``changed`` is None), else the changed."""
        raise NotImplementedError

    def _endpoint(self, api: ZabbixAPI) -> Any:
        return getattr(api, self.api_object)

    def create(self) -> None:
        """Make the object; its id is recorded at once."""
        with zabbix(self.runtime) as api:
            result = self._endpoint(api).create(**self.fields(api, self.properties, None))
            self.set_physical_id(str(result[f"{self.id_field}s"][0]))

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        """Change the object in place: every property is update_allowed but those that name its owner."""
        with zabbix(self.runtime) as api:
            fields = self.fields(api, properties, changed)
            if fields:
                self._endpoint(api).update(**{self.id_field: self.physical_id, **fields})
        self.properties = dict(properties)

    def delete(self) -> None:
        """Delete the object; one already gone (deleted with its host, or by hand) is no error."""
        if self.physical_id is None:
            return
        with zabbix(self.runtime) as api:
            if self._get(api, [self.id_field]):
                self._endpoint(api).delete([self.physical_id])

    def _get(self, api: ZabbixAPI, output: Any = "extend", **select: Any) -> dict | None:
        found = self._endpoint(api).get(**{f"{self.id_field}s": [self.physical_id]}, output=output, **select)
        return found[0] if found else None

    def show(self) -> Any:
        """The object as Zabbix shows it."""
        if self.physical_id is None:
            return None
        with zabbix(self.runtime) as api:
            return self._get(api)

    def resolve_attribute(self, name: str) -> Any:
        if name == self.id_attribute:
            return self.physical_id
        return super().resolve_attribute(name)


def to_send(properties: Mapping[str, Any], changed: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """What to send: every property on create, the changed ones on update."""
    return properties if changed is None else changed


def mapped_fields(table: Mapping[str, tuple[str, Callable[[Any], Any]]], values: Mapping[str, Any]) -> dict:
    """API fields for properties that map one to one (``table``: property -> (field, conversion))."""
    return {field: convert(values[name]) for name, (field, convert) in table.items() if name in values}
