"""OS::Zabbix::Action: webhooks called when a trigger fires and when it recovers (Zabbix driving scaling)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from zabbix_utils import ZabbixAPI

from resources.base import Resource
from resources.schema import AllowedValues, Attribute, Boolean, Integer, List, PropertyProblem, Range, String

from .connection import zabbix
from .monitoring import PRIORITIES

#: the webhook every Action's scripts run: POST their other parameters, as JSON, to parameter ``url``
WEBHOOK_SCRIPT = """var params = JSON.parse(value), url = params.url, request = new HttpRequest();
delete params.url;
request.addHeader('Content-Type: application/json');
request.post(url, JSON.stringify(params));
if (request.getStatus() < 200 || request.getStatus() >= 300) {
    throw 'the webhook answered HTTP ' + request.getStatus();
}
return 'OK';"""
#: what the webhook sends: Aodh's alarm fields (a scaling policy reads them), filled in by Zabbix's macros
WEBHOOK_BODY = {"alarm_name": "{TRIGGER.NAME}", "alarm_id": "{TRIGGER.ID}", "severity": "{TRIGGER.SEVERITY}",
                "reason": "Zabbix trigger {TRIGGER.NAME} is {TRIGGER.STATUS} ({ITEM.LASTVALUE})",
                "event_id": "{EVENT.ID}", "host": "{HOST.HOST}", "source": "zabbix"}
#: the state an Action's webhooks report for each of its operation kinds (``alarm`` on PROBLEM, ``ok`` on OK)
WEBHOOK_STATES = {"alarm": {"current": "alarm", "previous": "ok"}, "ok": {"current": "ok", "previous": "alarm"}}


# -- OS::Zabbix::Action ----------------------------------------------------------------------------

class Action(Resource):
    """Calls webhooks when a trigger fires and when it recovers: Zabbix driving scaling policies."""

    type_name = "OS::Zabbix::Action"
    description = ("When a trigger goes to PROBLEM, POSTs an Aodh-like alarm body to each alarm_actions URL "
                   "(a scaling policy's alarm_url); when it goes back to OK, to each ok_actions URL.")
    properties_schema = {
        "trigger": String("The trigger's id (get_resource of an OS::Zabbix::Trigger).", update_allowed=True),
        "expression": String("Instead of trigger: an expression for a trigger the action makes and deletes "
                             "itself (min(/agg/group.cpu,5m)>80, say).", update_allowed=True),
        "priority": String("The priority of the trigger made from expression.", default="average",
                           update_allowed=True, constraints=(AllowedValues(tuple(PRIORITIES)),)),
        "name": String("The action's name (default: the resource's physical name).", update_allowed=True),
        "alarm_actions": List("URLs to POST to when the trigger goes to PROBLEM.", update_allowed=True,
                              schema=String("A URL.")),
        "ok_actions": List("URLs to POST to when the trigger goes back to OK (the recovery operation).",
                           default=[], update_allowed=True, schema=String("A URL.")),
        "repeat_actions": Boolean("Whether to POST to alarm_actions again every repeat_period while the "
                                  "problem lasts.", default=True, update_allowed=True),
        "repeat_period": Integer("Seconds between repeated calls (Zabbix's minimum is 60).", default=60,
                                 update_allowed=True, constraints=(Range(min=60, max=604800),)),
        "enabled": Boolean("Whether the action runs.", default=True, update_allowed=True),
    }
    attributes_schema = {"action_id": Attribute("The action's id.", "string"),
                         "trigger_id": Attribute("The id of the trigger it watches.", "string")}

    @classmethod
    def validate(cls, properties: Mapping[str, Any], unknown: frozenset[str]) -> Iterable[PropertyProblem]:
        """Exactly one of trigger and expression; at least one URL (values known only later may be either)."""
        given = [name for name in ("trigger", "expression") if name not in unknown and properties.get(name)]
        if len(given) == 2 or not (given or {"trigger", "expression"} & unknown):
            yield PropertyProblem((), "Exactly one of trigger and expression is needed, not "
                                      + (" and ".join(given) or "neither"))
        if not ({"alarm_actions", "ok_actions"} & unknown) and not (properties.get("alarm_actions")
                                                                     or properties.get("ok_actions")):
            yield PropertyProblem(("alarm_actions",), "An action needs alarm_actions or ok_actions URLs")

    def create(self) -> None:
        with zabbix(self.runtime) as api:
            trigger_id = self._trigger(api, self.properties)
            scripts = {kind: self._scripts(api, kind, [], self.properties[f"{kind}_actions"] or [])
                       for kind in WEBHOOK_STATES}
            action = api.action.create(**self._action(self.properties, trigger_id, scripts), eventsource=0)
            self.set_physical_id(str(action["actionids"][0]))

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        with zabbix(self.runtime) as api:
            trigger_id = self._trigger(api, properties)
            before = self.data.get("scripts") or {}
            scripts = {kind: self._scripts(api, kind, before.get(kind, []), properties[f"{kind}_actions"] or [])
                       for kind in WEBHOOK_STATES}
            api.action.update(actionid=self.physical_id, **self._action(properties, trigger_id, scripts))
            # what the action no longer uses goes only now: Zabbix refuses to delete a script an action runs
            self._delete_scripts(api, [sid for kind in WEBHOOK_STATES for sid in before.get(kind, [])
                                       if sid not in scripts[kind]])
            self.set_data("scripts", scripts)
            if properties.get("trigger"):
                self._drop_own_trigger(api)
        self.properties = dict(properties)

    def delete(self) -> None:
        with zabbix(self.runtime) as api:
            if self.physical_id and api.action.get(actionids=[self.physical_id], output=["actionid"]):
                api.action.delete([self.physical_id])
            self._delete_scripts(api, [sid for ids in (self.data.get("scripts") or {}).values() for sid in ids])
            self.set_data("scripts", None)
            self._drop_own_trigger(api)

    def _trigger(self, api: ZabbixAPI, properties: Mapping[str, Any]) -> str:
        """The watched trigger's id: the one given, or the action's own, made or changed to fit ``expression``."""
        if properties.get("trigger"):
            return str(properties["trigger"])
        fields = {"expression": properties["expression"], "priority": PRIORITIES[properties["priority"]],
                  "description": properties.get("name") or self.runtime.physical_name()}
        own = self.data.get("trigger_id")
        if own and api.trigger.get(triggerids=[own], output=["triggerid"]):
            api.trigger.update(triggerid=own, **fields)
            return own
        own = str(api.trigger.create(**fields)["triggerids"][0])
        self.set_data("trigger_id", own)
        return own

    def _drop_own_trigger(self, api: ZabbixAPI) -> None:
        own = self.data.get("trigger_id")
        if own:
            if api.trigger.get(triggerids=[own], output=["triggerid"]):
                api.trigger.delete([own])
            self.set_data("trigger_id", None)

    def _scripts(self, api: ZabbixAPI, kind: str, existing: list[str], urls: list[str]) -> list[str]:
        """One webhook script per URL: existing scripts are pointed at the new URLs, more are made if needed."""
        ids = []
        for index, url in enumerate(urls):
            parameters = [{"name": "url", "value": url}] + [
                {"name": name, "value": value} for name, value in {**WEBHOOK_BODY, **WEBHOOK_STATES[kind]}.items()]
            if index < len(existing):
                api.script.update(scriptid=existing[index], parameters=parameters)
                ids.append(existing[index])
                continue
            made = str(api.script.create(name=f"{self.runtime.physical_name()} {kind} {index + 1}", type=5, scope=1,
                                         command=WEBHOOK_SCRIPT, timeout="10s", parameters=parameters)["scriptids"][0])
            ids.append(made)
            # remembered at once, so that a failure before the action exists still deletes it
            known = dict(self.data.get("scripts") or {})
            self.set_data("scripts", {**known, kind: [*known.get(kind, []), made]})
        return ids

    def _delete_scripts(self, api: ZabbixAPI, script_ids: list[str]) -> None:
        present = [row["scriptid"] for row in api.script.get(scriptids=script_ids, output=["scriptid"])] \
            if script_ids else []
        if present:
            api.script.delete(present)

    def _action(self, properties: Mapping[str, Any], trigger_id: str, scripts: Mapping[str, list[str]]) -> dict:
        """The action's fields: run each script on the trigger's host (hostid 0), repeated or once."""
        def operation(script_id: str, repeat: bool | None) -> dict:
            steps = {} if repeat is None else {"esc_step_from": 1, "esc_step_to": 0 if repeat else 1}
            return {"operationtype": 1, "opcommand": {"scriptid": script_id}, "opcommand_hst": [{"hostid": "0"}],
                    **steps}

        return {"name": properties.get("name") or self.runtime.physical_name(),
                "status": 0 if properties["enabled"] else 1,
                "esc_period": f"{properties['repeat_period']}s",
                "filter": {"evaltype": 0, "conditions": [{"conditiontype": 2, "operator": 0, "value": trigger_id}]},
                "operations": [operation(sid, properties["repeat_actions"]) for sid in scripts["alarm"]],
                "recovery_operations": [operation(sid, None) for sid in scripts["ok"]]}

    def resolve_attribute(self, name: str) -> Any:
        if name == "action_id":
            return self.physical_id
        if name == "trigger_id":
            return self.properties.get("trigger") or self.data.get("trigger_id")
        return super().resolve_attribute(name)
