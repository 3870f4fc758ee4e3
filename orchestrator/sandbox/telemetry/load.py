"""How busy each sandbox server is: a load level (0–100 %) set by people and tests, kept with when it was set.

Nothing runs inside a sandbox server, so its metrics come from this level:
a server is at ``DEFAULT_LOAD`` from its creation until someone sets
another level (``orchestrator sandbox load SERVER|GROUP 85``), and stays at
each level until the next.  A level set for a group holds for the servers
that join it later too (an autoscaling group's new members are as busy as
the others); whichever level was set last, the server's or its group's,
is the one in force.  The history of levels is data in the store (kinds
``server_load`` and ``group_load``), read back whenever a metric is
computed, so a restart loses nothing and no thread ticks.

Other emulators read a server's CPU through ``cpu_percent``.
"""

from __future__ import annotations

from typing import Any

from ..store import Store
from .times import parse_time

#: the store kinds holding each server's and each group's levels: ``{"id": …, "levels": [[epoch, percent], …]}``
LOAD = "server_load"
GROUP_LOAD = "group_load"
#: the level of a server nobody has set one for: an idle machine's few percent
DEFAULT_LOAD = 5.0
#: the levels kept per server (the oldest go first)
MAX_LEVELS = 1000
#: the server metadata keys that name a server's group, in the order they are looked at
GROUP_KEYS = ("metering.server_group", "metering.stack")


def server_started(server: dict[str, Any]) -> float:
    """When the server was created (epoch seconds): its metrics begin there."""
    return parse_time(server["created"], 0.0)


def _history(store: Store, kind: str, key: str) -> list[tuple[float, float]]:
    found = store.get(kind, key)
    return [(float(at), float(level)) for at, level in (found or {}).get("levels", [])]


def levels(store: Store, server: dict[str, Any]) -> list[tuple[float, float]]:
    """The levels in force for a server, oldest first: its own and its groups' ``(since, percent)``."""
    merged = _history(store, LOAD, server["id"])
    for group in groups_of(server):
        merged += _history(store, GROUP_LOAD, group)
    return sorted(merged, key=lambda item: item[0])


def load_at(history: list[tuple[float, float]], moment: float) -> float:
    """The level in force at ``moment`` (``DEFAULT_LOAD`` before the first one set)."""
    level = DEFAULT_LOAD
    for since, value in history:
        if since > moment:
            break
        level = value
    return level


def busy_seconds(history: list[tuple[float, float]], start: float, end: float) -> float:
    """The time integral of the load (as a fraction) from ``start`` to ``end``: CPU-seconds of one core."""
    if end <= start:
        return 0.0
    total, cursor, level = 0.0, start, load_at(history, start)
    for since, value in history:
        if since <= start:
            continue
        if since >= end:
            break
        total += (since - cursor) * level / 100.0
        cursor, level = since, value
    return total + (end - cursor) * level / 100.0


def _record(store: Store, kind: str, key: str, percent: float, at: float) -> None:
    if not 0.0 <= percent <= 100.0:
        raise ValueError(f"a load level is a percentage from 0 to 100, not {percent}")
    with store.transaction():
        kept = [[since, level] for since, level in _history(store, kind, key) if since < at]
        kept.append([at, float(percent)])
        if store.get(kind, key) is None:
            store.add(kind, {"id": key, "levels": kept[-MAX_LEVELS:]})
        else:
            store.change(kind, key, {"levels": kept[-MAX_LEVELS:]})


def set_load(store: Store, server_id: str, percent: float, at: float) -> tuple[float, float]:
    """Make server ``server_id`` run at ``percent`` from ``at`` on; ``(level before, level now)``."""
    with store.transaction():
        server = store.get("server", server_id) or {"id": server_id}
        before = load_at(levels(store, server), at)
        _record(store, LOAD, server_id, percent, at)
    return before, float(percent)


def set_group_load(store: Store, group: str, percent: float, at: float) -> None:
    """Make every server of ``group``, now and joining later, run at ``percent`` from ``at`` on."""
    _record(store, GROUP_LOAD, group, percent, at)


def groups_of(server: dict[str, Any]) -> list[str]:
    """The groups a server's metadata puts it in (``metering.server_group``, ``metering.stack``)."""
    metadata = server.get("metadata") or {}
    return [str(metadata[key]) for key in GROUP_KEYS if metadata.get(key)]


def servers_named(store: Store, target: str) -> tuple[list[dict[str, Any]], bool]:
    """The servers ``target`` names, and whether it names a group.

    A server id, else a server name, else a group: the servers whose
    ``metering.server_group`` or ``metering.stack`` metadata is ``target``.
    """
    server = store.get("server", target)
    if server is not None:
        return [server], False
    servers = store.list("server")
    named = [s for s in servers if s.get("name") == target]
    if named:
        return named, False
    return [s for s in servers if target in groups_of(s)], True


def cpu_percent(store: Store, server_id: str, at: float) -> float | None:
    """The CPU use (%) of server ``server_id`` at ``at``; ``None`` when there is no such server."""
    server = store.get("server", server_id)
    if server is None:
        return None
    return load_at(levels(store, server), at)
