"""The metrics every sandbox server produces, computed from its load levels when they are read.

The sandbox samples a server the way a Ceilometer whose polling interval is
the granularity asked for would: once at each multiple of the granularity
(a period's sample is taken when the period starts), from the server's
creation on.  Gauges give the value at that instant; ``cpu`` is Nova's
cumulative CPU time in nanoseconds, so that its ``rate:`` aggregates give
the CPU time used between two samples (``0.8 × granularity × 1e9`` is
80 % of one core), as in a real cloud.

``METERS`` is the table: name → unit, and the value from the load (a
fraction, 0–1) and the server's flavor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .load import busy_seconds, levels, load_at, server_started

#: nanoseconds of CPU time per CPU-second
NANOSECONDS = 1e9
#: network traffic of a fully loaded server (bytes per second, incoming; outgoing is half of it)
FULL_LOAD_BYTES_RATE = 10_000_000.0
#: the most samples one read computes per metric (the length of Gnocchi's "high" archive at 1 s)
MAX_SAMPLES = 3600


@dataclass(frozen=True)
class Meter:
    """One metric of every server: its unit, and its value at a load (fraction) for a flavor."""

    unit: str
    value: Callable[[float, dict[str, Any]], float]
    #: a cumulative counter (the integral of ``value`` over time) rather than a gauge
    cumulative: bool = False


METERS: dict[str, Meter] = {
    "cpu": Meter("ns", lambda load, flavor: load * flavor.get("vcpus", 1) * NANOSECONDS, cumulative=True),
    "cpu_util": Meter("%", lambda load, flavor: load * 100.0),
    "vcpus": Meter("vcpu", lambda load, flavor: float(flavor.get("vcpus", 1))),
    "memory": Meter("MB", lambda load, flavor: float(flavor.get("ram", 0))),
    # an idle guest uses a fifth of its memory, a fully loaded one four fifths
    "memory.usage": Meter("MB", lambda load, flavor: flavor.get("ram", 0) * (0.2 + 0.6 * load)),
    "network.incoming.bytes.rate": Meter("B/s", lambda load, flavor: load * FULL_LOAD_BYTES_RATE),
    "network.outgoing.bytes.rate": Meter("B/s", lambda load, flavor: load * FULL_LOAD_BYTES_RATE / 2),
}


def sample_times(started: float, granularity: float, start: float | None, stop: float) -> list[float]:
    """The instants a server is sampled at between ``start`` and ``stop`` (both rounded to the grid).

    One sample more than the window holds is taken before it, so that a
    rate has something to start from in the window's first period.
    """
    first_instant = math.ceil(started / granularity) * granularity
    last = math.floor(stop / granularity) * granularity
    first = first_instant if start is None else max(first_instant,
                                                    (math.floor(start / granularity) - 1) * granularity)
    first = max(first, last - (MAX_SAMPLES - 1) * granularity)
    count = int(round((last - first) / granularity)) + 1
    return [first + index * granularity for index in range(max(count, 0))]


def server_samples(store: Any, server: dict[str, Any], name: str, granularity: float, start: float | None,
                   stop: float) -> list[tuple[float, float]]:
    """The samples ``(instant, value)`` of metric ``name`` of ``server`` (none for a metric it lacks)."""
    meter = METERS.get(name)
    if meter is None:
        return []
    started = server_started(server)
    history = levels(store, server)
    flavor = server.get("flavor") or {}
    instants = sample_times(started, granularity, start, stop)
    if not meter.cumulative:
        return [(moment, meter.value(load_at(history, moment) / 100.0, flavor)) for moment in instants]
    per_busy_second = meter.value(1.0, flavor)
    return [(moment, busy_seconds(history, started, moment) * per_busy_second) for moment in instants]
