"""The emulator's monitoring loop: item values from the sandbox's servers, triggers, and the actions they start.

Every ``[sandbox] zabbix_evaluation_seconds`` a pass

1. gives each item of an enabled host a value: a host is a sandbox server
   when an interface's IP is one of the server's addresses or its technical
   name is the server's name, and ``VALUE_SOURCES`` says what an item key
   reads of it (``system.cpu.util`` is the server's load, from
   ``telemetry.load.cpu_percent``); calculated items evaluate their formula
   over the values just given (``avg(last_foreach(/*/key?[group="web"]))``);
2. evaluates each enabled trigger over the items' recent history; a trigger
   that changes state makes an event, and the actions watching it run their
   operations (PROBLEM) or recovery operations (OK); while a problem lasts,
   operations whose escalation steps go on run again every ``esc_period``;
3. runs the webhook scripts of those operations as the plugin's script does
   in a real Zabbix: POST its parameters but ``url``, as JSON, to ``url``
   (with the macros filled in), and records an alert for each.

The loop runs on a thread of its own, started and stopped with the sandbox's
alarm evaluator where the sandbox serves people or a service
(``app.start_alarm_evaluator``, ``app.close_sandbox``); tests call
``evaluate`` for a pass at a moment of their choosing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

import requests

from ..store import Store
from ..telemetry.load import cpu_percent
from .common import add, all_of, find, kind, next_id
from .expressions import ExpressionError, evaluate, parse

log = logging.getLogger(__name__)

#: what an item key reads of a sandbox server, given the store, the server and the moment
VALUE_SOURCES: dict[str, Callable[[Store, dict, float], float | None]] = {
    "system.cpu.util": lambda store, server, at: cpu_percent(store, server["id"], at),
    "system.cpu.load[all,avg1]": lambda store, server, at: _scaled(cpu_percent(store, server["id"], at), 0.01),
    "agent.ping": lambda store, server, at: 1.0 if server.get("status") == "ACTIVE" else None,
}
#: seconds of history kept per item, and at most how many values
HISTORY_SECONDS, HISTORY_VALUES = 3600, 1000
SEVERITIES = ("Not classified", "Information", "Warning", "Average", "High", "Disaster")
TIME_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


class ZabbixEvaluator:
    """Runs passes over the emulator's items and triggers: on its own thread every ``interval``, or when asked."""

    def __init__(self, app: Any, interval: float, post: Callable[[str, dict], tuple[bool, str]] | None = None):
        self.app, self.interval = app, interval
        self.post = post or post_json
        self._thread: threading.Thread | None = None
        self._pass = threading.Lock()
        self._stopping = threading.Event()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "ZabbixEvaluator":
        """Start the thread (once; starting a running evaluator does nothing)."""
        if self.interval <= 0:
            raise ValueError(f"the Zabbix evaluation interval must be positive, not {self.interval}")
        if not self.running:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="sandbox-zabbix-evaluator", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the pass in progress, if any."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.evaluate()
            except Exception:  # the next pass may well work: a failure must not end monitoring
                log.exception("a pass of the Zabbix emulator failed")

    def evaluate(self, now: float | None = None) -> list[dict[str, Any]]:
        """One pass at ``now`` (the store's clock by default): the alerts it sent (or failed to)."""
        with self._pass, self.app.app_context():
            store: Store = self.app.extensions["sandbox"].store
            moment = store.clock() if now is None else now
            with store.transaction():
                collect_values(store, moment)
                calls = check_triggers(store, moment)
            for alert_id, url, body in calls:
                sent, error = self.post(url, body)
                with store.transaction():
                    store.change(kind("alert"), alert_id, {"status": "1" if sent else "2", "error": error})
            return [find("alert", alert_id) for alert_id, _, _ in calls]


def post_json(url: str, body: dict) -> tuple[bool, str]:
    """POST ``body`` to ``url`` as the webhook script does: whether it was taken, and why not."""
    session = requests.Session()
    session.trust_env = False  # as the real server, started without proxy variables: loopback stays loopback
    try:
        response = session.post(url, json=body, timeout=10)
    except requests.RequestException as exc:
        return False, str(exc)
    finally:
        session.close()
    if 200 <= response.status_code < 300:
        return True, ""
    return False, f"the webhook answered HTTP {response.status_code}"


# -- item values --------------------------------------------------------------------------------

def collect_values(store: Store, now: float) -> None:
    """Give every item of an enabled host its value at ``now`` (calculated items last)."""
    hosts = {host["hostid"]: host for host in all_of("host", lambda body: body["status"] == "0")}
    servers = _servers(store)
    items = all_of("item", lambda body: body["hostid"] in hosts and body["status"] == "0")
    for item in sorted(items, key=lambda body: body["type"] == "15"):
        if item["type"] == "15":
            value = _calculated(item, now)
        else:
            source = VALUE_SOURCES.get(item["key_"])
            server = _server_of(hosts[item["hostid"]], servers)
            value = source(store, server, now) if source and server else None
        if value is not None:
            history = [entry for entry in item["_history"] if entry[0] > now - HISTORY_SECONDS]
            store.change(kind("item"), item["id"], {"_history": [*history, [now, value]][-HISTORY_VALUES:],
                                                     "lastvalue": _shown(value), "lastclock": str(int(now))})


def _servers(store: Store) -> dict[str, dict[str, Any]]:
    """Sandbox servers by each of their addresses and by name."""
    servers = {server["id"]: server for server in store.list("server")}
    found = {server["name"]: server for server in servers.values()}
    for port in store.list("port", where=lambda body: body.get("device_id") in servers):
        for address in port.get("fixed_ips") or []:
            found[address["ip_address"]] = servers[port["device_id"]]
    return found


def _server_of(host: dict[str, Any], servers: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    for interface in host["_interfaces"]:
        if interface["ip"] in servers:
            return servers[interface["ip"]]
    return servers.get(host["host"])


def _calculated(item: dict[str, Any], now: float) -> float | None:
    try:
        return evaluate(parse(item["params"]), StoreHistory(now))
    except (ExpressionError, ZeroDivisionError):
        return None


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4f}"


class StoreHistory:
    """The items' history as expressions read it (``expressions.History``)."""

    def __init__(self, now: float):
        self.now = now
        self._hosts = {host["host"]: host for host in all_of("host", lambda body: body["status"] == "0")}

    def values(self, host: str, key: str) -> list[tuple[float, float]] | None:
        found = self._hosts.get(host)
        items = all_of("item", lambda body: found is not None and body["hostid"] == found["hostid"]
                       and body["key_"] == key) if found else []
        return [(clock, value) for clock, value in items[0]["_history"]] if items else None

    def group_hosts(self, group: str) -> list[str]:
        groups = all_of("hostgroup", lambda body: body["name"] == group)
        return [name for name, host in self._hosts.items() if groups and groups[0]["groupid"] in host["_groups"]]


# -- triggers and actions -----------------------------------------------------------------------

def check_triggers(store: Store, now: float) -> list[tuple[str, str, dict]]:
    """Evaluate every enabled trigger; the webhook calls (alert id, URL, body) that state changes start."""
    history, calls = StoreHistory(now), []
    for trigger in all_of("trigger", lambda body: body["status"] == "0"):
        problem = _holds(trigger["expression"], history)
        if problem is None:
            continue
        if trigger["value"] == "1" and trigger["recovery_mode"] == "1":
            recovered = _holds(trigger["recovery_expression"], history)
            problem = not recovered if recovered is not None else True
        value = "1" if problem else "0"
        if value != trigger["value"]:
            event = next_id("event")
            trigger = store.change(kind("trigger"), trigger["id"], {"value": value, "lastchange": str(int(now)),
                                                                     "_event": event})
            calls += _started(store, trigger, now) if problem else _recovered(store, trigger, now)
        elif problem:
            calls += _escalated(store, trigger, now)
    return calls


def _holds(expression: str, history: StoreHistory) -> bool | None:
    try:
        result = evaluate(parse(expression), history)
    except (ExpressionError, ZeroDivisionError):
        return None
    return None if result is None else bool(result)


def _watching(trigger: dict[str, Any]) -> list[dict[str, Any]]:
    """The enabled trigger actions whose conditions this trigger meets."""
    def meets(action: dict[str, Any]) -> bool:
        conditions = [condition for condition in action["_filter"]["conditions"] if condition["conditiontype"] == "2"]
        return not conditions or any((condition["value"] == trigger["triggerid"]) == (condition["operator"] == "0")
                                     for condition in conditions)

    return all_of("action", lambda body: body["status"] == "0" and body["eventsource"] == "0" and meets(body))


def _started(store: Store, trigger: dict[str, Any], now: float) -> list[tuple[str, str, dict]]:
    calls, escalations = [], {}
    for action in _watching(trigger):
        calls += _run(trigger, action, _due(action["_operations"], 1), now)
        escalations[action["actionid"]] = {"step": 1, "next": now + _seconds(action["esc_period"])}
    store.change(kind("trigger"), trigger["id"], {"_escalations": escalations or None})
    return calls


def _escalated(store: Store, trigger: dict[str, Any], now: float) -> list[tuple[str, str, dict]]:
    calls, escalations = [], dict(trigger.get("_escalations") or {})
    for action_id, escalation in list(escalations.items()):
        action = store.get(kind("action"), action_id)
        if action is None or action["status"] != "0" or now < escalation["next"]:
            continue
        step = escalation["step"] + 1
        due = _due(action["_operations"], step)
        calls += _run(trigger, action, due, now)
        escalations[action_id] = {"step": step, "next": now + _seconds(action["esc_period"])}
    if escalations != trigger.get("_escalations"):
        store.change(kind("trigger"), trigger["id"], {"_escalations": escalations or None})
    return calls


def _recovered(store: Store, trigger: dict[str, Any], now: float) -> list[tuple[str, str, dict]]:
    calls = []
    for action_id in trigger.get("_escalations") or {}:
        action = store.get(kind("action"), action_id)
        if action is not None and action["status"] == "0":
            calls += _run(trigger, action, action["_recovery_operations"], now)
    store.change(kind("trigger"), trigger["id"], {"_escalations": None})
    return calls


def _due(operations: list[dict[str, Any]], step: int) -> list[dict[str, Any]]:
    """The operations of escalation step ``step`` (``esc_step_to`` 0: every step from ``esc_step_from`` on)."""
    return [operation for operation in operations if int(operation.get("esc_step_from", 1)) <= step
            and (operation.get("esc_step_to") == "0" or step <= int(operation.get("esc_step_to", 1)))]


def _run(trigger: dict[str, Any], action: dict[str, Any], operations: list[dict[str, Any]],
         now: float) -> list[tuple[str, str, dict]]:
    """Record an alert per remote command; the webhook calls to make for those of webhook scripts."""
    calls = []
    macros = _macros(trigger)
    for operation in operations:
        if operation["operationtype"] != "1":
            continue
        script = find("script", operation["opcommand"]["scriptid"])
        parameters = {entry["name"]: _expanded(entry["value"], macros) for entry in script["parameters"]}
        url = parameters.pop("url", "")
        runnable = script["type"] == "5" and url
        alert = add("alert", {"actionid": action["actionid"], "eventid": trigger["_event"], "clock": str(int(now)),
                              "message": f"{macros['{HOST.HOST}']}:{script['name']}",
                              "status": "0" if runnable else "2", "alerttype": "1", "error": "" if runnable else
                              "the sandbox runs only webhook scripts (type 5) with a url parameter",
                              "sendto": "", "subject": "", "retries": "0", "mediatypeid": "0", "userid": "0"})
        if runnable:
            calls.append((alert["alertid"], url, parameters))
    return calls


def _macros(trigger: dict[str, Any]) -> dict[str, str]:
    item = find("item", trigger["_items"][0]) if trigger["_items"] else {}
    host = find("host", trigger["_hosts"][0]) if trigger["_hosts"] else {}
    problem = trigger["value"] == "1"
    return {"{TRIGGER.NAME}": trigger["description"], "{TRIGGER.ID}": trigger["triggerid"],
            "{TRIGGER.STATUS}": "PROBLEM" if problem else "OK", "{TRIGGER.VALUE}": trigger["value"],
            "{TRIGGER.SEVERITY}": SEVERITIES[int(trigger["priority"])], "{EVENT.ID}": trigger["_event"],
            "{HOST.HOST}": host.get("host", ""), "{HOST.NAME}": host.get("name", ""),
            "{ITEM.KEY}": item.get("key_", ""), "{ITEM.LASTVALUE}": item.get("lastvalue", ""),
            "{ITEM.VALUE}": item.get("lastvalue", "")}


def _expanded(value: str, macros: dict[str, str]) -> str:
    for macro, replacement in macros.items():
        value = value.replace(macro, replacement)
    return value


def _seconds(period: str) -> float:
    """``60s``, ``1m``, ``1h`` or ``3600`` in seconds."""
    period = period.strip()
    if period and period[-1] in TIME_UNITS:
        return float(period[:-1]) * TIME_UNITS[period[-1]]
    return float(period or 0)
