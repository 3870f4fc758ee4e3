"""Times as the telemetry APIs read and write them: ISO 8601, epoch seconds, and Gnocchi's relative forms."""

from __future__ import annotations

import re
from datetime import datetime, timezone

#: Gnocchi's relative times (``-1 day``, ``-5 minutes``), in seconds per unit
_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
          "d": 86400, "day": 86400, "w": 604800, "week": 604800}
_RELATIVE = re.compile(r"^\s*([+-])\s*(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*$")


def parse_time(value: object, now: float) -> float:
    """Epoch seconds of ``value``: an ISO 8601 text (UTC unless it says), a number, ``now`` or ``-1 day``.

    Raises ``ValueError`` naming what it could not read.
    """
    if isinstance(value, bool):
        raise ValueError(f"Unable to parse timestamp {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text == "now":
        return now
    try:
        return float(text)
    except ValueError:
        pass
    relative = _RELATIVE.match(text.lower())
    if relative and relative.group(3) in _UNITS:
        sign = -1 if relative.group(1) == "-" else 1
        return now + sign * float(relative.group(2)) * _UNITS[relative.group(3)]
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"Unable to parse timestamp {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def gnocchi_time(epoch: float) -> str:
    """Gnocchi's timestamps: ``2026-01-02T03:04:05+00:00`` (microseconds only when there are some)."""
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def aodh_time(epoch: float) -> str:
    """Aodh's timestamps: UTC without a zone, with microseconds (``2026-01-02T03:04:05.123456``)."""
    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")
