"""The emulator's items and triggers (``item.*``, ``trigger.*``).

A trigger's expression is checked as Zabbix checks it: its syntax, then each
``/host/key`` it reads must name an item of an existing host.  The trigger
keeps the ids of those items and hosts, so that deleting an item (or its
host) deletes the triggers that read it, and the actions' conditions on them.
Aggregates over a group (``last_foreach``) belong in calculated items, as in
Zabbix.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..service import store
from .actions import forget_triggers
from .common import (all_of, by_ids, deleted, find, ids_of, in_list, invalid, kind, next_id, required, select,
                     text)
from .expressions import FOREACH, ExpressionError, Node, parse, queries

#: item types whose values come from an agent interface (Zabbix agent, SNMP, IPMI, JMX)
INTERFACE_ITEM_TYPES = ("0", "20", "12", "16")


def _items(params: Any) -> list[Mapping[str, Any]]:
    return params if isinstance(params, list) else [params]


# -- items --------------------------------------------------------------------------------------

def new_item(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Store an item (made through the API, or inherited from a template)."""
    item_id = next_id("item")
    item = {"itemid": item_id, "hostid": text(fields["hostid"]), "name": text(fields.get("name")),
            "key_": text(fields["key_"]), "type": text(fields.get("type", 0)),
            "value_type": text(fields.get("value_type", 3)), "delay": text(fields.get("delay", "0")),
            "units": text(fields.get("units")), "params": text(fields.get("params")), "status": "0",
            "interfaceid": text(fields.get("interfaceid") or "0"), "templateid": text(fields.get("templateid") or "0"),
            "lastvalue": "0", "lastclock": "0", "state": "0", "error": "", "_history": []}
    return store().add(kind("item"), {"id": item_id, **item})


def create_items(params: Any, _caller: Any) -> dict[str, list[str]]:
    made = []
    for index, fields in enumerate(_items(params), 1):
        host = find("host", required(fields, "hostid", f"/{index}"))
        key = text(required(fields, "key_", f"/{index}"))
        required(fields, "name", f"/{index}")
        _check_key(host, key)
        _check_item(fields, host, index)
        made.append(new_item(fields)["itemid"])
    return {"itemids": made}


def update_items(params: Any, _caller: Any) -> dict[str, list[str]]:
    for index, fields in enumerate(_items(params), 1):
        item = find("item", fields.get("itemid"))
        host = find("host", item["hostid"])
        if "key_" in fields and text(fields["key_"]) != item["key_"]:
            _check_key(host, text(fields["key_"]))
        _check_item({**item, **fields}, host, index)
        changes = {field: text(fields[field]) for field in ("name", "key_", "delay", "units", "params", "status")
                   if field in fields}
        store().change(kind("item"), item["id"], changes)
    return {"itemids": [text(fields.get("itemid")) for fields in _items(params)]}


def delete_items(item_ids: list[str]) -> dict[str, list[str]]:
    """Delete items and the triggers that read them."""
    for item_id in item_ids:
        find("item", item_id)
    delete_triggers([trigger["triggerid"] for trigger in all_of(
        "trigger", lambda body: bool(set(body["_items"]) & set(item_ids)))])
    return deleted("item", item_ids)


def _check_key(host: Mapping[str, Any], key: str) -> None:
    if all_of("item", lambda body: body["hostid"] == host["hostid"] and body["key_"] == key):
        raise invalid(f'Item with key "{key}" already exists on "{host["host"]}".')


def _check_item(fields: Mapping[str, Any], host: Mapping[str, Any], index: int) -> None:
    if text(fields.get("type", 0)) in INTERFACE_ITEM_TYPES and text(fields.get("interfaceid") or "0") not in {
            entry["interfaceid"] for entry in host["_interfaces"]}:
        raise invalid("No interface found.")
    if text(fields.get("type")) == "15":
        try:
            parse(text(fields.get("params")))
        except ExpressionError as exc:
            raise invalid(f'Invalid parameter "/{index}/params": {exc}.') from None


# -- triggers -----------------------------------------------------------------------------------

def create_triggers(params: Any, _caller: Any) -> dict[str, list[str]]:
    made = []
    for index, fields in enumerate(_items(params), 1):
        name = text(required(fields, "description", f"/{index}"))
        expression = text(required(fields, "expression", f"/{index}"))
        items, hosts = _reads(expression, index)
        if all_of("trigger", lambda body: body["description"] == name and body["expression"] == expression):
            raise invalid(f'Trigger "{name}" already exists on "{find("host", hosts[0])["host"]}".')
        trigger = {"triggerid": next_id("trigger"), "description": name, "expression": expression,
                   "recovery_mode": "0", "recovery_expression": "", "priority": text(fields.get("priority", 0)),
                   "comments": text(fields.get("comments")), "status": text(fields.get("status", 0)), "value": "0",
                   "state": "0", "lastchange": "0", "error": "", "flags": "0", "_items": items, "_hosts": hosts}
        trigger.update(_recovery(fields, index))
        store().add(kind("trigger"), {"id": trigger["triggerid"], **trigger})
        made.append(trigger["triggerid"])
    return {"triggerids": made}


def update_triggers(params: Any, _caller: Any) -> dict[str, list[str]]:
    for index, fields in enumerate(_items(params), 1):
        trigger = find("trigger", fields.get("triggerid"))
        changes = {field: text(fields[field]) for field in ("description", "priority", "comments", "status")
                   if field in fields}
        if "expression" in fields:
            changes["expression"] = text(fields["expression"])
            changes["_items"], changes["_hosts"] = _reads(changes["expression"], index)
        changes.update(_recovery({**trigger, **fields}, index) if {"recovery_mode", "recovery_expression"} & set(
            fields) else {})
        store().change(kind("trigger"), trigger["id"], changes)
    return {"triggerids": [text(fields.get("triggerid")) for fields in _items(params)]}


def delete_triggers(trigger_ids: list[str]) -> dict[str, list[str]]:
    """Delete triggers and the actions' conditions on them."""
    result = deleted("trigger", trigger_ids)
    forget_triggers(trigger_ids)
    return result


def get_triggers(params: Mapping[str, Any], _caller: Any) -> Any:
    def extra(trigger: dict[str, Any], shown: dict[str, Any]) -> None:
        if params.get("selectHosts"):
            shown["hosts"] = [{"hostid": host_id} for host_id in trigger["_hosts"]]

    return select("trigger", params, {"triggerids": by_ids("triggerid"), "hostids": in_list("_hosts")}, extra)


def _recovery(fields: Mapping[str, Any], index: int) -> dict[str, Any]:
    mode = text(fields.get("recovery_mode", 0))
    expression = text(fields.get("recovery_expression"))
    if mode == "1":
        if not expression:
            raise invalid(f'Invalid parameter "/{index}/recovery_expression": cannot be empty.')
        _reads(expression, index, "recovery_expression")
    return {"recovery_mode": mode, "recovery_expression": expression if mode == "1" else ""}


def _reads(expression: str, index: int, field: str = "expression") -> tuple[list[str], list[str]]:
    """The ids of the items and hosts an expression reads; Zabbix's refusal when it cannot be read."""
    try:
        tree = parse(expression)
    except ExpressionError as exc:
        raise invalid(f'Invalid parameter "/{index}/{field}": {exc}.') from None
    if _uses_foreach(tree):
        raise invalid(f'Invalid parameter "/{index}/{field}": incorrect expression starting from '
                      f'"{expression}".')
    items, hosts = [], []
    for query in queries(tree):
        found = all_of("host", lambda body: body["host"] == query.host)
        if not found:
            raise invalid(f'Incorrect trigger expression. Host "{query.host}" does not exist or you have no access '
                          f'to this host.')
        host = found[0]
        item = all_of("item", lambda body: body["hostid"] == host["hostid"] and body["key_"] == query.key)
        if not item:
            raise invalid(f'Incorrect item key "{query.key}" provided for trigger expression on "{query.host}".')
        items.append(item[0]["itemid"])
        hosts.append(host["hostid"])
    if not items:
        raise invalid(f'Invalid parameter "/{index}/{field}": trigger expression must contain at least one '
                      f'/host/key reference.')
    return sorted(set(items)), sorted(set(hosts))


def _uses_foreach(node: Node) -> bool:
    return (node.kind == "call" and node.value in FOREACH) or any(_uses_foreach(child) for child in node.children)


METHODS = {
    "item.create": create_items, "item.update": update_items,
    "item.delete": lambda params, _caller: delete_items(ids_of(params)),
    "item.get": lambda params, _caller: select("item", params, {"itemids": by_ids("itemid"),
                                                                "hostids": by_ids("hostid")}),
    "trigger.create": create_triggers, "trigger.update": update_triggers,
    "trigger.delete": lambda params, _caller: delete_triggers(ids_of(params)), "trigger.get": get_triggers,
}
