"""Hosts and host groups: OS::Zabbix::HostGroup, OS::Zabbix::Host and OS::Zabbix::TemplateLink."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from zabbix_utils import ZabbixAPI

from resources.base import Resource
from resources.schema import (AllowedValues, Attribute, Boolean, Integer, Length, List, Map, PropertyProblem,
                              Range, String)

from .connection import lookup_ids, zabbix
from .objects import ZabbixResource, mapped_fields, to_send

INTERFACE_TYPES = {"agent": (1, 10050), "snmp": (2, 161), "ipmi": (3, 623), "jmx": (4, 12345)}
HOST_STATUS = {"enabled": 0, "disabled": 1}


# -- OS::Zabbix::HostGroup -------------------------------------------------------------------------

class HostGroup(ZabbixResource):
    """A Zabbix host group."""

    type_name = "OS::Zabbix::HostGroup"
    description = "A Zabbix host group: hosts, triggers' aggregations and permissions are per group."
    api_object, id_field, id_attribute = "hostgroup", "groupid", "group_id"
    properties_schema = {"name": String("The group's name (default: the resource's physical name).",
                                        update_allowed=True)}
    attributes_schema = {"group_id": Attribute("The group's id.", "string"),
                         "name": Attribute("The group's name.", "string"),
                         "show": Attribute("The group as Zabbix shows it.", "map")}

    def fields(self, api, properties, changed):
        wanted = to_send(properties, changed)
        return {"name": wanted["name"] or self.runtime.physical_name()} if "name" in wanted else {}

    def resolve_attribute(self, name: str) -> Any:
        if name == "name":
            return self.properties.get("name") or (self.runtime.physical_name() if self.physical_id else None)
        return super().resolve_attribute(name)


# -- OS::Zabbix::Host ------------------------------------------------------------------------------

INTERFACE_SCHEMA = {
    "type": String("agent, snmp, ipmi or jmx.", default="agent", constraints=(AllowedValues(tuple(INTERFACE_TYPES)),)),
    "ip": String("The address Zabbix reaches the host at (a server's first_address, say)."),
    "dns": String("The DNS name Zabbix reaches the host at, when it has no ip."),
    "port": Integer("The port (default: the type's: 10050 for the agent).", constraints=(Range(1, 65535),)),
}


class Host(ZabbixResource):
    """A server (or any machine) registered with Zabbix."""

    type_name = "OS::Zabbix::Host"
    description = "Registers a machine with Zabbix: its interfaces, groups, templates, macros and inventory."
    api_object, id_field, id_attribute = "host", "hostid", "host_id"
    properties_schema = {
        "host": String("The technical host name, unique in Zabbix (default: the resource's physical name; "
                       "name it like the server to let the sandbox's emulator find the server by name).",
                       update_allowed=True),
        "visible_name": String("The name Zabbix shows.", update_allowed=True),
        "description": String("A description.", update_allowed=True),
        "interfaces": List("How Zabbix reaches the host.", update_allowed=True, default=[],
                           schema=Map("An interface.", schema=INTERFACE_SCHEMA)),
        "groups": List("Host groups, by id or name (at least one).", required=True, update_allowed=True,
                       constraints=(Length(min=1),), schema=String("A group id or name.")),
        "templates": List("Templates to link, by id or name.", default=[], update_allowed=True,
                          schema=String("A template id or name.")),
        "macros": Map("User macros of the host: {\"{$NAME}\": value} (the braces may be left out).",
                      default={}, update_allowed=True),
        "inventory": Map("Inventory fields ({\"os\": \"Debian\"}); sets the inventory mode to manual.",
                         update_allowed=True),
        "status": String("enabled (monitored) or disabled.", default="enabled", update_allowed=True,
                         constraints=(AllowedValues(tuple(HOST_STATUS)),)),
    }
    attributes_schema = {
        "host_id": Attribute("The host's id.", "string"),
        "host": Attribute("The technical host name.", "string"),
        "visible_name": Attribute("The name Zabbix shows.", "string"),
        "show": Attribute("The host as Zabbix shows it, with its interfaces, groups and templates.", "map"),
    }

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """An interface needs an ip or a DNS name."""
        interfaces = [] if "interfaces" in unknown else properties.get("interfaces") or []
        for index, interface in enumerate(interfaces):
            if isinstance(interface, Mapping) and not (interface.get("ip") or interface.get("dns")):
                yield PropertyProblem(("interfaces", index), "An interface needs an ip or a dns name")

    def fields(self, api, properties, changed):
        wanted = to_send(properties, changed)
        fields = mapped_fields({"visible_name": ("name", lambda value: value or ""),
                                 "description": ("description", lambda value: value or ""),
                                 "status": ("status", HOST_STATUS.__getitem__),
                                 "macros": ("macros", _macros),
                                 "interfaces": ("interfaces", _interfaces)}, wanted)
        if "host" in wanted:
            fields["host"] = wanted["host"] or self.runtime.physical_name()
        if "groups" in wanted:
            fields["groups"] = [{"groupid": gid} for gid in lookup_ids(api, "hostgroup", wanted["groups"])]
        if "templates" in wanted:
            linked = lookup_ids(api, "template", wanted["templates"] or [])
            fields["templates"] = [{"templateid": tid} for tid in linked]
            if changed is not None:  # unlinking clears what a template brought (its items, its triggers)
                before = lookup_ids(api, "template", self.properties.get("templates") or [])
                fields["templates_clear"] = [{"templateid": tid} for tid in before if tid not in linked]
        if "inventory" in wanted:
            inventory = wanted["inventory"]
            fields["inventory_mode"] = 0 if inventory else -1
            if inventory:
                fields["inventory"] = {key: str(value) for key, value in inventory.items()}
        return fields

    def resolve_attribute(self, name: str) -> Any:
        if name in ("host", "visible_name") and self.physical_id is not None:
            shown = self.show() or {}
            return shown.get({"host": "host", "visible_name": "name"}[name])
        return super().resolve_attribute(name)

    def _get(self, api: ZabbixAPI, output: Any = "extend", **select: Any) -> dict | None:
        if output == "extend" and not select:
            # Zabbix 6.2 renamed selectGroups, and 7.0 dropped the old name
            groups = "selectHostGroups" if api.version >= 6.2 else "selectGroups"
            select = {"selectInterfaces": ["interfaceid", "type", "ip", "dns", "port"],
                      groups: ["groupid", "name"], "selectParentTemplates": ["templateid", "host"],
                      "selectMacros": ["macro", "value"], "selectInventory": "extend"}
        return super()._get(api, output, **select)


def _macros(macros: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """``{"CPU.HIGH": 80}`` as Zabbix's ``[{"macro": "{$CPU.HIGH}", "value": "80"}]``."""
    return [{"macro": name if name.startswith("{$") else "{$" + name.upper() + "}", "value": str(value)}
            for name, value in (macros or {}).items()]


def _interfaces(interfaces: list[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The interfaces as Zabbix takes them: the first of each type is its main one."""
    result, seen = [], set()
    for interface in interfaces or []:
        kind = interface.get("type") or "agent"
        number, port = INTERFACE_TYPES[kind]
        made = {"type": number, "main": 0 if kind in seen else 1, "useip": 1 if interface.get("ip") else 0,
                "ip": interface.get("ip") or "", "dns": interface.get("dns") or "",
                "port": str(interface.get("port") or port)}
        if kind == "snmp":
            made["details"] = {"version": 2, "bulk": 1, "community": "{$SNMP_COMMUNITY}"}
        seen.add(kind)
        result.append(made)
    return result


# -- OS::Zabbix::TemplateLink ----------------------------------------------------------------------

class TemplateLink(Resource):
    """Templates linked to a host made elsewhere (by another stack, or by hand)."""

    type_name = "OS::Zabbix::TemplateLink"
    description = "Links templates to a Zabbix host; deleting it unlinks them (and clears what they brought)."
    properties_schema = {
        "host": String("The host's id (get_resource of an OS::Zabbix::Host).", required=True),
        "templates": List("Templates to link, by id or name.", required=True, update_allowed=True,
                          constraints=(Length(min=1),), schema=String("A template id or name.")),
        "clear_on_delete": Boolean("Whether unlinking also deletes the items and triggers the templates brought.",
                                   default=True, update_allowed=True),
    }
    attributes_schema = {"template_ids": Attribute("The ids of the linked templates.", "list")}

    def create(self) -> None:
        with zabbix(self.runtime) as api:
            linked = lookup_ids(api, "template", self.properties["templates"])
            api.host.massadd(hosts=[{"hostid": self.properties["host"]}],
                             templates=[{"templateid": tid} for tid in linked])
            self.set_data("template_ids", linked)
            self.set_physical_id(self.runtime.physical_name())

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        with zabbix(self.runtime) as api:
            before, after = self.data.get("template_ids") or [], lookup_ids(api, "template", properties["templates"])
            # unlinked first: the new templates may bring items of the same keys
            self._unlink(api, properties, [tid for tid in before if tid not in after])
            self.set_data("template_ids", [tid for tid in before if tid in after])
            if [tid for tid in after if tid not in before]:
                api.host.massadd(hosts=[{"hostid": properties["host"]}],
                                 templates=[{"templateid": tid} for tid in after if tid not in before])
            self.set_data("template_ids", after)
        self.properties = dict(properties)

    def delete(self) -> None:
        if self.data.get("template_ids"):
            with zabbix(self.runtime) as api:
                if api.host.get(hostids=[self.properties["host"]], output=["hostid"]):
                    self._unlink(api, self.properties, self.data["template_ids"])

    def _unlink(self, api: ZabbixAPI, properties: Mapping[str, Any], template_ids: list[str]) -> None:
        if template_ids:
            clear = "templateids_clear" if properties.get("clear_on_delete", True) else "templateids"
            api.host.massremove(hostids=[properties["host"]], **{clear: template_ids})

    def resolve_attribute(self, name: str) -> Any:
        return self.data.get("template_ids") if name == "template_ids" else super().resolve_attribute(name)
