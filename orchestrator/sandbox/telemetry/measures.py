"""Measures: those people post, and those a server's load gives, read together as one metric's series.

Posted measures are kept per metric (kind ``gnocchi_measures``, the newest
``MAX_MEASURES``).  A server's metric also has the samples its load gives
(``meters.server_samples``); in a period where measures were posted, the
posted ones stand instead of the computed sample, so a test can force a
value for a while and the load takes over again afterwards.
"""

from __future__ import annotations

import math
from typing import Any, Iterable

from ..store import Store
from .aggregation import Point, aggregate, across, period_of
from .meters import server_samples
from .resources import Metric
from .times import gnocchi_time, parse_time

MEASURES = "gnocchi_measures"
#: measures kept per metric (the oldest go first)
MAX_MEASURES = 10_000


class MeasuresError(ValueError):
    """Measures a client sent that cannot be read."""


def parse_measures(body: Any, now: float) -> list[Point]:
    """``[{"timestamp", "value"}, …]`` as ``(epoch, value)`` pairs; ``MeasuresError`` says which item is wrong."""
    if not isinstance(body, list):
        raise MeasuresError("Invalid input: expected a list of measures")
    points = []
    for index, item in enumerate(body):
        if not isinstance(item, dict) or "timestamp" not in item or "value" not in item:
            raise MeasuresError(f"Invalid input: measure {index} needs a timestamp and a value")
        try:
            moment = parse_time(item["timestamp"], now)
        except ValueError as exc:
            raise MeasuresError(f"Invalid input: measure {index}: {exc}") from None
        value = item["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise MeasuresError(f"Invalid input: measure {index}: the value {value!r} is not a number")
        points.append((moment, float(value)))
    return points


def add_measures(store: Store, metric_id: str, points: Iterable[Point]) -> None:
    """Keep ``points`` for the metric."""
    with store.transaction():
        stored = store.get(MEASURES, metric_id)
        merged = sorted([tuple(point) for point in (stored or {}).get("points", [])] + list(points))[-MAX_MEASURES:]
        if stored is None:
            store.add(MEASURES, {"id": metric_id, "points": merged})
        else:
            store.change(MEASURES, metric_id, {"points": merged})


def forget_measures(store: Store, metric_id: str) -> None:
    """Drop a deleted metric's measures."""
    store.remove(MEASURES, metric_id)


def posted(store: Store, metric_id: str) -> list[Point]:
    """The measures posted for a metric, oldest first."""
    return [(float(moment), float(value)) for moment, value in (store.get(MEASURES, metric_id) or {}).get("points", [])]


def raw_series(store: Store, metric: Metric, granularity: float, start: float | None,
               stop: float | None) -> list[Point]:
    """The metric's measures as Gnocchi would aggregate them: posted ones, and a server's computed samples.

    A server is sampled up to ``stop`` or now, whichever comes first; a
    computed sample is left out of a period that has posted measures.
    """
    given = posted(store, metric.id)
    if metric.server is None:
        return given
    until = store.clock() if stop is None else min(stop, store.clock())
    taken = {period_of(moment, granularity) for moment, _ in given}
    computed = [(moment, value) for moment, value in
                server_samples(store, metric.server, metric.name, granularity, start, until)
                if period_of(moment, granularity) not in taken]
    return sorted(given + computed)


def measures_of(store: Store, metric: Metric, method: str, granularity: float, start: float | None,
                stop: float | None) -> list[Point]:
    """One value per period of one metric, with ``method``."""
    return aggregate(raw_series(store, metric, granularity, start, stop), method, granularity, start, stop)


def aggregated(store: Store, metrics: Iterable[Metric], outer: str, inner: str, granularity: float,
               start: float | None, stop: float | None) -> list[Point]:
    """Several metrics as one series: each reduced with ``inner`` per period, then across with ``outer``.

    A ``rate:`` outer method needs the period before the window in each
    series, so the window is widened by one period for the inner step.
    """
    wider = None if start is None else start - granularity
    series = [measures_of(store, metric, inner, granularity, wider, stop) for metric in metrics]
    window_start = None if start is None else period_of(start, granularity)
    return [(moment, value) for moment, value in across(series, outer)
            if window_start is None or moment >= window_start]


def points_view(points: Iterable[Point], granularity: float) -> list[list[Any]]:
    """Points as Gnocchi lists them: ``[timestamp, granularity, value]``."""
    return [[gnocchi_time(moment), float(granularity), value] for moment, value in points]
