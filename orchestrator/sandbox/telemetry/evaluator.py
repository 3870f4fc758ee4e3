"""Alarm evaluation with Aodh's semantics: statistics, the state an alarm goes to, and what to notify.

For each enabled alarm, the last ``evaluation_periods`` values of its
statistic are compared with the threshold: all of them beyond it → ``alarm``,
none → ``ok``, a mix → no change (but the newest value decides for an alarm
still in ``insufficient data``, or for one with ``repeat_actions``); fewer
values than periods → ``insufficient data``.  Actions are notified when the
state changes, or at every evaluation with ``repeat_actions``, with Aodh's
webhook body and reason texts.  Time constraints are kept but not evaluated.

``evaluate_all(store, now)`` does one pass and returns the notifications to
deliver (``notifier.deliver``): deciding is kept apart from delivering, so a
pass can be checked without a listener.
"""

from __future__ import annotations

import json
import logging
import operator
from dataclasses import dataclass, field
from typing import Any, Callable

from ..store import Store
from .aggregation import aggregate
from .alarms import ALARM, add_history, history_entry
from .measures import aggregated, measures_of, raw_series
from .resources import (RESOURCE_TYPES, all_resources, attributes_of, find_metric, find_resource, metrics_of,
                        resource_id_of)
from .search import SearchError, compile_filter, legacy_matches
from .times import aodh_time

log = logging.getLogger(__name__)

UNKNOWN, OK, ALARMED = "insufficient data", "ok", "alarm"
COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt, "lt": operator.lt, "ge": operator.ge, "le": operator.le, "eq": operator.eq, "ne": operator.ne}
#: the action list notified on entering each state
ACTIONS = {ALARMED: "alarm_actions", OK: "ok_actions", UNKNOWN: "insufficient_data_actions"}
#: Ceilometer's statistics as Gnocchi aggregation methods
STATISTICS = {"avg": "mean", "max": "max", "min": "min", "sum": "sum", "count": "count"}


@dataclass(frozen=True)
class Notification:
    """One webhook to call: the action URL and Aodh's body."""

    alarm_id: str
    url: str
    body: dict[str, Any]


class InsufficientData(Exception):
    """No verdict: too few values (or none could be read); ``values`` holds what there was."""

    def __init__(self, reason: str, values: list[float] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.values = values or []


# -- statistics, per alarm type --------------------------------------------------------------------

def _window(rule: dict[str, Any], step: float, now: float) -> float:
    """The start of what an evaluation reads: one period more than it compares (Aodh's look-back)."""
    return now - step * (rule["evaluation_periods"] + 1)


def _last(points: list[tuple[float, float]], rule: dict[str, Any]) -> list[float]:
    if not points:
        raise InsufficientData(f"No datapoint for granularity {rule['granularity']}")
    return [value for _, value in points][-rule["evaluation_periods"]:]


def _by_resources(store: Store, alarm: dict[str, Any], rule: dict[str, Any], now: float) -> list[float]:
    resource_type = rule["resource_type"]
    if resource_type not in RESOURCE_TYPES:
        raise InsufficientData(f"alarm statistics retrieval failed: Resource type {resource_type} does not exist")
    try:
        matches = compile_filter(json.loads(rule["query"]), attributes_of(resource_type))
    except (SearchError, ValueError) as exc:
        raise InsufficientData(f"alarm statistics retrieval failed: {exc}") from None
    metrics = [metrics_of(store, resource).get(rule["metric"])
               for resource in all_resources(store, resource_type) if matches(resource)]
    metrics = [metric for metric in metrics if metric is not None]
    if not metrics:
        raise InsufficientData(f"metric {rule['metric']} does not exists")
    method, granularity = rule["aggregation_method"], rule["granularity"]
    return _last(aggregated(store, metrics, method, method.removeprefix("rate:"), granularity,
                            _window(rule, granularity, now), now), rule)


def _of_resource(store: Store, alarm: dict[str, Any], rule: dict[str, Any], now: float) -> list[float]:
    resource = find_resource(store, resource_id_of(rule["resource_id"]), rule["resource_type"])
    if resource is None:
        raise InsufficientData(f"resource {rule['resource_id']} does not exists")
    metric = metrics_of(store, resource).get(rule["metric"])
    if metric is None:
        raise InsufficientData(f"metric {rule['metric']} for resource {rule['resource_id']} does not exists")
    granularity = rule["granularity"]
    return _last(measures_of(store, metric, rule["aggregation_method"], granularity,
                             _window(rule, granularity, now), now), rule)


def _by_metrics(store: Store, alarm: dict[str, Any], rule: dict[str, Any], now: float) -> list[float]:
    metrics = [find_metric(store, metric_id) for metric_id in rule["metrics"]]
    if any(metric is None for metric in metrics):
        raise InsufficientData(f"At least of metrics in {rule['metrics']} does not exist")
    method, granularity = rule["aggregation_method"], rule["granularity"]
    return _last(aggregated(store, metrics, method, method.removeprefix("rate:"), granularity,  # type: ignore
                            _window(rule, granularity, now), now), rule)


def _legacy(store: Store, alarm: dict[str, Any], rule: dict[str, Any], now: float) -> list[float]:
    """Ceilometer's statistics: one statistic over every sample of every matching resource, per period."""
    period, start = rule["period"], _window(rule, rule["period"], now)
    samples = []
    for resource in all_resources(store):
        described = {**resource, "metadata": resource.get("_metadata") or {}}
        if resource.get("project_id") != alarm["project_id"] or not legacy_matches(described, rule["query"]):
            continue
        metric = metrics_of(store, resource).get(rule["meter_name"])
        if metric is not None:
            samples += raw_series(store, metric, period, start, now)
    points = aggregate(samples, STATISTICS[rule["statistic"]], period, start, now)
    return [value for _, value in points][-rule["evaluation_periods"]:]


STATISTIC_READERS: dict[str, Callable[[Store, dict[str, Any], dict[str, Any], float], list[float]]] = {
    "threshold": _legacy,
    "gnocchi_resources_threshold": _of_resource,
    "gnocchi_aggregation_by_metrics_threshold": _by_metrics,
    "gnocchi_aggregation_by_resources_threshold": _by_resources,
}


# -- the state machine -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """What one evaluation found: a clear state, or the newest value's trend, or no verdict."""

    values: list[float]
    state: str | None = None
    trend: str | None = None
    outside: int = 0
    unknown_reason: str = ""


@dataclass
class Refresh:
    """A state to record, with Aodh's reason, and whether to notify."""

    state: str
    reason: str
    reason_data: dict[str, Any] = field(default_factory=dict)


def judge(alarm: dict[str, Any], store: Store, now: float) -> Verdict:
    """Read the alarm's statistics and compare them with its threshold."""
    rule = alarm[f"{alarm['type']}_rule"]
    try:
        values = STATISTIC_READERS[alarm["type"]](store, alarm, rule, now)
        if len(values) < rule["evaluation_periods"]:
            raise InsufficientData(f"{rule['evaluation_periods']} datapoints are unknown", values)
    except InsufficientData as exc:
        return Verdict(exc.values, state=UNKNOWN, unknown_reason=exc.reason)
    compare = COMPARATORS[rule["comparison_operator"]]
    beyond = [compare(value, rule["threshold"]) for value in values]
    outside = sum(beyond)
    if all(beyond) or not any(beyond):
        return Verdict(values, state=ALARMED if all(beyond) else OK, outside=outside)
    return Verdict(values, trend=ALARMED if beyond[-1] else OK, outside=outside)


def _reason(alarm: dict[str, Any], verdict: Verdict, state: str) -> Refresh:
    count = len(verdict.values) - verdict.outside if state == OK else verdict.outside
    disposition = "inside" if state == OK else "outside"
    newest = verdict.values[-1] if verdict.values else None
    lead = f"Transition to {state}" if alarm["state"] != state else f"Remaining as {state}"
    return Refresh(state, f"{lead} due to {count} samples {disposition} threshold, most recent: {newest}",
                   {"type": "threshold", "disposition": disposition, "count": count, "most_recent": newest})


def decide(alarm: dict[str, Any], verdict: Verdict) -> Refresh | None:
    """The state to record after an evaluation (``None``: nothing to record or notify)."""
    unknown, repeat = alarm["state"] == UNKNOWN, bool(alarm.get("repeat_actions"))
    if verdict.trend is not None:
        if unknown or repeat:
            return _reason(alarm, verdict, verdict.trend if unknown else alarm["state"])
        return None
    if verdict.state == UNKNOWN and not unknown:
        newest = verdict.values[-1] if verdict.values else None
        periods = alarm[f"{alarm['type']}_rule"]["evaluation_periods"]
        return Refresh(UNKNOWN, verdict.unknown_reason, {"type": "threshold", "disposition": "unknown",
                                                         "count": periods, "most_recent": newest})
    if verdict.state is not None and (alarm["state"] != verdict.state or repeat):
        return _reason(alarm, verdict, verdict.state)
    return None


def _notifications(alarm: dict[str, Any], previous: str, refresh: Refresh) -> list[Notification]:
    body = {"alarm_name": alarm["name"], "alarm_id": alarm["alarm_id"], "severity": alarm.get("severity"),
            "previous": previous, "current": refresh.state, "reason": refresh.reason,
            "reason_data": refresh.reason_data}
    return [Notification(alarm["alarm_id"], url, body) for url in alarm.get(ACTIONS[refresh.state]) or []]


def evaluate_alarm(store: Store, alarm_id: str, now: float) -> list[Notification]:
    """Evaluate one alarm as of ``now``: record what changed; the notifications to deliver."""
    alarm = store.get(ALARM, alarm_id)
    if alarm is None or not alarm.get("enabled", True):
        return []
    verdict = judge(alarm, store, now)
    with store.transaction():
        alarm = store.get(ALARM, alarm_id)  # as it is now: a PUT may have come while the statistics were read
        if alarm is None or not alarm.get("enabled", True):
            return []
        refresh = decide(alarm, verdict)
        changes: dict[str, Any] = {"evaluate_timestamp": aodh_time(now)}
        if refresh is None:
            store.change(ALARM, alarm_id, changes)
            return []
        previous = alarm["state"]
        if refresh.state != previous:
            changes.update(state=refresh.state, state_reason=refresh.reason, state_timestamp=aodh_time(now))
        store.change(ALARM, alarm_id, changes)
        if refresh.state != previous:
            add_history(store, alarm_id, history_entry(
                {**alarm, **changes}, "state transition", {"state": refresh.state,
                                                           "transition_reason": refresh.reason},
                now, None, None))
    return _notifications(alarm, previous, refresh)


def evaluate_all(store: Store, now: float) -> list[Notification]:
    """One evaluation pass over every enabled alarm; the notifications to deliver, in order."""
    notifications: list[Notification] = []
    for alarm in store.list(ALARM, where=lambda found: found.get("enabled", True)):
        try:
            notifications += evaluate_alarm(store, alarm["id"], now)
        except Exception:  # one broken alarm must not stop the others' evaluation
            log.exception("evaluating alarm %s failed", alarm["id"])
    return notifications
