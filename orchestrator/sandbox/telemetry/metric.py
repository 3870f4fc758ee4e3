"""Gnocchi (metric API v1) in the sandbox: archive policies, resource types, resources, metrics, measures.

Served under ``/metric``.  Errors are Gnocchi's JSON bodies (``code``,
``title``, ``description``).  A caller sees the resources and metrics it
created or that belong to its project (an admin sees all), as Gnocchi's
default policy says.  Posting measures wakes the alarm evaluator, so alarms
react at once.  The cross-metric aggregates are in ``aggregates``, and the
sandbox's own load-setting API in ``load_api``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from ..service import (BadRequest, Conflict, NotFound, ServiceBlueprint, base_url, body_of, caller, reply, store)
from ..store import new_id
from .aggregation import METHODS, UnknownAggregation
from .measures import MeasuresError, add_measures, forget_measures, measures_of, parse_measures, points_view
from .resources import (ARCHIVE_POLICIES, DEFAULT_ARCHIVE_POLICY, METRIC, RESOURCE, RESOURCE_TYPES, Metric,
                        all_resources, archive_policy_view, attributes_of, find_metric, find_resource, metric_view,
                        metrics_of, resource_id_of, resource_type_view, resource_view, visible)
from .search import SearchError, compile_filter
from .times import gnocchi_time, parse_time

blueprint = ServiceBlueprint("metric", "/metric", "gnocchi", __name__)

#: the Gnocchi release whose API the sandbox follows
BUILD = "4.4.2"


def wake_evaluator() -> None:
    """Ask the alarm evaluator (if one runs) to look at the alarms now: new data has come."""
    evaluator = getattr(current_app.extensions["sandbox"], "evaluator", None)
    if evaluator is not None:
        evaluator.wake()


def caller_scope() -> str | None:
    """The project whose objects the caller sees (``None``: an admin sees every project's)."""
    return None if caller().is_admin else caller().project_id


def now() -> float:
    """The sandbox's time (its store's clock, which tests may move)."""
    return store().clock()


def number_argument(name: str, default: float | None = None) -> float | None:
    """A numeric query argument, or Gnocchi's 400 naming it."""
    value = request.args.get(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise BadRequest(f"Invalid value for {name}: {value!r} is not a number") from None
    if number <= 0:
        raise BadRequest(f"Invalid value for {name}: {value!r} must be positive")
    return number


def time_argument(name: str) -> float | None:
    """A time query argument (``start``, ``stop``), or Gnocchi's 400 naming it."""
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return parse_time(value, now())
    except ValueError as exc:
        raise BadRequest(f"Invalid value for {name}: {exc}") from None


# -- versions, capabilities, policies, types -----------------------------------------------------

@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"build": BUILD, "versions": [{"status": "CURRENT", "links": [
        {"rel": "self", "href": f"{base_url()}/metric/v1/"}], "id": "v1.0", "updated": "2015-03-19"}]})


@blueprint.route("/v1", methods=["GET"])
@blueprint.route("/v1/", methods=["GET"])
@blueprint.public
def version():
    root = f"{base_url()}/metric/v1"
    names = ("aggregates", "archive_policy", "archive_policy_rule", "capabilities", "metric", "resource",
             "resource_type", "search", "status")
    return reply({"version": "1.0", "links": [{"rel": "self", "href": root}] + [
        {"rel": name, "href": f"{root}/{name}"} for name in names]})


@blueprint.route("/v1/capabilities", methods=["GET"])
def capabilities():
    return reply({"aggregation_methods": list(METHODS)})


@blueprint.route("/v1/archive_policy", methods=["GET"])
def list_archive_policies():
    return reply([archive_policy_view(name) for name in ARCHIVE_POLICIES])


@blueprint.route("/v1/archive_policy/<name>", methods=["GET"])
def show_archive_policy(name: str):
    if name not in ARCHIVE_POLICIES:
        raise NotFound(f"Archive policy {name} does not exist")
    return reply(archive_policy_view(name))


@blueprint.route("/v1/archive_policy_rule", methods=["GET"])
def list_archive_policy_rules():
    return reply([{"name": "default", "archive_policy_name": DEFAULT_ARCHIVE_POLICY, "metric_pattern": "*"}])


@blueprint.route("/v1/resource_type", methods=["GET"])
def list_resource_types():
    return reply([resource_type_view(name) for name in RESOURCE_TYPES])


@blueprint.route("/v1/resource_type/<name>", methods=["GET"])
def show_resource_type(name: str):
    return reply(resource_type_view(_resource_type(name)))


def _resource_type(name: str) -> str:
    if name not in RESOURCE_TYPES:
        raise NotFound(f"Resource type {name} does not exist")
    return name


# -- resources -------------------------------------------------------------------------------------

def visible_resources(resource_type: str) -> list[dict[str, Any]]:
    """The resources of a type the caller sees."""
    project = caller_scope()
    return [resource for resource in all_resources(store(), resource_type) if visible(resource, project)]


def own_resource(resource_type: str, resource_id: str) -> dict[str, Any]:
    """A resource the caller sees, or Gnocchi's 404."""
    found = find_resource(store(), resource_id_of(resource_id), _resource_type(resource_type))
    if found is None or not visible(found, caller_scope()):
        raise NotFound(f"Resource {resource_id} does not exist")
    return found


@blueprint.route("/v1/resource/<resource_type>", methods=["GET"])
def list_resources(resource_type: str):
    return reply([resource_view(resource, resource_type) for resource in visible_resources(
        _resource_type(resource_type))])


@blueprint.route("/v1/search/resource/<resource_type>", methods=["POST"])
def search_resources(resource_type: str):
    _resource_type(resource_type)
    try:
        matches = compile_filter(request.get_json(silent=True), attributes_of(resource_type))
    except SearchError as exc:
        raise BadRequest(str(exc)) from None
    return reply([resource_view(resource, resource_type) for resource in visible_resources(resource_type)
                  if matches(resource)])


def _new_metric(name: str, spec: Any, resource: dict[str, Any] | None) -> dict[str, Any]:
    """A metric document for a resource's (or no resource's) new metric ``name``, checked."""
    if not isinstance(spec, dict):
        raise BadRequest(f"Invalid input: metric {name} must be given as an object with its archive_policy_name")
    policy = spec.get("archive_policy_name") or DEFAULT_ARCHIVE_POLICY
    if policy not in ARCHIVE_POLICIES:
        raise BadRequest(f"Archive policy {policy} does not exist")
    return {"id": new_id(), "name": name, "unit": spec.get("unit"), "archive_policy_name": policy,
            "resource_id": None if resource is None else resource["id"],
            "creator": f"{caller().user_id}:{caller().project_id}", "created_by_user_id": caller().user_id,
            "created_by_project_id": caller().project_id}


@blueprint.route("/v1/resource/<resource_type>", methods=["POST"])
def create_resource(resource_type: str):
    _resource_type(resource_type)
    if resource_type != "generic":
        raise BadRequest(f"Invalid input: {resource_type} resources are the sandbox's servers' and cannot be "
                         "created; create a generic resource instead")
    data = body_of()
    unknown = sorted(set(data) - {"id", "user_id", "project_id", "started_at", "ended_at", "metrics"})
    if unknown:
        raise BadRequest(f"Invalid input: extra keys not allowed @ data['{unknown[0]}']")
    if not isinstance(data.get("id"), str) or not data["id"]:
        raise BadRequest("Invalid input: required key not provided @ data['id']")
    metrics = data.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise BadRequest("Invalid input: expected a dictionary for dictionary value @ data['metrics']")
    resource_id, moment = resource_id_of(data["id"]), gnocchi_time(now())
    resource = {"id": resource_id, "type": resource_type, "project_id": data.get("project_id"),
                "user_id": data.get("user_id"), "original_resource_id": data["id"],
                "started_at": data.get("started_at") or moment, "revision_start": moment,
                "ended_at": data.get("ended_at"), "revision_end": None,
                "creator": f"{caller().user_id}:{caller().project_id}", "created_by_user_id": caller().user_id,
                "created_by_project_id": caller().project_id}
    objects = store()
    with objects.transaction():
        if find_resource(objects, resource_id) is not None:
            raise Conflict(f"Resource {data['id']} already exists")
        documents = [_new_metric(name, spec, resource) for name, spec in metrics.items()]
        objects.add(RESOURCE, resource, caller().project_id)
        for document in documents:
            objects.add(METRIC, document, caller().project_id)
    created = find_resource(objects, resource_id)
    return reply(resource_view(created), 201, {"Location": f"{base_url()}/metric/v1/resource/{resource_type}/"
                                                           f"{resource_id}"})


@blueprint.route("/v1/resource/<resource_type>/<resource_id>", methods=["GET"])
def show_resource(resource_type: str, resource_id: str):
    return reply(resource_view(own_resource(resource_type, resource_id), resource_type))


@blueprint.route("/v1/resource/<resource_type>/<resource_id>", methods=["DELETE"])
def delete_resource(resource_type: str, resource_id: str):
    resource = own_resource(resource_type, resource_id)
    if resource.get("_server") is not None:
        raise BadRequest(f"Invalid input: resource {resource_id} is a sandbox server's; it goes when the server "
                         "is deleted")
    objects = store()
    with objects.transaction():
        for metric in metrics_of(objects, resource).values():
            objects.remove(METRIC, metric.id)
            forget_measures(objects, metric.id)
        objects.remove(RESOURCE, resource["id"])
    return reply(None, 204)


@blueprint.route("/v1/resource/<resource_type>/<resource_id>/metric", methods=["POST"])
def add_resource_metrics(resource_type: str, resource_id: str):
    resource = own_resource(resource_type, resource_id)
    data = body_of()
    existing = set(resource.get("metrics") or {})
    clashes = sorted(existing & set(data))
    if clashes:
        raise Conflict(f"Named metric {clashes[0]} already exists")
    objects = store()
    with objects.transaction():
        for name, spec in data.items():
            objects.add(METRIC, _new_metric(name, spec, resource), caller().project_id)
    return reply(resource_view(own_resource(resource_type, resource_id), resource_type))


def _resource_metric(resource_type: str, resource_id: str, name: str) -> Metric:
    resource = own_resource(resource_type, resource_id)
    metric = metrics_of(store(), resource).get(name)
    if metric is None:
        raise NotFound(f"Metric {name} does not exist")
    return metric


@blueprint.route("/v1/resource/<resource_type>/<resource_id>/metric/<name>/measures", methods=["GET"])
def resource_measures(resource_type: str, resource_id: str, name: str):
    return _measures_reply(_resource_metric(resource_type, resource_id, name))


@blueprint.route("/v1/resource/<resource_type>/<resource_id>/metric/<name>/measures", methods=["POST"])
def post_resource_measures(resource_type: str, resource_id: str, name: str):
    return _post_measures(_resource_metric(resource_type, resource_id, name))


# -- metrics and measures --------------------------------------------------------------------------

def own_metric(metric_id: str) -> Metric:
    """A metric the caller sees, or Gnocchi's 404."""
    metric = find_metric(store(), metric_id)
    if metric is None or not (caller_scope() is None or caller_scope() in (
            metric.created_by_project_id, metric.project_id)):
        raise NotFound(f"Metric {metric_id} does not exist")
    return metric


@blueprint.route("/v1/metric", methods=["GET"])
def list_metrics():
    project = caller_scope()
    objects = store()
    found: dict[str, Metric] = {}
    for resource in all_resources(objects):
        if visible(resource, project):
            found.update({metric.id: metric for metric in metrics_of(objects, resource).values()})
    for body in objects.list(METRIC, where=lambda body: not body.get("resource_id")):
        if visible(body, project):
            found[body["id"]] = find_metric(objects, body["id"])  # type: ignore[assignment]
    return reply([metric_view(objects, metric, with_resource=False) for metric in found.values()])


@blueprint.route("/v1/metric", methods=["POST"])
def create_metric():
    data = body_of()
    resource = None
    if data.get("resource_id"):
        resource = own_resource("generic", str(data["resource_id"]))
        if data.get("name") in (resource.get("metrics") or {}):
            raise Conflict(f"Named metric {data['name']} already exists")
    document = _new_metric(data.get("name"), data, resource)
    store().add(METRIC, document, caller().project_id)
    return reply(metric_view(store(), own_metric(document["id"])), 201,
                 {"Location": f"{base_url()}/metric/v1/metric/{document['id']}"})


@blueprint.route("/v1/metric/<metric_id>", methods=["GET"])
def show_metric(metric_id: str):
    return reply(metric_view(store(), own_metric(metric_id)))


@blueprint.route("/v1/metric/<metric_id>", methods=["DELETE"])
def delete_metric(metric_id: str):
    metric = own_metric(metric_id)
    if metric.server is not None and store().get(METRIC, metric.id) is None:
        raise BadRequest(f"Invalid input: metric {metric_id} is a sandbox server's; it goes with the server")
    store().remove(METRIC, metric.id)
    forget_measures(store(), metric.id)
    return reply(None, 204)


@blueprint.route("/v1/metric/<metric_id>/measures", methods=["GET"])
def metric_measures(metric_id: str):
    return _measures_reply(own_metric(metric_id))


@blueprint.route("/v1/metric/<metric_id>/measures", methods=["POST"])
def post_metric_measures(metric_id: str):
    return _post_measures(own_metric(metric_id))


def _measures_reply(metric: Metric):
    method = request.args.get("aggregation", "mean")
    granularity = number_argument("granularity")
    start, stop = time_argument("start"), time_argument("stop")
    granularities = [granularity] if granularity else [
        float(level) for level, _ in ARCHIVE_POLICIES[metric.archive_policy_name]["definition"]]
    points: list[list[Any]] = []
    try:
        for level in sorted(granularities, reverse=True):
            points += points_view(measures_of(store(), metric, method, level, start, stop), level)
    except UnknownAggregation:
        raise NotFound(f"Aggregation method '{method}' for metric {metric.id} does not exist") from None
    return reply(points)


def _post_measures(metric: Metric):
    try:
        points = parse_measures(request.get_json(silent=True), now())
    except MeasuresError as exc:
        raise BadRequest(str(exc)) from None
    add_measures(store(), metric.id, points)
    wake_evaluator()
    return reply(None, 202)
