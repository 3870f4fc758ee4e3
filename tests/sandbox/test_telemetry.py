"""Gnocchi, Aodh and Ceilometer's sample API in the sandbox, through keystoneauth as their clients reach them.

Servers are Gnocchi ``instance`` resources whose metrics follow the load
levels set for them; measures anyone posts stand instead of the computed
sample in their period; Aodh's alarms are checked and shown in Aodh's shapes
and words.  The clock is the test's (``metered_cloud``).
"""

from __future__ import annotations

import json

import pytest
import requests

from orchestrator.sandbox.adapter import IN_PROCESS_URL, mount
from orchestrator.sandbox.telemetry.load import DEFAULT_LOAD, cpu_percent, set_load

from .metered import EPOCH, MeteredCloud, gnocchi_alarm, metered_cloud

MINUTE = 60.0


@pytest.fixture
def cloud():
    with metered_cloud() as running:
        yield running


def _json(response):
    return response.json() if response.content else None


def _values(points):
    return [value for _, _, value in points]


def test_the_catalog_offers_gnocchi_aodh_and_ceilometer_with_their_version_documents(cloud: MeteredCloud):
    access = cloud.connect().session.auth.get_access(cloud.connect().session)
    names = {entry["type"]: entry["name"] for entry in access.service_catalog.catalog}
    assert (names["metric"], names["alarming"], names["metering"]) == ("gnocchi", "aodh", "ceilometer")
    versions = cloud.metric().get("/", raise_exc=False).json()
    assert versions["versions"][0]["id"] == "v1.0"
    assert cloud.alarming().get("/", raise_exc=False).json()["versions"]["values"][0]["id"] == "v2"
    links = {link["rel"] for link in cloud.metric().get("/v1").json()["links"]}
    assert {"aggregates", "metric", "resource", "search"} <= links


def test_every_server_is_an_instance_resource_of_its_project_and_group(cloud: MeteredCloud):
    web = cloud.boot("web-1", group="stack-a")
    cloud.boot("db-1")
    resources = cloud.metric().get("/v1/resource/instance").json()
    shown = {resource["display_name"]: resource for resource in resources}
    assert set(shown) == {"web-1", "db-1"}
    web_resource = shown["web-1"]
    assert web_resource["id"] == web and web_resource["server_group"] == "stack-a"
    assert web_resource["project_id"] == cloud.connect().current_project_id
    assert web_resource["flavor_name"] == "m1.tiny" and web_resource["ended_at"] is None
    assert {"cpu", "cpu_util", "memory.usage", "network.incoming.bytes.rate",
            "network.outgoing.bytes.rate"} <= set(web_resource["metrics"])
    generic = cloud.metric().get("/v1/resource/generic").json()
    assert {resource["type"] for resource in generic} == {"instance"} and "server_group" not in generic[0]
    found = cloud.metric().post("/v1/search/resource/instance", json={"=": {"server_group": "stack-a"}}).json()
    assert [resource["id"] for resource in found] == [web]
    assert cloud.metric("other").get("/v1/resource/instance").json() == []  # another project sees none
    metric = cloud.metric().get(f"/v1/metric/{web_resource['metrics']['cpu_util']}").json()
    assert (metric["name"], metric["unit"], metric["resource"]["id"]) == ("cpu_util", "%", web)


def test_a_servers_metrics_follow_its_load_levels(cloud: MeteredCloud):
    server = cloud.boot("web-1")
    set_load(cloud.store, server, 80.0, EPOCH + 3 * MINUTE)
    cloud.clock.advance(6 * MINUTE)
    path = f"/v1/resource/instance/{server}/metric"
    cpu_util = cloud.metric().get(f"{path}/cpu_util/measures?granularity=60&start={EPOCH}").json()
    assert _values(cpu_util) == [5.0, 5.0, 5.0, 80.0, 80.0, 80.0, 80.0]
    assert cpu_util[3][:2] == ["2027-01-15T08:03:00+00:00", 60.0]
    # cpu is cumulative nanoseconds: its rate per minute is the CPU time used in the minute before each sample
    rates = cloud.metric().get(f"{path}/cpu/measures?granularity=60&aggregation=rate:mean&start={EPOCH}").json()
    assert _values(rates) == [0.05 * 60e9, 0.05 * 60e9, 0.05 * 60e9, 0.8 * 60e9, 0.8 * 60e9, 0.8 * 60e9]
    memory = cloud.metric().get(f"{path}/memory.usage/measures?granularity=60&start=-1 minute").json()
    assert _values(memory) == [512 * (0.2 + 0.6 * 0.8)] * 2
    network = cloud.metric().get(f"{path}/network.incoming.bytes.rate/measures?granularity=300&start={EPOCH}").json()
    assert _values(network) == [0.05 * 10e6, 0.8 * 10e6]
    assert cpu_percent(cloud.store, server, EPOCH + MINUTE) == DEFAULT_LOAD
    assert cpu_percent(cloud.store, server, cloud.clock.now) == 80.0
    assert cpu_percent(cloud.store, "no-such-server", cloud.clock.now) is None


def test_posted_measures_stand_instead_of_the_computed_sample_in_their_period(cloud: MeteredCloud):
    server = cloud.boot("web-1")
    cloud.clock.advance(3 * MINUTE)
    path = f"/v1/resource/instance/{server}/metric/cpu_util/measures"
    posted = cloud.metric().post(path, json=[{"timestamp": EPOCH + MINUTE + 10, "value": 90.0},
                                             {"timestamp": "2027-01-15T08:01:40+00:00", "value": 70.0}])
    assert posted.status_code == 202
    shown = cloud.metric().get(f"{path}?granularity=60&start={EPOCH}").json()
    assert _values(shown) == [5.0, 80.0, 5.0, 5.0]
    biggest = cloud.metric().get(f"{path}?granularity=60&start={EPOCH}&aggregation=max").json()
    assert _values(biggest) == [5.0, 90.0, 5.0, 5.0]


def test_measures_of_a_generic_resource_and_gnocchis_errors(cloud: MeteredCloud):
    metric = cloud.metric()
    created = metric.post("/v1/resource/generic", json={"id": "my-app", "metrics": {
        "queue.length": {"archive_policy_name": "high"}}})
    assert created.status_code == 201 and created.json()["original_resource_id"] == "my-app"
    metric_id = created.json()["metrics"]["queue.length"]
    measures = [{"timestamp": EPOCH + seconds, "value": value} for seconds, value in ((0, 1.0), (1, 3.0), (61, 8.0))]
    assert metric.post(f"/v1/metric/{metric_id}/measures", json=measures).status_code == 202
    assert _values(metric.get(f"/v1/metric/{metric_id}/measures?granularity=60").json()) == [2.0, 8.0]
    assert _values(metric.get(f"/v1/metric/{metric_id}/measures?granularity=1&aggregation=rate:sum").json()) == [
        2.0, 5.0]
    duplicate = metric.post("/v1/resource/generic", json={"id": "my-app"}, raise_exc=False)
    assert duplicate.status_code == 409 and duplicate.json()["description"] == "Resource my-app already exists"
    bad = metric.post(f"/v1/metric/{metric_id}/measures", json=[{"timestamp": "yesterday-ish", "value": 1}],
                      raise_exc=False)
    assert bad.status_code == 400
    assert bad.json() == {"code": 400, "title": "Bad Request",
                          "description": "Invalid input: measure 0: Unable to parse timestamp 'yesterday-ish'"}
    missing = metric.get("/v1/metric/0b6c5f1e-0000-4000-8000-000000000000", raise_exc=False)
    assert missing.status_code == 404 and missing.json()["title"] == "Not Found"
    policy = metric.post("/v1/metric", json={"archive_policy_name": "gold"}, raise_exc=False)
    assert policy.status_code == 400 and policy.json()["description"] == "Archive policy gold does not exist"
    unknown = metric.post("/v1/search/resource/instance", json={"=": {"colour": "red"}}, raise_exc=False)
    assert unknown.status_code == 400 and "unknown attribute 'colour'" in unknown.json()["description"]
    assert metric.delete("/v1/resource/generic/my-app").status_code == 204
    assert metric.get(f"/v1/metric/{metric_id}", raise_exc=False).status_code == 404


def test_aggregates_across_a_group_are_means_of_each_servers_series(cloud: MeteredCloud):
    first, second = cloud.boot("web-1", group="g"), cloud.boot("web-2", group="g")
    cloud.boot("other", group="h")
    set_load(cloud.store, first, 20.0, EPOCH)
    set_load(cloud.store, second, 80.0, EPOCH)
    cloud.clock.advance(3 * MINUTE)
    search = {"search": {"=": {"server_group": "g"}}, "resource_type": "instance"}
    mean = cloud.metric().post("/v1/aggregates?granularity=60&start=-2 minutes", json={
        "operations": "(aggregate mean (metric cpu_util mean))", **search}).json()
    assert _values(mean["measures"]["aggregated"]) == [50.0, 50.0, 50.0]
    rate = cloud.metric().post("/v1/aggregates?granularity=60&start=-2 minutes&needed_overlap=0", json={
        "operations": ["aggregate", "rate:mean", ["metric", "cpu", "mean"]], **search}).json()
    assert _values(rate["measures"]["aggregated"]) == [0.5 * 60e9] * 3
    each = cloud.metric().post("/v1/aggregates?granularity=60&start=-1 minutes", json={
        "operations": ["metric", "cpu_util", "max"], **search}).json()["measures"]
    assert {resource: _values(series["cpu_util"]["max"]) for resource, series in each.items()} == {
        first: [20.0, 20.0], second: [80.0, 80.0]}


def test_the_load_api_sets_a_servers_or_a_groups_level_for_admins_only(cloud: MeteredCloud):
    web = cloud.boot("web-1", group="g")
    cloud.boot("web-2", group="g")
    http, url = mount(requests.Session(), cloud.app), f"{IN_PROCESS_URL}/metric/sandbox/load"
    admin = {"X-Auth-Token": cloud.connect("admin").session.get_token()}  # the sandbox's admin, in its project
    answer = http.put(f"{url}/g", json={"level": 85}, headers=admin)
    assert answer.status_code == 200
    assert sorted((s["name"], s["before"], s["level"]) for s in answer.json()["servers"]) == [
        ("web-1", 5.0, 85.0), ("web-2", 5.0, 85.0)]
    assert answer.json()["group"] == "g"
    assert cpu_percent(cloud.store, web, cloud.clock.now) == 85.0
    joining = cloud.boot("web-3", group="g")
    assert cpu_percent(cloud.store, joining, cloud.clock.now) == 85.0, "a group's level holds for new members"
    cloud.clock.advance(1)
    by_name = http.put(f"{url}/web-1", json={"level": 40}, headers=admin).json()
    assert [(s["id"], s["before"], s["level"]) for s in by_name["servers"]] == [(web, 85.0, 40.0)]
    assert by_name["group"] is None and cpu_percent(cloud.store, joining, cloud.clock.now) == 85.0
    assert http.get(f"{url}/{web}", headers=admin).json()["servers"][0]["level"] == 40.0
    cloud.clock.advance(1)
    http.put(f"{url}/g", json={"level": 60}, headers=admin)  # the level set last is the one in force
    assert cpu_percent(cloud.store, web, cloud.clock.now) == 60.0
    member = {"X-Auth-Token": cloud.connect().session.get_token()}
    assert http.put(f"{url}/g", json={"level": 10}, headers=member).status_code == 403
    missing = http.put(f"{url}/nothing", json={"level": 10}, headers=admin)
    assert missing.status_code == 404 and "'nothing'" in missing.json()["description"]
    wrong = http.put(f"{url}/g", json={"level": 140}, headers=admin)
    assert wrong.status_code == 400 and "from 0 to 100" in wrong.json()["description"]


def _error(response) -> str:
    return response.json()["error_message"]["faultstring"]


def test_an_alarm_is_created_shown_listed_replaced_and_deleted_as_in_aodh(cloud: MeteredCloud):
    aodh = cloud.alarming()
    created = aodh.post("/v2/alarms", json=gnocchi_alarm("cpu-high", "g", 80.0, alarm_actions=["http://a.example/"]))
    assert created.status_code == 201
    alarm = created.json()
    assert created.headers["Location"].endswith(f"/alarming/v2/alarms/{alarm['alarm_id']}")
    assert (alarm["state"], alarm["state_reason"], alarm["severity"], alarm["enabled"]) == (
        "insufficient data", "Not evaluated yet", "low", True)
    assert alarm["repeat_actions"] is False and alarm["ok_actions"] == []
    assert alarm["description"] == "gnocchi_aggregation_by_resources_threshold alarm rule"
    rule = alarm["gnocchi_aggregation_by_resources_threshold_rule"]
    assert (rule["evaluation_periods"], rule["granularity"], rule["threshold"]) == (1, 60, 80.0)
    project = cloud.connect().current_project_id
    # as Aodh does for a non-admin, the query is limited to what the project may read
    assert json.loads(rule["query"])["and"][1] == {"=": {"server_group": "g"}}
    assert {"=": {"created_by_project_id": project}} in json.loads(rule["query"])["and"][0]["or"]
    assert aodh.get(f"/v2/alarms/{alarm['alarm_id']}").json() == alarm
    listed = aodh.get("/v2/alarms?q.field=name&q.op=eq&q.value=cpu-high").json()
    assert [found["alarm_id"] for found in listed] == [alarm["alarm_id"]]
    assert aodh.get("/v2/alarms?q.field=name&q.op=eq&q.value=other").json() == []
    assert cloud.alarming("other").get("/v2/alarms").json() == []

    changed = {**alarm, "threshold_rule": None, "severity": "critical"}
    changed["gnocchi_aggregation_by_resources_threshold_rule"] = {**rule, "threshold": 90.0}
    del changed["threshold_rule"]
    replaced = aodh.put(f"/v2/alarms/{alarm['alarm_id']}", json=changed).json()
    assert replaced["severity"] == "critical"
    assert replaced["gnocchi_aggregation_by_resources_threshold_rule"]["threshold"] == 90.0
    assert aodh.put(f"/v2/alarms/{alarm['alarm_id']}/state", json="alarm").json() == "alarm"
    assert aodh.get(f"/v2/alarms/{alarm['alarm_id']}/state").json() == "alarm"
    assert aodh.get(f"/v2/alarms/{alarm['alarm_id']}").json()["state_reason"] == "Manually set via API"
    history = aodh.get(f"/v2/alarms/{alarm['alarm_id']}/history").json()
    assert [entry["type"] for entry in history] == ["state transition", "rule change", "creation"]
    assert json.loads(history[1]["detail"])["severity"] == "critical"
    assert aodh.delete(f"/v2/alarms/{alarm['alarm_id']}").status_code == 204
    gone = aodh.get(f"/v2/alarms/{alarm['alarm_id']}", raise_exc=False)
    assert gone.status_code == 404
    assert gone.json() == {"error_message": {"faultcode": "Client", "faultstring": f"Alarm {alarm['alarm_id']} not "
                                                                                   "found", "debuginfo": None}}


@pytest.mark.parametrize(("change", "message"), [
    (lambda alarm: alarm.pop("name"), "Invalid input for field/attribute name. Value: 'None'. Mandatory field "
                                      "missing."),
    (lambda alarm: alarm.update(type="bogus"), "Invalid input for field/attribute type. Value: 'bogus'. Value should "
                                               "be one of: threshold, gnocchi_resources_threshold, "
                                               "gnocchi_aggregation_by_metrics_threshold, "
                                               "gnocchi_aggregation_by_resources_threshold"),
    (lambda alarm: alarm.pop("gnocchi_aggregation_by_resources_threshold_rule"),
     "gnocchi_aggregation_by_resources_threshold_rule must be set for gnocchi_aggregation_by_resources_threshold "
     "type alarm"),
    (lambda alarm: alarm["gnocchi_aggregation_by_resources_threshold_rule"].update(comparison_operator="xx"),
     "Invalid input for field/attribute comparison_operator. Value: 'xx'. Value should be one of: lt, le, eq, ne, "
     "ge, gt"),
    (lambda alarm: alarm["gnocchi_aggregation_by_resources_threshold_rule"].update(threshold="high"),
     "Invalid input for field/attribute threshold. Value: 'high'. Wrong type. Expected 'float', got 'str'"),
    (lambda alarm: alarm["gnocchi_aggregation_by_resources_threshold_rule"].update(evaluation_periods=0),
     "Invalid input for field/attribute evaluation_periods. Value: '0'. Value should be greater or equal to 1"),
    (lambda alarm: alarm["gnocchi_aggregation_by_resources_threshold_rule"].update(query="{bad"),
     "Invalid input for field/attribute rule/query. Value: '{bad'. "),
    (lambda alarm: alarm["gnocchi_aggregation_by_resources_threshold_rule"].update(resource_type="vm"),
     "Resource type vm does not exist"),
    (lambda alarm: alarm["gnocchi_aggregation_by_resources_threshold_rule"].update(resource_type="generic"),
     "Invalid query of resource type generic: Invalid input: unknown attribute 'server_group' (the resource type "
     "has created_by_project_id, created_by_user_id, creator, ended_at, id, original_resource_id, project_id, "
     "revision_end, revision_start, started_at, type, user_id)"),
    (lambda alarm: alarm.update(alarm_actions=["foo"]), "Unsupported action foo"),
    (lambda alarm: alarm.update(colour="red"), "Unknown attribute for argument data: colour"),
    (lambda alarm: alarm.update(enabled="maybe"), "Invalid input for field/attribute enabled. Value: 'maybe'. Value "
                                                  "not an unambiguous boolean: maybe"),
])
def test_a_wrong_alarm_is_refused_in_aodhs_words(cloud: MeteredCloud, change, message):
    alarm = gnocchi_alarm("wrong", "g", 80.0)
    change(alarm)
    refused = cloud.alarming().post("/v2/alarms", json=alarm, raise_exc=False)
    assert (refused.status_code, _error(refused)) == (400, message)


def test_log_actions_are_for_admins_as_in_aodh(cloud: MeteredCloud):
    refused = cloud.alarming().post("/v2/alarms", json=gnocchi_alarm("x", "g", 1, alarm_actions=["log://"]),
                                    raise_exc=False)
    assert (refused.status_code, _error(refused)) == (401, "You are not authorized to create action: log://")
    admitted = cloud.alarming("admin").post("/v2/alarms", json=gnocchi_alarm("x", "g", 1, alarm_actions=["log://"]))
    assert admitted.status_code == 201


def test_an_unknown_aggregation_method_is_refused(cloud: MeteredCloud):
    refused = cloud.alarming().post("/v2/alarms", json=gnocchi_alarm("x", "g", 1, aggregation_method="average"),
                                    raise_exc=False)
    assert refused.status_code == 400 and _error(refused).endswith(" not average")


def test_a_legacy_threshold_alarm_takes_aodhs_defaults(cloud: MeteredCloud):
    alarm = cloud.alarming().post("/v2/alarms", json={"name": "legacy", "type": "threshold", "threshold_rule": {
        "meter_name": "cpu_util", "threshold": 70, "query": [
            {"field": "metadata.user_metadata.server_group", "op": "eq", "value": "g"}]}}).json()
    assert alarm["threshold_rule"] == {
        "meter_name": "cpu_util", "evaluation_periods": 1, "period": 60, "statistic": "avg",
        "query": [{"field": "metadata.user_metadata.server_group", "op": "eq", "value": "g", "type": ""}],
        "comparison_operator": "eq", "threshold": 70.0, "exclude_outliers": False}
    assert alarm["description"] == "Alarm when cpu_util is eq a avg of 70.0 over 60 seconds"


def test_ceilometer_samples_become_measures_of_the_resource_they_name(cloud: MeteredCloud):
    server = cloud.boot("web-1")
    metering = cloud.connect().session
    sample = {"counter_name": "cpu_util", "counter_type": "gauge", "counter_unit": "%", "counter_volume": 97.0,
              "resource_id": server, "timestamp": "2027-01-15T08:00:30"}
    posted = metering.post("/v2/meters/cpu_util", json=[sample],
                           endpoint_filter={"service_type": "metering", "interface": "public"})
    assert posted.status_code == 201 and posted.json()[0]["counter_volume"] == 97.0
    cloud.clock.advance(MINUTE)
    shown = cloud.metric().get(f"/v1/resource/instance/{server}/metric/cpu_util/measures?granularity=60").json()
    assert _values(shown) == [97.0, 5.0]
    other = {**sample, "resource_id": "my-app", "counter_name": "queue", "resource_metadata": {"role": "worker"}}
    assert metering.post("/v2/meters/queue", json=[other],
                         endpoint_filter={"service_type": "metering", "interface": "public"}).status_code == 201
    resources = {resource["original_resource_id"]: resource for resource in
                 cloud.metric().get("/v1/resource/generic").json()}
    assert "queue" in resources["my-app"]["metrics"]
