"""Gnocchi's aggregation: raw measures into one value per period, and series into one across resources.

A method is a name from ``AGGREGATES`` (``mean``, ``max``, ``95pct``, …),
optionally prefixed with ``rate:``, which first turns the measures into the
differences between each one and the one before it (the first measure has
none and is dropped), as Gnocchi does.  Periods are aligned on multiples of
the granularity and named by their start.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Callable, Iterable, Sequence

Point = tuple[float, float]
RATE = "rate:"


def _percentile(rank: int) -> Callable[[Sequence[float]], float]:
    def pick(values: Sequence[float]) -> float:
        ordered = sorted(values)
        # linear interpolation between closest ranks, as numpy's default percentile
        position = (len(ordered) - 1) * rank / 100.0
        low, high = math.floor(position), math.ceil(position)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
    return pick


def _std(values: Sequence[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


AGGREGATES: dict[str, Callable[[Sequence[float]], float | None]] = {
    "mean": statistics.fmean, "sum": math.fsum, "min": min, "max": max, "count": lambda values: float(len(values)),
    "first": lambda values: values[0], "last": lambda values: values[-1], "median": statistics.median, "std": _std,
    **{f"{rank}pct": _percentile(rank) for rank in range(1, 100)},
}

#: every method a client may ask for (Gnocchi's ``/v1/capabilities``)
METHODS: tuple[str, ...] = tuple(AGGREGATES) + tuple(RATE + name for name in AGGREGATES)


class UnknownAggregation(ValueError):
    """A method Gnocchi does not have."""


def method_parts(method: str) -> tuple[bool, Callable[[Sequence[float]], float | None]]:
    """Whether ``method`` works on rates, and the function that reduces a period's values."""
    rate = method.startswith(RATE)
    function = AGGREGATES.get(method[len(RATE):] if rate else method)
    if function is None:
        raise UnknownAggregation(f"Aggregation method '{method}' is not supported")
    return rate, function


def rates(points: Sequence[Point]) -> list[Point]:
    """Each point's difference from the one before it (the first point has none)."""
    return [(points[index][0], points[index][1] - points[index - 1][1]) for index in range(1, len(points))]


def period_of(moment: float, granularity: float) -> float:
    """The start of the period holding ``moment``."""
    return math.floor(moment / granularity) * granularity


def in_window(period: float, granularity: float, start: float | None, stop: float | None) -> bool:
    """Whether a period belongs to the window (its start rounded down to the grid, its stop included)."""
    if start is not None and period < period_of(start, granularity):
        return False
    return stop is None or period <= stop


def aggregate(measures: Iterable[Point], method: str, granularity: float, start: float | None = None,
              stop: float | None = None) -> list[Point]:
    """One value per period of ``measures`` (time, value) with ``method``, oldest first."""
    rate, function = method_parts(method)
    ordered = sorted(measures)
    if rate:
        ordered = rates(ordered)
    periods: dict[float, list[float]] = defaultdict(list)
    for moment, value in ordered:
        periods[period_of(moment, granularity)].append(value)
    reduced = []
    for period in sorted(periods):
        if in_window(period, granularity, start, stop):
            value = function(periods[period])
            if value is not None:
                reduced.append((period, float(value)))
    return reduced


def across(series: Iterable[Sequence[Point]], method: str) -> list[Point]:
    """One series from several, period by period, with ``method`` (``rate:`` takes each series' rates first).

    A period counts the series that have a value there (Gnocchi's
    ``needed_overlap=0``, which Aodh asks for).
    """
    rate, function = method_parts(method)
    periods: dict[float, list[float]] = defaultdict(list)
    for points in series:
        for moment, value in (rates(points) if rate else points):
            periods[moment].append(value)
    reduced = []
    for period in sorted(periods):
        value = function(periods[period])
        if value is not None:
            reduced.append((period, float(value)))
    return reduced
