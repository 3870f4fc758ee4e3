"""What Zabbix watches on hosts: OS::Zabbix::Item and OS::Zabbix::Trigger."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from zabbix_utils import ZabbixAPI

from resources.errors import ResourceFailure
from resources.schema import AllowedValues, Attribute, Boolean, PropertyProblem, String

from .objects import ZabbixResource, mapped_fields, to_send

ITEM_TYPES = {"agent": 0, "trapper": 2, "simple": 3, "internal": 5, "agent_active": 7, "calculated": 15}
#: item types Zabbix polls every ``delay`` (the others receive their values)
POLLED_TYPES = ("agent", "simple", "internal", "agent_active", "calculated")
VALUE_TYPES = {"float": 0, "character": 1, "log": 2, "unsigned": 3, "text": 4}
PRIORITIES = {"not_classified": 0, "information": 1, "warning": 2, "average": 3, "high": 4, "disaster": 5}


# -- OS::Zabbix::Item ------------------------------------------------------------------------------

class Item(ZabbixResource):
    """A metric of a host that no linked template provides."""

    type_name = "OS::Zabbix::Item"
    description = "An item: a metric Zabbix collects on a host (polled, received, or calculated from others)."
    api_object, id_field, id_attribute = "item", "itemid", "item_id"
    properties_schema = {
        "host": String("The host's id (get_resource of an OS::Zabbix::Host).", required=True),
        "key": String("The item key (system.cpu.util, say).", required=True, update_allowed=True),
        "name": String("The item's name (default: its key).", update_allowed=True),
        "type": String(", ".join(ITEM_TYPES) + ". An agent item uses the host's agent interface.",
                       default="agent", constraints=(AllowedValues(tuple(ITEM_TYPES)),)),
        "value_type": String(", ".join(VALUE_TYPES) + ".", default="float",
                             constraints=(AllowedValues(tuple(VALUE_TYPES)),)),
        "formula": String("A calculated item's formula: avg(last_foreach(/*/system.cpu.util?[group=\"web\"])).",
                          update_allowed=True),
        "delay": String("How often a polled item is collected (30s, 1m, ...).", default="1m", update_allowed=True),
        "units": String("The value's units (%, B, ...).", default="", update_allowed=True),
    }
    attributes_schema = {"item_id": Attribute("The item's id.", "string"),
                         "last_value": Attribute("The last value Zabbix has.", "string"),
                         "show": Attribute("The item as Zabbix shows it.", "map")}

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """A calculated item, and only one, has a formula."""
        calculated = properties.get("type") == "calculated"
        if calculated and not properties.get("formula") and "formula" not in unknown:
            yield PropertyProblem(("formula",), "A calculated item needs a formula")
        if not calculated and properties.get("formula"):
            yield PropertyProblem(("formula",), "Only a calculated item has a formula")

    def fields(self, api, properties, changed):
        wanted = to_send(properties, changed)
        fields = mapped_fields({"key": ("key_", str), "units": ("units", lambda value: value or ""),
                                 "formula": ("params", lambda value: value or "")}, wanted)
        if "name" in wanted or "key" in wanted:
            fields["name"] = properties.get("name") or properties["key"]
        if "delay" in wanted and properties["type"] in POLLED_TYPES:
            fields["delay"] = wanted["delay"]
        if changed is None:
            fields.update(hostid=properties["host"], type=ITEM_TYPES[properties["type"]],
                          value_type=VALUE_TYPES[properties["value_type"]])
            if properties["type"] == "agent":
                fields["interfaceid"] = _agent_interface(api, properties["host"])
        return fields

    def resolve_attribute(self, name: str) -> Any:
        if name == "last_value" and self.physical_id is not None:
            return (self.show() or {}).get("lastvalue")
        return super().resolve_attribute(name)


def _agent_interface(api: ZabbixAPI, host_id: str) -> str:
    hosts = api.host.get(hostids=[host_id], output=["hostid"], selectInterfaces=["interfaceid", "type", "main"])
    for interface in (hosts[0]["interfaces"] if hosts else []):
        if str(interface["type"]) == "1" and str(interface["main"]) == "1":
            return interface["interfaceid"]
    raise ResourceFailure(f"Zabbix host {host_id} has no agent interface for an agent item")


# -- OS::Zabbix::Trigger ---------------------------------------------------------------------------

class Trigger(ZabbixResource):
    """A problem Zabbix detects: an expression over items' values."""

    type_name = "OS::Zabbix::Trigger"
    description = "A trigger: PROBLEM while its expression holds (last(/web-1/system.cpu.util)>80, say)."
    api_object, id_field, id_attribute = "trigger", "triggerid", "trigger_id"
    properties_schema = {
        "expression": String("When the problem starts: min(/agg/group.cpu,5m)>80, say.", required=True,
                             update_allowed=True),
        "recovery_expression": String("When it ends (default: as soon as expression no longer holds).",
                                      update_allowed=True),
        "name": String("The trigger's name (default: the resource's physical name).", update_allowed=True),
        "priority": String(", ".join(PRIORITIES) + ".", default="average", update_allowed=True,
                           constraints=(AllowedValues(tuple(PRIORITIES)),)),
        "comments": String("What the trigger means and what to do.", update_allowed=True),
        "enabled": Boolean("Whether Zabbix evaluates it.", default=True, update_allowed=True),
    }
    attributes_schema = {"trigger_id": Attribute("The trigger's id.", "string"),
                         "state": Attribute("PROBLEM or OK.", "string"),
                         "show": Attribute("The trigger as Zabbix shows it.", "map")}

    def fields(self, api, properties, changed):
        wanted = to_send(properties, changed)
        fields = mapped_fields({"expression": ("expression", str), "priority": ("priority", PRIORITIES.__getitem__),
                                 "comments": ("comments", lambda value: value or ""),
                                 "enabled": ("status", lambda value: 0 if value else 1),
                                 "recovery_expression": ("recovery_expression", lambda value: value or "")}, wanted)
        if "recovery_expression" in wanted:
            fields["recovery_mode"] = 1 if wanted["recovery_expression"] else 0
        if "name" in wanted or changed is None:
            fields["description"] = properties.get("name") or self.runtime.physical_name()
        return fields

    def resolve_attribute(self, name: str) -> Any:
        if name == "state" and self.physical_id is not None:
            value = (self.show() or {}).get("value")
            return None if value is None else ("PROBLEM" if str(value) == "1" else "OK")
        return super().resolve_attribute(name)

    def _get(self, api: ZabbixAPI, output: Any = "extend", **select: Any) -> dict | None:
        return super()._get(api, output, **({"expandExpression": True} if output == "extend" else select))
