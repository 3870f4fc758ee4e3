"""OS::Aodh::* on a cloud's own Aodh and Gnocchi, through our API and the real ``openstack stack`` commands.

On the minicloud (Zed: Gnocchi and Aodh, no Ceilometer) the tests push
measures into Gnocchi themselves.  Its Aodh evaluates every 60 s, so the
test that waits for a real alarm to fire takes one to two minutes (bounded
at three).  Zed's Aodh has no legacy ``threshold`` type: there OS::Aodh::Alarm
must fail saying so, while the sandbox (the suite's cloud without
``OS_CLOUD``) still has it.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from keystoneauth1 import adapter

from tests.integration.conftest import OPENSTACK_CLI, clean_environment
from tests.sandbox.cloud import sandbox_cloud
from tests.sandbox.metered import WebhookListener

from .conftest import Cloud, Service
from .fidelity import JSON, record_telemetry

#: how long the firing test waits for the cloud's evaluator (it runs every 60 s; Gnocchi's metricd lags ~10 s)
FIRE_TIMEOUT = 180

GROUP_ALARM = {
    "heat_template_version": "2018-08-31",
    "parameters": {"threshold": {"type": "number", "default": 80}, "severity": {"type": "string", "default": "low"}},
    "resources": {"cpu_high": {"type": "OS::Aodh::GnocchiAggregationByResourcesAlarm", "properties": {
        "description": "Scale up when the group's CPU is above 80 %", "metric": "cpu",
        "aggregation_method": "rate:mean", "granularity": 300, "evaluation_periods": 1,
        "threshold": {"get_param": "threshold"}, "comparison_operator": "gt", "resource_type": "generic",
        "severity": {"get_param": "severity"}, "alarm_actions": ["http://127.0.0.1:9/scale-up"],
        # Heat's autoscaling templates select {"server_group": …} of type instance, which Ceilometer makes in
        # Gnocchi: the minicloud has no Ceilometer, and Aodh refuses a type Gnocchi lacks
        "query": {"str_replace": {"template": '{"=": {"original_resource_id": "STACK"}}',
                                  "params": {"STACK": {"get_param": "OS::stack_id"}}}}}}},
    "outputs": {"state": {"value": {"get_attr": ["cpu_high", "show", "state"]}}},
}

LEGACY_ALARM = {
    "heat_template_version": "2018-08-31",
    "resources": {"legacy": {"type": "OS::Aodh::Alarm", "properties": {
        "meter_name": "cpu_util", "statistic": "avg", "period": 60, "threshold": 80, "comparison_operator": "gt",
        "matching_metadata": {"metering.server_group": "web"}, "alarm_actions": ["http://127.0.0.1:9/up"]}}},
}


def _aodh(cloud: Cloud) -> adapter.Adapter:
    return adapter.Adapter(cloud.connection.session, service_type="alarming", interface="public")


def _gnocchi(cloud: Cloud) -> adapter.Adapter:
    return adapter.Adapter(cloud.connection.session, service_type="metric", interface="public")


def _write(tmp_path: Path, name: str, template: dict) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(template))
    return str(path)


def _openstack(service: Service, *args: str) -> subprocess.CompletedProcess:
    """``openstack --os-cloud orchestrator ARGS…``, which may fail (``Service.openstack`` may not)."""
    return subprocess.run([OPENSTACK_CLI, "--os-cloud", "orchestrator", *args], capture_output=True, text=True,
                          timeout=600, env=clean_environment(OS_CLIENT_CONFIG_FILE=str(service.data / "clouds.yaml")))


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_a_gnocchi_alarm_is_made_changed_and_deleted_in_the_clouds_aodh(service: Service, tmp_path: Path):
    aodh, name = _aodh(service.cloud), _name("it-alarm")
    service.openstack("stack", "create", "-t", _write(tmp_path, name, GROUP_ALARM), name, "--wait")
    stack = service.stack(name)
    alarm_id = service.physical_ids(name)["cpu_high"]
    alarm = aodh.get(f"/v2/alarms/{alarm_id}").json()
    assert alarm["type"] == "gnocchi_aggregation_by_resources_threshold" and alarm["name"].startswith(name)
    assert alarm["repeat_actions"] is True and alarm["alarm_actions"] == ["http://127.0.0.1:9/scale-up"]
    rule = alarm["gnocchi_aggregation_by_resources_threshold_rule"]
    assert (rule["metric"], rule["aggregation_method"], rule["granularity"], rule["threshold"]) == (
        "cpu", "rate:mean", 300, 80.0)
    # Aodh limits a member's query to what its project may read: the template's query is inside
    assert {"=": {"original_resource_id": stack["id"]}} in json.loads(rule["query"])["and"]
    outputs = {output["output_key"]: output["output_value"] for output in stack["outputs"]}
    assert outputs["state"] == "insufficient data"

    service.openstack("stack", "update", "-t", _write(tmp_path, name, GROUP_ALARM), name, "--parameter",
                      "threshold=90", "--parameter", "severity=critical", "--wait")
    assert service.physical_ids(name)["cpu_high"] == alarm_id, "changed in place"
    changed = aodh.get(f"/v2/alarms/{alarm_id}").json()
    assert changed["gnocchi_aggregation_by_resources_threshold_rule"]["threshold"] == 90.0
    assert changed["severity"] == "critical"

    service.openstack("stack", "delete", name, "--yes", "--wait")
    assert aodh.get(f"/v2/alarms/{alarm_id}", raise_exc=False).status_code == 404


def test_the_legacy_threshold_alarm_works_where_aodh_has_it_and_fails_clearly_where_not(service: Service,
                                                                                       tmp_path: Path):
    name = _name("it-legacy")
    created = _openstack(service, "stack", "create", "-t", _write(tmp_path, name, LEGACY_ALARM), name, "--wait")
    try:
        stack = service.stack(name)
        if service.cloud.is_sandbox:
            assert created.returncode == 0 and stack["stack_status"] == "CREATE_COMPLETE", created.stderr
            alarm = _aodh(service.cloud).get(f"/v2/alarms/{service.physical_ids(name)['legacy']}").json()
            assert alarm["threshold_rule"]["query"][0]["field"] == "metadata.user_metadata.server_group"
        else:
            assert stack["stack_status"] == "CREATE_FAILED"
            reason = stack["stack_status_reason"]
            assert "Unknown attribute for argument data: threshold_rule" in reason, reason
            assert "no legacy threshold alarms" in reason and "GnocchiAggregationByResourcesAlarm" in reason, reason
    finally:
        service.openstack("stack", "delete", name, "--yes", "--wait")


def _keep_posting(gnocchi: adapter.Adapter, metric_id: str, value: float, stop: threading.Event) -> None:
    """Post ``value`` every 5 s until ``stop``: the period the evaluator reads always has a fresh measure."""
    while not stop.is_set():
        gnocchi.post(f"/v1/metric/{metric_id}/measures", headers=JSON,
                     json=[{"timestamp": time.time(), "value": value}], raise_exc=False)
        stop.wait(5)


def test_measures_pushed_into_gnocchi_make_the_clouds_alarm_call_a_local_listener(service: Service, tmp_path: Path):
    gnocchi, name = _gnocchi(service.cloud), _name("it-fire")
    resource = gnocchi.post("/v1/resource/generic", headers=JSON, json={
        "id": str(uuid.uuid4()), "metrics": {"load": {"archive_policy_name": "medium"}}}).json()
    stop = threading.Event()
    poster = threading.Thread(target=_keep_posting, args=(gnocchi, resource["metrics"]["load"], 90.0, stop),
                              daemon=True)
    try:
        with WebhookListener() as listener:
            template: dict[str, Any] = {"heat_template_version": "2018-08-31", "resources": {"busy": {
                "type": "OS::Aodh::GnocchiAggregationByResourcesAlarm", "properties": {
                    "metric": "load", "aggregation_method": "mean", "granularity": 60, "evaluation_periods": 1,
                    "threshold": 50, "comparison_operator": "gt", "resource_type": "generic",
                    "query": json.dumps({"=": {"id": resource["id"]}}), "repeat_actions": False,
                    "alarm_actions": [f"{listener.url}/busy"]}}}}
            poster.start()
            started = time.monotonic()
            service.openstack("stack", "create", "-t", _write(tmp_path, name, template), name, "--wait")
            alarm_id = service.physical_ids(name)["busy"]
            assert listener.arrived.wait(FIRE_TIMEOUT), f"the cloud's Aodh called nothing within {FIRE_TIMEOUT} s"
            took = time.monotonic() - started
            body = listener.received[0]["body"]
            assert (body["alarm_id"], body["current"]) == (alarm_id, "alarm")
            assert body["reason"] == "Transition to alarm due to 1 samples outside threshold, most recent: 90.0"
            assert body["reason_data"] == {"type": "threshold", "disposition": "outside", "count": 1,
                                           "most_recent": 90.0}
            print(f"the alarm fired {took:.0f} s after the stack was requested")
    finally:
        stop.set()
        if poster.is_alive():
            poster.join(10)
        _openstack(service, "stack", "delete", name, "--yes", "--wait")
        gnocchi.delete(f"/v1/resource/generic/{resource['id']}", raise_exc=False)


def test_the_sandbox_shows_the_fields_of_the_real_gnocchi_and_aodh(cloud: Cloud):
    if cloud.is_sandbox:
        pytest.skip("compares a real cloud (OS_CLOUD) with the sandbox; this run's cloud is the sandbox")
    real = record_telemetry(cloud.connection, _name("it-fidelity"))
    with sandbox_cloud() as sandbox:
        emulated = record_telemetry(sandbox.connect_as("demo", "demo"), _name("it-fidelity"))
    differences = {}
    for kind, seen in real.items():
        mine = emulated[kind]
        missing, extra = seen.fields - mine.fields, mine.fields - seen.fields
        if missing or extra or mine.statuses != seen.statuses:
            differences[kind] = {"missing": sorted(missing), "extra": sorted(extra),
                                 "statuses": {"cloud": seen.statuses, "sandbox": mine.statuses}}
    assert differences == {}
