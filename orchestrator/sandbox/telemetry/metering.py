"""Ceilometer's legacy sample API (``POST /metering/v2/meters/<name>``), for the legacy threshold alarms.

Only posting samples is emulated: each sample becomes a measure of metric
``<name>`` of the Gnocchi resource ``resource_id`` (a sandbox server's, or a
``generic`` one made on first use), and its ``resource_metadata`` is kept on
that resource, where a legacy alarm's query (``metadata.user_metadata.X``)
finds it.  A server's metadata comes from the server itself.
"""

from __future__ import annotations

from typing import Any

from flask import request

from ..service import BadRequest, Forbidden, ServiceBlueprint, base_url, caller, reply, store
from ..store import new_id
from .measures import MeasuresError, add_measures, parse_measures
from .metric import wake_evaluator
from .resources import DEFAULT_ARCHIVE_POLICY, METRIC, RESOURCE, find_resource, metrics_of, resource_id_of
from .times import aodh_time, gnocchi_time

blueprint = ServiceBlueprint("metering", "/metering", "aodh", __name__)

SAMPLE_FIELDS = ("counter_name", "counter_type", "counter_unit", "counter_volume", "resource_id", "project_id",
                 "user_id", "timestamp", "resource_metadata", "source", "message_id", "recorded_at", "id")


@blueprint.route("/", methods=["GET"])
@blueprint.public
def versions():
    return reply({"versions": {"values": [{"id": "v2", "status": "stable", "updated": "2013-02-13T00:00:00Z",
                                           "links": [{"href": f"{base_url()}/metering/v2", "rel": "self"}]}]}})


def _resource_for(sample: dict[str, Any]) -> dict[str, Any]:
    """The Gnocchi resource a sample is about, made (or its metadata refreshed) as needed."""
    objects = store()
    resource_id = resource_id_of(str(sample["resource_id"]))
    metadata = sample.get("resource_metadata") or {}
    found = find_resource(objects, resource_id)
    if found is not None and found.get("_server") is None:
        objects.change(RESOURCE, resource_id, {"_metadata": metadata})
        return find_resource(objects, resource_id) or found
    if found is not None:
        return found
    moment = gnocchi_time(objects.clock())
    objects.add(RESOURCE, {
        "id": resource_id, "type": "generic", "project_id": sample["project_id"], "user_id": sample.get("user_id"),
        "original_resource_id": str(sample["resource_id"]), "started_at": moment, "revision_start": moment,
        "ended_at": None, "revision_end": None, "creator": f"{caller().user_id}:{caller().project_id}",
        "created_by_user_id": caller().user_id, "created_by_project_id": caller().project_id,
        "_metadata": metadata}, sample["project_id"])
    return find_resource(objects, resource_id)  # type: ignore[return-value]


def _metric_id(resource: dict[str, Any], name: str, unit: Any) -> str:
    metric = metrics_of(store(), resource).get(name)
    if metric is not None:
        return metric.id
    document = {"id": new_id(), "name": name, "unit": unit, "archive_policy_name": DEFAULT_ARCHIVE_POLICY,
                "resource_id": resource["id"], "creator": f"{caller().user_id}:{caller().project_id}",
                "created_by_user_id": caller().user_id, "created_by_project_id": caller().project_id}
    store().add(METRIC, document, resource.get("project_id"))
    return document["id"]


def _checked(index: int, sample: Any, meter: str) -> dict[str, Any]:
    if not isinstance(sample, dict):
        raise BadRequest(f"Invalid input for field/attribute samples. Value: '{sample}'. sample {index} is not an "
                         "object")
    for required in ("counter_volume", "resource_id"):
        if sample.get(required) is None:
            raise BadRequest(f"Invalid input for field/attribute {required}. Value: 'None'. Mandatory field "
                             f"missing (sample {index}).")
    if sample.get("counter_name", meter) != meter:
        raise BadRequest(f"The meter name is not consistent with the counter name of sample {index}: "
                         f"{sample['counter_name']} is not {meter}")
    project = sample.get("project_id") or caller().project_id
    if project != caller().project_id and not caller().is_admin:
        raise Forbidden(f"Not Authorized to access project {project}")
    return {**sample, "project_id": project, "counter_name": meter}


@blueprint.route("/v2/meters/<meter>", methods=["POST"])
def post_samples(meter: str):
    samples = request.get_json(silent=True)
    if not isinstance(samples, list):
        raise BadRequest("Invalid input for field/attribute samples. Value: 'None'. expected a list of samples")
    objects = store()
    moment = objects.clock()
    stored = []
    with objects.transaction():
        for index, given in enumerate(samples):
            sample = _checked(index, given, meter)
            sample.setdefault("timestamp", aodh_time(moment))
            try:
                points = parse_measures([{"timestamp": sample["timestamp"], "value": sample["counter_volume"]}],
                                        moment)
            except MeasuresError as exc:
                raise BadRequest(f"Invalid sample {index}: {exc}") from None
            resource = _resource_for(sample)
            add_measures(objects, _metric_id(resource, meter, sample.get("counter_unit")), points)
            stored.append({**{key: sample.get(key) for key in SAMPLE_FIELDS}, "id": new_id(),
                           "message_id": sample.get("message_id") or new_id(), "recorded_at": aodh_time(moment),
                           "source": sample.get("source") or f"{caller().project_id}:openstack"})
    wake_evaluator()
    return reply(stored, 201)
