"""Octavia's objects in the store: kinds, relations, the load balancer's lock, quotas and views.

Every object belongs to one load balancer (``_lb``); a member and a health
monitor also to a pool (``_pool``).  Relations shown in bodies (a load
balancer's ``listeners``, a pool's ``members``) are computed from those keys
when an object is shown, so there is one source of truth.

Octavia serialises work per load balancer: any change to it or to one of its
children moves it to ``PENDING_*`` until the (emulated) amphora has applied
the change, and while it is pending every other change is refused with 409.
``lock`` performs that check and ``provision`` schedules the way back to
``ACTIVE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from ..service import Conflict, NotFound, OverQuota, caller, settings, store
from ..store import GONE, public


@dataclass(frozen=True)
class Kind:
    """One Octavia object type."""

    #: the store's kind
    store_kind: str
    #: how Octavia names it in messages ("Load Balancer 1234 not found.")
    label: str
    #: the body's key for one object, and for a list
    key: str
    collection: str
    #: the quota's key
    quota: str


LOADBALANCER = Kind("octavia_loadbalancer", "Load Balancer", "loadbalancer", "loadbalancers", "load_balancer")
LISTENER = Kind("octavia_listener", "Listener", "listener", "listeners", "listener")
POOL = Kind("octavia_pool", "Pool", "pool", "pools", "pool")
MEMBER = Kind("octavia_member", "Member", "member", "members", "member")
HEALTHMONITOR = Kind("octavia_healthmonitor", "Health Monitor", "healthmonitor", "healthmonitors",
                     "health_monitor")
FLAVOR = Kind("octavia_flavor", "Flavor", "flavor", "flavors", "")

#: a project's limits unless an admin set others (Octavia's own default is -1, unlimited;
#: a real cloud sets limits like these)
DEFAULT_QUOTAS: dict[str, int] = {"load_balancer": 10, "listener": 50, "pool": 50, "health_monitor": 50,
                                  "member": 200, "l7policy": 50, "l7rule": 50}
QUOTA_KINDS: dict[str, Kind] = {kind.quota: kind for kind in (LOADBALANCER, LISTENER, POOL, HEALTHMONITOR, MEMBER)}

PENDING_STATES = ("PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE")


def now_iso() -> str:
    """The store clock's time as Octavia writes timestamps."""
    return datetime.fromtimestamp(store().clock(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def scope() -> str | None:
    """The project whose objects the caller sees (``None``: all, for an admin, as Octavia does)."""
    return None if caller().is_admin else caller().project_id


def find(kind: Kind, object_id: str) -> dict[str, Any]:
    """The object, or Octavia's 404."""
    found = store().get(kind.store_kind, object_id, scope())
    if found is None or found.get("provisioning_status") == "DELETED":
        raise NotFound(f"{kind.label} {object_id} not found.")
    return found


def children(kind: Kind, key: str, value: str) -> list[dict[str, Any]]:
    """The objects of ``kind`` whose ``key`` is ``value`` (whichever project)."""
    return store().list(kind.store_kind, where=lambda body: body.get(key) == value)


def lock(lb_id: str) -> dict[str, Any]:
    """The load balancer, checked to take a change: Octavia's 409 while it is ``PENDING_*``."""
    balancer = store().get(LOADBALANCER.store_kind, lb_id)
    if balancer is None:
        raise NotFound(f"{LOADBALANCER.label} {lb_id} not found.")
    if balancer["provisioning_status"] in PENDING_STATES:
        raise Conflict(f"{LOADBALANCER.label} {lb_id} is immutable and cannot be updated.", kind="ImmutableObject")
    return balancer


def provision(lb_id: str, kind: Kind | None = None, object_id: str | None = None, *,
              state: str = "PENDING_UPDATE", removing: bool = False) -> None:
    """Put the load balancer (and the changed object) in a pending state until the change is applied.

    ``removing`` makes the object vanish when done (a delete); otherwise it
    comes back ``ACTIVE`` and, from its first build, ``ONLINE``.
    """
    objects = store()
    after = settings().delete_seconds if removing else settings().build_seconds
    stamp = {"updated_at": now_iso()}
    if kind is not LOADBALANCER:
        objects.change(LOADBALANCER.store_kind, lb_id, {"provisioning_status": "PENDING_UPDATE", **stamp})
        objects.schedule(LOADBALANCER.store_kind, lb_id, after, {"provisioning_status": "ACTIVE"})
    if kind is None or object_id is None:
        return
    objects.change(kind.store_kind, object_id, {"provisioning_status": state, **stamp})
    done: dict[str, Any] = {GONE: True} if removing else {"provisioning_status": "ACTIVE", "operating_status": "ONLINE"}
    objects.schedule(kind.store_kind, object_id, after, done)


def check_quota(kind: Kind, project_id: str) -> None:
    """Octavia's 403 when the project already has as many objects of ``kind`` as its quota allows."""
    limit = quotas(project_id)[kind.quota]
    if limit >= 0 and store().count(kind.store_kind, project_id) >= limit:
        raise OverQuota(f"Quota has been met for resources: {kind.label}", kind="QuotaException")


def quotas(project_id: str) -> dict[str, int]:
    """The project's quotas (the defaults, with an admin's changes)."""
    stored = store().get("octavia_quota", project_id) or {}
    return {name: stored.get(name, limit) for name, limit in DEFAULT_QUOTAS.items()}


# -- bodies -----------------------------------------------------------------------------------

def _ids(kind: Kind, key: str, value: str) -> list[dict[str, str]]:
    return [{"id": body["id"]} for body in children(kind, key, value)]


def _balancer_view(body: dict[str, Any]) -> dict[str, Any]:
    # tenant_id: the name before project_id, still shown; additional_vips: none made here (API 2.26)
    return {**public(body), "tenant_id": body["project_id"], "additional_vips": [],
            "listeners": _ids(LISTENER, "_lb", body["id"]), "pools": _ids(POOL, "_lb", body["id"])}


def _listener_view(body: dict[str, Any]) -> dict[str, Any]:
    return {**public(body), "loadbalancers": [{"id": body["_lb"]}]}


def _pool_view(body: dict[str, Any]) -> dict[str, Any]:
    monitors = children(HEALTHMONITOR, "_pool", body["id"])
    return {**public(body), "loadbalancers": [{"id": body["_lb"]}],
            "listeners": _ids(LISTENER, "default_pool_id", body["id"]),
            "members": _ids(MEMBER, "_pool", body["id"]),
            "healthmonitor_id": monitors[0]["id"] if monitors else None}


def _member_view(body: dict[str, Any]) -> dict[str, Any]:
    shown = public(body)
    if shown["provisioning_status"] == "ACTIVE":
        # without a health monitor Octavia cannot tell whether a member is up
        monitored = bool(children(HEALTHMONITOR, "_pool", body["_pool"]))
        shown["operating_status"] = ("OFFLINE" if not body["admin_state_up"]
                                     else "ONLINE" if monitored else "NO_MONITOR")
    return shown


def _monitor_view(body: dict[str, Any]) -> dict[str, Any]:
    return {**public(body), "pools": [{"id": body["_pool"]}]}


VIEWS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    LOADBALANCER.key: _balancer_view, LISTENER.key: _listener_view, POOL.key: _pool_view,
    MEMBER.key: _member_view, HEALTHMONITOR.key: _monitor_view, FLAVOR.key: public,
}


def view(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """The object as Octavia's API shows it (fields cleared by an update shown as their defaults)."""
    from .fields import DEFAULTS

    return {**DEFAULTS.get(kind.key, {}), **VIEWS[kind.key](body)}


def status_tree(balancer: dict[str, Any]) -> dict[str, Any]:
    """The load balancer's statuses and its children's, as ``GET …/status`` gives them."""
    def brief(body: dict[str, Any], kind: Kind) -> dict[str, Any]:
        shown = view(kind, body)
        return {"id": body["id"], "name": body.get("name", ""), "provisioning_status": shown["provisioning_status"],
                "operating_status": shown["operating_status"]}

    def pool_tree(pool: dict[str, Any]) -> dict[str, Any]:
        tree = brief(pool, POOL)
        tree["members"] = [{**brief(member, MEMBER), "address": member["address"],
                            "protocol_port": member["protocol_port"]}
                           for member in children(MEMBER, "_pool", pool["id"])]
        monitors = children(HEALTHMONITOR, "_pool", pool["id"])
        if monitors:
            tree["health_monitor"] = {**brief(monitors[0], HEALTHMONITOR), "type": monitors[0]["type"]}
        return tree

    listeners = []
    for listener in children(LISTENER, "_lb", balancer["id"]):
        pools = [pool for pool in children(POOL, "_lb", balancer["id"])
                 if pool["id"] == listener.get("default_pool_id")]
        listeners.append({**brief(listener, LISTENER), "pools": [pool_tree(pool) for pool in pools]})
    return {"loadbalancer": {**brief(balancer, LOADBALANCER), "listeners": listeners}}
