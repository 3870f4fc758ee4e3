"""Aodh's alarms in the sandbox: the fields and rules each type takes, their checks and defaults, and history.

An alarm is a document of kind ``alarm`` holding what Aodh shows for it,
plus its history (``_history``, newest first).  ``RULES`` declares each
type's rule as data (the legacy ``threshold`` type, which Aodh dropped in
2018, is kept: the sandbox evaluates it over the servers' samples).  The
checks answer in Aodh's words, naming the field and the value refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..service import BadRequest
from ..store import Store, new_id
from .aggregation import METHODS
from .resources import RESOURCE_TYPES, attributes_of
from .search import SearchError, compile_filter
from .times import aodh_time

ALARM = "alarm"
STATES = ("ok", "alarm", "insufficient data")
SEVERITIES = ("low", "moderate", "critical")
OPERATORS = ("lt", "le", "eq", "ne", "ge", "gt")
#: the action URL schemes Aodh's notifiers take (the sandbox delivers http, https and log)
ACTION_SCHEMES = ("http", "https", "log", "test", "trust+http", "trust+https", "zaqar", "trust+zaqar")
REASON_NEW = "Not evaluated yet"
REASON_MANUAL = "Manually set via API"
#: history entries kept per alarm
MAX_HISTORY = 1000


@dataclass(frozen=True)
class Field:
    """One field of an alarm or of its rule: its kind, and what Aodh assumes when it is missing."""

    kind: str
    mandatory: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None


_COMPARISON = Field("text", default="eq", choices=OPERATORS)
_GNOCCHI_COMMON = {
    "comparison_operator": _COMPARISON, "threshold": Field("float", mandatory=True),
    "aggregation_method": Field("text", mandatory=True), "evaluation_periods": Field("int", default=1, minimum=1),
    "granularity": Field("int", default=60, minimum=1),
}

#: each alarm type's rule (the body key is ``<type>_rule``), in the order Aodh shows the fields
RULES: dict[str, dict[str, Field]] = {
    "threshold": {
        "meter_name": Field("text", mandatory=True), "evaluation_periods": Field("int", default=1, minimum=1),
        "period": Field("int", default=60, minimum=1), "statistic": Field(
            "text", default="avg", choices=("max", "min", "avg", "sum", "count")),
        "query": Field("query", default=[]), "comparison_operator": _COMPARISON,
        "threshold": Field("float", mandatory=True), "exclude_outliers": Field("bool", default=False),
    },
    "gnocchi_resources_threshold": {
        "metric": Field("text", mandatory=True), "resource_id": Field("text", mandatory=True),
        "resource_type": Field("text", mandatory=True), **_GNOCCHI_COMMON,
    },
    "gnocchi_aggregation_by_metrics_threshold": {"metrics": Field("texts", mandatory=True), **_GNOCCHI_COMMON},
    "gnocchi_aggregation_by_resources_threshold": {
        "metric": Field("text", mandatory=True), "query": Field("text", mandatory=True),
        "resource_type": Field("text", mandatory=True), **_GNOCCHI_COMMON,
    },
}

#: the alarm's own fields a client sets (the others are the service's)
FIELDS: dict[str, Field] = {
    "name": Field("text", mandatory=True), "description": Field("text"), "enabled": Field("bool", default=True),
    "ok_actions": Field("texts", default=[]), "alarm_actions": Field("texts", default=[]),
    "insufficient_data_actions": Field("texts", default=[]), "repeat_actions": Field("bool", default=False),
    "type": Field("text", mandatory=True, choices=tuple(RULES)), "time_constraints": Field("constraints", default=[]),
    "state": Field("text", default="insufficient data", choices=STATES),
    "severity": Field("text", default="low", choices=SEVERITIES),
}
#: fields a client may send but the service decides
SERVICE_FIELDS = ("alarm_id", "project_id", "user_id", "timestamp", "state_timestamp", "state_reason",
                  "evaluate_timestamp")
_KIND_NAMES = {"text": "unicode", "float": "float", "int": "int", "bool": "bool", "texts": "list",
               "query": "list", "constraints": "list"}


def invalid(field: str, value: Any, why: str) -> BadRequest:
    """Aodh's 400 for one field."""
    return BadRequest(f"Invalid input for field/attribute {field}. Value: '{value}'. {why}")


def _convert(name: str, field: Field, value: Any) -> Any:
    wrong = invalid(name, value, f"Wrong type. Expected '{_KIND_NAMES[field.kind]}', got '{type(value).__name__}'")
    if field.kind == "text":
        if not isinstance(value, str):
            raise wrong
    elif field.kind == "bool":
        if not isinstance(value, bool):
            raise invalid(name, value, f"Value not an unambiguous boolean: {value}")
    elif field.kind in ("float", "int"):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise wrong
        try:
            value = float(value) if field.kind == "float" else int(value)
        except ValueError:
            raise wrong from None
    elif field.kind == "texts":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise wrong
    elif field.kind in ("query", "constraints") and not (
            isinstance(value, list) and all(isinstance(item, dict) for item in value)):
        raise wrong
    if field.choices and value not in field.choices:
        raise invalid(name, value, f"Value should be one of: {', '.join(field.choices)}")
    if field.minimum is not None and value < field.minimum:
        raise invalid(name, value, f"Value should be greater or equal to {field.minimum}")
    return value


def _checked(data: dict[str, Any], schema: dict[str, Field], where: str,
             allowed: tuple[str, ...] = ()) -> dict[str, Any]:
    unknown = [key for key in data if key not in schema and key not in allowed]
    if unknown:
        raise BadRequest(f"Unknown attribute for argument {where}: {unknown[0]}")
    checked = {}
    for name, field in schema.items():
        value = data.get(name)
        if value is None:
            if field.mandatory:
                raise invalid(name, None, "Mandatory field missing.")
            checked[name] = json.loads(json.dumps(field.default))
        else:
            checked[name] = _convert(name, field, value)
    return checked


def _check_actions(alarm: dict[str, Any], limited: bool) -> None:
    """Known schemes only; ``log://`` and ``test://`` are an admin's (Aodh answers others 401)."""
    for key in ("ok_actions", "alarm_actions", "insufficient_data_actions"):
        unique = list(dict.fromkeys(alarm[key]))  # Aodh drops repeated actions
        for action in unique:
            scheme = urlsplit(action).scheme
            if scheme not in ACTION_SCHEMES:
                raise BadRequest(f"Unsupported action {action}")
            if limited and scheme in ("log", "test"):
                raise BadRequest(f"You are not authorized to create action: {action}", status=401)
        alarm[key] = unique


def _check_time_constraints(constraints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    checked = []
    schema = {"name": Field("text", mandatory=True), "description": Field("text"),
              "start": Field("text", mandatory=True), "duration": Field("int", mandatory=True, minimum=0),
              "timezone": Field("text", default="")}
    for constraint in constraints:
        item = _checked(constraint, schema, "time_constraints")
        if not 5 <= len(item["start"].split()) <= 6:
            raise invalid("start", item["start"], "Not a cron expression")
        if item["timezone"]:
            try:
                ZoneInfo(item["timezone"])
            except (ZoneInfoNotFoundError, ValueError):
                raise BadRequest(f"Timezone {item['timezone']} is not valid") from None
        item["description"] = item["description"] or (
            f"Time constraint at {item['start']} lasting for {item['duration']} seconds")
        checked.append(item)
    if len({item["name"] for item in checked}) < len(checked):
        raise BadRequest("Time constraint names must be unique for a given alarm.")
    return checked


def _check_search(rule: dict[str, Any]) -> None:
    """The query must be a Gnocchi filter on the attributes of an existing resource type (Aodh asks Gnocchi).

    Where Gnocchi refuses, Aodh passes its words on (an unknown attribute
    even makes Zed's Aodh answer 500); the sandbox says what is wrong.
    """
    try:
        query = json.loads(rule["query"])
    except ValueError:
        raise invalid("rule/query", rule["query"], "") from None
    if rule["resource_type"] not in RESOURCE_TYPES:
        raise BadRequest(f"Resource type {rule['resource_type']} does not exist")
    try:
        compile_filter(query, attributes_of(rule["resource_type"]))
    except SearchError as exc:
        raise BadRequest(f"Invalid query of resource type {rule['resource_type']}: {exc}") from None


def _default_description(alarm_type: str, rule: dict[str, Any]) -> str:
    if alarm_type == "threshold":
        return (f"Alarm when {rule['meter_name']} is {rule['comparison_operator']} a {rule['statistic']} of "
                f"{rule['threshold']} over {rule['period']} seconds")
    return f"{alarm_type} alarm rule"


def scoped_query(query: str, project_id: str, owner_project_id: str) -> str:
    """A Gnocchi query limited to what the project may aggregate, as Aodh rewrites it for a non-admin."""
    project_filter: dict[str, Any] = {"=": {"created_by_project_id": project_id}}
    if owner_project_id:
        project_filter = {"or": [project_filter, {"and": [{"=": {"created_by_project_id": owner_project_id}},
                                                          {"=": {"project_id": project_id}}]}]}
    return json.dumps({"and": [project_filter, json.loads(query)]})


def checked_alarm(data: dict[str, Any], scope_project: str | None, owner_project_id: str) -> dict[str, Any]:
    """The alarm a POST or PUT body describes, checked and completed; ``scope_project``: a non-admin's project."""
    alarm_type = data.get("type")
    rule_keys = {f"{name}_rule" for name in RULES}
    alarm = _checked(data, FIELDS, "data", tuple(rule_keys) + SERVICE_FIELDS)
    rule_key = f"{alarm_type}_rule"
    given = [key for key in rule_keys if data.get(key) is not None]
    if data.get(rule_key) is None:
        raise BadRequest(f"{rule_key} must be set for {alarm_type} type alarm")
    if len(given) > 1:
        raise BadRequest(f"{given[0]} and {given[1]} cannot be set at the same time")
    if not isinstance(data[rule_key], dict):
        raise invalid(rule_key, data[rule_key], "Wrong type. Expected 'dict'")
    rule = _checked(data[rule_key], RULES[alarm_type], f"data.{rule_key}")
    if "aggregation_method" in rule and rule["aggregation_method"] not in METHODS:
        raise BadRequest(f"aggregation_method should be in {list(METHODS)} not {rule['aggregation_method']}")
    if alarm_type == "gnocchi_aggregation_by_resources_threshold":
        _check_search(rule)
        if scope_project is not None:
            rule["query"] = scoped_query(rule["query"], scope_project, owner_project_id)
    for term in rule.get("query") if alarm_type == "threshold" else ():
        term.setdefault("type", "")
        if term.get("op") is not None and term["op"] not in OPERATORS:
            raise invalid("op", term["op"], f"Value should be one of: {', '.join(OPERATORS)}")
    _check_actions(alarm, limited=scope_project is not None)
    alarm["time_constraints"] = _check_time_constraints(alarm["time_constraints"])
    alarm["description"] = alarm["description"] or _default_description(alarm_type, rule)
    alarm[rule_key] = rule
    return alarm


# -- stored alarms -------------------------------------------------------------------------------

ORDER = ("alarm_id", "name", "description", "enabled", "ok_actions", "alarm_actions", "insufficient_data_actions",
         "repeat_actions", "type", "time_constraints", "project_id", "user_id", "timestamp", "state",
         "state_timestamp", "state_reason", "severity", "evaluate_timestamp")


def alarm_view(alarm: dict[str, Any]) -> dict[str, Any]:
    """An alarm as Aodh shows it."""
    rule_key = f"{alarm['type']}_rule"
    return {**{key: alarm.get(key) for key in ORDER}, rule_key: alarm.get(rule_key)}


def history_entry(alarm: dict[str, Any], change: str, detail: dict[str, Any], moment: float,
                  user_id: str | None, project_id: str | None) -> dict[str, Any]:
    """One entry of an alarm's history (``detail`` is kept as Aodh keeps it: JSON text)."""
    return {"event_id": new_id(), "alarm_id": alarm["alarm_id"], "type": change, "detail": json.dumps(detail),
            "project_id": project_id, "user_id": user_id, "on_behalf_of": alarm.get("project_id"),
            "timestamp": aodh_time(moment), "severity": alarm.get("severity")}


def add_history(store: Store, alarm_id: str, entry: dict[str, Any]) -> None:
    """Put an entry at the top of an alarm's history (nothing happens when the alarm is gone)."""
    with store.transaction():
        alarm = store.get(ALARM, alarm_id)
        if alarm is not None:
            store.change(ALARM, alarm_id, {"_history": ([entry] + alarm.get("_history", []))[:MAX_HISTORY]})


def new_alarm(checked: dict[str, Any], moment: float, user_id: str, project_id: str) -> dict[str, Any]:
    """A checked alarm as first stored: a new id, the caller's, not yet evaluated."""
    stamp = aodh_time(moment)
    alarm_id = new_id()
    alarm = {**checked, "alarm_id": alarm_id, "id": alarm_id, "project_id": project_id, "user_id": user_id,
             "timestamp": stamp, "state_timestamp": stamp, "state_reason": REASON_NEW, "evaluate_timestamp": stamp}
    detail = {key: value for key, value in alarm_view(alarm).items() if not key.endswith("_rule")}
    detail["rule"] = checked[f"{checked['type']}_rule"]
    alarm["_history"] = [history_entry(alarm, "creation", detail, moment, user_id, project_id)]
    return alarm
