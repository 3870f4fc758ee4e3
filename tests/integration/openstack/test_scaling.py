"""Autoscaling on a cloud's own Aodh: an alarm of the real Aodh calls a policy's signed URL, and the group grows.

The minicloud has no Ceilometer, so nothing meters its servers: the test
keeps posting a busy value into a Gnocchi resource of its own, and the
group's alarm watches that resource.  The cloud's Aodh evaluates every 60 s,
so the first resize comes one to two minutes after the stack (bounded at
four); the resize itself is ours: a job on the group's nested stack that
boots one more server in the cloud.  On the sandbox (no ``OS_CLOUD``) the same
flow runs against the sandbox's Aodh, whose evaluator the suite's sandbox
runs every second.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import yaml

from .conftest import Service
from .test_alarms import JSON, _gnocchi, _keep_posting, _name
from .test_stacks import NETWORK, PARAMETERS, _delete_leaves_nothing

#: how long the group may take to grow: the cloud's evaluation period (60 s), Gnocchi's lag, a server's boot
GROW_TIMEOUT = 240


def _group_template(resource_id: str) -> dict:
    member = {"type": "OS::Nova::Server", "properties": {
        "image": {"get_param": "image"}, "flavor": {"get_param": "flavor"},
        "networks": [{"network": {"get_resource": "net"}}]}}
    return {"heat_template_version": "2018-08-31", "parameters": PARAMETERS, "resources": {
        **NETWORK,
        "group": {"type": "OS::Heat::AutoScalingGroup", "depends_on": ["subnet"], "properties": {
            "min_size": 1, "max_size": 2, "resource": member}},
        "scale_out": {"type": "OS::Heat::ScalingPolicy", "properties": {
            "auto_scaling_group_id": {"get_resource": "group"}, "adjustment_type": "change_in_capacity",
            "scaling_adjustment": 1, "cooldown": 0}},
        "busy": {"type": "OS::Aodh::GnocchiAggregationByResourcesAlarm", "properties": {
            "metric": "load", "aggregation_method": "mean", "granularity": 60, "evaluation_periods": 1,
            "threshold": 50, "comparison_operator": "gt", "resource_type": "generic",
            "query": json.dumps({"=": {"id": resource_id}}), "repeat_actions": False,
            "alarm_actions": [{"get_attr": ["scale_out", "alarm_url"]}]}},
    }, "outputs": {"size": {"value": {"get_attr": ["group", "current_size"]}},
                   "servers": {"value": {"get_attr": ["group", "refs"]}}}}


def _outputs(service: Service, name: str) -> dict:
    return {o["output_key"]: o["output_value"] for o in service.stack(name)["outputs"]}


def test_an_alarm_of_the_clouds_aodh_grows_the_group_through_the_policys_signed_url(service: Service,
                                                                                     tmp_path: Path):
    cloud = service.cloud
    before = cloud.inventory()
    gnocchi, name = _gnocchi(cloud), _name("it-scale")
    resource = gnocchi.post("/v1/resource/generic", headers=JSON, json={
        "id": str(uuid.uuid4()), "metrics": {"load": {"archive_policy_name": "medium"}}}).json()
    stop = threading.Event()
    poster = threading.Thread(target=_keep_posting, args=(gnocchi, resource["metrics"]["load"], 90.0, stop),
                              daemon=True)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(_group_template(resource["id"])))
    try:
        service.openstack("stack", "create", "-t", str(path), "--parameter", f"image={cloud.image}",
                          "--parameter", f"flavor={cloud.flavor}", "--parameter",
                          f"public_net={cloud.external_network}", name, "--wait", "--poll", "2")
        assert _outputs(service, name)["size"] == 1
        poster.start()
        started, deadline = time.monotonic(), time.monotonic() + GROW_TIMEOUT
        while _outputs(service, name)["size"] != 2:
            assert time.monotonic() < deadline, f"the group did not grow within {GROW_TIMEOUT} s"
            time.sleep(3)
        print(f"the group grew {time.monotonic() - started:.0f} s after the load began")
        servers = _outputs(service, name)["servers"]
        assert len(servers) == 2
        for server_id in servers:  # booted in the cloud, in the user's project
            assert cloud.connection.compute.wait_for_server(cloud.connection.compute.get_server(server_id),
                                                            wait=120).status == "ACTIVE"
        events = json.loads(service.openstack("stack", "event", "list", name, "--resource", "scale_out",
                                              "-f", "json"))
        signals = [e for e in events if e["resource_status"].startswith("SIGNAL")]
        assert len(signals) == 1, events
        assert signals[0]["resource_status_reason"].startswith("alarm state changed from insufficient data to alarm")
    finally:
        stop.set()
        if poster.is_alive():
            poster.join(10)
    _delete_leaves_nothing(service, name, before)
    gnocchi.delete(f"/v1/resource/generic/{resource['id']}", raise_exc=False)
