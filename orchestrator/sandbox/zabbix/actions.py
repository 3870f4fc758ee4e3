"""The emulator's scripts, actions and alerts (``script.*``, ``action.*``, ``alert.get``).

An action of the trigger source (``eventsource`` 0) runs operations when a
trigger it watches goes to PROBLEM and recovery operations when it goes back
to OK (``evaluator.py`` runs them).  Operations the emulator carries out are
remote commands (``operationtype`` 1) of webhook scripts (``type`` 5); the
alerts they leave are what ``alert.get`` shows.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..service import store
from .common import (add, all_of, by_ids, deleted, find, ids_of, invalid, kind, missing, required, select, text,
                     unique)

#: the filter conditions the emulator evaluates: a trigger (``conditiontype`` 2) equal (``operator`` 0) to an id
TRIGGER_CONDITION = "2"
SCRIPT_MISSING = "Specified script does not exist or you do not have rights on it for action operation command."


def _items(params: Any) -> list[Mapping[str, Any]]:
    return params if isinstance(params, list) else [params]


# -- scripts ------------------------------------------------------------------------------------

def create_scripts(params: Any, _caller: Any) -> dict[str, list[str]]:
    made = []
    for index, fields in enumerate(_items(params), 1):
        name = text(required(fields, "name", f"/{index}"))
        unique("script", "name", name, "Script")
        made.append(add("script", {
            "name": name, "command": text(required(fields, "command", f"/{index}")),
            "type": text(fields.get("type", 5)), "scope": text(fields.get("scope", 1)),
            "execute_on": text(fields.get("execute_on", 2)), "timeout": text(fields.get("timeout", "30s")),
            "description": text(fields.get("description")), "usrgrpid": "0", "groupid": "0", "host_access": "2",
            "parameters": _parameters(fields.get("parameters"))})["scriptid"])
    return {"scriptids": made}


def update_scripts(params: Any, _caller: Any) -> dict[str, list[str]]:
    for fields in _items(params):
        script = find("script", fields.get("scriptid"))
        if "name" in fields:
            unique("script", "name", text(fields["name"]), "Script", script["id"])
        changes = {field: text(fields[field]) for field in ("name", "command", "timeout", "description")
                   if field in fields}
        if "parameters" in fields:
            changes["parameters"] = _parameters(fields["parameters"])
        store().change(kind("script"), script["id"], changes)
    return {"scriptids": [text(fields.get("scriptid")) for fields in _items(params)]}


def delete_scripts(params: Any, _caller: Any) -> dict[str, list[str]]:
    ids = ids_of(params)
    for script_id in ids:
        script = find("script", script_id)
        users = [action for action in all_of("action") if script_id in _scripts_of(action)]
        if users:
            raise invalid(f'Cannot delete scripts. Script "{script["name"]}" is used in action operation '
                          f'"{users[0]["name"]}".')
    return deleted("script", ids)


def _parameters(value: Any) -> list[dict[str, str]]:
    return [{"name": text(entry.get("name")), "value": text(entry.get("value"))} for entry in value or []]


def _scripts_of(action: Mapping[str, Any]) -> set[str]:
    return {operation["opcommand"]["scriptid"] for operation in
            action["_operations"] + action["_recovery_operations"] if operation.get("opcommand")}


# -- actions ------------------------------------------------------------------------------------

def create_actions(params: Any, _caller: Any) -> dict[str, list[str]]:
    made = []
    for index, fields in enumerate(_items(params), 1):
        name = text(required(fields, "name", f"/{index}"))
        unique("action", "name", name, "Action")
        action = {"name": name, "eventsource": text(fields.get("eventsource", 0)),
                  "status": text(fields.get("status", 0)), "esc_period": text(fields.get("esc_period", "1h")),
                  "pause_suppressed": "1", "notify_if_canceled": "1"}
        action.update(_action_fields(fields, creating=True))
        made.append(add("action", action)["actionid"])
    return {"actionids": made}


def update_actions(params: Any, _caller: Any) -> dict[str, list[str]]:
    for fields in _items(params):
        action = find("action", fields.get("actionid"))
        if "name" in fields:
            unique("action", "name", text(fields["name"]), "Action", action["id"])
        changes = {field: text(fields[field]) for field in ("name", "status", "esc_period") if field in fields}
        changes.update(_action_fields(fields, creating=False))
        store().change(kind("action"), action["id"], changes)
    return {"actionids": [text(fields.get("actionid")) for fields in _items(params)]}


def get_actions(params: Mapping[str, Any], _caller: Any) -> Any:
    def extra(action: dict[str, Any], shown: dict[str, Any]) -> None:
        for parameter, field in (("selectFilter", "filter"), ("selectOperations", "operations"),
                                 ("selectRecoveryOperations", "recovery_operations")):
            if params.get(parameter):
                shown[field] = action[f"_{field}"]

    return select("action", params, {"actionids": by_ids("actionid")}, extra)


def forget_triggers(trigger_ids: list[str]) -> None:
    """Drop the conditions on deleted triggers; an action that loses one is disabled, as in Zabbix."""
    for action in all_of("action"):
        conditions = action["_filter"]["conditions"]
        kept = [condition for condition in conditions
                if not (condition["conditiontype"] == TRIGGER_CONDITION and condition["value"] in trigger_ids)]
        if len(kept) != len(conditions):
            store().change(kind("action"), action["id"], {"status": "1", "_filter": {
                **action["_filter"], "conditions": kept}})


def _action_fields(fields: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """The filter and operations of a create or update request, checked and stored as Zabbix shows them."""
    changes: dict[str, Any] = {}
    if "filter" in fields or creating:
        given = fields.get("filter") or {}
        conditions = []
        for number, condition in enumerate(given.get("conditions") or []):
            entry = {"conditiontype": text(condition.get("conditiontype")),
                     "operator": text(condition.get("operator", 0)), "value": text(condition.get("value")),
                     "value2": "", "formulaid": chr(ord("A") + number)}
            if entry["conditiontype"] == TRIGGER_CONDITION and store().get(kind("trigger"), entry["value"]) is None:
                raise missing()
            conditions.append(entry)
        changes["_filter"] = {"evaltype": text(given.get("evaltype", 0)), "formula": "", "conditions": conditions,
                              "eval_formula": " and ".join(entry["formulaid"] for entry in conditions)}
    for field in ("operations", "recovery_operations"):
        if field in fields or creating:
            changes[f"_{field}"] = [_operation(operation, field == "operations") for operation in
                                    fields.get(field) or []]
    return changes


def _operation(operation: Mapping[str, Any], escalated: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"operationtype": text(operation.get("operationtype", 0))}
    if entry["operationtype"] == "1":
        script_id = text((operation.get("opcommand") or {}).get("scriptid"))
        if store().get(kind("script"), script_id) is None:
            raise invalid(SCRIPT_MISSING)
        entry.update(opcommand={"scriptid": script_id},
                     opcommand_hst=[{"hostid": text(host.get("hostid"))} for host in operation.get("opcommand_hst")
                                    or []])
    if escalated:
        entry.update(esc_period=text(operation.get("esc_period", 0)),
                     esc_step_from=text(operation.get("esc_step_from", 1)),
                     esc_step_to=text(operation.get("esc_step_to", 1)))
    return entry


METHODS = {
    "script.create": create_scripts, "script.update": update_scripts, "script.delete": delete_scripts,
    "script.get": lambda params, _caller: select("script", params, {"scriptids": by_ids("scriptid")}),
    "action.create": create_actions, "action.update": update_actions, "action.get": get_actions,
    "action.delete": lambda params, _caller: deleted("action", ids_of(params)),
    "alert.get": lambda params, _caller: select("alert", params, {"actionids": by_ids("actionid"),
                                                                  "eventids": by_ids("eventid"),
                                                                  "alertids": by_ids("alertid")}),
}
