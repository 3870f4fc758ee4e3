"""Gnocchi's resources and metrics in the sandbox: stored ones, and one ``instance`` resource per server.

``generic`` resources and metrics that people create are documents in the
store.  Every sandbox server is an ``instance`` resource with the metrics of
``meters.METERS`` without anyone creating it: it is derived from the server
whenever it is read (it comes and goes with the server), owned by the
sandbox's telemetry service (its ``admin`` user, as Ceilometer owns what it
creates), in the server's project, and in the group its
``metering.server_group`` metadata names (Ceilometer's ``server_group``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Iterator

from ..store import Store
from .load import server_started
from .meters import METERS
from .times import gnocchi_time

RESOURCE = "gnocchi_resource"
METRIC = "gnocchi_metric"
#: ids of the metrics of servers are derived from the server's id and the metric's name
METRIC_NAMESPACE = uuid.UUID("6d3bdbd0-1c58-4b5b-9a0c-5f2b2e0c4a51")

#: what every resource has (Gnocchi's ``generic`` type)
GENERIC_ATTRIBUTES = ("id", "type", "project_id", "user_id", "original_resource_id", "started_at", "ended_at",
                      "revision_start", "revision_end", "creator", "created_by_user_id", "created_by_project_id")
#: the resource types, with the attributes each adds (Ceilometer's ``instance``)
RESOURCE_TYPES: dict[str, dict[str, dict[str, Any]]] = {
    "generic": {},
    "instance": {
        "display_name": {"type": "string", "required": True, "min_length": 0, "max_length": 255},
        "flavor_id": {"type": "string", "required": True, "min_length": 0, "max_length": 255},
        "flavor_name": {"type": "string", "required": True, "min_length": 0, "max_length": 255},
        "host": {"type": "string", "required": True, "min_length": 0, "max_length": 255},
        "image_ref": {"type": "string", "required": False, "min_length": 0, "max_length": 255},
        "server_group": {"type": "string", "required": False, "min_length": 0, "max_length": 255},
    },
}
#: the archive policies (Gnocchi's defaults); the metrics of servers use ``sandbox``
ARCHIVE_POLICIES: dict[str, dict[str, Any]] = {
    "bool": {"back_window": 3600, "definition": [(1, 31536000)], "aggregation_methods": ["last"]},
    "high": {"back_window": 0, "definition": [(1, 3600), (60, 10080), (3600, 8760)]},
    "low": {"back_window": 0, "definition": [(300, 8640)]},
    "medium": {"back_window": 0, "definition": [(60, 10080), (3600, 8760)]},
    "sandbox": {"back_window": 0, "definition": [(1, 3600), (60, 10080), (300, 8640), (3600, 8760)]},
}
DEFAULT_POLICY_METHODS = ["sum", "std", "min", "max", "count", "mean"]
#: the archive policy a metric gets when its creator names none (Gnocchi's default rule)
DEFAULT_ARCHIVE_POLICY = "low"
SERVER_ARCHIVE_POLICY = "sandbox"


def archive_policy_view(name: str) -> dict[str, Any]:
    """An archive policy as Gnocchi shows it."""
    policy = ARCHIVE_POLICIES[name]
    definition = [{"timespan": _span(granularity * points), "granularity": _span(granularity), "points": points}
                  for granularity, points in policy["definition"]]
    return {"name": name, "back_window": policy["back_window"], "definition": definition,
            "aggregation_methods": policy.get("aggregation_methods", DEFAULT_POLICY_METHODS)}


def _span(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    clock = f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{days} day{'s' if days != 1 else ''}, {clock}" if days else clock


def resource_type_view(name: str) -> dict[str, Any]:
    """A resource type as Gnocchi shows it."""
    return {"name": name, "attributes": RESOURCE_TYPES[name], "state": "active"}


def attributes_of(resource_type: str) -> tuple[str, ...]:
    """The attributes a filter may name for a resource type."""
    return GENERIC_ATTRIBUTES + tuple(RESOURCE_TYPES.get(resource_type, {}))


@dataclass(frozen=True)
class Owner:
    """Who creates what Gnocchi holds on its own: the sandbox's telemetry service (its admin user)."""

    user_id: str
    project_id: str

    @property
    def creator(self) -> str:
        """Gnocchi's ``creator`` field: ``<user id>:<project id>``."""
        return f"{self.user_id}:{self.project_id}"


def telemetry_owner(store: Store) -> Owner:
    """The sandbox's ``admin`` user and project, who own the servers' resources."""
    users = store.list("user", where=lambda user: user.get("name") == "admin")
    projects = store.list("project", where=lambda project: project.get("name") == "admin")
    return Owner(users[0]["id"] if users else "", projects[0]["id"] if projects else "")


def visible(resource: dict[str, Any], project_id: str | None) -> bool:
    """Whether a caller of ``project_id`` (``None``: an admin) sees a resource or a metric (Gnocchi's policy)."""
    return project_id is None or project_id in (resource.get("created_by_project_id"), resource.get("project_id"))


# -- resources -------------------------------------------------------------------------------------

def server_metric_id(server_id: str, name: str) -> str:
    """The id of metric ``name`` of a server's instance resource."""
    return str(uuid.uuid5(METRIC_NAMESPACE, f"{server_id}/{name}"))


def instance_resource(store: Store, server: dict[str, Any], owner: Owner) -> dict[str, Any]:
    """A server as Gnocchi's ``instance`` resource."""
    created = gnocchi_time(server_started(server))
    flavor = server.get("flavor") or {}
    metrics = {name: server_metric_id(server["id"], name) for name in METERS}
    for extra in store.list(METRIC, where=lambda metric: metric.get("resource_id") == server["id"]):
        metrics[extra["name"]] = extra["id"]
    group = (server.get("metadata") or {}).get("metering.server_group")
    return {
        "id": server["id"], "type": "instance", "project_id": server.get("tenant_id"),
        "user_id": server.get("user_id"), "original_resource_id": server["id"], "started_at": created,
        "revision_start": created, "ended_at": None, "revision_end": None, "creator": owner.creator,
        "created_by_user_id": owner.user_id, "created_by_project_id": owner.project_id,
        "display_name": server.get("name"), "flavor_id": flavor.get("id"), "flavor_name": flavor.get("original_name"),
        "host": "sandbox", "image_ref": server.get("image_id"), "server_group": group, "metrics": metrics,
        # what Ceilometer's samples said of the server (the legacy threshold alarm's query reads it)
        "_metadata": {"display_name": server.get("name"), "instance_id": server["id"],
                      "user_metadata": {key.removeprefix("metering."): value
                                        for key, value in (server.get("metadata") or {}).items()
                                        if key.startswith("metering.")}},
        "_server": server,
    }


def stored_resource(store: Store, resource: dict[str, Any]) -> dict[str, Any]:
    """A stored resource with its metrics (by name)."""
    metrics = {metric["name"]: metric["id"]
               for metric in store.list(METRIC, where=lambda metric: metric.get("resource_id") == resource["id"])}
    return {**resource, "metrics": metrics}


def all_resources(store: Store, resource_type: str = "generic") -> Iterator[dict[str, Any]]:
    """Every resource of ``resource_type`` (``generic``: of every type), servers' included."""
    if resource_type in ("generic", "instance"):
        owner = telemetry_owner(store)
        for server in store.list("server"):
            yield instance_resource(store, server, owner)
    for resource in store.list(RESOURCE):
        if resource_type in ("generic", resource.get("type")):
            yield stored_resource(store, resource)


def find_resource(store: Store, resource_id: str, resource_type: str = "generic") -> dict[str, Any] | None:
    """The resource of that id (a server's, or a stored one), if its type fits."""
    server = store.get("server", resource_id)
    if server is not None and resource_type in ("generic", "instance"):
        return instance_resource(store, server, telemetry_owner(store))
    stored = store.get(RESOURCE, resource_id)
    if stored is not None and resource_type in ("generic", stored.get("type")):
        return stored_resource(store, stored)
    return None


def resource_view(resource: dict[str, Any], resource_type: str | None = None) -> dict[str, Any]:
    """A resource as Gnocchi shows it (a listing of ``generic`` shows the generic attributes only)."""
    shown_type = resource_type or resource.get("type", "generic")
    names = attributes_of(shown_type if shown_type in RESOURCE_TYPES else "generic")
    return {**{name: resource.get(name) for name in names}, "metrics": dict(resource.get("metrics") or {})}


def resource_id_of(given: str) -> str:
    """Gnocchi's id for a resource id a client gave: itself if it is a UUID, else a UUID derived from it."""
    try:
        return str(uuid.UUID(given))
    except ValueError:
        return str(uuid.uuid5(METRIC_NAMESPACE, given))


# -- metrics ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    """A metric, stored or of a server: what measures are read and written for."""

    id: str
    name: str
    unit: str | None
    archive_policy_name: str
    resource_id: str | None
    creator: str
    created_by_user_id: str
    created_by_project_id: str
    #: the project of the metric's resource (visibility)
    project_id: str | None = None
    #: the server whose load gives the metric's values, if any
    server: dict[str, Any] | None = None


def _stored_metric(body: dict[str, Any], resource: dict[str, Any] | None, server: dict[str, Any] | None) -> Metric:
    return Metric(body["id"], body.get("name"), body.get("unit"), body["archive_policy_name"],
                  body.get("resource_id"), body.get("creator", ""), body.get("created_by_user_id", ""),
                  body.get("created_by_project_id", ""), (resource or {}).get("project_id"), server)


def metrics_of(store: Store, resource: dict[str, Any]) -> dict[str, Metric]:
    """A resource's metrics by name."""
    server = resource.get("_server")
    found: dict[str, Metric] = {}
    for name, metric_id in (resource.get("metrics") or {}).items():
        if server is not None and name in METERS:
            found[name] = Metric(metric_id, name, METERS[name].unit, SERVER_ARCHIVE_POLICY, resource["id"],
                                 resource["creator"], resource["created_by_user_id"],
                                 resource["created_by_project_id"], resource.get("project_id"), server)
        else:
            body = store.get(METRIC, metric_id)
            if body is not None:
                found[name] = _stored_metric(body, resource, None)
    return found


def find_metric(store: Store, metric_id: str) -> Metric | None:
    """The metric of that id: a stored one, or one of a server's."""
    body = store.get(METRIC, metric_id)
    if body is not None:
        resource = find_resource(store, body["resource_id"]) if body.get("resource_id") else None
        return _stored_metric(body, resource, (resource or {}).get("_server"))
    owner = None
    for server in store.list("server"):
        for name in METERS:
            if server_metric_id(server["id"], name) == metric_id:
                owner = owner or telemetry_owner(store)
                return metrics_of(store, instance_resource(store, server, owner))[name]
    return None


def metric_view(store: Store, metric: Metric, with_resource: bool = True) -> dict[str, Any]:
    """A metric as Gnocchi shows it (``GET /v1/metric/<id>``; a listing names the policy and the resource)."""
    shown: dict[str, Any] = {"id": metric.id, "creator": metric.creator, "name": metric.name, "unit": metric.unit}
    if with_resource:
        resource = find_resource(store, metric.resource_id) if metric.resource_id else None
        shown["resource"] = None if resource is None else {
            key: value for key, value in resource_view(resource, "generic").items() if key != "metrics"}
        shown["archive_policy"] = archive_policy_view(metric.archive_policy_name)
    else:
        shown.update(archive_policy_name=metric.archive_policy_name, resource_id=metric.resource_id)
    shown.update(created_by_user_id=metric.created_by_user_id, created_by_project_id=metric.created_by_project_id)
    return shown
