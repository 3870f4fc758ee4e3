"""Gnocchi's dynamic aggregates (``POST /v1/aggregates``): the operations Aodh's evaluators send.

Operations are a list (or Gnocchi's text form ``(aggregate mean (metric cpu mean))``):

* ``["metric", NAME_OR_ID, METHOD]`` or ``["metric", [[NAME_OR_ID, METHOD], …]]``: series of metrics;
  with a ``search`` (and ``resource_type``) a name picks that metric of every
  matching resource, without one an id picks that metric;
* ``["aggregate", METHOD, OPERATION…]``: those series made one, period by
  period (``rate:`` methods take each series' rates first).
"""

from __future__ import annotations

import re
from typing import Any

from ..service import BadRequest, NotFound, body_of, reply, store
from .aggregation import UnknownAggregation, across, method_parts
from .measures import measures_of, points_view
from .metric import blueprint, caller_scope, number_argument, time_argument, visible_resources
from .resources import RESOURCE_TYPES, Metric, attributes_of, find_metric, metrics_of
from .search import SearchError, compile_filter

_TOKEN = re.compile(r"\(|\)|\"[^\"]*\"|[^\s()]+")


def parse_operations(text: str) -> Any:
    """Gnocchi's text form of operations as nested lists."""
    stack: list[list[Any]] = [[]]
    for token in _TOKEN.findall(text):
        if token == "(":
            stack.append([])
        elif token == ")":
            if len(stack) == 1:
                raise BadRequest("Invalid operations: unbalanced parentheses")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(token.strip('"'))
    if len(stack) != 1 or len(stack[0]) != 1:
        raise BadRequest("Invalid operations: expected one operation")
    return stack[0][0]


class _Window:
    """What every series of one request shares: granularity, start, stop."""

    def __init__(self, granularity: float, start: float | None, stop: float | None):
        self.granularity, self.start, self.stop = granularity, start, stop


def _references(operation: list[Any]) -> list[tuple[str, str]]:
    if len(operation) == 3 and isinstance(operation[1], str):
        return [(operation[1], str(operation[2]))]
    if len(operation) == 2 and isinstance(operation[1], list) and all(
            isinstance(pair, list) and len(pair) == 2 for pair in operation[1]):
        return [(str(name), str(method)) for name, method in operation[1]]
    raise BadRequest(f"Invalid operations: {operation!r} is not a metric operation")


def _metrics(operation: list[Any], resources: list[dict[str, Any]] | None) -> list[tuple[str, Metric, str]]:
    """``(label, metric, method)`` for each series a ``metric`` operation names."""
    found = []
    for reference, method in _references(operation):
        if resources is None:
            metric = find_metric(store(), reference)
            scope = caller_scope()
            if metric is None or not (scope is None or scope in (metric.created_by_project_id, metric.project_id)):
                raise NotFound(f"Metrics not found: {reference}")
            found.append((metric.id, metric, method))
            continue
        for resource in resources:
            metric = metrics_of(store(), resource).get(reference)
            if metric is not None:
                found.append((resource["id"], metric, method))
    return found


def _series(label_metric_method: tuple[str, Metric, str], window: _Window) -> list[tuple[float, float]]:
    """A metric's series, from one period before the window (what a ``rate:`` needs to begin with)."""
    _, metric, method = label_metric_method
    wider = None if window.start is None else window.start - window.granularity
    return measures_of(store(), metric, method, window.granularity, wider, window.stop)


def _evaluate(operation: Any, resources: list[dict[str, Any]] | None, window: _Window) -> list[list[tuple]]:
    """The series an operation gives (an ``aggregate`` gives one)."""
    if not isinstance(operation, list) or not operation:
        raise BadRequest(f"Invalid operations: {operation!r}")
    kind = operation[0]
    if kind == "metric":
        return [_series(named, window) for named in _metrics(operation, resources)]
    if kind == "aggregate" and len(operation) >= 3 and isinstance(operation[1], str):
        series = [points for part in operation[2:] for points in _evaluate(part, resources, window)]
        return [across(series, operation[1])]
    raise BadRequest(f"Invalid operations: '{kind}' is not an operation the sandbox knows (metric, aggregate)")


def _windowed(points: list[tuple], window: _Window) -> list[list[Any]]:
    start = None if window.start is None else window.start - window.start % window.granularity
    return points_view([(moment, value) for moment, value in points if start is None or moment >= start],
                       window.granularity)


@blueprint.route("/v1/aggregates", methods=["POST"])
def aggregates():
    data = body_of()
    operations = data.get("operations")
    if isinstance(operations, str):
        operations = parse_operations(operations)
    granularity = number_argument("granularity")
    if granularity is None:
        raise BadRequest("Invalid input: the sandbox needs a granularity for aggregates")
    window = _Window(granularity, time_argument("start"), time_argument("stop"))
    resources = None
    if "search" in data or "resource_type" in data:
        resource_type = str(data.get("resource_type") or "generic")
        if resource_type not in RESOURCE_TYPES:
            raise NotFound(f"Resource type {resource_type} does not exist")
        try:
            matches = compile_filter(data.get("search"), attributes_of(resource_type))
        except SearchError as exc:
            raise BadRequest(str(exc)) from None
        resources = [resource for resource in visible_resources(resource_type) if matches(resource)]
    try:
        if isinstance(operations, list) and operations and operations[0] == "aggregate":
            method_parts(str(operations[1]))
            series = _evaluate(operations, resources, window)
            return reply({"measures": {"aggregated": _windowed(series[0], window)}})
        named = _metrics(operations if isinstance(operations, list) else [], resources)
        measures: dict[str, Any] = {}
        for label, metric, method in named:
            points = _windowed(_series((label, metric, method), window), window)
            if resources is None:
                measures.setdefault(label, {})[method] = points
            else:
                measures.setdefault(label, {}).setdefault(metric.name, {})[method] = points
        return reply({"measures": measures})
    except UnknownAggregation as exc:
        raise BadRequest(f"Invalid input: {exc}") from None

