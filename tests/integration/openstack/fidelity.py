"""One openstacksdk sequence, recorded: the fields of every object's body and the statuses it went through.

Run on a real cloud and on the sandbox, the two records say where the
emulator differs from the services it stands in for (``test_fidelity.py``).
Bodies are read raw, at the microversions the plugins use, since the
plugins rely on the APIs' fields, not on openstacksdk's objects.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from keystoneauth1 import adapter

#: the microversions of the plugins' reads
COMPUTE_MICROVERSION = "2.93"


@dataclass
class Observed:
    """An object's fields (union over every read) and its distinct statuses, in order."""

    fields: set[str] = field(default_factory=set)
    statuses: list[str] = field(default_factory=list)

    def saw(self, body: dict[str, Any], status_key: str = "status") -> None:
        self.fields |= set(body)
        status = body.get(status_key)
        if status is not None and (not self.statuses or self.statuses[-1] != status):
            self.statuses.append(status)


def _body(response: Any, key: str) -> dict[str, Any] | None:
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()[key]


def _follow(read: Callable[[], dict[str, Any] | None], observed: Observed, until: Callable[[Any], bool],
            status_key: str = "status", timeout: float = 120) -> None:
    """Read the object every 0.1 s, noting what it shows, until ``until(body)`` (``None``: it is gone)."""
    deadline = time.monotonic() + timeout
    while True:
        body = read()
        if body is not None:
            observed.saw(body, status_key)
        if until(body):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"still {observed.statuses[-1:]} after {timeout} s")
        time.sleep(0.1)


def record(connection: Any, image: str, flavor: str) -> dict[str, Observed]:
    """Run the sequence in ``connection``'s project (it deletes what it makes); what was observed, by object kind."""
    compute, network, storage, balancer = (connection.compute, connection.network, connection.block_storage,
                                           connection.load_balancer)
    seen: dict[str, Observed] = {kind: Observed() for kind in (
        "network", "subnet", "port", "server", "volume", "load balancer")}
    net = network.post("/networks", json={"network": {"name": "fidelity"}}).json()["network"]
    seen["network"].saw(net)
    subnet = network.post("/subnets", json={"subnet": {"network_id": net["id"], "cidr": "10.62.0.0/24",
                                                       "ip_version": 4}}).json()["subnet"]
    seen["subnet"].saw(subnet)
    port = network.post("/ports", json={"port": {"network_id": net["id"]}}).json()["port"]
    seen["port"].saw(port)
    image_id = connection.image.find_image(image, ignore_missing=False).id
    flavor_id = compute.find_flavor(flavor, ignore_missing=False).id
    server = compute.post("/servers", microversion=COMPUTE_MICROVERSION, json={"server": {
        "name": "fidelity", "imageRef": image_id, "flavorRef": flavor_id,
        "networks": [{"port": port["id"]}]}}).json()["server"]

    def read_server() -> dict[str, Any] | None:
        return _body(compute.get(f"/servers/{server['id']}", microversion=COMPUTE_MICROVERSION), "server")

    def read_volume() -> dict[str, Any] | None:
        return _body(storage.get(f"/volumes/{volume['id']}"), "volume")

    volume = storage.post("/volumes", json={"volume": {"size": 1, "name": "fidelity"}}).json()["volume"]
    lb = balancer.post("/lbaas/loadbalancers", json={"loadbalancer": {"vip_subnet_id": subnet["id"]}}).json()[
        "loadbalancer"]

    def read_lb() -> dict[str, Any] | None:
        return _body(balancer.get(f"/lbaas/loadbalancers/{lb['id']}"), "loadbalancer")

    _follow(read_server, seen["server"], lambda body: body["status"] in ("ACTIVE", "ERROR"))
    _follow(read_volume, seen["volume"], lambda body: body["status"] in ("available", "error"))
    # an agent reports the bound port up some seconds after the server is
    _follow(lambda: network.get(f"/ports/{port['id']}").json()["port"], seen["port"],
            lambda body: body["status"] == "ACTIVE")
    compute.post(f"/servers/{server['id']}/os-volume_attachments", microversion=COMPUTE_MICROVERSION,
                 json={"volumeAttachment": {"volumeId": volume["id"]}}).raise_for_status()
    _follow(read_volume, seen["volume"], lambda body: body["status"] == "in-use")
    compute.delete(f"/servers/{server['id']}/os-volume_attachments/{volume['id']}",
                   microversion=COMPUTE_MICROVERSION).raise_for_status()
    _follow(read_volume, seen["volume"], lambda body: body["status"] == "available")
    _follow(read_lb, seen["load balancer"], lambda body: body["provisioning_status"] in ("ACTIVE", "ERROR"),
            status_key="provisioning_status")

    compute.delete(f"/servers/{server['id']}").raise_for_status()
    storage.delete(f"/volumes/{volume['id']}").raise_for_status()
    balancer.delete(f"/lbaas/loadbalancers/{lb['id']}").raise_for_status()
    _follow(read_server, seen["server"], lambda body: body is None)
    _follow(read_volume, seen["volume"], lambda body: body is None)
    _follow(read_lb, seen["load balancer"], lambda body: body is None, status_key="provisioning_status")
    for path in (f"/ports/{port['id']}", f"/subnets/{subnet['id']}", f"/networks/{net['id']}"):
        response = network.delete(path)
        assert response.status_code in (204, 404), response.text
    return seen


# -- telemetry: Gnocchi's and Aodh's bodies ------------------------------------------------------------

#: Gnocchi answers errors in HTML unless asked for JSON (its clients ask)
JSON = {"Accept": "application/json"}


def record_telemetry(connection: Any, name: str) -> dict[str, Observed]:
    """Gnocchi and Aodh in ``connection``'s project: the fields of each body (it deletes what it makes).

    A generic resource with a metric, measures posted and read back (one
    metric's and aggregated over a search), an alarm over that search made,
    read, listed, changed and deleted, its state and history, and the error
    bodies of a missing metric and a missing alarm.  Alarm states are
    recorded too (a new alarm's only).
    """
    metric = adapter.Adapter(connection.session, service_type="metric", interface="public")
    aodh = adapter.Adapter(connection.session, service_type="alarming", interface="public")
    seen: dict[str, Observed] = {kind: Observed() for kind in (
        "resource", "metric", "measure", "aggregates", "alarm", "alarm rule", "alarm history", "alarm error",
        "metric error")}
    resource = metric.post("/v1/resource/generic", headers=JSON, json={
        "id": name, "metrics": {"load": {"archive_policy_name": "high"}}}).json()
    seen["resource"].saw(resource)
    metric_id = resource["metrics"]["load"]
    try:
        seen["metric"].saw(metric.get(f"/v1/metric/{metric_id}", headers=JSON).json())
        now = time.time()
        metric.post(f"/v1/metric/{metric_id}/measures", headers=JSON, json=[
            {"timestamp": now - 61, "value": 10.0}, {"timestamp": now - 1, "value": 90.0}])
        points: list[Any] = []
        deadline = time.monotonic() + 60
        while not points and time.monotonic() < deadline:  # Gnocchi's metricd processes measures in batches
            points = metric.get(f"/v1/metric/{metric_id}/measures?granularity=60&refresh=true", headers=JSON).json()
            time.sleep(0 if points else 1)
        assert points, "Gnocchi processed no measure within 60 s"
        seen["measure"].fields |= {f"{len(point)} values" for point in points}
        search = {"=": {"id": resource["id"]}}
        aggregated = metric.post("/v1/aggregates?granularity=60&needed_overlap=0", headers=JSON, json={
            "operations": ["aggregate", "mean", ["metric", "load", "mean"]], "search": search,
            "resource_type": "generic"}).json()
        seen["aggregates"].saw(aggregated)
        seen["aggregates"].fields |= {f"measures.{key}" for key in aggregated["measures"]}
        alarm = aodh.post("/v2/alarms", json={
            "name": name, "type": "gnocchi_aggregation_by_resources_threshold",
            "alarm_actions": ["http://127.0.0.1:9/fidelity"],
            "gnocchi_aggregation_by_resources_threshold_rule": {
                "metric": "load", "aggregation_method": "mean", "threshold": 50, "comparison_operator": "gt",
                "resource_type": "generic", "query": json.dumps(search)}}).json()
        seen["alarm"].saw(alarm, "state")
        seen["alarm rule"].saw(alarm["gnocchi_aggregation_by_resources_threshold_rule"])
        shown = aodh.get(f"/v2/alarms/{alarm['alarm_id']}").json()
        seen["alarm"].saw(shown, "state")
        assert [listed["alarm_id"] for listed in aodh.get(f"/v2/alarms?q.field=name&q.op=eq&q.value={name}").json()
                ] == [alarm["alarm_id"]]
        seen["alarm"].saw(aodh.put(f"/v2/alarms/{alarm['alarm_id']}", json={**shown, "severity": "critical"}).json(),
                          "state")
        for entry in aodh.get(f"/v2/alarms/{alarm['alarm_id']}/history").json():
            seen["alarm history"].saw(entry, "type")
        aodh.delete(f"/v2/alarms/{alarm['alarm_id']}")
        missing = aodh.get(f"/v2/alarms/{alarm['alarm_id']}", raise_exc=False)
        seen["alarm error"].saw(missing.json())
        seen["alarm error"].fields |= {f"error_message.{key}" for key in missing.json()["error_message"]}
        seen["metric error"].saw(metric.get("/v1/metric/0b6c5f1e-0000-4000-8000-000000000000", headers=JSON,
                                            raise_exc=False).json())
    finally:
        metric.delete(f"/v1/resource/generic/{resource['id']}", raise_exc=False)
    return seen
