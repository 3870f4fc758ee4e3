"""The emulator's host groups, hosts and templates (``hostgroup.*``, ``host.*``, ``template.get``).

A host keeps its groups, linked templates, interfaces, macros and inventory
in its document.  Linking a template gives the host a copy of each of the
template's items (``templateid`` names where it came from), as Zabbix does;
unlinking keeps them as the host's own, unlinking with ``*_clear`` deletes
them.  Deleting a host deletes its items and what depends on them.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..service import store
from .common import (add, all_of, by_ids, deleted, find, ids_of, in_list, invalid, kind, missing, next_id, required,
                     select, text, unique)
from .items import delete_items, new_item

#: templates of a fresh Zabbix that the emulator knows, with the items they give hosts (a few of each)
TEMPLATES = (
    {"templateid": "10001", "host": "Linux by Zabbix agent", "items": (
        ("CPU utilization", "system.cpu.util", "0", "%"), ("Load average (1m avg)", "system.cpu.load[all,avg1]",
                                                           "0", ""),
        ("Zabbix agent ping", "agent.ping", "3", ""))},
    {"templateid": "10343", "host": "Linux by Zabbix agent active", "items": (
        ("CPU utilization", "system.cpu.util", "0", "%"), ("Zabbix agent ping", "agent.ping", "3", ""))},
)
#: how ``select*`` parameters of ``host.get`` read a host's document
HOST_SELECTS = {"selectInterfaces": ("interfaces", "_interfaces"), "selectMacros": ("macros", "_macros")}


def seed() -> None:
    """The templates a fresh Zabbix has (``TEMPLATES``)."""
    for template in TEMPLATES:
        if store().get(kind("template"), template["templateid"]) is None:
            add("template", {"templateid": template["templateid"], "host": template["host"],
                             "name": template["host"], "description": "", "_items": [
                                 {"name": name, "key_": key, "type": "0", "value_type": value_type, "units": units,
                                  "delay": "1m"} for name, key, value_type, units in template["items"]]})


def _items(params: Any) -> list[Mapping[str, Any]]:
    return params if isinstance(params, list) else [params]


# -- host groups --------------------------------------------------------------------------------

def create_groups(params: Any, _caller: Any) -> dict[str, list[str]]:
    made = []
    for index, item in enumerate(_items(params), 1):
        name = text(item.get("name")).strip()
        if not name:
            raise invalid(f'Invalid parameter "/{index}/name": cannot be empty.')
        unique("hostgroup", "name", name, "Host group")
        made.append(add("hostgroup", {"name": name, "internal": "0", "flags": "0", "uuid": ""})["groupid"])
    return {"groupids": made}


def update_groups(params: Any, _caller: Any) -> dict[str, list[str]]:
    for item in _items(params):
        group = find("hostgroup", item.get("groupid"))
        if "name" in item:
            unique("hostgroup", "name", text(item["name"]), "Host group", group["id"])
            store().change(kind("hostgroup"), group["id"], {"name": text(item["name"])})
    return {"groupids": [text(item.get("groupid")) for item in _items(params)]}


def delete_groups(params: Any, _caller: Any) -> dict[str, list[str]]:
    ids = ids_of(params)
    for host in all_of("host", lambda body: set(body["_groups"]) & set(ids)):
        if not set(host["_groups"]) - set(ids):
            raise invalid(f'Host "{host["host"]}" cannot be without host group.')
    return deleted("hostgroup", ids)


def get_groups(params: Mapping[str, Any], _caller: Any) -> Any:
    def has_host(group: dict, host_ids: list[str]) -> bool:
        return any(group["groupid"] in find("host", host_id)["_groups"] for host_id in host_ids
                   if store().get(kind("host"), host_id))

    return select("hostgroup", params, {"groupids": by_ids("groupid"), "hostids": has_host})


# -- hosts ----------------------------------------------------------------------------------------

def create_hosts(params: Any, _caller: Any) -> dict[str, list[str]]:
    made = []
    for item in _items(params):
        name = text(required(item, "host"))
        host = {"hostid": next_id("host"), "host": name, "name": text(item.get("name")) or name,
                "status": text(item.get("status", 0)),
                "description": text(item.get("description")), "inventory_mode": "-1", "flags": "0",
                "_groups": [], "_templates": [], "_interfaces": [], "_macros": [], "_inventory": {}}
        _check_names(host)
        host.update(_host_fields(item, host))
        if not host["_groups"]:
            raise invalid(f'Host "{name}" cannot be without host group.')
        made_host = add("host", host)
        _link(made_host, _template_ids(item.get("templates")))
        made.append(made_host["hostid"])
    return {"hostids": made}


def update_hosts(params: Any, _caller: Any) -> dict[str, list[str]]:
    for item in _items(params):
        host = find("host", item.get("hostid"))
        changes = {field: text(item[field]) for field in ("host", "name", "status", "description") if field in item}
        _check_names({**host, **changes}, host["id"])
        changes.update(_host_fields(item, host))
        if "groups" in item and not changes["_groups"]:
            raise invalid(f'Host "{host["host"]}" cannot be without host group.')
        if changes.get("host", host["host"]) != host["host"]:
            _renamed(host["hostid"], host["host"], changes["host"])
        host = store().change(kind("host"), host["id"], changes)
        if "templates" in item or "templates_clear" in item:
            wanted = _template_ids(item.get("templates")) if "templates" in item else host["_templates"]
            cleared = _template_ids(item.get("templates_clear"))
            _unlink(host, [tid for tid in host["_templates"] if tid not in wanted], cleared)
            _link(find("host", host["id"]), [tid for tid in wanted if tid not in host["_templates"]])
    return {"hostids": [text(item.get("hostid")) for item in _items(params)]}


def delete_hosts(params: Any, _caller: Any) -> dict[str, list[str]]:
    ids = ids_of(params)
    for host_id in ids:
        find("host", host_id)
    delete_items([item["itemid"] for item in all_of("item", lambda body: body["hostid"] in ids)])
    return deleted("host", ids)


def mass_add(params: Mapping[str, Any], _caller: Any) -> dict[str, list[str]]:
    hosts = [find("host", host_id) for host_id in ids_of(params.get("hosts") or [])]
    templates = _template_ids(params.get("templates"))
    groups = [find("hostgroup", group_id)["groupid"] for group_id in ids_of(params.get("groups") or [])]
    for host in hosts:
        if groups:
            store().change(kind("host"), host["id"], {"_groups": sorted(set(host["_groups"]) | set(groups))})
        _link(find("host", host["id"]), [tid for tid in templates if tid not in host["_templates"]])
    return {"hostids": [host["hostid"] for host in hosts]}


def mass_remove(params: Mapping[str, Any], _caller: Any) -> dict[str, list[str]]:
    hosts = [find("host", host_id) for host_id in ids_of(params.get("hostids") or [])]
    for host in hosts:
        cleared = ids_of(params.get("templateids_clear") or [])
        _unlink(host, [*ids_of(params.get("templateids") or []), *cleared], cleared)
        groups = ids_of(params.get("groupids") or [])
        if groups:
            left = [group for group in host["_groups"] if group not in groups]
            if not left:
                raise invalid(f'Host "{host["host"]}" cannot be without host group.')
            store().change(kind("host"), host["id"], {"_groups": left})
    return {"hostids": [host["hostid"] for host in hosts]}


def get_hosts(params: Mapping[str, Any], _caller: Any) -> Any:
    def extra(host: dict[str, Any], shown: dict[str, Any]) -> None:
        for parameter, (field, source) in HOST_SELECTS.items():
            if params.get(parameter):
                shown[field] = [_fields(entry, params[parameter]) for entry in host[source]]
        for parameter in ("selectGroups", "selectHostGroups"):
            if params.get(parameter):
                shown["groups" if parameter == "selectGroups" else "hostgroups"] = [
                    _fields(find("hostgroup", group_id), params[parameter], "groupid") for group_id in host["_groups"]]
        if params.get("selectParentTemplates"):
            shown["parentTemplates"] = [_fields(find("template", template_id), params["selectParentTemplates"],
                                                "templateid") for template_id in host["_templates"]]
        if params.get("selectInventory"):
            shown["inventory"] = _fields(host["_inventory"], params["selectInventory"]) if host["_inventory"] else []

    return select("host", params, {"hostids": by_ids("hostid"), "groupids": in_list("_groups"),
                                   "templateids": in_list("_templates")}, extra)


def get_templates(params: Mapping[str, Any], _caller: Any) -> Any:
    def extra(template: dict[str, Any], shown: dict[str, Any]) -> None:
        if params.get("selectItems"):
            shown["items"] = [_fields(item, params["selectItems"]) for item in template["_items"]]

    return select("template", params, {"templateids": by_ids("templateid")}, extra)


def _fields(entry: Mapping[str, Any], wanted: Any, key_field: str = "") -> dict[str, Any]:
    """What a ``select*`` parameter asks for of a related object (with its id, for groups and templates)."""
    shown = {key: value for key, value in entry.items() if not key.startswith("_") and key != "id"}
    return shown if wanted == "extend" else {key: value for key, value in shown.items()
                                             if key in wanted or key == key_field}


def _renamed(host_id: str, old: str, new: str) -> None:
    """Expressions name hosts; Zabbix keeps them by id, so a renamed host's triggers read the new name."""
    for trigger in all_of("trigger", lambda body: host_id in body["_hosts"]):
        store().change(kind("trigger"), trigger["id"], {
            field: trigger[field].replace(f"/{old}/", f"/{new}/") for field in ("expression", "recovery_expression")})


def _check_names(host: Mapping[str, Any], except_id: str | None = None) -> None:
    """Technical and visible names are each unique among hosts."""
    for field, label in (("host", "name"), ("name", "visible name")):
        if all_of("host", lambda body: body[field] == host[field] and body["id"] != except_id):
            raise invalid(f'Host with the same {label} "{host[field]}" already exists.')


def _host_fields(item: Mapping[str, Any], host: Mapping[str, Any]) -> dict[str, Any]:
    """The document's relations from a create or update request (groups, interfaces, macros, inventory)."""
    fields: dict[str, Any] = {}
    if "groups" in item:
        fields["_groups"] = [find("hostgroup", group_id)["groupid"] for group_id in ids_of(item["groups"])]
    if "interfaces" in item:
        fields["_interfaces"] = [
            {"interfaceid": next_id("interface"), "hostid": host.get("hostid", ""), "type": text(entry.get("type", 1)),
             "main": text(entry.get("main", 1)), "useip": text(entry.get("useip", 1)), "ip": text(entry.get("ip")),
             "dns": text(entry.get("dns")), "port": text(entry.get("port", 10050))} for entry in item["interfaces"]]
    if "macros" in item:
        fields["_macros"] = [{"macro": text(entry["macro"]), "value": text(entry.get("value"))}
                             for entry in item["macros"]]
    if "inventory_mode" in item:
        fields["inventory_mode"] = text(item["inventory_mode"])
    if "inventory" in item:
        fields["_inventory"] = {key: text(value) for key, value in (item["inventory"] or {}).items()}
    return fields


def _template_ids(value: Any) -> list[str]:
    """Template ids a request names; each must exist."""
    ids = ids_of(value or [])
    for template_id in ids:
        if store().get(kind("template"), template_id) is None:
            raise missing()
    return ids


def _link(host: dict[str, Any], template_ids: Iterable[str]) -> None:
    template_ids = list(template_ids)
    if not template_ids:
        return
    interface = next((entry["interfaceid"] for entry in host["_interfaces"] if entry["type"] == "1"), "0")
    keys = {item["key_"] for item in all_of("item", lambda body: body["hostid"] == host["hostid"])}
    for template_id in template_ids:
        for item in find("template", template_id)["_items"]:
            if item["key_"] not in keys:
                new_item({**item, "hostid": host["hostid"], "interfaceid": interface, "templateid": template_id})
                keys.add(item["key_"])
    store().change(kind("host"), host["id"], {"_templates": [*host["_templates"], *template_ids]})


def _unlink(host: dict[str, Any], template_ids: list[str], cleared: list[str]) -> None:
    linked = [tid for tid in template_ids if tid in host["_templates"]]
    if not linked:
        return
    inherited = all_of("item", lambda body: body["hostid"] == host["hostid"] and body["templateid"] in linked)
    delete_items([item["itemid"] for item in inherited if item["templateid"] in cleared])
    for item in inherited:
        if item["templateid"] not in cleared:
            store().change(kind("item"), item["id"], {"templateid": "0"})
    store().change(kind("host"), host["id"], {"_templates": [tid for tid in host["_templates"] if tid not in linked]})


METHODS = {
    "hostgroup.create": create_groups, "hostgroup.update": update_groups, "hostgroup.delete": delete_groups,
    "hostgroup.get": get_groups, "host.create": create_hosts, "host.update": update_hosts,
    "host.delete": delete_hosts, "host.get": get_hosts, "host.massadd": mass_add, "host.massremove": mass_remove,
    "template.get": get_templates,
}
