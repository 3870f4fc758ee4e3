"""The sandbox's alarm evaluator: Aodh's state machine, reason texts and webhook body, on a real store.

Alarms are made through the sandbox's Aodh API, servers through its Nova;
the test sets load levels at chosen times, moves the clock and runs one
evaluation pass (``evaluate_all``), which returns the notifications to
deliver.  Delivery is tested against a real local HTTP listener, and the
evaluator thread on a sandbox served over real HTTP.
"""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from keystoneauth1 import adapter

from orchestrator.sandbox import start_alarm_evaluator
from orchestrator.sandbox.telemetry.evaluator import evaluate_all
from orchestrator.sandbox.telemetry.load import set_load
from orchestrator.sandbox.telemetry.notifier import deliver

from .cloud import sandbox_cloud
from .metered import EPOCH, MeteredCloud, WebhookListener, gnocchi_alarm, metered_cloud

MINUTE = 60.0
ACTIONS = {"alarm_actions": ["http://hooks.example/alarm"], "ok_actions": ["http://hooks.example/ok"],
           "insufficient_data_actions": ["http://hooks.example/nodata"]}


@pytest.fixture
def cloud():
    with metered_cloud() as running:
        yield running


def _group(cloud: MeteredCloud, load: float, size: int = 2, group: str = "g") -> list[str]:
    servers = [cloud.boot(f"{group}-{index}", group=group) for index in range(size)]
    for server in servers:
        set_load(cloud.store, server, load, EPOCH)
    return servers


def _alarm(cloud: MeteredCloud, threshold: float = 80.0, project: str = "demo", **rule) -> str:
    rule.setdefault("evaluation_periods", 3)
    for key, urls in ACTIONS.items():
        rule.setdefault(key, urls)
    return cloud.alarming(project).post("/v2/alarms", json=gnocchi_alarm("cpu-high", "g", threshold, **rule)).json()[
        "alarm_id"]


def _shown(cloud: MeteredCloud, alarm_id: str) -> dict:
    return cloud.alarming().get(f"/v2/alarms/{alarm_id}").json()


def _evaluate(cloud: MeteredCloud, after: float = 0.0) -> list:
    cloud.clock.advance(after)
    return evaluate_all(cloud.store, cloud.clock.now)


def _unused_port() -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _set_state(cloud: MeteredCloud, alarm_id: str, state: str) -> None:
    cloud.alarming().put(f"/v2/alarms/{alarm_id}/state", json=state)


def test_every_period_beyond_the_threshold_raises_the_alarm_with_aodhs_webhook_body(cloud: MeteredCloud):
    _group(cloud, 90.0)
    alarm_id = _alarm(cloud)
    [notification] = _evaluate(cloud, 5 * MINUTE)
    reason = "Transition to alarm due to 3 samples outside threshold, most recent: 90.0"
    assert notification.url == "http://hooks.example/alarm"
    assert notification.body == {
        "alarm_name": "cpu-high", "alarm_id": alarm_id, "severity": "low", "previous": "insufficient data",
        "current": "alarm", "reason": reason,
        "reason_data": {"type": "threshold", "disposition": "outside", "count": 3, "most_recent": 90.0}}
    shown = _shown(cloud, alarm_id)
    assert (shown["state"], shown["state_reason"]) == ("alarm", reason)
    history = cloud.alarming().get(f"/v2/alarms/{alarm_id}/history").json()
    assert history[0]["type"] == "state transition"
    assert json.loads(history[0]["detail"]) == {"state": "alarm", "transition_reason": reason}
    assert _evaluate(cloud, MINUTE) == []  # no change, no repeat: nothing to say


def test_no_period_beyond_the_threshold_makes_the_alarm_ok(cloud: MeteredCloud):
    _group(cloud, 10.0)
    alarm_id = _alarm(cloud)
    [notification] = _evaluate(cloud, 5 * MINUTE)
    assert (notification.url, notification.body["current"]) == ("http://hooks.example/ok", "ok")
    assert notification.body["reason"] == "Transition to ok due to 3 samples inside threshold, most recent: 10.0"
    assert notification.body["reason_data"] == {"type": "threshold", "disposition": "inside", "count": 3,
                                                "most_recent": 10.0}
    assert _shown(cloud, alarm_id)["state"] == "ok"


def test_a_mix_of_periods_leaves_an_ok_or_alarmed_alarm_as_it_was(cloud: MeteredCloud):
    servers = _group(cloud, 10.0)
    alarm_id = _alarm(cloud)
    assert [n.body["current"] for n in _evaluate(cloud, 5 * MINUTE)] == ["ok"]
    for server in servers:
        set_load(cloud.store, server, 95.0, cloud.clock.now + MINUTE)
    assert _evaluate(cloud, MINUTE) == []  # one period of three beyond the threshold
    assert _shown(cloud, alarm_id)["state"] == "ok"
    _set_state(cloud, alarm_id, "alarm")
    for server in servers:
        set_load(cloud.store, server, 10.0, cloud.clock.now + MINUTE)
    assert _evaluate(cloud, MINUTE) == []  # high, high, low: still a mix
    assert _shown(cloud, alarm_id)["state"] == "alarm"


def test_a_mix_decides_by_the_newest_period_when_data_was_insufficient(cloud: MeteredCloud):
    servers = _group(cloud, 10.0)
    alarm_id = _alarm(cloud)
    for server in servers:
        set_load(cloud.store, server, 95.0, EPOCH + 5 * MINUTE)
    [notification] = _evaluate(cloud, 5 * MINUTE)
    assert notification.body["previous"] == "insufficient data"
    assert notification.body["reason"] == "Transition to alarm due to 1 samples outside threshold, most recent: 95.0"
    assert _shown(cloud, alarm_id)["state"] == "alarm"


def test_repeat_actions_notify_at_every_evaluation_while_the_state_stays(cloud: MeteredCloud):
    servers = _group(cloud, 90.0)
    alarm_id = _alarm(cloud, repeat_actions=True)
    assert [n.body["current"] for n in _evaluate(cloud, 5 * MINUTE)] == ["alarm"]
    [again] = _evaluate(cloud, MINUTE)
    assert (again.url, again.body["previous"], again.body["current"]) == ("http://hooks.example/alarm", "alarm",
                                                                          "alarm")
    assert again.body["reason"] == "Remaining as alarm due to 3 samples outside threshold, most recent: 90.0"
    for server in servers:
        set_load(cloud.store, server, 10.0, cloud.clock.now + MINUTE)
    [mixed] = _evaluate(cloud, MINUTE)  # a mix keeps the state, and repeats its actions
    assert mixed.body["reason"] == "Remaining as alarm due to 2 samples outside threshold, most recent: 10.0"
    history = cloud.alarming().get(f"/v2/alarms/{alarm_id}/history").json()
    assert [entry["type"] for entry in history] == ["state transition", "creation"]


def test_too_few_periods_are_insufficient_data(cloud: MeteredCloud):
    alarm_id = _alarm(cloud)
    _set_state(cloud, alarm_id, "alarm")
    cloud.clock.advance(10)
    _group(cloud, 90.0)
    [nothing_yet] = _evaluate(cloud, 10)  # servers made within this minute: not sampled yet
    assert (nothing_yet.url, nothing_yet.body["reason"]) == ("http://hooks.example/nodata",
                                                             "No datapoint for granularity 60")
    assert nothing_yet.body["reason_data"] == {"type": "threshold", "disposition": "unknown", "count": 3,
                                               "most_recent": None}
    assert _evaluate(cloud, MINUTE) == []  # still too few, and already insufficient data
    _set_state(cloud, alarm_id, "ok")
    [few] = _evaluate(cloud)
    assert few.body["reason"] == "3 datapoints are unknown"
    assert few.body["reason_data"] == {"type": "threshold", "disposition": "unknown", "count": 3, "most_recent": 90.0}


def test_an_alarm_over_servers_that_are_gone_has_insufficient_data(cloud: MeteredCloud):
    [server] = _group(cloud, 90.0, size=1)
    alarm_id = _alarm(cloud, repeat_actions=True)
    assert [n.body["current"] for n in _evaluate(cloud, 5 * MINUTE)] == ["alarm"]
    cloud.connect().compute.delete_server(server)
    [gone] = _evaluate(cloud, MINUTE)
    assert (gone.body["current"], gone.body["reason"]) == ("insufficient data", "metric cpu_util does not exists")
    [still] = _evaluate(cloud, MINUTE)  # repeat_actions: said again, in Aodh's words for an unchanged state
    assert still.body["reason"] == "Remaining as insufficient data due to 0 samples outside threshold, most " \
                                   "recent: None"
    assert _shown(cloud, alarm_id)["state"] == "insufficient data"


def test_a_disabled_alarm_is_not_evaluated(cloud: MeteredCloud):
    _group(cloud, 90.0)
    alarm_id = _alarm(cloud, enabled=False)
    before = _shown(cloud, alarm_id)
    assert _evaluate(cloud, 5 * MINUTE) == []
    assert _shown(cloud, alarm_id) == before


def test_each_state_notifies_its_own_action_list(cloud: MeteredCloud):
    servers = _group(cloud, 10.0, size=1)
    _alarm(cloud, evaluation_periods=1)
    assert [n.url for n in _evaluate(cloud, 2 * MINUTE)] == ["http://hooks.example/ok"]
    set_load(cloud.store, servers[0], 99.0, cloud.clock.now + MINUTE)
    assert [n.url for n in _evaluate(cloud, MINUTE)] == ["http://hooks.example/alarm"]
    cloud.connect().compute.delete_server(servers[0])
    assert [n.url for n in _evaluate(cloud, MINUTE)] == ["http://hooks.example/nodata"]


def test_cpu_as_a_rate_of_nanoseconds_scales_as_heat_templates_write_it(cloud: MeteredCloud):
    _group(cloud, 85.0)
    alarm_id = _alarm(cloud, metric="cpu", aggregation_method="rate:mean", threshold=0.8 * 60 * 1e9,
                      evaluation_periods=1)
    [notification] = _evaluate(cloud, 3 * MINUTE)
    assert notification.body["reason"] == ("Transition to alarm due to 1 samples outside threshold, most recent: "
                                           f"{0.85 * 60e9}")
    assert _shown(cloud, alarm_id)["state"] == "alarm"


def test_a_legacy_threshold_alarm_takes_a_statistic_over_the_groups_samples(cloud: MeteredCloud):
    first, second = _group(cloud, 20.0)
    set_load(cloud.store, second, 95.0, EPOCH)
    query = [{"field": "metadata.user_metadata.server_group", "op": "eq", "value": "g"}]
    made = {}
    for statistic in ("max", "avg"):
        made[statistic] = cloud.alarming().post("/v2/alarms", json={
            "name": statistic, "type": "threshold", "threshold_rule": {
                "meter_name": "cpu_util", "statistic": statistic, "comparison_operator": "gt", "threshold": 90,
                "evaluation_periods": 2, "query": query}}).json()["alarm_id"]
    _evaluate(cloud, 4 * MINUTE)
    assert _shown(cloud, made["max"])["state_reason"] == ("Transition to alarm due to 2 samples outside threshold, "
                                                           "most recent: 95.0")
    assert _shown(cloud, made["avg"])["state_reason"] == ("Transition to ok due to 2 samples inside threshold, "
                                                           "most recent: 57.5")


def test_alarms_on_one_resource_and_on_metrics_by_id(cloud: MeteredCloud):
    server, other = _group(cloud, 90.0)
    set_load(cloud.store, other, 30.0, EPOCH)
    resource = cloud.metric().get(f"/v1/resource/instance/{other}").json()
    common = {"aggregation_method": "mean", "threshold": 50, "comparison_operator": "gt", "granularity": 60}
    one = cloud.alarming().post("/v2/alarms", json={
        "name": "one", "type": "gnocchi_resources_threshold", "gnocchi_resources_threshold_rule": {
            "metric": "cpu_util", "resource_id": server, "resource_type": "instance", **common}}).json()
    both = cloud.alarming().post("/v2/alarms", json={
        "name": "both", "type": "gnocchi_aggregation_by_metrics_threshold",
        "gnocchi_aggregation_by_metrics_threshold_rule": {
            "metrics": [resource["metrics"]["cpu_util"], resource["metrics"]["memory.usage"]], **common}}).json()
    _evaluate(cloud, 3 * MINUTE)
    assert _shown(cloud, one["alarm_id"])["state"] == "alarm"
    # the mean of 30 % and of the 30 %-loaded server's memory use (512 MB × 0.38) is beyond 50
    assert _shown(cloud, both["alarm_id"])["state_reason"].endswith(f"most recent: {(30 + 512 * 0.38) / 2}")


def test_notifications_are_posted_to_a_real_listener_and_failures_recorded(cloud: MeteredCloud):
    _group(cloud, 90.0)
    closed = f"http://127.0.0.1:{_unused_port()}"
    with WebhookListener() as listener, WebhookListener(status=500) as broken:
        alarm_id = _alarm(cloud, project="admin",  # log:// actions are an admin's
                          alarm_actions=[f"{listener.url}/hook?x=1", f"{broken.url}/hook", f"{closed}/hook", "log://",
                                         "zaqar://?queue_name=q"])
        notifications = _evaluate(cloud, 5 * MINUTE)
        assert deliver(cloud.store, notifications) == 2  # the listener and the log
    [received] = listener.received
    assert received["path"] == "/hook?x=1"
    assert received["headers"]["Content-Type"] == "application/json"
    assert received["headers"]["x-openstack-request-id"].startswith("req-")
    assert received["body"] == notifications[0].body
    assert len(broken.received) == 3  # tried again twice on a 500
    failures = [json.loads(entry["detail"]) for entry in cloud.alarming("admin").get(
        f"/v2/alarms/{alarm_id}/history").json() if entry["type"] == "action failure"]
    assert {failure["action"] for failure in failures} == {f"{broken.url}/hook", f"{closed}/hook",
                                                          "zaqar://?queue_name=q"}
    assert all(failure["current"] == "alarm" and failure["error"] for failure in failures)


# -- the thread ------------------------------------------------------------------------------------

def _evaluator_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "sandbox-alarm-evaluator"]


def _watch_a_metric(cloud, listener: WebhookListener) -> tuple[adapter.Adapter, str]:
    """A generic resource's metric and an alarm on it (per second, beyond 50) that calls ``listener``."""
    session = cloud.connect("demo").session
    metric = adapter.Adapter(session, service_type="metric", interface="public")
    resource = metric.post("/v1/resource/generic", json={"id": "app", "metrics": {"load": {}}}).json()
    aodh = adapter.Adapter(session, service_type="alarming", interface="public")
    aodh.post("/v2/alarms", json={"name": "busy", "type": "gnocchi_resources_threshold",
                                  "alarm_actions": [f"{listener.url}/busy"],
                                  "gnocchi_resources_threshold_rule": {
                                      "metric": "load", "resource_id": resource["id"], "resource_type": "generic",
                                      "aggregation_method": "max", "threshold": 50, "comparison_operator": "gt",
                                      "granularity": 1}})
    return metric, resource["metrics"]["load"]


def test_the_evaluator_thread_evaluates_every_interval_until_the_sandbox_closes():
    with WebhookListener() as listener:
        with sandbox_cloud(over_http=True, alarm_evaluation_seconds=0.2) as cloud:
            evaluator = start_alarm_evaluator(cloud.app)
            assert _evaluator_threads()
            metric, metric_id = _watch_a_metric(cloud, listener)
            passes = evaluator.passes
            metric.post(f"/v1/metric/{metric_id}/measures", json=[{"timestamp": time.time(), "value": 90}])
            assert listener.arrived.wait(10), "no webhook within 10 s"
            deadline = time.monotonic() + 10
            while evaluator.passes < passes + 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert evaluator.passes >= passes + 3, "the evaluator stopped evaluating"
        assert not _evaluator_threads(), "closing the sandbox must stop its evaluator"
    assert listener.received[0]["body"]["current"] == "alarm"


def test_new_measures_wake_the_evaluator_at_once():
    with WebhookListener() as listener, sandbox_cloud(over_http=True, alarm_evaluation_seconds=3600) as cloud:
        evaluator = start_alarm_evaluator(cloud.app)
        metric, metric_id = _watch_a_metric(cloud, listener)
        metric.post(f"/v1/metric/{metric_id}/measures", json=[{"timestamp": time.time(), "value": 90}])
        # an hour's interval: only the wake-up can have evaluated this soon
        assert listener.arrived.wait(10), "the measures did not wake the evaluator"
        assert evaluator.passes >= 1
