"""Aodh alarms: what every OS::Aodh::* type shares (``BaseAlarm``), and OS::Aodh::Alarm (threshold).

An alarm is made in the cloud's Aodh in one request (Aodh creates
synchronously, so creation is complete at once); its physical id is Aodh's
alarm id.  Every property but the meter's name (and time constraints, as in
Heat) changes in place: Aodh's PUT takes the whole alarm, so an update reads
the alarm, changes what the template changed and writes it back, as
aodhclient does.  Suspend and resume turn ``enabled`` off and on.

An action that names a resource of the stack (``alarm_actions:
[scaleup_policy]``) stands for that resource's ``alarm_url``, as in Heat.

OS::Aodh::Alarm is Aodh's legacy ``threshold`` type, which Aodh removed in
2018 (Heat marks the type deprecated): the sandbox still evaluates it, a
real Aodh since Queens refuses it and the resource fails saying so.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar, Iterable, Mapping

from resources.base import Resource
from resources.errors import ResourceFailure
from resources.implicit_dependencies import StackResource, StackResources
from resources.schema import AllowedValues, Attribute, Boolean, Integer, List, Map, Number, Range, String

from .aodh import Aodh, AodhError

OPERATORS = AllowedValues(("le", "ge", "eq", "lt", "gt", "ne"))
ACTION_LISTS = ("alarm_actions", "ok_actions", "insufficient_data_actions")
#: each action list and the Zaqar queues that add to it
QUEUE_LISTS = {"alarm_actions": "alarm_queues", "ok_actions": "ok_queues",
               "insufficient_data_actions": "insufficient_data_queues"}


def _queues(what: str) -> Any:
    return List(f"A list of Zaqar queues to post to when state transitions to {what}.", default=[],
                update_allowed=True, schema=String())


#: what every alarm type takes (Heat's ``alarm_base.common_properties_schema``)
COMMON_PROPERTIES = {
    "description": String("Description for the alarm.", update_allowed=True),
    "enabled": Boolean("True if alarm evaluation/actioning is enabled.", default=True, update_allowed=True),
    "alarm_actions": List("A list of URLs (webhooks) to invoke when state transitions to alarm.",
                          update_allowed=True),
    "ok_actions": List("A list of URLs (webhooks) to invoke when state transitions to ok.", update_allowed=True),
    "insufficient_data_actions": List("A list of URLs (webhooks) to invoke when state transitions to "
                                      "insufficient-data.", update_allowed=True),
    "alarm_queues": _queues("alarm"), "ok_queues": _queues("ok"),
    "insufficient_data_queues": _queues("insufficient-data"),
    "repeat_actions": Boolean("False to trigger actions when the threshold is reached AND the alarm's state has "
                              "changed. By default, actions are called each time the threshold is reached.",
                              default=True, update_allowed=True),
    "severity": String("Severity of the alarm.", default="low", update_allowed=True,
                       constraints=(AllowedValues(("low", "moderate", "critical")),)),
    "time_constraints": List(
        "Describe time constraints for the alarm. Only evaluate the alarm if the time at evaluation is within this "
        "time constraint. Start point(s) of the constraint are specified with a cron expression, whereas its "
        "duration is given in seconds.", default=[], schema=Map(schema={
            "name": String("Name for the time constraint.", required=True),
            "start": String("Start time for the time constraint. A CRON expression property.", required=True),
            "description": String("Description for the time constraint."),
            "duration": Integer("Duration for the time constraint.", required=True, constraints=(Range(min=0),)),
            "timezone": String("Timezone for the time constraint (eg. 'Asia/Taipei', 'Europe/Amsterdam')."),
        })),
}
#: the alarm's own fields among the common properties (the queues join the action lists)
ALARM_FIELDS = ("description", "enabled", "repeat_actions", "severity", "time_constraints") + ACTION_LISTS


class BaseAlarm(Resource):
    """An Aodh alarm of type ``alarm_type``, whose rule is made of the ``rule_properties``."""

    alarm_type: ClassVar[str] = ""
    rule_properties: ClassVar[tuple[str, ...]] = ()
    attributes_schema = {"show": Attribute("Detailed information about the alarm, as Aodh shows it.", "map")}

    @functools.cached_property
    def _aodh(self) -> Aodh:
        return Aodh(self.runtime.cloud())

    def _fail(self, doing: str, error: AodhError) -> ResourceFailure:
        return ResourceFailure(f"Aodh refused to {doing} the alarm: {error}")

    # -- what Aodh is sent ------------------------------------------------------------------

    def rule(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """The alarm's rule (``<type>_rule``) from the properties; unset ones are left to Aodh's defaults."""
        return {name: properties[name] for name in self.rule_properties if properties.get(name) is not None}

    def _sibling_url(self, name: str) -> str | None:
        """The ``alarm_url`` of resource ``name`` of the stack, if an action names one (else ``None``)."""
        if "://" in name:
            return None  # a URL, not a name
        try:
            row = self.runtime.service("stack").resource(name)
        except LookupError:
            return None
        if row is None:
            return None
        for stored in (row.get("attributes") or {}, row.get("data") or {}):
            if stored.get("alarm_url"):
                return str(stored["alarm_url"])
        raise ResourceFailure(f"an action names resource {name} of the stack, whose alarm_url is not known yet: "
                              f"write {{get_attr: [{name}, alarm_url]}} instead")

    def actions(self, properties: Mapping[str, Any]) -> dict[str, list[str]]:
        """The three action lists: resource names made URLs, Zaqar queues added (as Heat does)."""
        lists = {}
        for key in ACTION_LISTS:
            urls = [self._sibling_url(str(action)) or str(action)
                    for action in properties.get(key) or [] if action]
            urls += [f"trust+zaqar://?queue_name={queue}" for queue in properties.get(QUEUE_LISTS[key]) or []]
            lists[key] = urls
        return lists

    def alarm_body(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """The alarm as Aodh takes it: type, common fields and the type's rule."""
        body: dict[str, Any] = {"type": self.alarm_type}
        body.update({key: properties[key] for key in ALARM_FIELDS if properties.get(key) is not None})
        body.update(self.actions(properties))
        body["time_constraints"] = [{key: value for key, value in constraint.items() if value is not None}
                                    for constraint in properties.get("time_constraints") or []]
        body[f"{self.alarm_type}_rule"] = self.rule(properties)
        return body

    # -- lifecycle ----------------------------------------------------------------------------

    def create(self) -> None:
        """Create the alarm in Aodh (named after the resource); its id is recorded at once."""
        body = {**self.alarm_body(self.properties), "name": self.runtime.physical_name()}
        try:
            alarm = self._aodh.create(body)
        except AodhError as exc:
            raise self._fail("create", exc) from None
        self.set_physical_id(alarm["alarm_id"])

    def _current(self) -> dict[str, Any]:
        try:
            alarm = self._aodh.get(self.physical_id) if self.physical_id else None
        except AodhError as exc:
            raise self._fail("read", exc) from None
        if alarm is None:
            raise ResourceFailure(f"The alarm {self.physical_id} no longer exists in Aodh")
        return alarm

    def _write(self, alarm: dict[str, Any], doing: str) -> None:
        try:
            self._aodh.replace(self.physical_id, alarm)  # type: ignore[arg-type]
        except AodhError as exc:
            raise self._fail(doing, exc) from None

    def update(self, properties: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        """Read the alarm, put the new values in (an unset one goes back to Aodh's default), write it back."""
        alarm = self._current()
        wanted = self.alarm_body(properties)
        rule_key = f"{self.alarm_type}_rule"
        rule = {key: value for key, value in (alarm.get(rule_key) or {}).items() if key not in self.rule_properties}
        merged = {key: value for key, value in alarm.items() if key not in ALARM_FIELDS}
        merged.update(wanted)
        merged[rule_key] = {**rule, **wanted[rule_key]}
        self._write(merged, "update")
        self.properties = dict(properties)

    def _enable(self, enabled: bool) -> None:
        if self.physical_id is None:
            return
        self._write({**self._current(), "enabled": enabled}, "resume" if enabled else "suspend")

    def suspend(self) -> None:
        """Stop the alarm's evaluation (``enabled: false``), as Heat does."""
        self._enable(False)

    def resume(self) -> None:
        """Evaluate the alarm again (``enabled: true``)."""
        self._enable(True)

    def check(self) -> None:
        """The alarm must still exist in Aodh."""
        self._current()

    def delete(self) -> None:
        """Delete the alarm (one already gone is fine)."""
        if self.physical_id is None:
            return
        try:
            self._aodh.delete(self.physical_id)
        except AodhError as exc:
            raise self._fail("delete", exc) from None

    def show(self) -> Any:
        """The alarm as Aodh shows it."""
        if self.physical_id is None:
            return None
        try:
            return self._aodh.get(self.physical_id)
        except AodhError:
            return None

    @classmethod
    def implicit_dependencies(cls, resource: StackResource, stack: StackResources) -> Iterable[str]:
        """The resources an action list names: their alarm URLs are needed first."""
        named = [action for key in ACTION_LISTS for action in resource.properties.get(key) or []]
        return [name for name in named if isinstance(name, str) and name != resource.name and stack.get(name)]


# -- OS::Aodh::Alarm ------------------------------------------------------------------------------

#: the meters Ceilometer takes from Nova, whose metadata query terms read ``user_metadata`` (Heat's list)
NOVA_METERS = frozenset((
    "instance", "memory", "memory.usage", "memory.resident", "cpu", "cpu_util", "vcpus",
    "disk.read.requests", "disk.read.requests.rate", "disk.write.requests", "disk.write.requests.rate",
    "disk.read.bytes", "disk.read.bytes.rate", "disk.write.bytes", "disk.write.bytes.rate",
    "disk.device.read.requests", "disk.device.read.requests.rate", "disk.device.write.requests",
    "disk.device.write.requests.rate", "disk.device.read.bytes", "disk.device.read.bytes.rate",
    "disk.device.write.bytes", "disk.device.write.bytes.rate", "disk.root.size", "disk.ephemeral.size",
    "network.incoming.bytes", "network.incoming.bytes.rate", "network.outgoing.bytes",
    "network.outgoing.bytes.rate", "network.incoming.packets", "network.incoming.packets.rate",
    "network.outgoing.packets", "network.outgoing.packets.rate"))
#: what a query term of OS::Aodh::Alarm may hold
QUERY_TERM = Map(schema={
    "field": String("Name of attribute to compare. Names of the form metadata.user_metadata.X or metadata.metering.X "
                    "are equivalent to what you can address through matching_metadata; the former for Nova meters, "
                    "the latter for all others."),
    "type": String("The type of the attribute.", default="string",
                   constraints=(AllowedValues(("integer", "float", "string", "boolean", "datetime")),)),
    "op": String("Comparison operator.", constraints=(OPERATORS,)),
    "value": String("String value with which to compare."),
})


class AodhAlarm(BaseAlarm):
    """A threshold alarm over Ceilometer samples (Aodh's legacy ``threshold`` type)."""

    type_name = "OS::Aodh::Alarm"
    description = ("An alarm on a Ceilometer meter's statistic (Aodh's legacy threshold type, deprecated: use "
                   "OS::Aodh::GnocchiAggregationByResourcesAlarm on clouds whose Aodh no longer has it).")
    alarm_type = "threshold"
    rule_properties = ("meter_name", "period", "evaluation_periods", "threshold", "statistic", "comparison_operator",
                       "query")
    properties_schema = {
        "comparison_operator": String("Operator used to compare specified statistic with threshold.",
                                      constraints=(OPERATORS,), update_allowed=True),
        "evaluation_periods": Integer("Number of periods to evaluate over.", update_allowed=True),
        "meter_name": String("Meter name watched by the alarm.", required=True),
        "period": Integer("Period (seconds) to evaluate over.", update_allowed=True),
        "statistic": String("Meter statistic to evaluate.", update_allowed=True,
                            constraints=(AllowedValues(("count", "avg", "sum", "min", "max")),)),
        "threshold": Number("Threshold to evaluate against.", required=True, update_allowed=True),
        "matching_metadata": Map("Meter should match this resource metadata (key=value) additionally to the "
                                 "meter_name.", default={}, update_allowed=True),
        "query": List("A list of query factors, each comparing a Sample attribute with a value. Implicitly "
                      "combined with matching_metadata, if any.", update_allowed=True, schema=QUERY_TERM),
        **COMMON_PROPERTIES,
    }

    def rule(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """The threshold rule, with ``matching_metadata`` made query terms on the samples' metadata."""
        rule = super().rule(properties)
        prefix = "user_metadata" if properties.get("meter_name") in NOVA_METERS else "metering"
        query = [{key: value for key, value in term.items() if value is not None}
                 for term in properties.get("query") or []]
        for key, value in (properties.get("matching_metadata") or {}).items():
            bare = key.removeprefix("metadata.")
            if bare.startswith(("metering.", "user_metadata.")):
                bare = bare.split(".", 1)[1]
            query.append({"field": f"metadata.{prefix}.{bare}", "op": "eq", "value": str(value)})
        rule["query"] = query
        return rule

    def _fail(self, doing: str, error: AodhError) -> ResourceFailure:
        if error.status == 400 and "threshold_rule" in str(error):
            return ResourceFailure(f"Aodh refused to {doing} the alarm: {error}. This cloud's Aodh has no legacy "
                                   "threshold alarms (Aodh removed them in 2018): use "
                                   "OS::Aodh::GnocchiAggregationByResourcesAlarm instead")
        return super()._fail(doing, error)
