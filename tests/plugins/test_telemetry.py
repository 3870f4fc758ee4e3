"""OS::Aodh::* through the engine, on the sandbox's Aodh over HTTP: made, changed in place, replaced,
suspended, resumed, checked and deleted; action names made URLs; Aodh's refusals as failure reasons; and
the leftover check finding an alarm a stack left behind.
"""

from __future__ import annotations

import json

import pytest
from keystoneauth1 import adapter

from resources.registry import PluginRegistry
from resources.telemetry import GnocchiAggregationByResourcesAlarm
from tests.engine.harness import Harness, make_harness
from tests.plugins.conftest import assert_no_leftovers

#: the project the harness's stacks act in (the engine's connection for it)
PROJECT = "default"

ALARMS = """
heat_template_version: 2018-08-31
parameters:
  threshold: {type: number, default: 80}
  meter: {type: string, default: cpu_util}
  description: {type: string, default: CPU above 80 %}
  severity: {type: string, default: low}
  actions: {type: comma_delimited_list, default: "http://hooks.example/up"}
resources:
  legacy:
    type: OS::Aodh::Alarm
    properties:
      description: {get_param: description}
      meter_name: {get_param: meter}
      statistic: avg
      period: 60
      evaluation_periods: 2
      threshold: {get_param: threshold}
      comparison_operator: gt
      severity: {get_param: severity}
      alarm_actions: {get_param: actions}
      matching_metadata: {"metering.server_group": {get_param: "OS::stack_id"}}
  by_group:
    type: OS::Aodh::GnocchiAggregationByResourcesAlarm
    properties:
      metric: cpu
      aggregation_method: rate:mean
      granularity: 300
      evaluation_periods: 1
      threshold: 240000000000.0
      comparison_operator: gt
      resource_type: instance
      alarm_actions: {get_param: actions}
      ok_actions: [http://hooks.example/ok]
      query:
        str_replace:
          template: '{"=": {"server_group": "STACK"}}'
          params: {STACK: {get_param: "OS::stack_id"}}
outputs:
  shown_state: {value: {get_attr: [by_group, show, state]}}
  reference: {value: {get_resource: by_group}}
"""


@pytest.fixture
def aodh(cloud):
    """Aodh, as the stacks' project sees it (the tests' own connection)."""
    return adapter.Adapter(cloud.connect(PROJECT).session, service_type="alarming", interface="public")


def _alarm_ids(harness: Harness, stack_id: str) -> dict[str, str]:
    return {name: row.physical_id for name, row in harness.resources(stack_id).items()}


def _alarm(aodh, alarm_id: str) -> dict:
    return aodh.get(f"/v2/alarms/{alarm_id}").json()


def test_both_alarm_types_are_made_in_aodh_with_heats_properties(harness, aodh):
    stack_id = harness.create(ALARMS, name="scaling")
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    ids = _alarm_ids(harness, stack_id)
    legacy, by_group = _alarm(aodh, ids["legacy"]), _alarm(aodh, ids["by_group"])
    assert legacy["type"] == "threshold" and legacy["name"].startswith("scaling-legacy-")
    assert legacy["repeat_actions"] is True, "Heat's default, not Aodh's"
    assert legacy["alarm_actions"] == ["http://hooks.example/up"] and legacy["description"] == "CPU above 80 %"
    rule = legacy["threshold_rule"]
    assert (rule["meter_name"], rule["statistic"], rule["period"], rule["evaluation_periods"]) == (
        "cpu_util", "avg", 60, 2)
    assert (rule["threshold"], rule["comparison_operator"]) == (80.0, "gt")
    assert rule["query"] == [{"field": "metadata.user_metadata.server_group", "op": "eq", "value": stack_id,
                              "type": ""}]
    gnocchi = by_group["gnocchi_aggregation_by_resources_threshold_rule"]
    assert (gnocchi["metric"], gnocchi["aggregation_method"], gnocchi["granularity"]) == ("cpu", "rate:mean", 300)
    assert {"=": {"server_group": stack_id}} in json.loads(gnocchi["query"])["and"]
    assert by_group["ok_actions"] == ["http://hooks.example/ok"] and by_group["state"] == "insufficient data"
    outputs = harness.outputs(stack_id)
    assert outputs == {"shown_state": "insufficient data", "reference": ids["by_group"]}
    assert harness.delete(stack_id)
    assert aodh.get("/v2/alarms").json() == []


def test_alarms_change_in_place_and_a_new_meter_makes_a_new_alarm(harness, aodh):
    stack_id = harness.create(ALARMS)
    before = _alarm_ids(harness, stack_id)
    assert harness.update(stack_id, ALARMS, parameters={
        "threshold": 90, "severity": "critical", "description": "", "actions": "http://a.example,http://b.example"
    }), harness.events(stack_id)
    assert _alarm_ids(harness, stack_id) == before
    legacy = _alarm(aodh, before["legacy"])
    assert legacy["threshold_rule"]["threshold"] == 90.0 and legacy["severity"] == "critical"
    assert legacy["alarm_actions"] == ["http://a.example", "http://b.example"]
    assert legacy["description"] == "Alarm when cpu_util is gt a avg of 90.0 over 60 seconds"  # Aodh's, again
    assert legacy["threshold_rule"]["query"][0]["value"] == stack_id
    assert _alarm(aodh, before["by_group"])["alarm_actions"] == ["http://a.example", "http://b.example"]

    assert harness.update(stack_id, ALARMS, parameters={"meter": "memory.usage"}), harness.events(stack_id)
    after = _alarm_ids(harness, stack_id)
    assert after["legacy"] != before["legacy"] and after["by_group"] == before["by_group"]
    assert _alarm(aodh, after["legacy"])["threshold_rule"]["meter_name"] == "memory.usage"
    assert aodh.get(f"/v2/alarms/{before['legacy']}", raise_exc=False).status_code == 404


def test_suspend_and_resume_turn_evaluation_off_and_on(harness, aodh):
    stack_id = harness.create(ALARMS)
    ids = _alarm_ids(harness, stack_id)
    assert harness.run(harness.engine.stack_action(stack_id, "SUSPEND")), harness.events(stack_id)
    assert [_alarm(aodh, alarm_id)["enabled"] for alarm_id in ids.values()] == [False, False]
    assert harness.run(harness.engine.stack_action(stack_id, "RESUME")), harness.events(stack_id)
    assert [_alarm(aodh, alarm_id)["enabled"] for alarm_id in ids.values()] == [True, True]


def test_a_check_finds_an_alarm_gone_and_a_delete_does_not_mind(harness, aodh):
    stack_id = harness.create(ALARMS)
    assert harness.run(harness.engine.stack_action(stack_id, "CHECK"))
    aodh.delete(f"/v2/alarms/{_alarm_ids(harness, stack_id)['legacy']}")
    assert not harness.run(harness.engine.stack_action(stack_id, "CHECK"))
    assert harness.resource_states(stack_id)["legacy"] == "CHECK_FAILED"
    assert "no longer exists in Aodh" in harness.resources(stack_id)["legacy"].status_reason
    assert harness.delete(stack_id), harness.events(stack_id)


HOOK = """
heat_template_version: 2018-08-31
outputs:
  alarm_url: {value: "http://policies.example/v1/signal/abc"}
"""

NAMED_ACTION = """
heat_template_version: 2018-08-31
resources:
  hook:
    type: hook.yaml
  alarm:
    type: OS::Aodh::GnocchiAggregationByResourcesAlarm
    depends_on: hook
    properties:
      metric: cpu_util
      aggregation_method: mean
      threshold: 80
      resource_type: instance
      query: '{"=": {"server_group": "g"}}'
      alarm_actions: [hook, "http://hooks.example/also"]
outputs:
  url: {value: {get_attr: [hook, alarm_url]}}
"""


def test_an_action_naming_a_resource_of_the_stack_is_that_resources_alarm_url(harness, aodh):
    stack_id = harness.create(NAMED_ACTION, files={"hook.yaml": HOOK})
    assert harness.state(stack_id) == "CREATE_COMPLETE", harness.events(stack_id)
    alarm = _alarm(aodh, _alarm_ids(harness, stack_id)["alarm"])
    assert alarm["alarm_actions"] == ["http://policies.example/v1/signal/abc", "http://hooks.example/also"]


NAMED_WITHOUT_URL = """
heat_template_version: 2018-08-31
resources:
  alarm:
    type: OS::Aodh::GnocchiAggregationByResourcesAlarm
    properties:
      metric: cpu_util
      aggregation_method: mean
      threshold: 80
      resource_type: instance
      query: '{"=": {"server_group": "g"}}'
      alarm_actions: [hook]
  hook:
    type: OS::Heat::TestResource
    properties: {wait_secs: 0.2}
"""


def test_a_named_resource_comes_first_and_without_an_alarm_url_the_alarm_fails_saying_what_to_write(harness):
    stack_id = harness.create(NAMED_WITHOUT_URL)
    assert harness.state(stack_id) == "CREATE_FAILED"
    events = harness.events(stack_id)
    assert events.index(("hook", "CREATE_COMPLETE", "state changed")) < [
        name for name, _, _ in events].index("alarm"), "the resource an action names is made first"
    reason = harness.resources(stack_id)["alarm"].status_reason
    assert "names resource hook of the stack, whose alarm_url is not known" in reason, reason
    assert "{get_attr: [hook, alarm_url]}" in reason


@pytest.mark.parametrize(("change", "message"), [
    ("aggregation_method: mean", "Aodh refused to create the alarm: aggregation_method should be in"),
    ("aggregation_method: rate:mean\n      granularity: 0",
     "Aodh refused to create the alarm: Invalid input for field/attribute granularity. Value: '0'. Value should be "
     "greater or equal to 1"),
])
def test_aodhs_refusals_are_the_failure_reason(harness, change, message):
    template = NAMED_ACTION.replace("aggregation_method: mean", change.replace(
        "aggregation_method: mean", "aggregation_method: average")).replace(
        "alarm_actions: [hook, \"http://hooks.example/also\"]", "alarm_actions: []")
    stack_id = harness.create(template, files={"hook.yaml": HOOK})
    assert harness.state(stack_id) == "CREATE_FAILED"
    reason = harness.resources(stack_id)["alarm"].status_reason
    assert message in reason, reason


class LeakyAlarm(GnocchiAggregationByResourcesAlarm):
    """An alarm type forgetting to delete its alarm."""

    type_name = "Test::LeakyAlarm"

    def delete(self) -> None:
        pass


def test_the_leftover_check_finds_an_alarm_a_deleted_stack_left(tmp_path, cloud, aodh):
    before = cloud.inventory()
    registry = PluginRegistry({LeakyAlarm.type_name: LeakyAlarm})
    with make_harness(tmp_path, plugins=registry, cloud=cloud.connections) as leaky:
        stack_id = leaky.create(f"""
        heat_template_version: 2018-08-31
        resources:
          alarm:
            type: {LeakyAlarm.type_name}
            properties: {{metric: cpu_util, aggregation_method: mean, threshold: 80, resource_type: instance,
                         query: '{{"=": {{"server_group": "g"}}}}'}}
        """)
        alarm_id = leaky.resources(stack_id)["alarm"].physical_id
        assert alarm_id and leaky.delete(stack_id)
    with pytest.raises(AssertionError) as failure:
        assert_no_leftovers(cloud, before, "tests/plugins/test_x.py::test_leaky", wait=0.3)
    assert f"alarm {alarm_id} (name \"stack-alarm-" in str(failure.value), str(failure.value)
    aodh.delete(f"/v2/alarms/{alarm_id}")
    assert cloud.leftovers(before) == []
